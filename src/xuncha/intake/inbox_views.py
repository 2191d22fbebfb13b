"""The staff inbox: the channels a user works, a team's inbox (filters, sorting, htmx,
previews, xlsx export), a report's page (content, attachments, the receipt thread, the
identity on request, classification, forwarding, duplicates, turning it into a problem or
clue, closing) and the entry of letters, calls and visits.

Reports are fetched from scoped querysets (someone else's report is a 404); changes go
through ``workflow`` and ``services``, which check the policy and write the audit events.
Pages that show decrypted content are never cached.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from xuncha.core import policy
from xuncha.core.tables import Column, Table
from xuncha.core.views import AuthedRequest
from xuncha.intake import keyring, permissions, selectors, services, talks, workflow
from xuncha.intake.inbox_forms import (
    DAYS,
    MODES,
    PLACE_KINDS,
    TIMES,
    AddToRecordForm,
    ClassifyForm,
    CloseForm,
    ConvertForm,
    DuplicateForm,
    EntryForm,
    ForwardForm,
    InboxFilterForm,
    ReplyForm,
)
from xuncha.intake.lib import receipts
from xuncha.intake.models import CLOSED_STATUSES, Attachment, Channel, Kind, Report, Status
from xuncha.rounds.models import Team


def _received(report: Report) -> str:
    return timezone.localtime(report.received_at).strftime("%Y-%m-%d %H:00")


COLUMNS = [
    Column(
        "label",
        gettext_lazy("Number"),
        lambda r: r.label,
        sort="number",
        link=lambda r: reverse("intake:report", args=[r.pk]),
        css="text-nowrap",
    ),
    Column("kind", gettext_lazy("Kind"), lambda r: r.get_kind_display(), sort="kind"),
    Column("source", gettext_lazy("Received by"), lambda r: r.get_source_display(), sort="source"),
    Column(
        "category", gettext_lazy("Category"), lambda r: r.get_category_display(), sort="category"
    ),
    Column(
        "received",
        pgettext_lazy("arrival time", "Received"),
        _received,
        sort="received_at",
        css="text-nowrap",
    ),
    Column("status", gettext_lazy("Status"), lambda r: r.get_status_display(), sort="status"),
    Column(
        "discipline",
        gettext_lazy("Discipline"),
        lambda r: r.get_discipline_display(),
        sort="discipline",
    ),
    Column("topics", gettext_lazy("Topics"), lambda r: "、".join(t.name for t in r.topics.all())),
    Column(
        "assigned",
        gettext_lazy("Assigned to"),
        lambda r: r.assigned_to.display_name() if r.assigned_to else "",
        sort="assigned_to__username",
    ),
    Column("named", gettext_lazy("Named"), lambda r: _("Named") if r.named else "", sort="named"),
    Column(
        "unread",
        gettext_lazy("Unread"),
        lambda r: _("Unread") if r.unread_by_team else "",
        sort="unread_by_team",
    ),
]


# Columns left out on a phone (the table scrolls sideways for the rest).
NARROW_HIDDEN = ["source", "category", "discipline", "topics", "assigned"]


def _report(request: AuthedRequest, pk: int) -> Report:
    policy.require(request.user, permissions.INTAKE_VIEW)
    return get_object_or_404(selectors.reports_for(request.user), pk=pk)


def _team(request: AuthedRequest, team_pk: int, action: str = permissions.INTAKE_VIEW) -> Team:
    policy.require(request.user, action)
    return get_object_or_404(selectors.team_for(request.user, action, team_pk))


def _errors(request: AuthedRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _is_htmx(request: AuthedRequest) -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )


def _locked(request: AuthedRequest, report: Report | None, reason: str = "locked") -> HttpResponse:
    """The key is not unlocked in this session (or the report is not shared with the
    user yet): say what to do, show no content."""
    template = "intake/inbox/_locked.html" if _is_htmx(request) else "intake/inbox/locked.html"
    return render(request, template, {"report": report, "reason": reason})


# --- the channels and a team's inbox -------------------------------------------------------


@require_GET
def index(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, permissions.INTAKE_VIEW)
    channels = list(selectors.channels_for(request.user))
    allowed = selectors.channel_settings_allowed(request.user, channels)
    return render(
        request,
        "intake/inbox/index.html",
        {
            "channels": [(c, c.pk in allowed) for c in channels],
            "to_set_up": list(selectors.teams_without_channel(request.user)[:50]),
            "unlocked": keyring.private_key(request) is not None,
        },
    )


def _filtered(request: AuthedRequest, team: Team) -> tuple[InboxFilterForm, dict[str, Any], Any]:
    form = InboxFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v not in (None, "", False)}
    qs = selectors.reports_for(request.user).filter(channel__team=team)
    return form, filters, selectors.filter_reports(qs, filters, request.user)


@never_cache
@vary_on_headers("HX-Request")
@require_GET
def inbox(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = _team(request, team_pk)
    channel = Channel.objects.filter(team=team).first()
    form, _filters, qs = _filtered(request, team)
    table = Table(request, qs, COLUMNS, default_sort="-received")
    context = table.context()
    reports = [row.obj for row in context["rows"]]
    private_key = keyring.private_key(request)
    previews = (
        workflow.previews(actor=request.user, reports=reports, private_key=private_key)
        if private_key is not None
        else {}
    )
    context.update(
        {
            "team": team,
            "channel": channel,
            "filter_form": form,
            "unlocked": private_key is not None,
            "header_cells": list(zip([c.key for c in COLUMNS], context["headers"], strict=True)),
            "cells": [
                (
                    row.obj,
                    {c.key: cell for c, cell in zip(COLUMNS, row.cells, strict=True)},
                    previews.get(row.obj.pk, ""),
                )
                for row in context["rows"]
            ],
            "narrow_hidden": NARROW_HIDDEN,
            "phone_sorts": ["label", "received", "status"],
            "xlsx_url": reverse("intake:export", args=[team.pk]) + table.export_url("xlsx"),
            "can_enter": channel is not None
            and policy.allows(request.user, permissions.INTAKE_CHANGE, team),
            "can_set_up": policy.allows(request.user, permissions.INTAKE_CHANNEL, team),
        }
    )
    template = "intake/inbox/_table.html" if _is_htmx(request) else "intake/inbox/inbox.html"
    return render(request, template, context)


@never_cache
@require_GET
def export(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = _team(request, team_pk)
    _form, filters, qs = _filtered(request, team)
    table = Table(request, qs, COLUMNS, default_sort="-received")
    workflow.exported(
        actor=request.user,
        team=team,
        count=qs.count(),
        filters={k: str(getattr(v, "pk", v)) for k, v in filters.items()},
    )
    return table.export_xlsx(f"public-reports-{team.pk}", _("Public reports"))


# --- staff entry ---------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def enter(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = _team(request, team_pk, permissions.INTAKE_CHANGE)
    channel = Channel.objects.filter(team=team).first()
    if channel is None:
        messages.error(request, _("Set up the team's public channel first."))
        return redirect("intake:index")
    form = EntryForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            report, receipt = services.submit(
                channel=channel,
                submission=services.Submission(
                    kind=data["kind"],
                    category=data["category"],
                    content=form.content(),
                    identity=form.identity(),
                    files=form.uploads(),
                ),
                source=data["source"],
                actor=request.user,
                with_receipt=data["with_receipt"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            if receipt:
                # Shown once, on this response; never stored.
                return render(
                    request,
                    "intake/inbox/entered.html",
                    {"report": report, "receipt": receipts.grouped(receipt), "team": team},
                )
            messages.success(request, _("%(label)s entered.") % {"label": report.label})
            return redirect("intake:report", pk=report.pk)
    return render(request, "intake/inbox/enter.html", {"form": form, "team": team})


# --- a report ------------------------------------------------------------------------------


def _talk_panel(request: AuthedRequest, report: Report) -> dict[str, Any] | None:
    if report.kind != Kind.TALK:
        return None
    panel: dict[str, Any] = talks.panel_context(request.user, report)
    return panel


def _content_fields(report: Report, content: dict[str, Any]) -> list[tuple[Any, str, bool]]:
    """(label, value, long text?) of the report's content, talk preferences in words."""

    def text(key: str) -> str:
        return str(content.get(key) or "").strip()

    if report.kind != Kind.TALK:
        return [
            (_("About whom"), text("about"), False),
            (_("Which organisation"), text("organisation"), False),
            (_("What happened"), text("what"), True),
            (_("When"), text("when"), False),
        ]
    modes, days, times, places = (dict(c) for c in (MODES, DAYS, TIMES, PLACE_KINDS))
    chosen_days = [str(days[d]) for d in content.get("days") or [] if d in days]
    chosen_times = [str(times[t]) for t in content.get("times") or [] if t in times]
    return [
        (_("How"), str(modes.get(text("mode"), text("mode"))), False),
        (_("Preferred days"), "、".join(chosen_days) or _("Any day"), False),
        (_("Preferred times"), "、".join(chosen_times) or _("Any time"), False),
        (_("Where"), str(places.get(text("place_kind"), text("place_kind"))), False),
        (pgettext("talk", "Topic"), text("topic"), True),
    ]


def _detail_context(
    request: AuthedRequest, report: Report, opened: services.Opened
) -> dict[str, Any]:
    from xuncha.clues import permissions as clue_permissions

    user = request.user
    team = report.channel.team
    can_change = policy.allows(user, permissions.INTAKE_CHANGE, report)
    is_open = report.status not in CLOSED_STATUSES
    convertible = can_change and report.status != Status.DUPLICATE
    records = selectors.record_candidates(user, report) if convertible else None
    can_convert = convertible and bool(
        clue_permissions.recordable_targets(user, team.round, team.targets.all())
    )
    originals = (
        selectors.reports_for(user)
        .filter(channel_id=report.channel_id)
        .exclude(pk=report.pk)
        .exclude(status=Status.DUPLICATE)
    )
    return {
        "report": report,
        "team": team,
        "fields": _content_fields(report, opened.content),
        "thread": opened.messages,
        "attachments": opened.attachments,
        "may_identity": report.named and permissions.may_read_identity(user, report),
        "can_change": can_change,
        "is_open": is_open,
        "reply_form": ReplyForm() if can_change and report.receipt_digest else None,
        "classify_form": ClassifyForm.for_report(report) if can_change else None,
        "forward_form": ForwardForm(user=user, team=team) if can_change and is_open else None,
        "close_form": CloseForm() if can_change and is_open else None,
        "duplicate_form": DuplicateForm(candidates=originals) if can_change and is_open else None,
        "add_form": AddToRecordForm(records=records)
        if records is not None and records.exists()
        else None,
        "can_convert": can_convert,
        "duplicates": list(report.duplicates.all()),
        "records": selectors.records_from(user, report),
        "closing_note": selectors.closing_note(report),
        "talk_panel": _talk_panel(request, report),
    }


@never_cache
@require_GET
def detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    report = _report(request, pk)
    private_key = keyring.private_key(request)
    if private_key is None:
        return _locked(request, report)
    if not report.keys.filter(user=request.user).exists():
        return _locked(request, report, "not_shared")
    opened = services.report_read(actor=request.user, report=report, private_key=private_key)
    return render(request, "intake/inbox/detail.html", _detail_context(request, report, opened))


@never_cache
@require_POST
def identity(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The submitter's identity, on an explicit click only (an audit event each time)."""
    report = _report(request, pk)
    if not permissions.may_read_identity(request.user, report):
        raise PermissionDenied
    private_key = keyring.private_key(request)
    if private_key is None:
        return _locked(request, report)
    try:
        shown = services.identity_read(actor=request.user, report=report, private_key=private_key)
    except PermissionDenied:
        return _locked(request, report, "not_shared")
    template = "intake/inbox/_identity.html" if _is_htmx(request) else "intake/inbox/identity.html"
    return render(request, template, {"report": report, "identity": shown})


@never_cache
@require_POST
def classify(request: AuthedRequest, pk: int) -> HttpResponseBase:
    report = _report(request, pk)
    form = ClassifyForm(request.POST, team=report.channel.team)
    saved = False
    if form.is_valid():
        data = form.cleaned_data
        try:
            report = workflow.classify(
                actor=request.user,
                report=report,
                discipline=data["discipline"],
                topics=data["topics"],
                category=data["category"],
                assigned_to=data["assigned_to"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            saved = True
    if _is_htmx(request):
        if saved:
            form = ClassifyForm.for_report(report)
        return render(
            request,
            "intake/inbox/_classify.html",
            {"report": report, "classify_form": form, "saved": saved},
        )
    if saved:
        messages.success(request, _("Classification saved."))
    else:
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("intake:report", pk=report.pk)


@require_POST
def reply(request: AuthedRequest, pk: int) -> HttpResponseBase:
    report = _report(request, pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The message is empty."))
        return redirect("intake:report", pk=pk)
    try:
        services.staff_message(
            actor=request.user,
            report=report,
            private_key=keyring.private_key(request),
            text=form.cleaned_data["text"],
            waiting=form.cleaned_data["waiting"],
        )
    except ValidationError as exc:
        _errors(request, exc)
    except PermissionDenied:
        policy.require(request.user, permissions.INTAKE_CHANGE, report)
        messages.error(request, _("Your key is not unlocked: sign in again with your password."))
    else:
        messages.success(request, _("Message sent to the submitter."))
    return redirect(reverse("intake:report", args=[pk]) + "#thread")


@require_POST
def forward(request: AuthedRequest, pk: int) -> HttpResponseBase:
    report = _report(request, pk)
    policy.require(request.user, permissions.INTAKE_CHANGE, report)
    form = ForwardForm(request.POST, user=request.user, team=report.channel.team)
    if not form.is_valid():
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("intake:report", pk=pk)
    data = form.cleaned_data
    try:
        workflow.forward(
            actor=request.user,
            report=report,
            organisation=data["organisation"],
            note=data["note"],
            message=data["message"],
            private_key=keyring.private_key(request),
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(
            request,
            _("Forwarded to %(organisation)s.") % {"organisation": data["organisation"].name},
        )
    return redirect("intake:report", pk=pk)


@never_cache
@require_http_methods(["GET", "POST"])
def duplicate(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """GET: reports and records like this one (decrypted for the comparison, one audit
    event); POST: mark the report as a duplicate of another of the team's reports."""
    report = _report(request, pk)
    if request.method == "POST":
        policy.require(request.user, permissions.INTAKE_CHANGE, report)
        candidates = selectors.reports_for(request.user).filter(channel_id=report.channel_id)
        form = DuplicateForm(request.POST, candidates=candidates)
        if not form.is_valid():
            messages.error(request, _("Choose the original report."))
            return redirect("intake:report", pk=pk)
        original = form.cleaned_data["original"]
        try:
            workflow.mark_duplicate(actor=request.user, report=report, original=original)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(
                request,
                _("Marked as a duplicate of %(original)s.") % {"original": original.label},
            )
        return redirect("intake:report", pk=pk)
    private_key = keyring.private_key(request)
    if private_key is None:
        return _locked(request, report)
    similar, records = workflow.suggestions(
        actor=request.user, report=report, private_key=private_key
    )
    can_change = policy.allows(request.user, permissions.INTAKE_CHANGE, report)
    context = {
        "report": report,
        "similar": similar,
        "similar_records": records,
        "can_mark": can_change and report.status not in CLOSED_STATUSES,
        "can_add": can_change and report.status != Status.DUPLICATE,
    }
    template = (
        "intake/inbox/_suggestions.html" if _is_htmx(request) else "intake/inbox/suggestions.html"
    )
    return render(request, template, context)


@never_cache
@require_http_methods(["GET", "POST"])
def convert(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Turn the report into a new problem or clue (the form is prefilled from the
    decrypted report), or (POST ``record``) add it as evidence to an existing one."""
    from xuncha.clues import permissions as clue_permissions

    report = _report(request, pk)
    policy.require(request.user, permissions.INTAKE_CHANGE, report)
    team = report.channel.team
    if request.method == "POST" and "record" in request.POST:
        add_form = AddToRecordForm(
            request.POST, records=selectors.record_candidates(request.user, report)
        )
        if not add_form.is_valid():
            messages.error(request, _("Choose a problem or clue."))
            return redirect("intake:report", pk=pk)
        record = add_form.cleaned_data["record"]
        try:
            workflow.add_to_record(actor=request.user, report=report, record=record)
        except ValidationError as exc:
            _errors(request, exc)
            return redirect("intake:report", pk=pk)
        messages.success(request, _("%(label)s added as evidence.") % {"label": report.label})
        return redirect("clues:detail", pk=record.pk)
    targets = clue_permissions.recordable_targets(request.user, team.round, team.targets.all())
    if not targets:
        raise PermissionDenied
    if request.method == "POST":
        form = ConvertForm(request.POST, targets=targets)
        if form.is_valid():
            data = form.cleaned_data
            try:
                record = workflow.convert(
                    actor=request.user,
                    report=report,
                    kind=data["kind"],
                    title=data["title"],
                    description=data["description"],
                    target=data["target"],
                    discipline=data["discipline"],
                    topics=data["topics"],
                    subjects=form.subject_inputs(),
                    credibility=data["credibility"],
                    priority=data["priority"],
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(
                    request,
                    _("%(label)s became %(number)s.")
                    % {"label": report.label, "number": record.number},
                )
                return redirect("clues:detail", pk=record.pk)
    else:
        private_key = keyring.private_key(request)
        if private_key is None:
            return _locked(request, report)
        try:
            opened = services.report_read(
                actor=request.user, report=report, private_key=private_key
            )
        except PermissionDenied:
            return _locked(request, report, "not_shared")
        form = ConvertForm(initial=_convert_initial(report, opened.content), targets=targets)
    return render(request, "intake/inbox/convert.html", {"form": form, "report": report})


def _convert_initial(report: Report, content: dict[str, Any]) -> dict[str, Any]:
    text = workflow.main_text(report.kind, content)
    lines = [text]
    details = [
        (_("About whom"), content.get("about")),
        (_("Which organisation"), content.get("organisation")),
        (_("When"), content.get("when")),
    ]
    extra = [f"{label}: {value}" for label, value in details if str(value or "").strip()]
    if extra:
        lines += ["", *extra]
    lines += ["", _("From public report %(label)s.") % {"label": report.label}]
    title = " ".join(text.split())[:40] or report.label
    return {
        "title": title,
        "description": "\n".join(lines).strip(),
        "discipline": report.discipline,
        "topics": list(report.topics.all()),
    }


@require_POST
def close(request: AuthedRequest, pk: int) -> HttpResponseBase:
    report = _report(request, pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the report is closed."))
        return redirect("intake:report", pk=pk)
    try:
        workflow.close(actor=request.user, report=report, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("%(label)s closed.") % {"label": report.label})
    return redirect("intake:report", pk=pk)


@require_GET
def attachment(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """An attachment, decrypted: the original as a download, or (``?preview=1``) the
    re-encoded image without metadata, inline. Sandboxed, never sniffed, never cached."""
    policy.require(request.user, permissions.INTAKE_VIEW)
    item = get_object_or_404(
        policy.scope(
            request.user,
            permissions.INTAKE_VIEW,
            Attachment.objects.select_related("report__channel"),
        ),
        pk=pk,
    )
    preview = request.GET.get("preview") == "1"
    try:
        data, content_type, name = services.attachment_read(
            actor=request.user,
            attachment=item,
            private_key=keyring.private_key(request),
            preview=preview,
        )
    except FileNotFoundError:
        raise Http404 from None
    response = HttpResponse(data, content_type=content_type)
    inline = preview and bool(item.preview_blob)
    if inline:
        stem = name.rsplit(".", 1)[0] or "image"
        name = f"{stem}.{'png' if content_type == 'image/png' else 'jpg'}"
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f"{disposition}; filename*=UTF-8''{quote(name)}"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    return response
