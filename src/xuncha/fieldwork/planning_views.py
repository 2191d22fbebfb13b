"""Pages of interview planning (tab "interviewees"): the list of people to talk to with the
reasons, the must-list generator and the staff sample, one interviewee with their outline
and what changed in it, the outline as a Word document, interviewer conflicts, and the
office's question bank."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xuncha.core import policy
from xuncha.core.forms import form_errors
from xuncha.core.tables import download, xlsx_bytes
from xuncha.core.views import AuthedRequest
from xuncha.fieldwork import common, permissions
from xuncha.fieldwork import planning_services as ps
from xuncha.fieldwork.lib import outlines as lo
from xuncha.fieldwork.lib import question_bank as qb
from xuncha.fieldwork.models import Interviewee, IntervieweeRole, Question, SampleDraw
from xuncha.fieldwork.planning_forms import (
    AddForm,
    EditForm,
    FilterForm,
    GenerateForm,
    QuestionFilterForm,
    QuestionForm,
    SampleForm,
    focus_area_name,
)
from xuncha.rounds.models import Team

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _can_change(user: Any, team: Team) -> bool:
    return policy.allows(user, permissions.FIELDWORK_CHANGE, team)


def _zh() -> bool:
    return not (translation.get_language() or "").startswith("en")


def _rows(qs: Any) -> list[dict[str, Any]]:
    return [
        {"iv": iv, "reasons": [ps.render(r) for r in iv.reasons or []]}
        for iv in qs.select_related("target")
    ]


def _list_queryset(team: Team) -> Any:
    return Interviewee.objects.filter(team=team).order_by("target__path", "id")


def _draws(team: Team) -> list[dict[str, Any]]:
    draws = SampleDraw.objects.filter(team=team).select_related("target", "drawn_by")[:20]
    return [
        {
            "draw": d,
            "strata": [
                {
                    "department": s.get("department") or _("the unit itself"),
                    "pool": s.get("pool"),
                    "drawn": s.get("drawn"),
                }
                for s in d.strata or []
            ],
        }
        for d in draws
    ]


@require_GET
def interviewees(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk)
    filters = FilterForm(request.GET or None, team=team)
    qs = filters.apply(_list_queryset(team))
    context: dict[str, Any] = {
        "team": team,
        "tabs": common.tabs(team, "interviewees"),
        "filters": filters,
        "rows": _rows(qs),
        "export_url": reverse("fieldwork:interviewees_export", args=[team.pk])
        + ("?" + request.GET.urlencode() if request.GET else ""),
    }
    if request.headers.get("HX-Request"):
        return render(request, "fieldwork/planning/_table.html", context)
    can_change = _can_change(request.user, team)
    context |= {
        "can_change": can_change,
        "draws": _draws(team),
        "unseen": Interviewee.objects.filter(team=team, changes_seen=False).count(),
    }
    if can_change:
        context |= {
            "generate_form": GenerateForm(team=team),
            "sample_form": SampleForm(team=team),
        }
    return render(request, "fieldwork/planning/interviewees.html", context)


@require_GET
def interviewees_export(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk)
    filters = FilterForm(request.GET or None, team=team)
    rows = _rows(filters.apply(_list_queryset(team)))
    header = [
        _("Target"),
        _("Name"),
        _("Post"),
        _("Department"),
        _("Role"),
        _("Source"),
        _("Status"),
        _("Reasons"),
        _("Length (minutes)"),
        _("Priority"),
    ]
    data = [
        [
            r["iv"].target.name,
            r["iv"].name,
            r["iv"].post,
            r["iv"].department,
            r["iv"].get_role_display(),
            r["iv"].get_source_display(),
            r["iv"].get_status_display(),
            "; ".join(r["reasons"]),
            r["iv"].minutes,
            r["iv"].priority,
        ]
        for r in rows
    ]
    ps.list_exported(actor=request.user, team=team, what="interviewees", count=len(data))
    body = xlsx_bytes([(_("People to talk to"), header, data)])
    stamp = timezone.localdate().isoformat()
    return download(body, XLSX, f"interviewees-{team.pk}-{stamp}.xlsx")


@require_POST
def interviewees_generate(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk, permissions.FIELDWORK_CHANGE)
    form = GenerateForm(request.POST, team=team)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("fieldwork:interviewees", team.pk)
    try:
        result = ps.generate_list(
            actor=request.user,
            team=team,
            target=form.cleaned_data["target"],
            retired_within_years=form.cleaned_data["retired_within_years"],
            key_posts=form.cleaned_data["key_posts"],
        )
    except ValidationError as exc:
        common.refused(request, exc)
        return redirect("fieldwork:interviewees", team.pk)
    messages.success(
        request,
        _(
            "Must-interview list of %(target)s: %(created)s added, %(updated)s updated, "
            "%(removed)s removed, %(kept)s kept as the team left them."
        )
        % {
            "target": form.cleaned_data["target"].name,
            "created": result.created,
            "updated": result.updated,
            "removed": result.removed,
            "kept": result.kept,
        },
    )
    return redirect("fieldwork:interviewees", team.pk)


@require_POST
def interviewees_sample(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk, permissions.FIELDWORK_CHANGE)
    form = SampleForm(request.POST, team=team)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("fieldwork:interviewees", team.pk)
    try:
        draw = ps.draw_sample(
            actor=request.user,
            team=team,
            target=form.cleaned_data["target"],
            size=form.cleaned_data["size"],
            seed=form.cleaned_data["seed"],
        )
    except ValidationError as exc:
        common.refused(request, exc)
        return redirect("fieldwork:interviewees", team.pk)
    messages.success(
        request,
        _("%(size)s staff drawn at random (seed %(seed)s).")
        % {"size": draw.size, "seed": draw.seed},
    )
    return redirect(reverse("fieldwork:interviewees", args=[team.pk]) + "#draws")


@require_http_methods(["GET", "POST"])
def interviewee_add(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk, permissions.FIELDWORK_CHANGE)
    form = AddForm(request.POST or None, team=team)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            iv = ps.add_interviewee(
                actor=request.user,
                team=team,
                target=data["target"],
                person=data.get("person"),
                name=data.get("name") or "",
                post=data.get("post") or "",
                role=data.get("role") or None,
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Added to the list: %(name)s.") % {"name": iv.name})
            return redirect("fieldwork:interviewee", iv.pk)
    return render(
        request,
        "fieldwork/planning/add.html",
        {"team": team, "tabs": common.tabs(team, "interviewees"), "form": form},
    )


def _interviewee(request: AuthedRequest, pk: int, action: str) -> Interviewee:
    return common.object_or_404(
        request.user,
        Interviewee.objects.select_related("team__round__committee", "target", "person"),
        pk,
        action,
    )


def _question_context(q: lo.OutlineQuestion, numbers: dict[int, str]) -> dict[str, Any]:
    return {
        "q": q,
        "text": q.text_zh if _zh() else q.text_en,
        "other": q.text_en if _zh() else q.text_zh,
        "origin": ps.render(q.origin().to_json()),
        "number": numbers.get(q.item_id or 0, ""),
        "item_url": reverse("clues:detail", args=[q.item_id]) if q.item_id else "",
    }


def _outline_context(iv: Interviewee) -> dict[str, Any]:
    outline = ps.stored_outline(iv)
    if outline is None:
        return {"outline": None}
    from xuncha.clues.models import Record

    ids = [q.item_id for q in outline.from_items if q.item_id]
    numbers = dict(Record.objects.filter(pk__in=ids).values_list("pk", "number")) if ids else {}
    return {
        "outline": outline,
        "sections": [
            {
                "area": s.focus_area,
                "name": focus_area_name(s.focus_area),
                "questions": [_question_context(q, numbers) for q in s.questions],
            }
            for s in outline.sections
        ],
        "items": [_question_context(q, numbers) for q in outline.from_items],
    }


@require_GET
def interviewee(request: AuthedRequest, pk: int) -> HttpResponseBase:
    iv = _interviewee(request, pk, permissions.FIELDWORK_VIEW)
    team = iv.team
    can_change = _can_change(request.user, team)
    context: dict[str, Any] = {
        "team": team,
        "tabs": common.tabs(team, "interviewees"),
        "iv": iv,
        "reasons": [ps.render(r) for r in iv.reasons or []],
        "changes": [ps.render(c) for c in iv.outline_changes or []],
        "can_change": can_change,
        "edit_form": EditForm.for_interviewee(iv) if can_change else None,
        **_outline_context(iv),
    }
    return render(request, "fieldwork/planning/interviewee.html", context)


@require_POST
def interviewee_seen(request: AuthedRequest, pk: int) -> HttpResponseBase:
    iv = _interviewee(request, pk, permissions.FIELDWORK_CHANGE)
    ps.mark_seen(actor=request.user, interviewee=iv)
    return redirect("fieldwork:interviewee", iv.pk)


@require_POST
def interviewee_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    iv = _interviewee(request, pk, permissions.FIELDWORK_CHANGE)
    form = EditForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("fieldwork:interviewee", iv.pk)
    data = form.cleaned_data
    try:
        ps.interviewee_update(
            actor=request.user,
            interviewee=iv,
            role=data["role"],
            group=data["group"],
            minutes=data["minutes"],
            priority=data["priority"],
            unavailable=data["unavailable"],
            status=(data["status"] or None) if iv.status != Interviewee.Status.HELD else None,
        )
    except ValidationError as exc:
        common.refused(request, exc)
    else:
        messages.success(request, _("Saved."))
    return redirect("fieldwork:interviewee", iv.pk)


@require_GET
def outline_docx(request: AuthedRequest, pk: int) -> HttpResponseBase:
    iv = _interviewee(request, pk, permissions.FIELDWORK_VIEW)
    outline = ps.stored_outline(iv) or ps.outline_for(iv)
    body = _docx(iv, outline)
    ps.list_exported(actor=request.user, team=iv.team, what="outline", count=1)
    return download(body, DOCX, f"outline-{iv.pk}.docx")


def _docx(iv: Interviewee, outline: lo.Outline) -> bytes:
    from docx.shared import Pt

    from xuncha.rounds import documents as d

    def heading(text: str) -> None:
        paragraph = doc.add_paragraph()
        paragraph.paragraph_format.first_line_indent = Pt(32)
        paragraph.paragraph_format.keep_with_next = True
        d.styled_run(paragraph, text, d.HEADING_FONT, d.BODY_SIZE)

    def body(text: str) -> None:
        paragraph = doc.add_paragraph(text)
        paragraph.paragraph_format.first_line_indent = Pt(32)

    doc = d.new_document()
    d.title(doc, "谈话提纲")
    with translation.override("zh-hans"):
        role = str(IntervieweeRole(iv.role).label)
    for label, value in (
        ("谈话对象", iv.name),
        ("职务", iv.post or "—"),
        ("单位", iv.target.name),
        ("类别", role),
    ):
        paragraph = doc.add_paragraph()
        d.styled_run(paragraph, f"{label}：", d.HEADING_FONT, d.BODY_SIZE)
        d.styled_run(paragraph, value, d.BODY_FONT, d.BODY_SIZE)
    numbers = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"]
    n = 0
    for s in outline.sections:
        area = qb.FOCUS_AREA_NAMES_ZH.get(s.focus_area, s.focus_area)
        heading(f"{numbers[min(n, len(numbers) - 1)]}、{area}")
        n += 1
        for i, q in enumerate(s.questions, 1):
            body(f"{i}. {q.text_zh}")
    if outline.from_items:
        heading(f"{numbers[min(n, len(numbers) - 1)]}、针对问题和线索的提问")
        for i, q in enumerate(outline.from_items, 1):
            kind = "线索" if q.item_kind == lo.ITEM_CLUE else "问题"
            body(f"{i}. {q.text_zh}（来源：{kind} #{q.item_id}）")
    return d.to_bytes(doc)


@require_GET
def conflicts(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk)
    check = ps.conflicts(team)
    listed = {
        pid: (pk, name)
        for pid, pk, name in Interviewee.objects.filter(team=team, person__isnull=False)
        .values_list("person_id", "pk", "name")
        .order_by("id")
        if pid is not None
    }
    members = {s.person.pk: s.person.name for s in common.seats(team)}
    excluded = [
        {
            "pair": pair,
            "interviewer": members.get(pair.interviewer_id, ""),
            "interviewee": listed.get(pair.interviewee_id, (None, ""))[1],
            "interviewee_pk": listed.get(pair.interviewee_id, (None, ""))[0],
            "rules": [_(ps.RULE_LABELS.get(r, r)) for r in pair.rules],
            "evidence": [ps.render(t.to_json()) for t in pair.evidence],
        }
        for pair in check.excluded
    ]
    short = [
        {"interviewee_pk": listed.get(pid, (None, ""))[0], "text": ps.render(t.to_json())}
        for pid, t in check.short
    ]
    return render(
        request,
        "fieldwork/planning/conflicts.html",
        {
            "team": team,
            "tabs": common.tabs(team, "interviewees"),
            "excluded": excluded,
            "short": short,
            "allowed": len(check.allowed),
        },
    )


# -- the question bank -----------------------------------------------------------------------


def _require_settings(request: AuthedRequest) -> None:
    policy.require(request.user, permissions.FIELDWORK_SETTINGS)


@require_GET
def questions(request: AuthedRequest) -> HttpResponseBase:
    _require_settings(request)
    filters = QuestionFilterForm(request.GET or None)
    qs = Question.objects.order_by("focus_area", "code")
    area = role = ""
    if filters.is_valid():
        area = filters.cleaned_data.get("area") or ""
        role = filters.cleaned_data.get("role") or ""
        if not filters.cleaned_data.get("inactive"):
            qs = qs.filter(is_active=True)
    else:
        qs = qs.filter(is_active=True)
    if area:
        qs = qs.filter(focus_area=area)
    rows = [q for q in qs if not role or role in (q.roles or [])]
    role_names = dict(IntervieweeRole.choices)
    return render(
        request,
        "fieldwork/settings/questions.html",
        {
            "filters": filters,
            "rows": [
                {
                    "q": q,
                    "area": focus_area_name(q.focus_area),
                    "roles": [role_names.get(r, r) for r in q.roles or []],
                    "text": q.text_zh if _zh() else q.text_en,
                }
                for q in rows
            ],
        },
    )


def _save_question(request: AuthedRequest, form: QuestionForm, question: Question | None) -> bool:
    if not form.is_valid():
        return False
    data = form.cleaned_data
    try:
        ps.question_save(
            actor=request.user,
            question=question,
            code=data["code"],
            focus_area=data["focus_area"],
            roles=data["roles"],
            profiles=data["profiles"],
            text_zh=data["text_zh"],
            text_en=data["text_en"],
            is_active=data["is_active"],
        )
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return False
    return True


@require_http_methods(["GET", "POST"])
def question_new(request: AuthedRequest) -> HttpResponseBase:
    _require_settings(request)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and _save_question(request, form, None):
        messages.success(request, _("Question added to the bank."))
        return redirect("fieldwork:questions")
    return render(
        request, "fieldwork/settings/questions_form.html", {"form": form, "question": None}
    )


@require_http_methods(["GET", "POST"])
def question_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require_settings(request)
    question = get_object_or_404(Question, pk=pk)
    if request.method == "POST" and "active" in request.POST:
        ps.question_set_active(
            actor=request.user, question=question, active=request.POST["active"] == "1"
        )
        messages.success(request, _("Saved."))
        return redirect("fieldwork:questions")
    if request.method == "POST":
        form = QuestionForm(request.POST, initial={"code": question.code}, editing=True)
        if _save_question(request, form, question):
            messages.success(request, _("Saved."))
            return redirect("fieldwork:questions")
    else:
        form = QuestionForm.for_question(question)
    return render(
        request, "fieldwork/settings/questions_form.html", {"form": form, "question": question}
    )


urlpatterns = [
    path("fieldwork/team/<int:team_pk>/interviewees/", interviewees, name="interviewees"),
    path(
        "fieldwork/team/<int:team_pk>/interviewees/export.xlsx",
        interviewees_export,
        name="interviewees_export",
    ),
    path(
        "fieldwork/team/<int:team_pk>/interviewees/generate/",
        interviewees_generate,
        name="interviewees_generate",
    ),
    path(
        "fieldwork/team/<int:team_pk>/interviewees/sample/",
        interviewees_sample,
        name="interviewees_sample",
    ),
    path("fieldwork/team/<int:team_pk>/interviewees/add/", interviewee_add, name="interviewee_add"),
    path("fieldwork/team/<int:team_pk>/conflicts/", conflicts, name="conflicts"),
    path("fieldwork/interviewee/<int:pk>/", interviewee, name="interviewee"),
    path("fieldwork/interviewee/<int:pk>/seen/", interviewee_seen, name="interviewee_seen"),
    path("fieldwork/interviewee/<int:pk>/edit/", interviewee_edit, name="interviewee_edit"),
    path("fieldwork/interviewee/<int:pk>/outline.docx", outline_docx, name="outline_docx"),
    path("fieldwork/settings/questions/", questions, name="questions"),
    path("fieldwork/settings/questions/new/", question_new, name="question_new"),
    path("fieldwork/settings/questions/<int:pk>/", question_edit, name="question_edit"),
]
