"""Team formation in the app: the solver's instance built from the records, the checks of
a roster in the user's language, and the reads the team builder needs.

The pure modules do the thinking (``lib/recusal.py`` finds conflicts with their evidence,
``lib/formation.py`` staffs the teams); this module turns the database into their plain
records and back. Identifiers pass through unchanged: a candidate's ``person_id`` is the
Person's pk, a team's ``index`` is the Team's pk and a target id is the Organisation's pk,
so a stored instance and its result read without a mapping table.

Choices made here (documented in docs/architecture.md, "Team formation"):

* The pool of a round is every inspector in the pool whose county lies under the round's
  committee: a county round draws on its county, a prefecture round (cross rounds are
  coordinated by the prefecture) on every county.
* A round's period is its stationing start to its report end (the time members are
  seconded full time); without planned stages, today plus 60 days.
* Unavailable: an availability window is recorded and none covers the period, or the
  person serves in another round whose period, widened by the committee's rest days,
  overlaps this one.
* Leaders need the leader pool flag and a qualification valid on the first day.
* Cross rounds use the formation rule "cross" (relaxable with a reason) rather than the
  recusal rule on home counties, so the office can relax it for one round.
* A target needs finance on its team, and engineering where it has major projects,
  unless the office set its needs for the round.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from django.db.models import Q
from django.utils.translation import get_language, gettext_noop, ngettext, pgettext_lazy
from django.utils.translation import gettext as _

from xuncha.core import i18n, policy
from xuncha.core.lib import kinship
from xuncha.core.models import Kinship, Organisation, OrganisationKind, Person, Post
from xuncha.core.selectors import ancestor_ids, nearest_setting
from xuncha.rounds.models import MajorProject, Round, RoundStage, Stage, Team
from xuncha.talent.lib import formation as fm
from xuncha.talent.lib import recusal as rc
from xuncha.talent.models import (
    Declaration,
    InspectorProfile,
    RoundRole,
    RuleRelaxation,
    TargetNeed,
    TeamRules,
)

PERIOD_FALLBACK_DAYS = 60
PAIR_LOOKBACK_DAYS = 3 * 365
TARGET_KINDS = {
    OrganisationKind.TOWNSHIP: "township",
    OrganisationKind.VILLAGE: "village",
    OrganisationKind.COMMUNITY: "community",
}


def rule_labels() -> dict[str, str]:
    """Recusal and formation rules in the user's language."""
    return {
        "worked_recently": _("worked in the target recently"),
        "worked_long": _("worked in the target for years"),
        "relative": _("a relative holds a post in the target"),
        "former_colleague": _("long-time colleague of the target's leaders"),
        "former_superior": _("former superior or subordinate of the target's leaders"),
        "hometown": _("hometown"),
        "home_county": _("home county"),
        "rotation": _("led a round at this target before"),
        "declared": _("declared a conflict"),
        "requested": _("the target asked for recusal"),
    }


def score_term_labels() -> dict[str, str]:
    """The terms of the formation score (``fm.SCORE_TERMS``) in the user's language."""
    return {
        "required_specialties": _("specialties the targets need"),
        "other_specialties": _("other specialties in the team"),
        "experienced": _("people with two or more rounds"),
        "experience_balance": _("experience spread unevenly across teams"),
        "repeated_pairs": _("pairs who served together before"),
        "workload": _("people sent again soon (home-job workload)"),
    }


def solver_status_label(status: str) -> str:
    """The status of a run that formed teams ("optimal" or "feasible") in words."""
    return str(_("proven best") if status == "optimal" else _("not proven best"))


def role_label(role: str) -> str:
    return str(RoundRole.Role(role).label) if role in RoundRole.Role.values else role


_ROLES_IN_SENTENCE = {
    "leader": pgettext_lazy("a role inside a sentence", "leader"),
    "deputy": pgettext_lazy("a role inside a sentence", "deputy leader"),
    "member": pgettext_lazy("a role inside a sentence", "member"),
}


def role_in_sentence(role: str) -> str:
    """A role inside running text ("may not serve as member in …"), not as a label."""
    return str(_ROLES_IN_SENTENCE.get(role, role))


# -- rules ------------------------------------------------------------------------------------


def rules_for(committee: Organisation) -> TeamRules:
    """The committee's rules, else the nearest ancestor's, else the defaults (unsaved)."""
    return nearest_setting(TeamRules, committee) or TeamRules(committee=committee)


def recusal_rules(rules: TeamRules) -> rc.RecusalRules:
    return rc.RecusalRules(
        recent_years=rules.recent_years,
        long_service_years=rules.long_service_years,
        leader_kinship_classes=frozenset(rules.leader_kinship_classes),
        member_kinship_classes=frozenset(rules.member_kinship_classes),
        colleague_years=rules.colleague_years,
        superior_years=rules.superior_years,
        village_hometown=rules.village_hometown,
        rotation=rules.rotation,
    )


# The fields of TeamRules that shape an instance outside ``fm.Rules`` (those are compared
# on the instance itself): a run stores them so the team builder can say they changed.
STORED_RULES = (
    "recent_years",
    "long_service_years",
    "leader_kinship_classes",
    "member_kinship_classes",
    "colleague_years",
    "superior_years",
    "village_hometown",
    "rotation",
    "rest_days",
)


def rules_to_store(rules: TeamRules) -> dict[str, Any]:
    return {
        name: sorted(value) if isinstance(value := getattr(rules, name), list | tuple) else value
        for name in STORED_RULES
    }


def changed_rules(stored: dict[str, Any], rules: TeamRules) -> list[str]:
    """The stored rules (``rules_to_store``) that differ from ``rules``, each as a phrase
    giving the value stored, in the user's language. Runs from before the rules were
    stored have none."""
    now = rules_to_store(rules)
    differ = {name for name in STORED_RULES if name in stored and stored[name] != now[name]}
    classes = kinship_class_labels()
    phrases = []
    if differ & {"recent_years", "long_service_years"}:
        phrases.append(
            _("recusal after working in the target within %(n)s years or for %(m)s+ years")
            % {
                "n": stored.get("recent_years", now["recent_years"]),
                "m": stored.get("long_service_years", now["long_service_years"]),
            }
        )
    for name, template in (
        ("leader_kinship_classes", _("relatives that bar leaders and deputies: %(classes)s")),
        ("member_kinship_classes", _("relatives that bar members: %(classes)s")),
    ):
        if name in differ:
            phrases.append(
                template
                % {
                    # In the order the settings page lists them.
                    "classes": i18n.enumeration(
                        label for code, label in classes.items() if code in stored[name]
                    )
                    or _("none")
                }
            )
    if "colleague_years" in differ:
        phrases.append(
            _("long-time colleague after %(n)s years together") % {"n": stored["colleague_years"]}
        )
    if "superior_years" in differ:
        phrases.append(
            _("former superior or subordinate within %(n)s years") % {"n": stored["superior_years"]}
        )
    if "village_hometown" in differ:
        phrases.append(
            _("village rounds: not in one's hometown")
            if stored["village_hometown"]
            else _("village rounds: hometown not checked")
        )
    if "rotation" in differ:
        phrases.append(
            _("leaders and deputies do not return to a target they led")
            if stored["rotation"]
            else _("leaders and deputies may return to a target they led")
        )
    if "rest_days" in differ:
        phrases.append(
            ngettext(
                "%(n)s day of rest between rounds",
                "%(n)s days of rest between rounds",
                stored["rest_days"],
            )
            % {"n": stored["rest_days"]}
        )
    return phrases


# -- periods -----------------------------------------------------------------------------------


def period_from(stages: Iterable[RoundStage], today: dt.date) -> tuple[dt.date, dt.date]:
    by_stage = {s.stage: s for s in stages}
    if not by_stage:
        return today, today + dt.timedelta(days=PERIOD_FALLBACK_DAYS)
    first = by_stage.get(Stage.STATIONING) or min(by_stage.values(), key=lambda s: s.start_date)
    last = by_stage.get(Stage.REPORT) or max(by_stage.values(), key=lambda s: s.end_date)
    return first.start_date, max(first.start_date, last.end_date)


# Reasons of earlier versions, stored with runs (FormationRun.result): still translated.
RETIRED_REASONS = (gettext_noop("serves in %(round)s until %(date)s"),)


# The stages in which a round's teams are at work (stationing to the report): a round
# still in one of them after its planned end is running late and keeps its people.
FIELD_STAGES = frozenset({Stage.STATIONING, Stage.UNDERSTANDING, Stage.REPORT})


def serving_period(role_round: Round, today: dt.date) -> tuple[dt.date, dt.date]:
    """When ``role_round`` keeps its people: from its first day to the end of its report
    stage as planned, and, while its teams are still at work (``FIELD_STAGES``), at least
    until ``today``: a round running late holds its people after its planned end."""
    first, last = period_from(role_round.stages.all(), today)
    if role_round.stage in FIELD_STAGES:
        last = max(last, today)
    return first, last


def busy_during(
    role_round: Round, start: dt.date, end: dt.date, rest: dt.timedelta, today: dt.date
) -> tuple[dt.date, dt.date] | None:
    """The period of ``role_round`` (``serving_period``) if serving in it overlaps
    ``start``..``end`` widened on both sides by ``rest`` days; None when it leaves them
    free, as a closed round does. The solver and the pool's "available on" filter both
    read availability through this."""
    if role_round.stage == Stage.CLOSED:
        return None
    other_start, other_end = serving_period(role_round, today)
    if other_start - rest <= end and other_end + rest >= start:
        return other_start, other_end
    return None


def round_period(round_: Round, today: dt.date) -> tuple[dt.date, dt.date]:
    return period_from(round_.stages.all(), today)


# -- building the instance ----------------------------------------------------------------------


@dataclass(frozen=True)
class Built:
    instance: fm.Instance
    period: tuple[dt.date, dt.date]
    # person_id -> why, as [template, params] so it can be shown in any language later
    # (``unavailable_reason``).
    unavailable: dict[int, list[Any]]
    names: dict[int, str]  # organisation id -> name (targets and evidence)
    # evidence_key(...) -> [[template, params], ...]: each forbidden entry's evidence in a
    # form that can be shown in any language later (see ``render_evidence``).
    evidence: dict[str, list[list[Any]]]
    # The committee's rules that shaped the instance beyond ``fm.Rules`` (recusal, rest
    # days), as ``rules_to_store`` writes them: the team builder says when they changed.
    rules: dict[str, Any] = field(default_factory=dict)
    # str(team pk) -> specialty code -> names of the team's targets that need it, so an
    # explanation can say which target asks for a specialty nobody can bring.
    needed_by: dict[str, dict[str, list[str]]] = field(default_factory=dict)


def evidence_key(person_id: int, team_index: int, role: str, rule: str) -> str:
    return f"{person_id}:{team_index}:{role}:{rule}"


def kinship_class_labels() -> dict[str, str]:
    return {
        "spouse": _("spouse"),
        "direct_blood": _("direct blood relative"),
        "collateral": _("collateral relative within three generations"),
        "close_in_law": _("close in-law"),
    }


_POST_LISTS = frozenset({"post", "posts", "pairs"})  # evidence params holding post texts
_POST_TITLE = re.compile(r" \(([^()]+)\) ")


def render_evidence(template: str, params: dict[str, str]) -> str:
    """Recusal evidence in the user's language (templates from ``lib/recusal.py``)."""
    from xuncha.core.models import KinshipRelation

    values = {k: str(v).replace(f"–{rc.PRESENT}", "–" + _("present")) for k, v in params.items()}
    if (get_language() or "").startswith("zh"):
        # The pure module writes posts as "组织 (职务) 2019-01-01–…" joined by "; ":
        # Chinese text takes full-width brackets and its own semicolon.
        for key in _POST_LISTS.intersection(values):
            text = _POST_TITLE.sub(r"（\1）", values[key])
            values[key] = text.replace("; ", "；").replace(" / ", "／")
    if "relation" in values and values["relation"] in KinshipRelation.values:
        values["relation"] = str(KinshipRelation(values["relation"]).label)
    if "class" in values:
        values["class"] = kinship_class_labels().get(values["class"], values["class"])
    if "role" in values:
        values["role"] = role_in_sentence(values["role"])
    try:
        return _(template) % values
    except (KeyError, TypeError, ValueError):  # a translation that lost a field
        return template % values


def unavailable_reason(raw: Any) -> str:
    """Why someone was unavailable, in the user's language: ``[template, params]`` as
    ``build_instance`` records it (a plain string from a run stored before is shown as
    it is)."""
    if isinstance(raw, (list, tuple)) and len(raw) == 2:
        return render_evidence(str(raw[0]), dict(raw[1]))
    return str(raw)


def inspected_units(
    person_ids: Iterable[int], round_: Round, start: dt.date, end: dt.date
) -> dict[int, str]:
    """Those of ``person_ids`` (Person pks) holding a post during ``start``–``end`` at a
    target of ``round_`` or under one: what to say of it, in the user's language.

    A warning, not a rule: their unit is inspected while they inspect another (they will
    be talked to there, and the office may mind "you inspect mine, I inspect yours"), but
    inspectors are drawn from the very departments rounds inspect, so forbidding it would
    leave whole rounds without leaders. The team at their own unit refuses them by
    recusal anyway."""
    targets = sorted(
        {t for team in round_.teams.prefetch_related("targets") for t in team.targets.all()},
        key=lambda o: o.pk,
    )
    if not targets:
        return {}
    posts = (
        Post.objects.filter(person_id__in=list(person_ids), start_date__lte=end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=start))
        .filter(policy.path_q("organisation__path", [t.path for t in targets]))
        .select_related("organisation")
        .order_by("start_date", "pk")
    )
    found: dict[int, str] = {}
    for post in posts:
        if post.person_id in found:
            continue
        target = next(t for t in targets if post.organisation.path.startswith(t.path))
        values = {"org": post.organisation.name, "title": post.title, "target": target.name}
        found[post.person_id] = (
            _("holds a post at %(org)s (%(title)s), a target of this round") % values
            if post.organisation_id == target.pk
            else _("holds a post at %(org)s (%(title)s), under %(target)s, a target of this round")
            % values
        )
    return found


def _target_kind(org: Organisation) -> str:
    return TARGET_KINDS.get(OrganisationKind(org.kind), "unit")


def _county_of(org: Organisation, by_id: dict[int, Organisation]) -> Organisation | None:
    for org_id in reversed(ancestor_ids(org.path)):
        ancestor = by_id.get(org_id)
        if ancestor is not None and ancestor.kind == OrganisationKind.COUNTY:
            return ancestor
    return None


def _post_record(post: Post) -> rc.PostRecord:
    return rc.PostRecord(
        org_id=post.organisation_id,
        org_path=post.organisation.path,
        title=post.title,
        start=post.start_date,
        end=post.end_date,
        leadership=post.is_leadership,
        key_post=post.is_key_post,
    )


def _relatives(person_ids: Sequence[int]) -> dict[int, list[rc.Relative]]:
    found: defaultdict[int, list[rc.Relative]] = defaultdict(list)
    links = Kinship.objects.filter(Q(person_id__in=person_ids) | Q(relative_id__in=person_ids))
    wanted = set(person_ids)
    for link in links:
        klass = kinship.info(link.relation).kinship_class.value
        # ``person`` is ``relation`` of ``relative``.
        if link.relative_id in wanted:
            found[link.relative_id].append(rc.Relative(link.person_id, klass, link.relation))
        if link.person_id in wanted:
            found[link.person_id].append(
                rc.Relative(link.relative_id, klass, kinship.inverse(link.relation))
            )
    return found


def _needs(round_: Round, targets: Sequence[Organisation]) -> dict[int, frozenset[str]]:
    stored = {
        n.organisation_id: frozenset(s.code for s in n.specialties.all())
        for n in TargetNeed.objects.filter(round=round_).prefetch_related("specialties")
    }
    with_projects = set(
        MajorProject.objects.filter(organisation__in=targets).values_list(
            "organisation_id", flat=True
        )
    )
    return {
        t.pk: stored.get(
            t.pk,
            frozenset({"finance", "engineering"} if t.pk in with_projects else {"finance"}),
        )
        for t in targets
    }


def target_needs(round_: Round) -> dict[int, frozenset[str]]:
    targets = list(Organisation.objects.filter(inspecting_teams__round=round_).distinct())
    return _needs(round_, targets)


def build_instance(round_: Round, *, today: dt.date) -> Built:
    """The solver's instance for ``round_`` from the records as they are ``today``."""
    committee = round_.committee
    team_rules = rules_for(committee)
    period = round_period(round_, today)
    start, end = period
    teams = list(Team.objects.filter(round=round_).prefetch_related("targets"))
    targets = sorted({t for team in teams for t in team.targets.all()}, key=lambda o: o.pk)

    profiles = list(
        InspectorProfile.objects.filter(in_pool=True, county__path__startswith=committee.path)
        .select_related("person__hometown", "county")
        .prefetch_related("specialties", "qualifications", "availability")
        .order_by("pk")
    )
    person_ids = [p.person_id for p in profiles]

    # Everything the recusal rules read, in a fixed number of queries.
    target_paths = [t.path for t in targets]
    people_in_targets = set(
        Post.objects.filter(policy.path_q("organisation__path", target_paths)).values_list(
            "person_id", flat=True
        )
    )
    posts = list(
        Post.objects.filter(person_id__in={*person_ids, *people_in_targets}).select_related(
            "organisation"
        )
    )
    posts_by_person: defaultdict[int, list[Post]] = defaultdict(list)
    for post in posts:
        posts_by_person[post.person_id].append(post)
    relatives = _relatives(person_ids)
    roles = list(
        RoundRole.objects.filter(profile__in=profiles)
        .exclude(round=round_)
        .select_related("round", "profile")
        .prefetch_related("team__targets", "round__stages")
    )
    declarations = defaultdict(list)
    for d in Declaration.objects.filter(profile__in=profiles):
        declarations[d.profile_id].append(d)

    names = {t.pk: t.name for t in targets}
    names.update({p.organisation_id: p.organisation.name for p in posts})
    above = {i for t in targets for i in ancestor_ids(t.path)}
    ancestors = {o.pk: o for o in Organisation.objects.filter(pk__in=above)}

    # Role history: experience, workload, busy periods, earlier teams, rotation.
    rounds_done: defaultdict[int, int] = defaultdict(int)
    workload: defaultdict[int, int] = defaultdict(int)
    busy: dict[int, list[Any]] = {}
    led: defaultdict[int, list[tuple[int, str]]] = defaultdict(list)
    past_teams: defaultdict[int, set[int]] = defaultdict(set)
    rest = dt.timedelta(days=team_rules.rest_days)
    for role in roles:
        other_start, planned_end = period_from(role.round.stages.all(), today)
        other_end = serving_period(role.round, today)[1]
        if role.round.stage != Stage.PREPARATION:  # served once the round has left preparation
            rounds_done[role.profile_id] += 1
        if other_start >= start - dt.timedelta(days=365) and other_start <= start:
            workload[role.profile_id] += 1
        if busy_during(role.round, start, end, rest, today):
            dates = {
                "round": role.round.name,
                "from": other_start.isoformat(),
                "date": other_end.isoformat(),
            }
            if other_end > planned_end:  # running late: still serving today
                busy[role.profile_id] = [
                    gettext_noop(
                        "serves in %(round)s from %(from)s, planned to end on %(planned)s "
                        "and still under way"
                    ),
                    {**dates, "planned": planned_end.isoformat()},
                ]
            elif other_start <= end and other_end >= start:
                busy[role.profile_id] = [
                    gettext_noop("serves in %(round)s from %(from)s to %(date)s"),
                    dates,
                ]
            else:  # only the rest between rounds reaches this one
                busy[role.profile_id] = [
                    gettext_noop(
                        "serves in %(round)s from %(from)s to %(date)s, too close to this "
                        "round (%(start)s to %(end)s) for the %(days)s-day rest between rounds"
                    ),
                    {
                        **dates,
                        "start": start.isoformat(),
                        "end": end.isoformat(),
                        "days": team_rules.rest_days,
                    },
                ]
        if role.team is not None:
            if role.role in ("leader", "deputy"):
                led[role.profile_id].extend((t.pk, role.role) for t in role.team.targets.all())
            if other_start >= start - dt.timedelta(days=PAIR_LOOKBACK_DAYS):
                past_teams[role.team.pk].add(role.profile.person_id)

    candidates: list[fm.Candidate] = []
    inspectors: list[rc.Inspector] = []
    unavailable: dict[int, list[Any]] = {}
    for profile in profiles:
        person: Person = profile.person
        windows = list(profile.availability.all())
        reason = busy.get(profile.pk)
        if (
            reason is None
            and windows
            and not any(w.start_date <= start and w.end_date >= end for w in windows)
        ):
            reason = [
                gettext_noop("no availability window covers %(start)s to %(end)s"),
                {"start": start.isoformat(), "end": end.isoformat()},
            ]
        if reason:
            unavailable[person.pk] = reason
        qualified = any(q.valid_on(start) for q in profile.qualifications.all())
        candidates.append(
            fm.Candidate(
                person_id=person.pk,
                name=person.name,
                county=profile.county.code,
                specialties=frozenset(s.code for s in profile.specialties.all()),
                leader_eligible=profile.leader_eligible and qualified,
                rounds_done=rounds_done[profile.pk],
                available=reason is None,
                workload=workload[profile.pk],
                qualified=qualified,
            )
        )
        hometown = person.hometown
        inspectors.append(
            rc.Inspector(
                person_id=person.pk,
                name=person.name,
                posts=tuple(_post_record(p) for p in posts_by_person[person.pk]),
                relatives=tuple(relatives.get(person.pk, ())),
                hometown_path=hometown.path if hometown else None,
                home_county_path=profile.county.path,
                led_targets=tuple(led[profile.pk]),
                declared_conflicts=tuple(
                    (d.organisation_id, d.reason)
                    for d in declarations[profile.pk]
                    if d.source == Declaration.Source.SELF
                ),
                requested_by_target=tuple(
                    (d.organisation_id, d.reason)
                    for d in declarations[profile.pk]
                    if d.source == Declaration.Source.TARGET
                ),
            )
        )

    target_infos = []
    team_of_target: dict[int, list[int]] = defaultdict(list)
    for team in teams:
        for target in team.targets.all():
            team_of_target[target.pk].append(team.pk)
    for target in targets:
        county = _county_of(target, ancestors)
        kind = _target_kind(target)
        township_path = None
        if kind in ("village", "community") and target.parent_id in ancestors:
            township_path = ancestors[target.parent_id].path
        insiders = {
            p.person_id
            for p in posts
            if p.organisation.path.startswith(target.path) and p.person_id in people_in_targets
        }
        target_infos.append(
            rc.TargetInfo(
                org_id=target.pk,
                name=target.name,
                path=target.path,
                kind=kind,
                county_path=county.path if county else target.path,
                township_path=township_path,
                people_posts=tuple(
                    (pid, _post_record(p)) for pid in sorted(insiders) for p in posts_by_person[pid]
                ),
            )
        )
    insiders_names = dict(Person.objects.filter(pk__in=people_in_targets).values_list("pk", "name"))
    matrix = rc.conflict_matrix(
        inspectors,
        target_infos,
        today=start,
        rules=recusal_rules(team_rules),
        village_round=round_.kind == "village",
        org_names=names,
        person_names=insiders_names,
    )
    forbidden: dict[tuple[int, int, str, str], list[str]] = defaultdict(list)
    evidence: defaultdict[str, list[list[Any]]] = defaultdict(list)
    for (person_id, target_id, seat), found in matrix.items():
        for team_pk in team_of_target[target_id]:
            for conflict in found:
                forbidden[(person_id, team_pk, seat, conflict.rule)].append(conflict.evidence)
                item = [conflict.template, dict(conflict.params)]
                key = evidence_key(person_id, team_pk, seat, conflict.rule)
                if item not in evidence[key]:
                    evidence[key].append(item)

    needs = _needs(round_, targets)
    specs = []
    needed_by: dict[str, dict[str, list[str]]] = {}
    for team in teams:
        team_targets = list(team.targets.all())
        by_code: dict[str, list[str]] = defaultdict(list)
        for t in team_targets:
            for code in sorted(needs[t.pk]):
                by_code[code].append(t.name)
        needed_by[str(team.pk)] = dict(by_code)
        counties = {_county_of(t, ancestors) for t in team_targets}
        specs.append(
            fm.TeamSpec(
                index=team.pk,
                label=team.name,
                target_ids=tuple(t.pk for t in team_targets),
                target_counties=frozenset(c.code for c in counties if c is not None),
                size_min=team_rules.size_min,
                size_max=team_rules.size_max,
                required_specialties=frozenset().union(*(needs[t.pk] for t in team_targets))
                if team_targets
                else frozenset({"finance"}),
            )
        )
    pairs = {
        (a, b) if a < b else (b, a)
        for members in past_teams.values()
        for a, b in combinations(sorted(members), 2)
    }
    wanted = {c.person_id for c in candidates}
    relaxed = frozenset(RuleRelaxation.objects.filter(round=round_).values_list("rule", flat=True))
    instance = fm.Instance(
        candidates=tuple(candidates),
        teams=tuple(specs),
        forbidden=tuple(
            fm.Forbidden(pid, team_pk, role, rule, "; ".join(dict.fromkeys(evidence)))
            for (pid, team_pk, role, rule), evidence in sorted(forbidden.items())
        ),
        rules=fm.Rules(
            min_experienced=team_rules.min_experienced,
            max_first_timers=team_rules.max_first_timers,
            cross=round_.cross,
            relaxed=relaxed,
        ),
        previous_pairs=frozenset(p for p in pairs if p[0] in wanted and p[1] in wanted),
    )
    return Built(
        instance,
        period,
        unavailable,
        names,
        dict(evidence),
        rules_to_store(team_rules),
        needed_by,
    )


# -- checking a roster in the user's language --------------------------------------------------


def assignments_of(draft: Sequence[dict[str, Any]]) -> list[fm.Assignment]:
    return [fm.Assignment(int(s["team"]), int(s["person"]), str(s["role"])) for s in draft]


def roster_problems(
    instance: fm.Instance,
    assignments: Sequence[fm.Assignment],
    unavailable: dict[int, str] | None = None,
    evidence: dict[str, list[list[Any]]] | None = None,
) -> list[str]:
    """Every rule ``assignments`` break, in the user's language ([] = none).

    The same rules as ``formation.validate`` (which is run too, as a guard: anything it
    finds that these checks miss is reported in its own words)."""
    unavailable = unavailable or {}
    evidence = evidence or {}
    labels = rule_labels()
    people = {c.person_id: c for c in instance.candidates}
    teams = {t.index: t for t in instance.teams}
    relaxed = instance.rules.relaxed
    forbidden: defaultdict[tuple[int, int], list[fm.Forbidden]] = defaultdict(list)
    for f in instance.forbidden:
        forbidden[(f.person_id, f.team_index)].append(f)
    problems: list[str] = []
    seen: dict[int, int] = {}
    seats: defaultdict[int, list[tuple[fm.Candidate, str]]] = defaultdict(list)
    for a in assignments:
        cand = people.get(a.person_id)
        team = teams.get(a.team_index)
        if team is None:
            problems.append(_("Team #%(team)s is not part of this round.") % {"team": a.team_index})
            continue
        if cand is None:
            problems.append(
                _("Person #%(person)s is not in the pool for this round.") % {"person": a.person_id}
            )
            continue
        who = {"name": cand.name, "team": team.label, "role": role_in_sentence(a.role)}
        if a.person_id in seen:
            elsewhere = teams[seen[a.person_id]].label if seen[a.person_id] in teams else "?"
            problems.append(
                _("%(name)s is placed twice: in %(other)s and in %(team)s.")
                % {**who, "other": elsewhere}
            )
        seen[a.person_id] = a.team_index
        seats[a.team_index].append((cand, a.role))
        if not cand.available:
            why = unavailable.get(cand.person_id, "")
            problems.append(
                (_("%(name)s is not available for this round") % who) + (f": {why}" if why else ".")
            )
        if a.role == fm.LEADER and not cand.leader_eligible:
            problems.append(_leader_refusal(cand, who))
        entries = forbidden[(a.person_id, a.team_index)]
        # One sentence for the rules that close the team to them (the same rule in every
        # role, or "any": no other role would do) and one for those barring this role.
        closed: list[str] = []
        this_role: list[str] = []
        for f in entries:
            if f.role in (a.role, fm.ANY):
                barred = {e.role for e in entries if e.rule == f.rule}
                found = evidence.get(evidence_key(f.person_id, f.team_index, f.role, f.rule))
                text = (
                    i18n.clauses(render_evidence(t, p) for t, p in found) if found else f.evidence
                )
                reason = _("%(rule)s (%(evidence)s)") % {
                    "rule": labels.get(f.rule, f.rule),
                    "evidence": text,
                }
                everywhere = fm.ANY in barred or barred >= set(fm.ROLES)
                (closed if everywhere else this_role).append(reason)
        if closed:
            # The rules that close the team decide; those barring only this role would
            # bury them (a leader's colleagues can fill a paragraph).
            problems.append(
                _("%(name)s may not serve in %(team)s in any role: %(reasons)s.")
                % {**who, "reasons": i18n.clauses(closed)}
            )
        elif this_role:
            problems.append(
                _("%(name)s may not serve as %(role)s in %(team)s: %(reasons)s.")
                % {**who, "reasons": i18n.clauses(this_role)}
            )
        if (
            instance.rules.cross
            and fm.RELAX_CROSS not in relaxed
            and cand.county in team.target_counties
        ):
            problems.append(
                _("%(name)s would inspect their home county in %(team)s (cross round).") % who
            )
    for team in instance.teams:
        crew = seats.get(team.index, [])
        name = {"team": team.label}
        leaders = sum(1 for _c, r in crew if r == fm.LEADER)
        deputies = sum(1 for _c, r in crew if r == fm.DEPUTY)
        if leaders != 1:
            problems.append(
                _("%(team)s needs exactly one leader (has %(n)s).") % {**name, "n": leaders}
            )
        if not team.deputies_min <= deputies <= team.deputies_max:
            problems.append(
                _("%(team)s needs %(low)s to %(high)s deputies (has %(n)s).")
                % {**name, "low": team.deputies_min, "high": team.deputies_max, "n": deputies}
            )
        if not team.size_min <= len(crew) <= team.size_max:
            problems.append(
                _("%(team)s needs %(low)s to %(high)s people (has %(n)s).")
                % {**name, "low": team.size_min, "high": team.size_max, "n": len(crew)}
            )
        if fm.RELAX_SPECIALTIES not in relaxed:
            held = set().union(*(c.specialties for c, _r in crew)) if crew else set()
            missing = sorted(team.required_specialties - held)
            if missing:
                problems.append(
                    _("%(team)s lacks a specialty it needs: %(missing)s.")
                    % {**name, "missing": ", ".join(specialty_names(missing))}
                )
        experienced = sum(1 for c, _r in crew if c.rounds_done >= fm.EXPERIENCED_ROUNDS)
        if fm.RELAX_MIN_EXPERIENCED not in relaxed and experienced < instance.rules.min_experienced:
            problems.append(
                ngettext(
                    "%(team)s needs at least %(n)s person with two or more rounds (has %(has)s).",
                    "%(team)s needs at least %(n)s people with two or more rounds (has %(has)s).",
                    instance.rules.min_experienced,
                )
                % {**name, "n": instance.rules.min_experienced, "has": experienced}
            )
        first = sum(1 for c, _r in crew if c.rounds_done == 0)
        if fm.RELAX_MAX_FIRST_TIMERS not in relaxed and first > instance.rules.max_first_timers:
            problems.append(
                ngettext(
                    "%(team)s has %(has)s first-timer; at most %(n)s are allowed.",
                    "%(team)s has %(has)s first-timers; at most %(n)s are allowed.",
                    first,
                )
                % {**name, "n": instance.rules.max_first_timers, "has": first}
            )
    if not problems:
        # The independent validator as a guard against a gap in the checks above.
        problems.extend(fm.validate(instance, assignments))
    return problems


def _leader_refusal(cand: fm.Candidate, who: dict[str, str]) -> str:
    """Why someone may not lead, from their profile: not in the leader pool, or in it
    without a qualification valid for the round (a leader must hold one)."""
    profile = InspectorProfile.objects.filter(person_id=cand.person_id).first()
    if profile is None or not profile.leader_eligible or not profile.in_pool:
        return _("%(name)s cannot lead a team: not in the leader pool.") % who
    return _("%(name)s cannot lead a team: no qualification valid on the round's first day.") % who


def specialty_name_map(result: dict[str, Any] | None = None) -> dict[str, str]:
    """Specialty code -> name in the user's language; for a stored run, the names it was
    solved with stand in for a specialty removed since (its explanations still name it)."""

    from xuncha.talent.models import Specialty

    english = (get_language() or "").startswith("en")
    stored = (result or {}).get("specialty_names") or {}
    names = {code: pair[1] if english else pair[0] for code, pair in stored.items()}
    return {**names, **{s.code: s.name for s in Specialty.objects.all()}}


def specialty_names_to_store() -> dict[str, list[str]]:
    """Every specialty's names, [Chinese, English], kept with a run's result."""
    from xuncha.talent.models import Specialty

    return {s.code: [s.name_zh, s.name_en] for s in Specialty.objects.all()}


def specialty_names(codes: Iterable[str]) -> list[str]:
    by_code = specialty_name_map()
    return [by_code.get(code, code) for code in codes]


def explanation_lines(
    result: dict[str, Any], team_labels: dict[int, str] | None = None
) -> list[str]:
    """Why a request is impossible, in the user's language, from a stored solver result:
    rule, role and specialty codes, county codes and recusal evidence shown in the app's
    words; anything else as the solver wrote it."""
    nodes = result.get("explanation_texts") or []
    if not nodes:
        return list(result.get("explanation") or [])
    rules = rule_labels()
    specialties = specialty_name_map(result)
    counties = dict(
        Organisation.objects.filter(kind=OrganisationKind.COUNTY).values_list("code", "name")
    )
    evidence = result.get("evidence") or {}
    unavailable = result.get("unavailable") or {}
    needed_by = result.get("needed_by") or {}

    labels = team_labels or {}

    def value(name: str, raw: Any, params: Any) -> str | None:
        # Users know teams by name; the solver's team index is the Team's pk.
        if name == "team" and isinstance(raw, dict) and "label" in (raw.get("p") or {}):
            return str(raw["p"]["label"])
        if name == "teams" and isinstance(raw, str):
            parts = [p.strip() for p in raw.split(",")]
            return i18n.enumeration(labels.get(int(p), p) if p.isdigit() else p for p in parts)
        if name == "absence" and "person_id" in params:
            raw = unavailable.get(str(params["person_id"]))
            return _(": %(reason)s") % {"reason": unavailable_reason(raw)} if raw else ""
        if name == "rule" and isinstance(raw, str):
            return rules.get(raw, raw)
        if name == "role" and isinstance(raw, str):
            return role_in_sentence(raw)
        if name == "specialty" and isinstance(raw, str):
            shown = specialties.get(raw, raw)
            # Inside a team's specialty rule: which of its targets asks for it.
            asked = needed_by.get(str(params.get("team_index")), {}).get(raw)
            if asked:
                return _("%(specialty)s (for %(targets)s)") % {
                    "specialty": shown,
                    "targets": i18n.enumeration(asked),
                }
            return shown
        if name == "county" and isinstance(raw, str):
            return counties.get(raw, raw)
        if name == "counties" and isinstance(raw, str):
            return i18n.enumeration(counties.get(c.strip(), c.strip()) for c in raw.split(","))
        if name == "evidence" and {"person_id", "team_index", "rule"} <= set(params):
            key = evidence_key(
                params["person_id"],
                params["team_index"],
                params.get("role", "member"),
                params["rule"],
            )
            found = evidence.get(key)
            if found:
                return i18n.clauses(render_evidence(t, p) for t, p in found)
        return None

    return [fm.render_text(node, _, value, ngettext) for node in nodes]


def recusals_of_team(
    instance: fm.Instance, evidence: dict[str, list[list[Any]]], team_index: int
) -> list[dict[str, str]]:
    """Who is excluded from one team by recusal and why, in the user's language: one row
    per person (by name), each reason once with the roles it bars when not all."""
    labels = rule_labels()
    names = {c.person_id: c.name for c in instance.candidates}
    found: defaultdict[int, dict[tuple[str, str], list[str]]] = defaultdict(dict)
    for f in instance.forbidden:
        if f.team_index != team_index:
            continue
        items = evidence.get(evidence_key(f.person_id, f.team_index, f.role, f.rule))
        text = i18n.clauses(render_evidence(t, p) for t, p in items) if items else f.evidence
        found[f.person_id].setdefault((f.rule, text), []).append(f.role)
    rows = []
    for person_id, reasons in found.items():
        closing = []
        barring = []
        for (rule, text), roles in reasons.items():
            if fm.ANY in roles or set(roles) >= set(fm.ROLES):
                closing.append(
                    _("%(rule)s: %(evidence)s") % {"rule": labels.get(rule, rule), "evidence": text}
                )
            else:
                barring.append(
                    _("%(rule)s (may not serve as %(roles)s): %(evidence)s")
                    % {
                        "rule": labels.get(rule, rule),
                        "roles": i18n.alternatives(
                            role_in_sentence(r) for r in fm.ROLES if r in roles
                        ),
                        "evidence": text,
                    }
                )
        if closing and barring:
            # Kept out in every role: the reasons for that decide; the lead roles' own
            # are only counted, so the row stays readable.
            closing.append(
                ngettext(
                    "%(n)s more reason bars the lead roles",
                    "%(n)s more reasons bar the lead roles",
                    len(barring),
                )
                % {"n": len(barring)}
            )
            barring = []
        rows.append(
            {
                "name": names.get(person_id, str(person_id)),
                "reasons": i18n.clauses([*closing, *barring]),
            }
        )
    return sorted(rows, key=lambda r: r["name"])


def qualification_ends(
    person_ids: Iterable[int], start: dt.date, end: dt.date
) -> dict[int, dt.date]:
    """Those of ``person_ids`` (Person pks) qualified on ``start`` whose qualification runs
    out before ``end`` with none taking over: the day it ends. A warning to the office
    (renew it, or mind it for a leader), not a rule."""
    profiles = InspectorProfile.objects.filter(person_id__in=list(person_ids)).prefetch_related(
        "qualifications"
    )
    ends = {}
    for p in profiles:
        day = qualification_ends_on(list(p.qualifications.all()), start, end)
        if day is not None:
            ends[p.person_id] = day
    return ends


def qualification_ends_on(
    qualifications: Sequence[Any], start: dt.date, end: dt.date
) -> dt.date | None:
    """The day the qualification valid on ``start`` ends, when it ends before ``end`` with
    none of ``qualifications`` valid then (None otherwise). The builder and the roster
    files both judge "ends during the round" through this."""
    valid = [q for q in qualifications if q.valid_on(start)]
    if not valid or any(q.valid_on(end) for q in qualifications):
        return None
    return max(q.expires_on for q in valid)


def without_valid_qualification(person_ids: Iterable[int], day: dt.date) -> set[int]:
    """Those of ``person_ids`` (Person pks) who hold no qualification valid on ``day``.
    Only leaders need one; for deputies and members it is a warning to the office."""
    profiles = InspectorProfile.objects.filter(person_id__in=list(person_ids)).prefetch_related(
        "qualifications"
    )
    return {
        p.person_id for p in profiles if not any(q.valid_on(day) for q in p.qualifications.all())
    }


# -- what changed since a proposal --------------------------------------------------------

NAMES_SHOWN = 8  # a list of changed people or pairs names this many, then counts the rest


def _some(items: Sequence[str]) -> str:
    """``items`` in running text, the first ``NAMES_SHOWN`` of them and a count of the rest
    (the "and N more" of the builder's other lists)."""
    rest = len(items) - NAMES_SHOWN
    more = [_("and %(n)s more") % {"n": rest}] if rest > 0 else []
    return i18n.enumeration([*items[:NAMES_SHOWN], *more])


def _recusal_pairs(forbidden: Iterable[fm.Forbidden]) -> dict[tuple[int, int], set[str]]:
    """(person, team) -> the rules that keep the person out of the team (or a lead role)."""
    pairs: defaultdict[tuple[int, int], set[str]] = defaultdict(set)
    for f in forbidden:
        pairs[(f.person_id, f.team_index)].add(f.rule)
    return pairs


def instance_changes(old: fm.Instance, new: fm.Instance) -> list[str]:
    """What differs between the instance a proposal was solved on and one built from
    today's records for the same day, in the user's language ([] = nothing that formation
    reads): who joined or left the pool or became (un)available, whose profile changed,
    who is newly kept out of a team by recusal or no longer, the targets' needs, the rules.
    Computed from the two instances, so a conflict declared and withdrawn again, or a
    change in the people registry (a post, a relative), is judged by its effect."""
    lines: list[str] = []
    before = {c.person_id: c for c in old.candidates}
    after = {c.person_id: c for c in new.candidates}
    by_code = specialty_name_map()  # one query, not one per person

    def specialties(codes: Iterable[str]) -> str:
        return i18n.enumeration(by_code.get(code, code) for code in sorted(codes))

    def named(ids: Iterable[int], people: dict[int, fm.Candidate]) -> list[str]:
        return sorted(people[i].name for i in ids)

    joined = named(after.keys() - before.keys(), after)
    left = named(before.keys() - after.keys(), before)
    both = sorted(before.keys() & after.keys(), key=lambda i: (after[i].name, i))
    if joined:
        lines.append(_("Joined the pool: %(names)s") % {"names": _some(joined)})
    if left:
        lines.append(_("Left the pool: %(names)s") % {"names": _some(left)})
    away = [after[i].name for i in both if before[i].available and not after[i].available]
    back = [after[i].name for i in both if not before[i].available and after[i].available]
    if away:
        lines.append(_("No longer available: %(names)s") % {"names": _some(away)})
    if back:
        lines.append(_("Available again: %(names)s") % {"names": _some(back)})
    fields = (
        ("leader_eligible", _("leader eligibility")),
        ("qualified", _("valid qualification")),
        ("rounds_done", _("rounds served")),
        ("workload", _("rounds in the last year")),
        ("county", _("county")),
    )
    profiles = []
    for i in both:
        what = []
        gained = after[i].specialties - before[i].specialties
        lost = before[i].specialties - after[i].specialties
        if gained or lost:
            change = [_("added %(names)s") % {"names": specialties(gained)}] if gained else []
            if lost:
                change.append(_("removed %(names)s") % {"names": specialties(lost)})
            what.append(_("specialties: %(change)s") % {"change": i18n.enumeration(change)})
        what += [
            label for name, label in fields if getattr(before[i], name) != getattr(after[i], name)
        ]
        if what:
            profiles.append(
                _("%(name)s (%(what)s)") % {"name": after[i].name, "what": i18n.clauses(what)}
            )
    if profiles:
        lines.append(_("Profile changed: %(people)s") % {"people": _some(profiles)})

    old_teams = {t.index: t for t in old.teams}
    new_teams = {t.index: t for t in new.teams}
    same_teams = old_teams.keys() == new_teams.keys() and all(
        old_teams[i].target_ids == new_teams[i].target_ids for i in old_teams
    )
    if not same_teams:
        # Recusal and needs are per team: with other teams or targets they do not compare.
        lines.append(_("The round's teams or their targets changed."))
    else:
        labels = rule_labels()
        was = _recusal_pairs(old.forbidden)
        now = _recusal_pairs(new.forbidden)
        names = {**{i: c.name for i, c in before.items()}, **{i: c.name for i, c in after.items()}}

        def pair(key: tuple[int, int], rules: set[str]) -> str:
            person, team = key
            return _("%(name)s from %(team)s (%(rules)s)") % {
                "name": names.get(person, str(person)),
                "team": new_teams[team].label,
                "rules": i18n.enumeration(labels.get(r, r) for r in sorted(rules)),
            }

        # Only people in the pool both times: joining or leaving is said above.
        kept = before.keys() & after.keys()
        added = [
            pair(k, now[k] - was.get(k, set()))
            for k in sorted(now, key=lambda k: (names.get(k[0], ""), k))
            if k[0] in kept and now[k] - was.get(k, set())
        ]
        lifted = [
            pair(k, was[k] - now.get(k, set()))
            for k in sorted(was, key=lambda k: (names.get(k[0], ""), k))
            if k[0] in kept and was[k] - now.get(k, set())
        ]
        if added:
            lines.append(_("Newly kept out by recusal: %(pairs)s") % {"pairs": _some(added)})
        if lifted:
            lines.append(_("No longer kept out by recusal: %(pairs)s") % {"pairs": _some(lifted)})
        needs = [
            _("%(team)s now needs %(now)s (before: %(was)s)")
            % {
                "team": new_teams[i].label,
                "now": specialties(t.required_specialties) or "—",
                "was": specialties(old_teams[i].required_specialties) or "—",
            }
            for i, t in sorted(new_teams.items())
            if t.required_specialties != old_teams[i].required_specialties
        ]
        if needs:
            lines.append(_("Needs changed: %(teams)s") % {"teams": i18n.clauses(needs)})
        if any(
            (a.size_min, a.size_max, a.deputies_min, a.deputies_max)
            != (t.size_min, t.size_max, t.deputies_min, t.deputies_max)
            for a, t in ((old_teams[i], t) for i, t in new_teams.items())
        ):
            lines.append(_("The team sizes changed (the rules below say how)."))
    o, n = old.rules, new.rules
    if (o.min_experienced, o.max_first_timers) != (n.min_experienced, n.max_first_timers):
        lines.append(_("The experience rules changed (the rules below say how)."))
    relax_labels = dict(RuleRelaxation.Rule.choices)
    for template, rules in (
        (_("Newly relaxed for this round: %(rules)s"), n.relaxed - o.relaxed),
        (_("No longer relaxed (applies again): %(rules)s"), o.relaxed - n.relaxed),
    ):
        if rules:
            named_rules = i18n.enumeration(relax_labels.get(r, r) for r in sorted(rules))
            lines.append(template % {"rules": named_rules})
    if o.cross != n.cross:
        lines.append(
            _("The round is no longer a cross round.")
            if o.cross
            else _("The round is now a cross round.")
        )
    if old.previous_pairs != new.previous_pairs:
        lines.append(_("Who served together before changed (earlier rosters were edited)."))
    return lines
