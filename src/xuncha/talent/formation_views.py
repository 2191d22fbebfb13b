"""The team builder: form a round's teams with the solver, review and change the
proposal by hand (each change re-checked), relax a named rule with a reason, accept, and
follow the home units' release of the people chosen."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Min
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from xuncha.core import i18n, policy
from xuncha.core.forms import labelled_errors
from xuncha.core.models import Organisation, OrganisationKind
from xuncha.core.views import AuthedRequest
from xuncha.rounds.models import Round, Stage
from xuncha.rounds.selectors import rounds_for
from xuncha.talent import formation_services, permissions, teams
from xuncha.talent.lib import formation as fm
from xuncha.talent.models import (
    FormationRun,
    InspectorProfile,
    Release,
    RoundRole,
    RuleRelaxation,
    Specialty,
)
from xuncha.talent.profile_forms import SpecialtiesField

# The session key of a hand change just refused, shown once in its team's block.
REFUSED_KEY = "talent_formation_refused"
# A refused release confirmation: the row shows its error and the input typed.
RELEASE_REFUSED_KEY = "talent_release_refused"
# A refused relaxation: what was posted and why, shown at the form's fields.
RELAX_REFUSED_KEY = "talent_relax_refused"


class StartForm(forms.Form):
    time_limit = forms.IntegerField(
        label=gettext_lazy("Time limit (seconds)"),
        min_value=1,
        max_value=formation_services.MAX_TIME_LIMIT,
        initial=20,
    )
    seed = forms.IntegerField(
        label=gettext_lazy("Seed"),
        min_value=0,
        max_value=1_000_000,
        initial=0,
        help_text=gettext_lazy("The same seed and records give the same teams."),
    )


class ReleaseForm(forms.Form):
    confirmed_on = forms.DateField(
        label=gettext_lazy("Confirmed on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("The day the home unit confirmed; today when left empty."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


class RelaxForm(forms.Form):
    """A rule to relax for the round: those that apply to it (the cross-county rule in a
    cross round only) and are not relaxed already."""

    rule = forms.ChoiceField(label=gettext_lazy("Rule"), choices=RuleRelaxation.Rule.choices)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300)

    def __init__(
        self, *args: Any, round_: Round, relaxed: Collection[str] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        applies = formation_services.relaxable_rules(round_)
        # Only these are offered; any named rule is accepted here, so that the service says
        # why another one cannot be relaxed (already relaxed, or not a rule of this round).
        self.fields["rule"].widget.choices = [
            (value, label)
            for value, label in RuleRelaxation.Rule.choices
            if value in applies and value not in relaxed
        ]

    @property
    def offers_any(self) -> bool:
        return bool(self.fields["rule"].widget.choices)


class NeedForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Target"),
        queryset=Organisation.objects.none(),
        empty_label=gettext_lazy("Choose a target"),
        # Choosing a target reopens the form on it with its current needs ticked (app.js).
        widget=forms.Select(attrs={"data-reload-param": "need", "data-reload-anchor": "needs"}),
    )
    specialties = SpecialtiesField(label=gettext_lazy("Specialties it needs"))

    def __init__(self, *args: Any, round_: Round, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # In the order of the needs table: by team, then target.
        self.fields["organisation"].queryset = (  # type: ignore[attr-defined]
            Organisation.objects.filter(inspecting_teams__round=round_)
            .annotate(first_team=Min("inspecting_teams__id"))
            .order_by("first_team", "pk")
        )


class ChangeForm(forms.Form):
    team = forms.IntegerField(widget=forms.HiddenInput)
    person_out = forms.TypedChoiceField(
        label=gettext_lazy("Take out"), coerce=int, required=False, empty_value=None
    )
    person_in = forms.TypedChoiceField(
        label=gettext_lazy("Put in"), coerce=int, required=False, empty_value=None
    )
    role = forms.ChoiceField(label=gettext_lazy("as"), choices=RoundRole.Role.choices)

    def __init__(
        self,
        *args: Any,
        seated: list[tuple[int, str]],
        free: list[Any],  # (id, label) pairs, or (group label, [(id, label), ...]) groups
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        nobody = [("", "—")]
        self.fields["person_out"].choices = nobody + seated  # type: ignore[attr-defined]
        self.fields["person_in"].choices = nobody + free  # type: ignore[attr-defined]


def round_for_forming(request: AuthedRequest, pk: int) -> Round:
    """A round whose teams the user may form: 404 out of sight, 403 without the right."""
    round_ = get_object_or_404(rounds_for(request.user), pk=pk)
    if not policy.allows_on_organisation(request.user, permissions.TEAM_FORM, round_.committee):
        raise PermissionDenied
    return round_


def _run_for_forming(request: AuthedRequest, pk: int) -> FormationRun:
    run = get_object_or_404(FormationRun.objects.select_related("round"), pk=pk)
    round_for_forming(request, run.round_id)
    return run


def _describe(
    cand: fm.Candidate,
    counties: dict[str, str],
    names: dict[str, str],
    *,
    home: str = "",
    why: list[str] | None = None,
    unqualified: bool = False,
) -> str:
    """One person to put in, as a choice: what decides a swap comes right after the name
    (a phone shows only the start of a closed list): the home organisation where another
    person of the list has the same name, whether they may lead (or hold no valid
    qualification), why they conflict."""
    notes = [home] if home else []
    if cand.leader_eligible:
        notes.append(_("can lead"))
    elif unqualified:
        notes.append(_("no valid qualification"))
    name = cand.name
    if notes:
        name = _("%(name)s (%(notes)s)") % {"name": name, "notes": i18n.clauses(notes)}
    if why:
        name = _("%(person)s — %(why)s") % {"person": name, "why": i18n.enumeration(why)}
    specialties = i18n.enumeration(names.get(s, s) for s in sorted(cand.specialties)) or "—"
    return ngettext(
        "%(name)s · %(county)s · %(specialties)s · %(rounds)s round",
        "%(name)s · %(county)s · %(specialties)s · %(rounds)s rounds",
        cand.rounds_done,
    ) % {
        "name": name,
        "county": counties.get(cand.county, cand.county),
        "specialties": specialties,
        "rounds": cand.rounds_done,
    }


def _homes_of_namesakes(candidates: Sequence[fm.Candidate]) -> dict[int, str]:
    """The home organisation of each person whose name another of ``candidates`` shares
    (two 周鑫 of one county are told apart by where they work)."""
    counts = Counter(c.name for c in candidates)
    shared = [c.person_id for c in candidates if counts[c.name] > 1]
    if not shared:
        return {}
    return {
        person_id: org or ""
        for person_id, org in InspectorProfile.objects.filter(person_id__in=shared).values_list(
            "person_id", "home_organisation__name"
        )
    }


def _score(run: FormationRun, instance: fm.Instance) -> dict[str, Any]:
    """The score of the teams on screen (the draft, which hand changes may have moved away
    from the solver's proposal), term by term, and its distance to the proven bound."""
    terms = fm.score_terms(instance, teams.assignments_of(run.draft))
    total = sum(terms.values())
    gap = fm.relative_gap(total, run.bound)
    labels = teams.score_term_labels()
    changed = run.objective is not None and abs(total - run.objective) > 1e-6
    status = teams.solver_status_label(run.result.get("status", ""))
    return {
        "total": total,
        "changed": changed,
        "gap_percent": None if gap is None else gap * 100,
        # "Proven best" is said of the solver's teams; after a hand change the gap is not.
        "solver_status": _("the solver's teams were %(status)s") % {"status": status}
        if changed
        else status,
        "terms": [{"label": labels[name], "points": points} for name, points in terms.items()],
    }


def _proposal(
    run: FormationRun,
    instance: fm.Instance,
    refused: dict[str, Any] | None = None,
    current: fm.Instance | None = None,
) -> dict[str, Any]:
    """The draft of ``run`` per team, with what the builder shows about each person.

    ``refused`` is a hand change just refused (its team's form shows it again, with what
    it breaks). The people to put in are grouped per team: first those with no recusal
    or county conflict for it as a member, then the others, whom the check will refuse
    with the reason. The teams show the records the proposal was made from; the people to
    put in come from ``current`` (the instance built again when the records have changed
    since), since a hand change is checked against today's records."""
    people = {c.person_id: c for c in instance.candidates}
    offer = current or instance  # whom to offer, and their conflicts
    counties = dict(
        Organisation.objects.filter(kind=OrganisationKind.COUNTY).values_list("code", "name")
    )
    specialty_names = teams.specialty_name_map(run.result)
    # People excluded from each team by recusal (in some role at least).
    excluded: defaultdict[int, set[int]] = defaultdict(set)
    # team -> person -> the rules that bar them as a member (for the list of people to put in)
    not_as_member: defaultdict[int, dict[int, set[str]]] = defaultdict(dict)
    labels = teams.rule_labels()
    for f in instance.forbidden:
        excluded[f.team_index].add(f.person_id)
    for f in offer.forbidden:
        if f.role in (fm.MEMBER, fm.ANY):
            not_as_member[f.team_index].setdefault(f.person_id, set()).add(f.rule)
    evidence = run.result.get("evidence") or {}
    cross_on = offer.rules.cross and fm.RELAX_CROSS not in offer.rules.relaxed
    order = {role: n for n, role in enumerate(fm.ROLES)}
    seats: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
    placed = set()
    for seat in sorted(run.draft, key=lambda s: (order.get(s["role"], 9), s["person"])):
        cand = people[int(seat["person"])]
        placed.add(cand.person_id)
        seats[int(seat["team"])].append(
            {
                "person": cand.person_id,
                "name": cand.name,
                "role": teams.role_label(seat["role"]),
                "role_code": seat["role"],
                "county": counties.get(cand.county, cand.county),
                "specialties": [specialty_names.get(s, s) for s in sorted(cand.specialties)],
                "rounds": cand.rounds_done,
                "leader_eligible": cand.leader_eligible,
            }
        )
    free = sorted(
        (c for c in offer.candidates if c.person_id not in placed and c.available),
        key=lambda c: (-c.rounds_done, c.name),
    )
    homes = _homes_of_namesakes(free)
    period = run.result.get("period") or []
    # Without a qualification valid on the first day, seated or offered (one look for
    # both): a warning on the seat, a note in the list of people to put in.
    unqualified = (
        teams.without_valid_qualification(
            placed | {c.person_id for c in free}, dt.date.fromisoformat(period[0])
        )
        if period
        else set()
    )

    def describe(c: fm.Candidate, why: list[str] | None = None) -> str:
        return _describe(
            c,
            counties,
            specialty_names,
            home=homes.get(c.person_id, ""),
            why=why,
            unqualified=c.person_id in unqualified,
        )

    # Described once; those in conflict with a team are described again for it.
    plain = {c.person_id: describe(c) for c in free}
    ends = (
        teams.qualification_ends(
            placed, dt.date.fromisoformat(period[0]), dt.date.fromisoformat(period[1])
        )
        if len(period) == 2
        else {}
    )
    # Whose own unit the round inspects (a warning; the office decides).
    inspected = (
        teams.inspected_units(
            placed, run.round, dt.date.fromisoformat(period[0]), dt.date.fromisoformat(period[1])
        )
        if len(period) == 2
        else {}
    )
    target_names = dict(
        Organisation.objects.filter(
            pk__in={t for spec in instance.teams for t in spec.target_ids}
        ).values_list("pk", "name")
    )
    team_rows = []
    for spec in instance.teams:
        crew = seats.get(spec.index, [])
        for seat in crew:
            seat["unqualified"] = seat["person"] in unqualified
            seat["qualified_until"] = ends.get(seat["person"])
            seat["inspected"] = inspected.get(seat["person"], "")
        # Why each of the others may not join as a member, in short (the check says more).
        why_not: dict[int, list[str]] = {}
        for c in free:
            why = [labels.get(r, r) for r in sorted(not_as_member[spec.index].get(c.person_id, ()))]
            if cross_on and c.county in spec.target_counties:
                why.append(_("home county"))
            if why:
                why_not[c.person_id] = why
        choices = {
            c.person_id: describe(c, why_not[c.person_id]) for c in free if c.person_id in why_not
        }
        groups = [
            (
                _("No conflict with this team"),
                [(c.person_id, plain[c.person_id]) for c in free if c.person_id not in why_not],
            ),
            (
                _("In conflict with this team (the check says why)"),
                [(c.person_id, choices[c.person_id]) for c in free if c.person_id in why_not],
            ),
        ]
        this_refused = refused if refused and refused.get("team") == spec.index else None
        initial = {"team": spec.index, "role": fm.MEMBER}
        if this_refused:
            initial.update(
                role=this_refused["role"],
                person_out=this_refused["out"],
                person_in=this_refused["in"],
            )
        team_rows.append(
            {
                "index": spec.index,
                "label": spec.label,
                # What the team inspects, and for a cross round in which counties: the
                # home-county rule is checked against the list right above.
                "targets": [target_names.get(t, f"#{t}") for t in spec.target_ids],
                "counties": sorted(counties.get(c, c) for c in spec.target_counties)
                if instance.rules.cross and fm.RELAX_CROSS not in instance.rules.relaxed
                else [],
                "needs": [specialty_names.get(s, s) for s in sorted(spec.required_specialties)],
                # Needs nobody of the team holds (only where the rule was relaxed, or the
                # check says so).
                "missing": [
                    specialty_names.get(s, s)
                    for s in sorted(
                        spec.required_specialties
                        - {code for seat in crew for code in people[seat["person"]].specialties}
                    )
                ],
                "crew": crew,
                "experienced": sum(1 for seat in crew if seat["rounds"] >= 2),
                "first_timers": sum(1 for seat in crew if seat["rounds"] == 0),
                "conflicts": len(excluded[spec.index]),
                "recusals": teams.recusals_of_team(instance, evidence, spec.index),
                "form": ChangeForm(
                    initial=initial,
                    seated=[
                        (
                            s["person"],
                            _("%(name)s (%(role)s)") % {"name": s["name"], "role": s["role"]},
                        )
                        for s in crew
                    ],
                    free=[(label, options) for label, options in groups if options],
                    auto_id=f"t{spec.index}_%s",
                ),
                "refused": this_refused["problems"] if this_refused else [],
                # A rule broken, or a change that is not one (nobody chosen, say).
                "refused_rule": bool(this_refused and this_refused.get("rule", True)),
            }
        )
    return {
        "teams": team_rows,
        "pool_size": len(instance.candidates),
        "available": sum(1 for c in instance.candidates if c.available),
        "conflict_pairs": len({(f.person_id, f.team_index) for f in instance.forbidden}),
        "min_experienced": instance.rules.min_experienced,
        "max_first_timers": instance.rules.max_first_timers,
        # The rules relaxed when this run was solved (its instance says which).
        "relaxed": instance.rules.relaxed,
    }


def _earlier_rules(instance: fm.Instance, rules: Any, stored: dict[str, Any]) -> str:
    """The rules the teams on screen were formed under, where they differ from those in
    force now ("" when none do): the card of rules below is today's. ``stored`` holds the
    recusal rules and rest days the run was solved with (``teams.rules_to_store``)."""
    differ = []
    # A rule relaxed for the run did not bind its teams: its value then is beside the point.
    relaxed = instance.rules.relaxed
    if "min_experienced" not in relaxed and instance.rules.min_experienced != rules.min_experienced:
        differ.append(
            _("at least %(n)s with two or more rounds") % {"n": instance.rules.min_experienced}
        )
    if (
        "max_first_timers" not in relaxed
        and instance.rules.max_first_timers != rules.max_first_timers
    ):
        differ.append(_("at most %(n)s first-timers") % {"n": instance.rules.max_first_timers})
    sizes = sorted({(t.size_min, t.size_max) for t in instance.teams})
    if sizes and sizes != [(rules.size_min, rules.size_max)]:
        low, high = sizes[0]
        differ.append(_("%(low)s–%(high)s people per team") % {"low": low, "high": high})
    differ.extend(teams.changed_rules(stored, rules))
    # Clauses, not a list: a phrase can hold a list of its own (kinship classes).
    return i18n.clauses(differ)


@require_GET
def formation(request: AuthedRequest, pk: int) -> HttpResponseBase:
    round_ = round_for_forming(request, pk)
    runs = list(
        FormationRun.objects.filter(round=round_)
        .select_related("job", "created_by", "accepted_by")
        # The instance and result are large; only the run on screen reads them.
        .defer("instance", "result")
        .order_by("-created_at", "-id")[:10]
    )
    run = runs[0] if runs else None
    # A roster accepted after the latest run was made is what the office did last: show it,
    # not a later run that formed nothing.
    accepted_run = next((r for r in runs if r.status == FormationRun.Status.ACCEPTED), None)
    if (
        run is not None
        and accepted_run is not None
        and accepted_run.accepted_at is not None
        and run.created_at < accepted_run.accepted_at
    ):
        run = accepted_run
    if request.GET.get("run"):
        run = next((r for r in runs if str(r.pk) == request.GET["run"]), run)
    team_list = list(round_.teams.prefetch_related("targets"))
    needs = teams.target_needs(round_)
    specialty_names = teams.specialty_name_map()
    targets = [
        {
            "team": team.name,
            "org": org,
            "needs": [specialty_names.get(c, c) for c in sorted(needs.get(org.pk, ()))],
        }
        for team in team_list
        for org in team.targets.all()
    ]
    # "Edit" on a target's row opens the form on it, its current needs ticked: saving
    # replaces the list, so it must start from what is there.
    editing: Organisation | None = next(
        (
            org
            for team in team_list
            for org in team.targets.all()
            if str(org.pk) == request.GET.get("need")
        ),
        None,
    )
    need_form = NeedForm(round_=round_)
    if editing is not None:
        codes = needs.get(editing.pk, frozenset())
        need_form = NeedForm(
            round_=round_,
            initial={
                "organisation": editing.pk,
                "specialties": list(Specialty.objects.filter(code__in=codes)),
            },
        )
    roster = RoundRole.objects.filter(round=round_).select_related(
        "profile__person", "profile__home_organisation", "team"
    )
    releases = {r.profile_id: r for r in Release.objects.filter(round=round_)}
    # Qualifications are judged on the first day (roster.first_day) and over the period.
    first_day, last_day = teams.round_period(round_, timezone.localdate())
    unqualified = teams.without_valid_qualification(
        (r.profile.person_id for r in roster), first_day
    )
    ends = teams.qualification_ends((r.profile.person_id for r in roster), first_day, last_day)
    inspected = teams.inspected_units(
        (r.profile.person_id for r in roster), round_, first_day, last_day
    )
    release_refused = request.session.pop(RELEASE_REFUSED_KEY, None)
    if not isinstance(release_refused, dict):
        release_refused = {}
    accepted = [
        {
            "role": r,
            "release": releases.get(r.profile_id),
            "unqualified": r.profile.person_id in unqualified,
            "qualified_until": ends.get(r.profile.person_id),
            "inspected": inspected.get(r.profile.person_id, ""),
            "refused": release_refused
            if r.profile_id in releases
            and release_refused.get("release") == releases[r.profile_id].pk
            else None,
        }
        for r in sorted(roster, key=lambda r: (r.team_id or 0, fm.ROLES.index(r.role), r.pk))
    ]
    confirmed = {pid for pid, r in releases.items() if r.confirmed}
    unconfirmed = sum(1 for r in roster if r.profile_id not in confirmed)
    rules = teams.rules_for(round_.committee)
    relaxations = list(
        RuleRelaxation.objects.filter(round=round_).select_related("created_by__person")
    )
    relaxed = {r.rule for r in relaxations}
    relax_form = RelaxForm(round_=round_, relaxed=relaxed)
    relax_refused = request.session.pop(RELAX_REFUSED_KEY, None)
    if isinstance(relax_refused, dict) and relax_refused.get("round") == round_.pk:
        # The form as posted, with its errors at the fields (the rule kept, so a reason
        # typed next relaxes the rule the user chose).
        relax_form = RelaxForm(relax_refused.get("data") or {}, round_=round_, relaxed=relaxed)
        relax_form.is_valid()
        for field, errors in (relax_refused.get("errors") or {}).items():
            for error in errors:
                relax_form.add_error(field if field in relax_form.fields else None, error)
    refused = request.session.pop(REFUSED_KEY, None)
    if not (run is not None and isinstance(refused, dict) and refused.get("run") == run.pk):
        refused = None
    # The instance a run solved, parsed once for everything below that reads it; the score
    # and the proposal only for a run with a draft (one that formed teams).
    solved = fm.from_json(run.instance) if run is not None and run.instance else None
    instance = solved if run is not None and run.draft else None
    # What changed in the records since a proposal was made, and what it breaks now.
    changes = (
        formation_services.proposal_changes(run, instance)
        if run is not None and instance and run.status == FormationRun.Status.PROPOSED
        else None
    )
    # An impossible request explained, then mended (needs, rules, people): say that the
    # explanation is of the records as they were.
    changed_since_infeasible = (
        formation_services.proposal_changes(run, solved)
        if run is not None and solved and run.status == FormationRun.Status.INFEASIBLE
        else None
    )
    return render(
        request,
        "talent/formation.html",
        {
            "round": round_,
            "runs": runs,
            "run": run,
            "score": _score(run, instance) if run is not None and instance else None,
            "explanation": teams.explanation_lines(
                run.result,
                {t["index"]: t["label"] for t in run.instance.get("teams", [])},
            )
            if run
            else [],
            # Teams of any run that formed them; only a proposal can still be changed.
            "proposal": _proposal(run, instance, refused, changes.current if changes else None)
            if run is not None and instance
            else None,
            "editable": run is not None and run.status == FormationRun.Status.PROPOSED,
            "changes": changes,
            "changed_since_infeasible": changed_since_infeasible,
            "targets": targets,
            "rules": rules,
            "earlier_rules": _earlier_rules(solved, rules, run.result.get("rules") or {})
            if run is not None and solved
            else "",
            "relaxations": relaxations,
            "relaxed": relaxed,
            "start_form": StartForm(),
            "relax_form": relax_form,
            "need_form": need_form,
            "need_editing": editing,
            "accepted": accepted,
            "unconfirmed": unconfirmed,
            "forming": round_.stage in formation_services.FORMING_STAGES,
            "today": timezone.localdate(),
            # A plan whose first day has passed while the round is still in preparation:
            # everything is judged on the planned dates, which the office should update.
            "plan_passed": first_day
            if round_.stage == Stage.PREPARATION and first_day < timezone.localdate()
            else None,
        },
    )


def _back(round_pk: int, run: FormationRun | None = None, anchor: str = "") -> HttpResponseBase:
    response = redirect("talent:formation", pk=round_pk)
    if run is not None:
        response["Location"] += f"?run={run.pk}"
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@require_POST
def formation_start(request: AuthedRequest, pk: int) -> HttpResponseBase:
    round_ = round_for_forming(request, pk)
    form = StartForm(request.POST)
    if not form.is_valid():
        messages.error(request, labelled_errors(form))
        return _back(round_.pk)
    try:
        run = formation_services.formation_start(
            actor=request.user,
            round_=round_,
            seed=form.cleaned_data["seed"],
            time_limit=form.cleaned_data["time_limit"],
        )
    except ValidationError as exc:
        messages.error(request, i18n.paragraph(exc.messages))
        return _back(round_.pk)
    messages.info(request, _("The solver is forming the teams; this page follows its progress."))
    return _back(round_.pk, run)


@require_POST
def formation_relax(request: AuthedRequest, pk: int) -> HttpResponseBase:
    round_ = round_for_forming(request, pk)
    if request.POST.get("restore"):
        try:
            formation_services.rule_restore(
                actor=request.user, round_=round_, rule=request.POST["restore"]
            )
        except ValidationError as exc:
            messages.error(request, i18n.paragraph(exc.messages))
            return _back(round_.pk)
        messages.success(request, _("The rule applies again. Form the teams again to use it."))
        return _back(round_.pk)
    form = RelaxForm(request.POST, round_=round_)  # the service refuses a rule relaxed already

    def refused(errors: dict[str, list[str]]) -> HttpResponseBase:
        request.session[RELAX_REFUSED_KEY] = {
            "round": round_.pk,
            "data": {
                "rule": request.POST.get("rule", "")[:40],
                "reason": request.POST.get("reason", "")[:300],
            },
            "errors": errors,
        }
        messages.error(request, _("Not relaxed: the form says why."))
        return _back(round_.pk, anchor="relax")

    if not form.is_valid():
        return refused({})  # the form finds its own errors again when shown
    try:
        formation_services.rule_relax(
            actor=request.user,
            round_=round_,
            rule=form.cleaned_data["rule"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            # About the round, not the form (e.g. past forming, where no form is shown).
            messages.error(request, i18n.paragraph(exc.messages))
            return _back(round_.pk)
        return refused({k: [str(m) for m in v] for k, v in exc.message_dict.items()})
    messages.success(request, _("Rule relaxed for this round. Form the teams again to use it."))
    return _back(round_.pk)


@require_POST
def formation_need(request: AuthedRequest, pk: int) -> HttpResponseBase:
    round_ = round_for_forming(request, pk)
    form = NeedForm(request.POST, round_=round_)
    if not form.is_valid():
        messages.error(request, labelled_errors(form))
        return _back(round_.pk, anchor="needs")
    try:
        formation_services.target_need_set(
            actor=request.user,
            round_=round_,
            organisation=form.cleaned_data["organisation"],
            specialties=form.cleaned_data["specialties"],
        )
    except ValidationError as exc:
        messages.error(request, i18n.paragraph(exc.messages))
        return _back(round_.pk, anchor="needs")
    messages.success(request, _("Saved. Form the teams again to use it."))
    return _back(round_.pk, anchor="needs")


@require_POST
def formation_change(request: AuthedRequest, pk: int) -> HttpResponseBase:
    run = _run_for_forming(request, pk)
    ids = [(c["person_id"], str(c["person_id"])) for c in run.instance.get("candidates", [])]
    form = ChangeForm(request.POST, seated=ids, free=ids)
    if not form.is_valid():
        messages.error(request, labelled_errors(form))
        return _back(run.round_id, run)
    try:
        still = formation_services.roster_change(
            actor=request.user,
            run=run,
            team_id=form.cleaned_data["team"],
            person_out=form.cleaned_data["person_out"],
            person_in=form.cleaned_data["person_in"],
            role=form.cleaned_data["role"],
        )
    except (formation_services.RosterRefused, ValidationError) as exc:
        rule = isinstance(exc, formation_services.RosterRefused)
        problems = (
            exc.problems if isinstance(exc, formation_services.RosterRefused) else exc.messages
        )
        heading = _("Not saved: the change breaks a rule.") if rule else _("Not saved.")
        team_ids = {t.get("index") for t in run.instance.get("teams", [])}
        if form.cleaned_data["team"] not in team_ids:  # no block to show it in
            messages.error(request, i18n.paragraph([heading, *problems]))
            return _back(run.round_id, run)
        # Shown in the team's own block, with the change still chosen in its form.
        request.session[REFUSED_KEY] = {
            "run": run.pk,
            "team": form.cleaned_data["team"],
            "out": form.cleaned_data["person_out"],
            "in": form.cleaned_data["person_in"],
            "role": form.cleaned_data["role"],
            "problems": problems,
            "rule": rule,
        }
        return _back(run.round_id, run, anchor=f"team-{form.cleaned_data['team']}")
    if still:  # broken before the change (the records changed since the proposal)
        messages.warning(
            request,
            i18n.paragraph(
                [
                    _(
                        "Changed. The teams still break rules that the change did not cause; "
                        "they can be accepted once these are mended:"
                    ),
                    i18n.sentences(still),
                ]
            ),
        )
    else:
        messages.success(request, _("Changed; every rule holds."))
        # Back at the team changed (a long page); a warning above needs reading first.
        return _back(run.round_id, run, anchor=f"team-{form.cleaned_data['team']}")
    return _back(run.round_id, run)


@require_POST
def formation_accept(request: AuthedRequest, pk: int) -> HttpResponseBase:
    run = _run_for_forming(request, pk)
    try:
        formation_services.roster_accept(actor=request.user, run=run)
    except formation_services.RosterRefused as exc:
        messages.error(request, i18n.labelled(_("Not accepted"), i18n.paragraph(exc.problems)))
        return _back(run.round_id, run)
    except ValidationError as exc:
        messages.error(request, i18n.paragraph(exc.messages))
        return _back(run.round_id, run)
    messages.success(
        request,
        _("Roster accepted. The home units are asked to confirm each person's release."),
    )
    return _back(run.round_id)


@require_POST
def release_confirm(request: AuthedRequest, pk: int) -> HttpResponseBase:
    release = get_object_or_404(Release.objects.select_related("profile__person"), pk=pk)
    round_for_forming(request, release.round_id)
    form = ReleaseForm(request.POST)
    name = release.profile.person.name
    anchor = f"release-{release.pk}"

    def refused(error: str) -> HttpResponseBase:
        # Shown at the person's row, with what was typed; the page opens there.
        request.session[RELEASE_REFUSED_KEY] = {
            "release": release.pk,
            "error": error,
            "confirmed_on": request.POST.get("confirmed_on", "")[:20],
            "note": request.POST.get("note", "")[:200],
        }
        return _back(release.round_id, anchor=anchor)

    if not form.is_valid():
        return refused(i18n.labelled(name, labelled_errors(form)))
    try:
        formation_services.release_confirm(
            actor=request.user,
            release=release,
            note=form.cleaned_data["note"],
            on=form.cleaned_data["confirmed_on"],
        )
    except ValidationError as exc:
        return refused(i18n.labelled(name, i18n.paragraph(exc.messages)))
    messages.success(request, _("Release of %(name)s confirmed.") % {"name": name})
    return _back(release.round_id)
