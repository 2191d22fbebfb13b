"""Interview records (谈话记录): the team's list, writing one (from a scheduled talk or not),
reading one (each reading audited), its signed scan, the people it names who are not on
the list yet, and linking it as evidence to a problem or clue.

Records are read by the team and the office only (``permissions``); the list shows who,
when and by whom, never what was said. The working papers' and the interference
register's addresses are listed here too (``paper_views``, ``interference_views``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xuncha.core import policy
from xuncha.core.forms import form_errors
from xuncha.core.tables import Column, Table
from xuncha.core.views import AuthedRequest
from xuncha.fieldwork import (
    common,
    interference_views,
    paper_views,
    permissions,
    planning_services,
    uploads,
)
from xuncha.fieldwork import record_services as services
from xuncha.fieldwork.models import InterviewRecord, Talk
from xuncha.fieldwork.record_forms import (
    ClueFromRecordForm,
    EvidenceForm,
    RecordForm,
    SuggestForm,
    outline_questions,
)
from xuncha.rounds.models import Team

COLUMNS = [
    Column(
        "held_at",
        gettext_lazy("Held at"),
        lambda r: timezone.localtime(r.held_at).strftime("%Y-%m-%d %H:%M"),
        sort="held_at",
        link=lambda r: reverse("fieldwork:record", args=[r.pk]),
        css="text-nowrap",
    ),
    Column(
        "interviewee",
        gettext_lazy("Interviewee"),
        lambda r: r.interviewee_name,
        sort="interviewee_name",
    ),
    Column("asker", gettext_lazy("Asked by"), lambda r: r.asker.name, sort="asker__name"),
    Column(
        "recorder", gettext_lazy("Recorded by"), lambda r: r.recorder.name, sort="recorder__name"
    ),
    Column(
        "scan",
        gettext_lazy("Signed scan"),
        lambda r: _("Yes") if r.scan else _("No"),
        sort="scan_sha256",
    ),
]


@never_cache
@require_GET
def records(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk)
    qs = policy.scope(
        request.user,
        permissions.FIELDWORK_VIEW,
        InterviewRecord.objects.filter(team=team).select_related("asker", "recorder"),
    )
    table = Table(request, qs, COLUMNS, default_sort="-held_at")
    context = table.context()
    context.update(
        {
            "team": team,
            "tabs": common.tabs(team, "records"),
            "can_change": policy.allows(request.user, permissions.FIELDWORK_CHANGE, team),
            "talks_to_record": list(
                Talk.objects.filter(team=team, record__isnull=True)
                .exclude(state=Talk.State.CANCELLED)
                .filter(starts_at__lte=timezone.now())
                .select_related("interviewee")
                .order_by("starts_at")[:20]
            ),
        }
    )
    return render(request, "fieldwork/records/list.html", context)


def _talk_from_query(request: AuthedRequest, team: Team) -> Talk | None:
    raw = request.GET.get("talk", "")
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404
    return common.object_or_404(
        request.user,
        Talk.objects.filter(team=team).select_related("interviewee", "room"),
        int(raw),
        permissions.FIELDWORK_CHANGE,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def record_new(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk, permissions.FIELDWORK_CHANGE)
    talk = _talk_from_query(request, team)
    questions = outline_questions(talk.interviewee if talk else None)
    initial = RecordForm.initial_from_talk(talk) if talk else {}
    form = RecordForm(
        request.POST or None,
        request.FILES or None,
        team=team,
        questions=questions,
        with_interviewee=talk is None,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        interviewee = talk.interviewee if talk else form.cleaned_data.get("interviewee")
        try:
            record = services.record_create(
                actor=request.user,
                team=team,
                talk=talk,
                interviewee=interviewee,
                **form.service_kwargs(),
            )
        except ValidationError as exc:
            common.errors_to_form(form, exc)
        else:
            messages.success(request, _("Interview record saved."))
            return redirect("fieldwork:record", record.pk)
    return render(
        request,
        "fieldwork/records/form.html",
        {"team": team, "tabs": common.tabs(team, "records"), "form": form, "talk": talk},
    )


def _record(request: AuthedRequest, pk: int, action: str = permissions.FIELDWORK_VIEW) -> Any:
    return common.object_or_404(
        request.user,
        InterviewRecord.objects.select_related(
            "team__round__committee", "asker", "recorder", "talk", "interviewee", "created_by"
        ),
        pk,
        action,
    )


def _may_record(request: AuthedRequest, item: InterviewRecord) -> bool:
    from xuncha.clues import permissions as clue_permissions

    target = item.interviewee.target if item.interviewee is not None else None
    target = target or item.team.targets.order_by("pk").first()
    return target is not None and clue_permissions.may_record(request.user, item.team.round, target)


def _problems(request: AuthedRequest, team: Team) -> Any:
    return common.open_problems(request.user, team).order_by("number")


@never_cache
@require_GET
def record(request: AuthedRequest, pk: int) -> HttpResponseBase:
    item = _record(request, pk)
    services.record_read(actor=request.user, record=item)
    team = item.team
    can_change = policy.allows(request.user, permissions.FIELDWORK_CHANGE, item)
    suggested = services.suggestions(item) if can_change else []
    problems = _problems(request, team) if can_change else None
    return render(
        request,
        "fieldwork/records/detail.html",
        {
            "team": team,
            "tabs": common.tabs(team, "records"),
            "record": item,
            "can_change": can_change,
            "suggestions": [(s, planning_services.render(s.reason.to_json())) for s in suggested],
            "evidence": common.evidence_links(request.user, item),
            "evidence_form": EvidenceForm(problems=problems) if problems is not None else None,
            "clue_form": (
                ClueFromRecordForm()
                if can_change and (item.new_leads or item.summary) and _may_record(request, item)
                else None
            ),
            "papers": list(item.papers.all()),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def record_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    item = _record(request, pk, permissions.FIELDWORK_CHANGE)
    team = item.team
    questions = [(q.get("key", ""), q.get("question", "")) for q in item.questions or []]
    answers = {q.get("key", ""): q.get("answer", "") for q in item.questions or []}
    # Outline questions not answered the first time can be answered now.
    if item.interviewee is not None:
        asked = {key for key, _text in questions}
        questions += [(k, t) for k, t in outline_questions(item.interviewee) if k not in asked]
    form = RecordForm(
        request.POST or None,
        request.FILES or None,
        team=team,
        questions=questions,
        answers=answers,
        with_interviewee=False,
        initial=RecordForm.initial_from_record(item),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.record_update(actor=request.user, record=item, **form.service_kwargs())
        except ValidationError as exc:
            common.errors_to_form(form, exc)
        else:
            messages.success(request, _("Interview record saved."))
            return redirect("fieldwork:record", item.pk)
    return render(
        request,
        "fieldwork/records/form.html",
        {"team": team, "tabs": common.tabs(team, "records"), "form": form, "record": item},
    )


@never_cache
@require_GET
def record_scan(request: AuthedRequest, pk: int) -> HttpResponseBase:
    item = _record(request, pk)
    if not item.scan:
        raise Http404
    try:
        handle = item.scan.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    services.record_read(actor=request.user, record=item, scan=True)
    extension = item.scan.name.rsplit(".", 1)[-1]
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"record-{item.pk}.{extension}",
        content_type=services.scan_type(item),
    )
    return uploads.protect_download(response)


@require_POST
def record_suggest(request: AuthedRequest, pk: int) -> HttpResponseBase:
    item = _record(request, pk, permissions.FIELDWORK_CHANGE)
    form = SuggestForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("fieldwork:record", item.pk)
    try:
        added = services.record_suggestion_add(
            actor=request.user, record=item, name=form.cleaned_data["name"]
        )
    except ValidationError as exc:
        common.refused(request, exc)
    else:
        messages.success(request, _("%(name)s was added to the list.") % {"name": added.name})
    return redirect(reverse("fieldwork:record", args=[item.pk]) + "#suggestions")


@require_POST
def record_evidence(request: AuthedRequest, pk: int) -> HttpResponseBase:
    item = _record(request, pk, permissions.FIELDWORK_CHANGE)
    form = EvidenceForm(request.POST, problems=_problems(request, item.team))
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect(reverse("fieldwork:record", args=[item.pk]) + "#evidence")
    try:
        services.record_evidence_add(
            actor=request.user,
            record=item,
            problem=form.cleaned_data["problem"],
            excerpt=form.cleaned_data.get("excerpt", ""),
        )
    except ValidationError as exc:
        common.refused(request, exc)
    else:
        messages.success(request, _("The record is linked as evidence."))
    return redirect(reverse("fieldwork:record", args=[item.pk]) + "#evidence")


@require_POST
def record_clue(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Record the new matter of a talk as a problem or clue, with the record as evidence."""
    item = _record(request, pk, permissions.FIELDWORK_CHANGE)
    form = ClueFromRecordForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect(reverse("fieldwork:record", args=[item.pk]) + "#evidence")
    try:
        clue = services.record_clue_create(
            actor=request.user,
            record=item,
            kind=form.cleaned_data["kind"],
            title=form.cleaned_data["title"],
        )
    except ValidationError as exc:
        common.refused(request, exc)
        return redirect(reverse("fieldwork:record", args=[item.pk]) + "#evidence")
    messages.success(
        request,
        _("%(number)s recorded with this interview record as evidence.") % {"number": clue.number},
    )
    return redirect("clues:detail", pk=clue.pk)


urlpatterns = [
    path("fieldwork/team/<int:team_pk>/records/", records, name="records"),
    path("fieldwork/team/<int:team_pk>/records/new/", record_new, name="record_new"),
    path("fieldwork/record/<int:pk>/", record, name="record"),
    path("fieldwork/record/<int:pk>/edit/", record_edit, name="record_edit"),
    path("fieldwork/record/<int:pk>/scan/", record_scan, name="record_scan"),
    path("fieldwork/record/<int:pk>/suggest/", record_suggest, name="record_suggest"),
    path("fieldwork/record/<int:pk>/evidence/", record_evidence, name="record_evidence"),
    path("fieldwork/record/<int:pk>/clue/", record_clue, name="record_clue"),
    *paper_views.urlpatterns,
    *interference_views.urlpatterns,
]
