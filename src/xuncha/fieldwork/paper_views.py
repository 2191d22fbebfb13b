"""Working papers (底稿): the team's list, writing and changing one, submitting it for
sign-off, signing it off or returning it (leader, deputies, office), and the team's list of
problems for the report, built from the signed-off papers (page, docx, xlsx)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xuncha.core import policy
from xuncha.core.forms import form_errors
from xuncha.core.tables import XLSX_CONTENT_TYPE, download, xlsx_bytes
from xuncha.core.views import AuthedRequest
from xuncha.fieldwork import common, permissions
from xuncha.fieldwork import record_services as services
from xuncha.fieldwork.models import WorkingPaper
from xuncha.fieldwork.record_forms import PaperForm, ReturnForm
from xuncha.rounds.models import Team

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _problems(request: AuthedRequest, team: Team) -> Any:
    """Problems and clues of the round the user may see, for the paper's problem field."""
    from xuncha.clues import permissions as clue_permissions
    from xuncha.clues.models import Record

    return policy.scope(
        request.user,
        clue_permissions.CLUE_VIEW,
        Record.objects.filter(round=team.round_id, merged_into__isnull=True),
    ).order_by("number")


def _paper(request: AuthedRequest, pk: int, action: str = permissions.FIELDWORK_VIEW) -> Any:
    return common.object_or_404(
        request.user,
        WorkingPaper.objects.select_related(
            "team__round__committee", "target", "problem", "created_by__person", "signed_by__person"
        ),
        pk,
        action,
    )


@require_GET
def papers(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk)
    qs = policy.scope(
        request.user,
        permissions.FIELDWORK_VIEW,
        WorkingPaper.objects.filter(team=team).select_related("target", "created_by__person"),
    )
    status = request.GET.get("status", "")
    if status in WorkingPaper.Status.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "fieldwork/papers/list.html",
        {
            "team": team,
            "tabs": common.tabs(team, "papers"),
            "papers": list(qs.order_by("target__path", "-updated_at", "-pk")),
            "statuses": WorkingPaper.Status.choices,
            "status": status,
            "can_change": policy.allows(request.user, permissions.FIELDWORK_CHANGE, team),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def paper_new(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk, permissions.FIELDWORK_CHANGE)
    initial: dict[str, Any] = {}
    if team.targets.count() == 1:
        initial["target"] = team.targets.get().pk
    form = PaperForm(
        request.POST or None, team=team, problems=_problems(request, team), initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            paper = services.paper_create(actor=request.user, team=team, **form.service_kwargs())
        except ValidationError as exc:
            common.errors_to_form(form, exc)
        else:
            messages.success(request, _("Working paper saved as a draft."))
            return redirect("fieldwork:paper", paper.pk)
    return render(
        request,
        "fieldwork/papers/form.html",
        {"team": team, "tabs": common.tabs(team, "papers"), "form": form},
    )


def _problem_evidence(request: AuthedRequest, paper: WorkingPaper) -> list[Any]:
    """The evidence links of the paper's problem (if the user may see the problem)."""
    from xuncha.clues import evidence as evidence_registry
    from xuncha.clues import permissions as clue_permissions
    from xuncha.clues.models import Record

    if paper.problem_id is None:
        return []
    problem = (
        policy.scope(request.user, clue_permissions.CLUE_VIEW, Record.objects.all())
        .filter(pk=paper.problem_id)
        .first()
    )
    if problem is None:
        return []
    return [(link, evidence_registry.show(link)) for link in problem.evidence.all()]


@require_GET
def paper(request: AuthedRequest, pk: int) -> HttpResponseBase:
    item = _paper(request, pk)
    team = item.team
    user = request.user
    can_change = policy.allows(user, permissions.FIELDWORK_CHANGE, item)
    can_lead = permissions.may_lead(user, team)
    submitted = item.status == WorkingPaper.Status.SUBMITTED
    return render(
        request,
        "fieldwork/papers/detail.html",
        {
            "team": team,
            "tabs": common.tabs(team, "papers"),
            "paper": item,
            "activities": list(item.activities.select_related("method")),
            "records": list(item.records.all()),
            "problem_evidence": _problem_evidence(request, item),
            "editable": can_change and item.status in services.EDITABLE,
            "can_sign": can_lead and submitted and services.may_sign(user, item),
            "own_paper": can_lead and submitted and not services.may_sign(user, item),
            "can_return": can_lead and submitted,
            "return_form": ReturnForm() if can_lead and submitted else None,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def paper_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    item = _paper(request, pk, permissions.FIELDWORK_CHANGE)
    team = item.team
    if item.status not in services.EDITABLE:
        messages.error(request, _("Only a draft or a returned paper can be changed."))
        return redirect("fieldwork:paper", item.pk)
    form = PaperForm(
        request.POST or None,
        team=team,
        problems=_problems(request, team),
        initial=PaperForm.initial_from(item),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.paper_update(actor=request.user, paper=item, **form.service_kwargs())
        except ValidationError as exc:
            common.errors_to_form(form, exc)
        else:
            messages.success(request, _("Working paper saved."))
            return redirect("fieldwork:paper", item.pk)
    return render(
        request,
        "fieldwork/papers/form.html",
        {"team": team, "tabs": common.tabs(team, "papers"), "form": form, "paper": item},
    )


def _act(request: AuthedRequest, pk: int, action: str, done: str, call: Any) -> HttpResponseBase:
    item = _paper(request, pk, action)
    try:
        call(item)
    except ValidationError as exc:
        common.refused(request, exc)
    else:
        messages.success(request, done)
    return redirect("fieldwork:paper", item.pk)


@require_POST
def paper_submit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    return _act(
        request,
        pk,
        permissions.FIELDWORK_CHANGE,
        _("Submitted for sign-off; the leader and the deputies were told."),
        lambda p: services.paper_submit(actor=request.user, paper=p),
    )


@require_POST
def paper_sign(request: AuthedRequest, pk: int) -> HttpResponseBase:
    return _act(
        request,
        pk,
        permissions.FIELDWORK_LEAD,
        _("Working paper signed off."),
        lambda p: services.paper_sign(actor=request.user, paper=p),
    )


@require_POST
def paper_return(request: AuthedRequest, pk: int) -> HttpResponseBase:
    form = ReturnForm(request.POST)
    if not form.is_valid():
        _paper(request, pk, permissions.FIELDWORK_LEAD)
        messages.error(request, form_errors(form))
        return redirect("fieldwork:paper", pk)
    return _act(
        request,
        pk,
        permissions.FIELDWORK_LEAD,
        _("Working paper returned for changes."),
        lambda p: services.paper_return(
            actor=request.user, paper=p, reason=form.cleaned_data["reason"]
        ),
    )


# -- the list of problems for the report ----------------------------------------------------


@require_GET
def papers_report(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk)
    groups = services.papers_report(team)
    return render(
        request,
        "fieldwork/papers/report.html",
        {
            "team": team,
            "tabs": common.tabs(team, "papers"),
            "groups": groups,
            "count": sum(len(g.papers) for g in groups),
        },
    )


def _evidence_line(paper: WorkingPaper) -> str:
    parts = [
        f"{timezone.localtime(r.held_at):%Y-%m-%d} {r.interviewee_name}"
        for r in paper.records.all()
    ]
    parts += [f"{a.date:%Y-%m-%d} {a.title}" for a in paper.activities.all()]
    if paper.other_evidence:
        parts.append(paper.other_evidence.replace("\n", "；"))
    return "；".join(parts)


def _signed(paper: WorkingPaper) -> str:
    who = paper.signed_by.display_name() if paper.signed_by else ""
    when = f"{timezone.localtime(paper.signed_at):%Y-%m-%d}" if paper.signed_at else ""
    return f"{who} {when}".strip()


@require_GET
def papers_report_xlsx(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk)
    groups = services.papers_report(team)
    rows = []
    number = 0
    for group in groups:
        for item in group.papers:
            number += 1
            rows.append(
                [
                    number,
                    group.target.name,
                    item.title,
                    item.problem.number if item.problem else "",
                    item.facts,
                    _evidence_line(item),
                    _signed(item),
                ]
            )
    header = [
        _("No."),
        _("Target"),
        _("Problem"),
        _("Problem or clue number"),
        _("Statement of fact"),
        _("Evidence"),
        _("Signed off"),
    ]
    data = xlsx_bytes([(_("Problems"), header, rows)])
    services.exported(actor=request.user, team=team, what="papers_report", fmt="xlsx", count=number)
    return download(data, XLSX_CONTENT_TYPE, f"problems-{team.pk}.xlsx")


@require_GET
def papers_report_docx(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    """The list as a Word draft in Chinese (as the round's other documents)."""
    from docx.shared import Pt

    from xuncha.rounds import documents

    team = common.team_or_404(request.user, team_pk)
    groups = services.papers_report(team)
    indent = Pt(32)  # two characters of 三号
    doc = documents.new_document()
    documents.title(doc, f"{team.round.name}{team.name}问题清单")
    number = 0
    for group in groups:
        heading = doc.add_paragraph()
        heading.paragraph_format.keep_with_next = True
        documents.styled_run(
            heading, group.target.name, documents.HEADING_FONT, documents.BODY_SIZE
        )
        for item in group.papers:
            number += 1
            line = doc.add_paragraph()
            line.paragraph_format.first_line_indent = indent
            line.paragraph_format.keep_with_next = True
            documents.styled_run(
                line, f"{number}. {item.title}", documents.BODY_FONT, documents.BODY_SIZE, True
            )
            for text in item.facts.splitlines():
                if text.strip():
                    doc.add_paragraph(text.strip()).paragraph_format.first_line_indent = indent
            evidence = _evidence_line(item)
            if evidence:
                doc.add_paragraph(f"证据：{evidence}").paragraph_format.first_line_indent = indent
            doc.add_paragraph(f"签批：{_signed(item)}").paragraph_format.first_line_indent = indent
    if number == 0:
        doc.add_paragraph("尚无签批的底稿。")
    data = documents.to_bytes(doc)
    services.exported(actor=request.user, team=team, what="papers_report", fmt="docx", count=number)
    return download(data, DOCX_CONTENT_TYPE, f"problems-{team.pk}.docx")


urlpatterns = [
    path("fieldwork/team/<int:team_pk>/papers/", papers, name="papers"),
    path("fieldwork/team/<int:team_pk>/papers/new/", paper_new, name="paper_new"),
    path("fieldwork/team/<int:team_pk>/papers/report/", papers_report, name="papers_report"),
    path(
        "fieldwork/team/<int:team_pk>/papers/report/docx/",
        papers_report_docx,
        name="papers_report_docx",
    ),
    path(
        "fieldwork/team/<int:team_pk>/papers/report/xlsx/",
        papers_report_xlsx,
        name="papers_report_xlsx",
    ),
    path("fieldwork/paper/<int:pk>/", paper, name="paper"),
    path("fieldwork/paper/<int:pk>/edit/", paper_edit, name="paper_edit"),
    path("fieldwork/paper/<int:pk>/submit/", paper_submit, name="paper_submit"),
    path("fieldwork/paper/<int:pk>/sign/", paper_sign, name="paper_sign"),
    path("fieldwork/paper/<int:pk>/return/", paper_return, name="paper_return"),
]
