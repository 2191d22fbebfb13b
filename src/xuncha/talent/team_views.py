"""Team pages around formation: the accepted roster as xlsx and docx, the evaluation of a
team's members after the round, a committee's team rules, and declared conflicts."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xuncha.core import i18n, policy
from xuncha.core.forms import errors_to_form
from xuncha.core.models import Organisation, OrganisationKind
from xuncha.core.selectors import nearest_setting, setting_origin
from xuncha.core.views import AuthedRequest
from xuncha.rounds.models import Stage, Team
from xuncha.rounds.selectors import rounds_for
from xuncha.talent import (
    formation_services,
    formation_views,
    permissions,
    profile_views,
    roster,
    selectors,
    services,
    settings_views,
    team_forms,
    teams,
)
from xuncha.talent.models import (
    Declaration,
    Evaluation,
    InspectorProfile,
    RoundRole,
    TeamRules,
)

# -- the roster -------------------------------------------------------------------------------


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def _roster_export(request: AuthedRequest, pk: int, fmt: str) -> HttpResponseBase:
    round_ = formation_views.round_for_forming(request, pk)
    first_day = roster.first_day(round_)
    team_rosters = roster.roster_of(round_, on=first_day)
    if not team_rosters:
        messages.warning(
            request,
            _("%(round)s has no accepted roster yet: accept the teams before exporting them.")
            % {"round": round_.name},
        )
        return redirect("talent:formation", pk=round_.pk)
    if fmt == "xlsx":
        data = roster.roster_xlsx(round_.name, team_rosters, on=first_day)
        content_type = roster.XLSX_CONTENT_TYPE
    else:
        data = roster.roster_docx(round_.name, round_.committee.name, team_rosters, on=first_day)
        content_type = roster.DOCX_CONTENT_TYPE
    roster.record_export(
        actor=request.user, round_=round_, fmt=fmt, people=roster.people_count(team_rosters)
    )
    # The Word document is the Chinese 名单 whatever the language; the spreadsheet's name
    # follows the user's language, as its contents do.
    name = (
        f"{round_.name}{roster.DOC_TITLE}"
        if fmt == "docx"
        else _("%(round)s team roster") % {"round": round_.name}
    )
    return _download(data, content_type, f"{name}.{fmt}")


@require_GET
def roster_xlsx(request: AuthedRequest, pk: int) -> HttpResponseBase:
    return _roster_export(request, pk, "xlsx")


@require_GET
def roster_docx(request: AuthedRequest, pk: int) -> HttpResponseBase:
    return _roster_export(request, pk, "docx")


# -- evaluations --------------------------------------------------------------------------------


def _team_for_evaluation(request: AuthedRequest, pk: int) -> tuple[Team, bool]:
    """The team (404 unless its round is visible) and whether the user is office staff for
    it; 403 unless the user may evaluate its members."""
    team = get_object_or_404(
        Team.objects.filter(round__in=rounds_for(request.user))
        .select_related("round__committee")
        .prefetch_related("targets"),
        pk=pk,
    )
    if not selectors.may_evaluate(request.user, team):
        raise PermissionDenied
    office = policy.allows_on_organisation(
        request.user, permissions.TEAM_FORM, team.round.committee
    )
    return team, office


def _initial(evaluation: Evaluation | None, office: bool) -> dict[str, Any]:
    if evaluation is None:
        return {"seen": services.NEW_EVALUATION}
    fields = services.EVALUATION_FIELDS if office else services.LEADER_FIELDS
    return {
        "seen": services.evaluation_version(evaluation, fields),
        "score": evaluation.score,
        "grade": evaluation.grade,
        "leader_comments": evaluation.leader_comments,
        "office_comments": evaluation.office_comments,
        "remove_from_pool": evaluation.remove_from_pool,
        "reason": evaluation.reason,
    }


def _evaluation_form(
    member: RoundRole,
    saved: Evaluation | None,
    *,
    office: bool,
    leads: bool,
    data: Any = None,
) -> team_forms.EvaluationForm:
    """A member's form on the evaluation ``saved`` (None: not evaluated yet), bound to
    ``data`` when given."""
    return team_forms.EvaluationForm(
        data,
        initial=_initial(saved, office),
        office=office,
        leads=leads,
        saved_comments=saved.leader_comments if saved else "",
        prefix=f"m{member.pk}",
    )


def _current_form(
    member: RoundRole, round_id: int, office: bool, leads: bool
) -> team_forms.EvaluationForm:
    """A member's form bound to the evaluation as saved now (validated, so errors can be
    added to it)."""
    current = Evaluation.objects.filter(profile_id=member.profile_id, round_id=round_id).first()
    prefix = f"m{member.pk}"
    data = {
        f"{prefix}-{key}": ("on" if value is True else value)
        for key, value in _initial(current, office).items()
        if value is not False
    }
    form = _evaluation_form(member, current, office=office, leads=leads, data=data)
    form.is_valid()
    return form


@require_http_methods(["GET", "POST"])
def evaluate(request: AuthedRequest, pk: int) -> HttpResponseBase:
    team, office = _team_for_evaluation(request, pk)
    is_open = services.evaluation_open(team)
    members = sorted(
        RoundRole.objects.filter(team=team).select_related(
            "profile__person", "profile__home_organisation", "profile__county"
        ),
        key=lambda r: (roster.ROLE_ORDER.get(r.role, 9), r.pk),
    )
    evaluations = {
        e.profile_id: e
        for e in Evaluation.objects.filter(
            round_id=team.round_id, profile_id__in=[m.profile_id for m in members]
        ).select_related("evaluated_by__person", "scored_by__person", "office_by__person")
    }
    me = request.user.person_id
    # The leader's comments are written by the team's leader only (office staff leading the
    # team too would write them); everyone else's form leaves them as saved.
    leads = me is not None and any(
        m.role == RoundRole.Role.LEADER and m.profile.person_id == me for m in members
    )

    def member_form(member: RoundRole, data: Any = None) -> team_forms.EvaluationForm:
        saved = evaluations.get(member.profile_id)
        return _evaluation_form(member, saved, office=office, leads=leads, data=data)

    bound: tuple[int, team_forms.EvaluationForm] | None = None
    if request.method == "POST":
        back = reverse("talent:evaluate", args=[team.pk])
        if not is_open:
            messages.error(
                request,
                _("Evaluations open when the team reaches the %(stage)s stage.")
                % {"stage": Stage(services.EVALUATION_OPENS).label},
            )
            return redirect(back)
        member = next((m for m in members if str(m.pk) == request.POST.get("member")), None)
        if member is None:
            raise Http404
        if me is not None and member.profile.person_id == me:
            messages.error(request, _("Nobody evaluates themselves."))
            return redirect(back)
        form = member_form(member, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            extra: dict[str, Any] = {}
            if office:  # a leader's form has no such fields; never pass them for a leader
                extra = {
                    "office_comments": data["office_comments"],
                    "remove_from_pool": data["remove_from_pool"],
                    "reason": data["reason"],
                }
            was_in_pool = member.profile.in_pool
            try:
                services.evaluation_record(
                    actor=request.user,
                    profile=member.profile,
                    round_=team.round,
                    score=data["score"],
                    grade=data["grade"],
                    leader_comments=data.get("leader_comments"),  # None: not on the form
                    seen=data["seen"],
                    **extra,
                )
            except ValidationError as exc:
                if getattr(exc, "code", None) == "stale":
                    # Show what is saved now, with the notice, in place of the input.
                    form = _current_form(member, team.round_id, office, leads)
                form.add_error(None, exc)
            else:
                name = member.profile.person.name
                saved = _("Evaluation of %(name)s saved.") % {"name": name}
                if member.profile.in_pool != was_in_pool:
                    moved = (
                        _("%(name)s is back in the pool: the removal is withdrawn.")
                        if member.profile.in_pool
                        else _("%(name)s is taken out of the pool.")
                    )
                    saved = i18n.paragraph([saved, moved % {"name": name}])
                messages.success(request, saved)
                return redirect(f"{back}#member-{member.pk}")
        bound = (member.pk, form)
    rows = []
    for member in members:
        form = bound[1] if bound is not None and bound[0] == member.pk else member_form(member)
        rows.append(
            {
                "member": member,
                "evaluation": evaluations.get(member.profile_id),
                "form": form,
                "self": me is not None and member.profile.person_id == me,
            }
        )
    report = team.round.stages.filter(stage=services.EVALUATION_OPENS).first()
    services.evaluations_read(actor=request.user, team=team)
    return render(
        request,
        "talent/evaluation.html",
        {
            "team": team,
            "round": team.round,
            "rows": rows,
            "office": office,
            "writes_leader_comments": not office or leads,
            "can_view_profiles": policy.can(request.user, permissions.TALENT_VIEW),
            "is_open": is_open,
            "opens_stage": Stage(services.EVALUATION_OPENS).label,
            "opens_on": report.start_date if report else None,
            "grade_bands": services.grade_bands(),
        },
    )


# -- team rules -----------------------------------------------------------------------------------


def _committees(request: AuthedRequest) -> Any:
    return (
        policy.scope(
            request.user,
            permissions.TEAM_RULES,
            Organisation.objects.filter(
                kind__in=[OrganisationKind.PREFECTURE, OrganisationKind.COUNTY], is_active=True
            ),
        )
        .select_related("parent")
        .order_by("depth", "code")
    )


@require_http_methods(["GET", "POST"])
def team_rules(request: AuthedRequest) -> HttpResponseBase:
    if not policy.can(request.user, permissions.TEAM_RULES):
        raise PermissionDenied
    committees = _committees(request)
    source = request.POST if request.method == "POST" else request.GET
    picker = team_forms.CommitteeForm(
        {"committee": source["committee"]} if source.get("committee") else None,
        committees=committees,
    )
    if picker.is_bound and picker.is_valid():
        committee = picker.cleaned_data["committee"]
    elif request.method == "POST":
        raise Http404
    else:
        committee = committees.first()
        if committee is None:
            raise PermissionDenied
        picker = team_forms.CommitteeForm(initial={"committee": committee}, committees=committees)
    if request.method == "POST" and request.POST.get("clear"):
        try:
            formation_services.team_rules_clear(actor=request.user, committee=committee)
        except ValidationError as exc:
            messages.error(request, i18n.paragraph(exc.messages))
        else:
            messages.success(
                request,
                _("%(committee)s no longer has rules of its own; it follows those shown below.")
                % {"committee": committee.name},
            )
        return redirect(f"{reverse('talent:team_rules')}?committee={committee.pk}")
    effective = teams.rules_for(committee)
    form = team_forms.TeamRulesForm(
        request.POST if request.method == "POST" else None,
        initial=team_forms.TeamRulesForm.initial_from(effective),
    )
    if request.method == "POST" and form.is_valid():
        try:
            formation_services.team_rules_set(
                actor=request.user, committee=committee, values=form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Team rules of %(committee)s saved.") % {"committee": committee.name}
            )
            return redirect(f"{reverse('talent:team_rules')}?committee={committee.pk}")
    origin = setting_origin(effective, committee)
    # What removing the committee's own rules falls back to: the nearest higher committee
    # with rules of its own, else (None) the defaults.
    higher = (
        nearest_setting(TeamRules, committee.parent)
        if origin == "own" and committee.parent is not None
        else None
    )
    return render(
        request,
        "talent/team_rules.html",
        {
            "picker": picker,
            "committee": committee,
            "form": form,
            "effective": effective,
            "origin": origin,
            "higher": higher,
            "can_edit_specialties": settings_views.may_edit_specialties(request.user),
        },
    )


# -- declarations -------------------------------------------------------------------------------


@require_POST
def declaration_create(request: AuthedRequest, pk: int) -> HttpResponseBase:
    profile = get_object_or_404(
        policy.scope(
            request.user,
            permissions.TALENT_VIEW,
            InspectorProfile.objects.select_related("county", "person"),
        ),
        pk=pk,
    )
    if not policy.allows(request.user, permissions.TALENT_CHANGE, profile):
        raise PermissionDenied
    back = reverse("talent:profile_detail", args=[profile.pk]) + "#declarations"
    form = team_forms.declaration_form(request.user, profile, data=request.POST)
    if form.is_valid():
        try:
            formation_services.declaration_record(
                actor=request.user,
                profile=profile,
                organisation=form.cleaned_data["organisation"],
                source=form.cleaned_data["source"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
    if form.errors:
        return profile_views.render_profile(request, profile.pk, declaration_form=form)
    organisation = form.cleaned_data["organisation"]
    names = {"name": profile.person.name, "org": organisation.name}
    messages.success(
        request,
        _("Conflict recorded: team formation now keeps %(name)s away from %(org)s.") % names,
    )
    for seat in formation_services.rosters_in_conflict(profile, organisation):
        messages.warning(
            request,
            _(
                "%(name)s is on the accepted roster of %(team)s (%(round)s), which inspects "
                "%(org)s: change that team on its round's team formation page."
            )
            % {**names, "team": seat.team, "round": seat.round.name},
        )
    return redirect(back)


@require_POST
def declaration_delete(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Withdraw a declared conflict or recusal request recorded by mistake or no longer
    true; the audit event keeps what it said."""
    declaration = get_object_or_404(
        Declaration.objects.filter(
            profile__in=policy.scope(
                request.user, permissions.TALENT_VIEW, InspectorProfile.objects.all()
            )
        ).select_related("profile__person", "profile__county", "organisation"),
        pk=pk,
    )
    profile = declaration.profile
    if not policy.allows(request.user, permissions.TALENT_CHANGE, profile):
        raise PermissionDenied
    org = declaration.organisation.name
    formation_services.declaration_withdraw(actor=request.user, declaration=declaration)
    messages.success(
        request,
        _("Conflict withdrawn: team formation no longer keeps %(name)s away from %(org)s for it.")
        % {"name": profile.person.name, "org": org},
    )
    return redirect(reverse("talent:profile_detail", args=[profile.pk]) + "#declarations")
