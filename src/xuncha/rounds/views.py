"""Views of the rounds app: coverage ledger and plan, rounds, teams and stage gates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xuncha.core import i18n, policy
from xuncha.core.forms import form_errors
from xuncha.core.models import Organisation
from xuncha.core.tables import Column, Table
from xuncha.core.views import AuthedRequest
from xuncha.intake import dashboard as intake_dashboard
from xuncha.rounds import forms, permissions, selectors, services
from xuncha.rounds.lib import planner
from xuncha.rounds.models import CommitteeTerm, Round, Stage, Team
from xuncha.talent import permissions as talent_permissions
from xuncha.talent import selectors as talent_selectors

STATUS_LABELS = {
    "covered": gettext_lazy("Covered"),
    "planned": gettext_lazy("In a round"),
    "uncovered": gettext_lazy("Not yet covered"),
}


# --- terms and coverage ------------------------------------------------------------------


@require_GET
def term_list(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, permissions.TERM_VIEW)
    terms = selectors.terms_for(request.user).order_by("committee__code", "-start_date")
    return render(
        request,
        "rounds/term_list.html",
        {
            "terms": terms,
            "can_create": policy.can(request.user, permissions.TERM_CHANGE),
        },
    )


@require_http_methods(["GET", "POST"])
def term_create(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, permissions.TERM_CHANGE)
    today = timezone.localdate()
    form = forms.TermForm(
        request.POST or None,
        user=request.user,
        initial={
            "start_date": today,
            "end_date": today.replace(year=today.year + 5) - dt.timedelta(days=1),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            term = services.term_create(actor=request.user, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Term created."))
            return redirect("rounds:term_detail", pk=term.pk)
    return render(
        request,
        "core/form.html",
        {"form": form, "title": _("New committee term"), "cancel": reverse("rounds:term_list")},
    )


def _ledger_csv(ledger: selectors.Ledger, term: CommitteeTerm) -> HttpResponseBase:
    import csv

    from django.http import HttpResponse

    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="coverage-{term.pk}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(
        [
            _("Inspected organisation"),
            _("Kind"),
            _("Status"),
            _("Round"),
            _("Team"),
            _("Stationing"),
            _("Priority"),
        ]
    )
    for row in ledger.rows:
        writer.writerow(
            [
                row.organisation.name,
                row.organisation.get_kind_display(),
                STATUS_LABELS[row.status],
                row.round.name if row.round else "",
                row.team.name if row.team else "",
                row.date.isoformat() if row.date else "",
                row.priority,
            ]
        )
    return response


@require_GET
def term_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    term = get_object_or_404(selectors.terms_for(request.user), pk=pk)
    ledger = selectors.ledger(term, timezone.localdate())
    if request.GET.get("export") == "csv":
        return _ledger_csv(ledger, term)
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    rows = [
        r
        for r in ledger.rows
        if (not status or r.status == status) and (not kind or r.organisation.kind == kind)
    ]
    by_kind: dict[str, dict[str, int]] = {}
    for row in ledger.rows:
        label = str(row.organisation.get_kind_display())
        by_kind.setdefault(label, {"covered": 0, "planned": 0, "uncovered": 0})[row.status] += 1
    chart = {
        "categories": list(by_kind),
        # Covered green, in a round amber, not yet covered red: the ledger's badges.
        "colors": ["#198754", "#ffc107", "#dc3545"],
        "series": [
            {"name": str(STATUS_LABELS[s]), "data": [v[s] for v in by_kind.values()]}
            for s in ("covered", "planned", "uncovered")
        ],
    }
    return render(
        request,
        "rounds/term_detail.html",
        {
            "term": term,
            "ledger": ledger,
            "rows": rows,
            "status": status,
            "kind": kind,
            "status_labels": STATUS_LABELS,
            "chart": chart,
            "rounds": term.rounds.order_by("created_at"),
            "can_plan": policy.allows(request.user, permissions.TERM_CHANGE, term),
            "kinds": sorted(
                {(r.organisation.kind, str(r.organisation.get_kind_display())) for r in ledger.rows}
            ),
        },
    )


def _slots(term: CommitteeTerm, data: dict[str, Any]) -> list[tuple[planner.RoundSlot, dt.date]]:
    """Future rounds from the first start date to the end of the term, evenly spaced."""
    per_year = int(data["rounds_per_year"])
    step = dt.timedelta(days=365.25 / per_year)
    slots, start, index = [], data["first_start"], 0
    while start <= term.end_date and index < 60:
        label = _("Planned round %(n)s (%(year)s)") % {"year": start.year, "n": index + 1}
        slots.append(
            (
                planner.RoundSlot(
                    index=index,
                    label=label,
                    teams=int(data["teams_per_round"]),
                    team_capacity=float(data["team_capacity"]),
                ),
                start,
            )
        )
        start = start + step
        index += 1
    return slots


def _proposal(
    term: CommitteeTerm, data: dict[str, Any]
) -> tuple[Any, list[Any], dict[int, Organisation]]:
    ledger = selectors.ledger(term, timezone.localdate())
    uncovered = [r for r in ledger.rows if r.status == "uncovered"]
    by_id = {r.organisation.pk: r.organisation for r in uncovered}
    village_weight = float(data["village_weight"])
    targets = [
        planner.Target(
            id=r.organisation.pk,
            name=r.organisation.name,
            kind=r.organisation.kind,
            priority=r.proposal_priority,
            township_id=r.organisation.parent_id
            if r.organisation.kind in ("village", "community")
            else None,
        )
        for r in uncovered
    ]
    slots = _slots(term, data)
    request = planner.PlanRequest(
        targets=targets,
        slots=[s for s, _start in slots],
        kind_weight={
            "unit": 1.0,
            "township": 1.0,
            "village": village_weight,
            "community": village_weight,
        },
        township_with_villages=bool(data["township_with_villages"]),
    )
    return planner.propose(request), slots, by_id


@require_http_methods(["GET", "POST"])
def term_plan(request: AuthedRequest, pk: int) -> HttpResponseBase:
    term = get_object_or_404(selectors.terms_for(request.user), pk=pk)
    if not policy.allows(request.user, permissions.TERM_CHANGE, term):
        raise PermissionDenied
    today = timezone.localdate()
    initial = {
        "first_start": max(today + dt.timedelta(days=14), term.start_date),
        "rounds_per_year": term.rounds_per_year,
        "teams_per_round": term.teams_per_round,
        "team_capacity": term.team_capacity,
        "village_weight": Decimal("0.25"),
        "township_with_villages": True,
    }
    form = forms.PlanForm(request.POST or request.GET or None, initial=initial)
    proposal: Any = None
    slots: list[Any] = []
    by_id: dict[int, Organisation] = {}
    if form.is_bound and form.is_valid():
        proposal, slots, by_id = _proposal(term, form.cleaned_data)
        if request.method == "POST" and request.POST.get("accept"):
            created = services.plan_accept(
                actor=request.user,
                term=term,
                proposal=proposal,
                starts={s.index: start for s, start in slots},
                organisations=by_id,
            )
            messages.success(
                request,
                ngettext(
                    "%(n)s round created from the plan.",
                    "%(n)s rounds created from the plan.",
                    created,
                )
                % {"n": created},
            )
            return redirect("rounds:term_detail", pk=term.pk)
    rows = []
    if proposal is not None:
        starts = {s.index: (s.label, start) for s, start in slots}
        for slot in proposal.slots:
            label, start = starts[slot.slot_index]
            rows.append(
                {
                    "label": label,
                    "start": start,
                    "teams": [
                        {"load": t.load, "targets": [by_id[i] for i in t.target_ids]}
                        for t in slot.teams
                    ],
                }
            )
    return render(
        request,
        "rounds/term_plan.html",
        {
            "term": term,
            "form": form,
            "proposal": proposal,
            "rows": rows,
            "unplaced": [(by_id[u.target_id], u.reason) for u in proposal.unplaced]
            if proposal
            else [],
        },
    )


# --- rounds ------------------------------------------------------------------------------


def _kind_text(round_: Round) -> str:
    """The round's kind with its modifiers, as the round page shows them, so a cross round
    is told apart in the list. A no-break space before each dot: a wrapped line never
    starts with it or leaves it alone."""
    return "\u00a0· ".join([str(round_.get_kind_display()), *round_.modifier_labels()])


ROUND_COLUMNS = [
    Column(
        "name",
        gettext_lazy("Name"),
        lambda r: r.name,
        sort="name",
        link=lambda r: reverse("rounds:round_detail", args=[r.pk]),
        css="xc-wrap",  # a long Chinese name wraps on a phone instead of pushing the stage off
    ),
    Column(
        "committee",
        gettext_lazy("Committee"),
        lambda r: r.committee.name,
        sort="committee__name",
        hide_below="md",
    ),
    Column("kind", gettext_lazy("Kind"), lambda r: _kind_text(r), sort="kind"),
    Column("stage", gettext_lazy("Stage"), lambda r: r.get_stage_display(), sort="stage"),
    Column(
        "created",
        gettext_lazy("Created on"),
        lambda r: timezone.localdate(r.created_at),
        sort="created_at",
        hide_below="sm",
    ),
]


@require_GET
def round_list(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, permissions.ROUND_VIEW)
    rounds = selectors.rounds_for(request.user)
    if request.GET.get("stage"):
        rounds = rounds.filter(stage=request.GET["stage"])
    table = Table(request, rounds, ROUND_COLUMNS, default_sort="-created")
    if request.GET.get("export") == "csv":
        return table.export_csv("rounds")
    return render(
        request,
        "rounds/round_list.html",
        {
            **table.context(),
            "stages": Stage.choices,
            "stage": request.GET.get("stage", ""),
            "can_create": policy.can(request.user, permissions.ROUND_CHANGE),
        },
    )


@require_http_methods(["GET", "POST"])
def round_create(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, permissions.ROUND_CHANGE)
    form = forms.RoundForm(
        request.POST or None, user=request.user, initial={"start_date": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            round_ = services.round_create(
                actor=request.user,
                committee=data["committee"],
                term=data["term"],
                name=data["name"],
                kind=data["kind"],
                subject=data["subject"],
                escalated=data["escalated"],
                cross=data["cross"],
                extended=data["extended"],
                lookback_of=data["lookback_of"],
                focus_areas=data["focus_areas"],
                start_date=data["start_date"],
                teams=[(_("Team %(n)s") % {"n": 1}, list(data["targets"]))]
                if data["targets"]
                else [],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Round created."))
            return redirect("rounds:round_detail", pk=round_.pk)
    return render(
        request,
        "core/form.html",
        {"form": form, "title": _("New round"), "cancel": reverse("rounds:round_list")},
    )


def _can_change(user: Any, round_: Round) -> bool:
    return policy.allows_on_organisation(user, permissions.ROUND_CHANGE, round_.committee)


@require_GET
def round_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    round_ = get_object_or_404(
        selectors.rounds_for(request.user).select_related("lookback_of"), pk=pk
    )
    teams = list(round_.teams.prefetch_related("targets"))
    stages = list(round_.stages.all())
    team_gates = []
    # The same computation as the advance itself, the checks of other apps included
    # (fieldwork's method coverage before the report stage): a card says "ready" only
    # when its button would move the team.
    gate_of = services.team_gates(teams)
    for team in teams:
        to_stage, missing = gate_of[team.pk]
        team_gates.append(
            {
                "team": team,
                "to_stage": Stage(to_stage).label if to_stage else None,
                "missing": missing,
            }
        )
    to_stage, round_missing = services.round_gate(round_)
    timeline = {
        "stages": [
            {
                "stage": str(Stage(s.stage).label),
                "start": s.start_date.isoformat(),
                "end": s.end_date.isoformat(),
            }
            for s in stages
        ],
        "today": timezone.localdate().isoformat(),
    }
    can_change = _can_change(request.user, round_)
    crews = talent_selectors.round_crews(request.user, round_, teams)
    for item, team in zip(team_gates, teams, strict=True):
        item.update(crews.get(team.pk, {}))
    return render(
        request,
        "rounds/round_detail.html",
        {
            "round": round_,
            "teams": team_gates,
            "stages": stages,
            "timeline": timeline,
            "milestones": round_.milestones.select_related("team", "recorded_by"),
            "transitions": round_.transitions.select_related("team", "actor"),
            "round_to_stage": Stage(to_stage).label if to_stage else None,
            "round_missing": round_missing,
            "can_change": can_change,
            "can_form": policy.allows_on_organisation(
                request.user, talent_permissions.TEAM_FORM, round_.committee
            ),
            "milestone_form": forms.MilestoneForm(
                round_=round_, initial={"date": timezone.localdate()}
            )
            if can_change
            else None,
            "team_form": forms.TeamForm(round_=round_) if can_change else None,
            "advance_form": forms.AdvanceForm(),
            **selectors.round_briefings(request.user, round_),
            "public_counts": intake_dashboard.round_counts(request.user, round_),
            "briefing_request_form": forms.BriefingRequestForm(
                round_=round_, initial={"due_date": timezone.localdate() + dt.timedelta(days=7)}
            )
            if policy.allows_on_organisation(
                request.user, permissions.BRIEFING_REQUEST, round_.committee
            )
            else None,
        },
    )


def _changeable_round(request: AuthedRequest, pk: int) -> Round:
    round_ = get_object_or_404(
        selectors.rounds_for(request.user).select_related("committee"), pk=pk
    )
    if not _can_change(request.user, round_):
        raise PermissionDenied
    return round_


def _advance(request: AuthedRequest, round_: Round, team: Team | None) -> HttpResponseBase:
    form = forms.AdvanceForm(request.POST)
    reason = form.cleaned_data["override_reason"] if form.is_valid() else ""
    try:
        if team is None:
            services.round_advance(actor=request.user, round_=round_, override_reason=reason)
        else:
            services.team_advance(actor=request.user, team=team, override_reason=reason)
    except services.GateRefused as refused:
        messages.error(
            request,
            # Each missing thing is a sentence of its own: one stop at the end, not "。；".
            _("Not yet: %(missing)s")
            % {"missing": i18n.sentences(m.message for m in refused.missing)},
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Stage advanced.")
            if not reason
            else _("Stage advanced by override; the reason is in the audit log."),
        )
    return redirect("rounds:round_detail", pk=round_.pk)


@require_POST
def round_advance(request: AuthedRequest, pk: int) -> HttpResponseBase:
    return _advance(request, _changeable_round(request, pk), None)


@require_POST
def team_advance(request: AuthedRequest, pk: int) -> HttpResponseBase:
    team = get_object_or_404(Team.objects.select_related("round"), pk=pk)
    round_ = _changeable_round(request, team.round_id)
    return _advance(request, round_, team)


@require_POST
def milestone_create(request: AuthedRequest, pk: int) -> HttpResponseBase:
    round_ = _changeable_round(request, pk)
    form = forms.MilestoneForm(request.POST, round_=round_)
    if form.is_valid():
        data = form.cleaned_data
        services.milestone_record(
            actor=request.user,
            round_=round_,
            kind=data["kind"],
            date=data["date"],
            team=data["team"],
            note=data["note"],
        )
        messages.success(request, _("Milestone recorded."))
    else:
        messages.error(
            request,
            _("The milestone could not be recorded: %(errors)s") % {"errors": form_errors(form)},
        )
    return redirect("rounds:round_detail", pk=round_.pk)


@require_POST
def team_create(request: AuthedRequest, pk: int) -> HttpResponseBase:
    round_ = _changeable_round(request, pk)
    form = forms.TeamForm(request.POST, round_=round_)
    if form.is_valid():
        try:
            services.team_create(
                actor=request.user,
                round_=round_,
                name=form.cleaned_data["name"],
                targets=list(form.cleaned_data["targets"]),
            )
        except ValidationError as exc:
            messages.error(
                request,
                _("The team could not be added: %(errors)s")
                % {"errors": i18n.paragraph(exc.messages)},
            )
        else:
            messages.success(request, _("Team added."))
    else:
        messages.error(
            request,
            _("The team could not be added: %(errors)s") % {"errors": form_errors(form)},
        )
    return redirect("rounds:round_detail", pk=round_.pk)


# --- briefings and unit profiles -----------------------------------------------------------


@require_POST
def briefing_request_create(request: AuthedRequest, pk: int) -> HttpResponseBase:
    round_ = get_object_or_404(
        selectors.rounds_for(request.user).select_related("committee"), pk=pk
    )
    if not policy.allows_on_organisation(
        request.user, permissions.BRIEFING_REQUEST, round_.committee
    ):
        raise PermissionDenied
    form = forms.BriefingRequestForm(request.POST, round_=round_)
    if form.is_valid():
        try:
            services.briefing_request(actor=request.user, round_=round_, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Briefing requested."))
    else:
        messages.error(
            request,
            _("The request could not be recorded: %(errors)s") % {"errors": form_errors(form)},
        )
    return redirect("rounds:round_detail", pk=round_.pk)


@require_GET
def briefing_inbox(request: AuthedRequest) -> HttpResponseBase:
    """The requests addressed to the user's department(s), open ones first."""
    policy.require(request.user, permissions.BRIEFING_SUBMIT)
    requests = selectors.briefing_requests_to_answer(request.user)
    return render(request, "rounds/briefing_inbox.html", {"requests": requests})


@require_http_methods(["GET", "POST"])
def briefing_submit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    asked = get_object_or_404(selectors.briefing_requests_to_answer(request.user), pk=pk)
    if selectors.is_answered(asked):
        messages.info(request, _("This request was already answered."))
        return redirect("rounds:briefing_inbox")
    form = forms.BriefingForm(
        request.POST or None, request.FILES or None, initial={"date": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            briefing = services.briefing_submit(
                actor=request.user,
                request=asked,
                date=form.cleaned_data["date"],
                summary=form.cleaned_data["summary"],
                concerns=form.concerns(),
                files=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Briefing submitted. Thank you."))
            if policy.can(request.user, permissions.BRIEFING_VIEW):
                return redirect("rounds:briefing_detail", pk=briefing.pk)
            return redirect("rounds:briefing_inbox")
    return render(request, "rounds/briefing_form.html", {"form": form, "asked": asked})


@require_GET
def briefing_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    briefing = get_object_or_404(selectors.briefings_for(request.user), pk=pk)
    return render(request, "rounds/briefing_detail.html", {"briefing": briefing})


@require_GET
def briefing_attachment(request: AuthedRequest, pk: int) -> HttpResponseBase:
    from django.http import FileResponse

    from xuncha.rounds.models import BriefingAttachment

    attachment = get_object_or_404(
        BriefingAttachment.objects.filter(briefing__in=selectors.briefings_for(request.user)),
        pk=pk,
    )
    services.briefing_file_read(actor=request.user, attachment=attachment)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name)


@require_GET
def unit_profile(request: AuthedRequest, pk: int) -> HttpResponseBase:
    org = get_object_or_404(
        policy.scope(request.user, permissions.PROFILE_VIEW, Organisation.objects.all()), pk=pk
    )
    return render(
        request,
        "rounds/unit_profile.html",
        {"org": org, **selectors.unit_profile(request.user, org, timezone.localdate())},
    )


def _docx(data: bytes, filename: str) -> HttpResponseBase:
    from django.http import HttpResponse

    response = HttpResponse(
        data,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@require_GET
def round_plan_docx(request: AuthedRequest, pk: int) -> HttpResponseBase:
    from xuncha.rounds import documents

    round_ = get_object_or_404(selectors.rounds_for(request.user), pk=pk)
    return _docx(documents.round_plan_docx(round_), f"{round_.name}工作方案.docx")


@require_GET
def target_notice_docx(request: AuthedRequest, pk: int, org: int) -> HttpResponseBase:
    from xuncha.rounds import documents

    team = get_object_or_404(
        Team.objects.filter(round__in=selectors.rounds_for(request.user)), pk=pk
    )
    if not _can_change(request.user, team.round):
        raise PermissionDenied
    target = get_object_or_404(team.targets.all(), pk=org)
    return _docx(
        documents.target_notice_docx(team.round, team, target),
        f"关于对{target.name}开展巡察的通知.docx",
    )
