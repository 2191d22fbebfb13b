"""Handover pages (移交): transfer packages and their letters, the receiving department's
inbox, receipt and disposal, closure, the overdue list, statistics, and a committee's
routing and deadline settings.

Who reaches what: the office (``CLUE_TRANSFER``) transfers, closes, sees the overdue list
and edits the settings; a receiving department (``CLUE_RECEIVE``, granted on its own
organisation) sees what was sent to it, records receipt and disposals; the office and the
leading group (``CLUE_STATISTICS``) read the statistics.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xuncha.clues import handover_forms, handover_services, letters, selectors, services
from xuncha.clues.handover_forms import CONFIGURED_ROUTES, TRANSFER_ROUTES
from xuncha.clues.models import (
    Discipline,
    Disposal,
    Kind,
    Record,
    Reminder,
    Route,
    Status,
    Transfer,
)
from xuncha.clues.permissions import (
    CLUE_RECEIVE,
    CLUE_STATISTICS,
    CLUE_TRANSFER,
    CLUE_VIEW,
)
from xuncha.core import policy
from xuncha.core.models import Organisation, OrganisationKind
from xuncha.core.selectors import setting_origin
from xuncha.core.tables import XLSX_CONTENT_TYPE, Column, Table, download, xlsx_bytes
from xuncha.core.views import AuthedRequest
from xuncha.rounds.models import Round, TopicTag

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# A clue is "with the department" until the office closes it.
OPEN_AT_DEPARTMENT = (Status.TRANSFERRED, Status.DISPOSAL_REPORTED)
DISPOSED = (Status.DISPOSAL_REPORTED, Status.CLOSED)


# -- helpers -------------------------------------------------------------------------------------


def _refused(request: AuthedRequest, exc: services.Refused) -> None:
    messages.error(request, " ".join(exc.messages))


def _transfers_for(user: Any) -> QuerySet[Transfer]:
    """Transfers the user may open: the office's, and those sent to the user's department."""
    return policy.scope(user, CLUE_TRANSFER, Transfer.objects.all()) | policy.scope(
        user, CLUE_RECEIVE, Transfer.objects.all()
    )


def _records_of(user: Any, transfer: Transfer) -> QuerySet[Record]:
    base = Record.objects.filter(transfer=transfer)
    return (
        (policy.scope(user, CLUE_TRANSFER, base) | policy.scope(user, CLUE_RECEIVE, base))
        .select_related("target", "round")
        .prefetch_related("subjects", "topics", "evidence", "disposals", "reminders")
        .order_by("number")
    )


def _deadlines(record: Record, transfer: Transfer, today: dt.date) -> list[dict[str, Any]]:
    record.transfer = transfer  # already loaded: no query per record
    return [
        {"label": Reminder.Deadline(deadline).label, "due": due, "days": (today - due).days}
        for deadline, due in services.overdue_deadlines(record, today)
    ]


def _route_of(record: Record, settings: Any) -> str:
    """The route chosen when the clue was confirmed, else the one the settings give now."""
    if record.route in TRANSFER_ROUTES:
        return str(record.route)
    return services.route_for(record, settings)


def _annotate_counts(qs: QuerySet[Transfer]) -> QuerySet[Transfer]:
    return qs.annotate(
        clue_count=Count("records", distinct=True),
        disposed_count=Count("records", filter=Q(records__status__in=DISPOSED), distinct=True),
        closed_count=Count("records", filter=Q(records__status=Status.CLOSED), distinct=True),
    )


# -- transfer list ---------------------------------------------------------------------------------


def _day(value: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(value) if value is not None else None


TRANSFER_COLUMNS = [
    Column(
        "number",
        gettext_lazy("Number"),
        lambda t: t.number,
        sort="number",
        link=lambda t: reverse("clues:transfer", args=[t.pk]),
    ),
    Column("round", gettext_lazy("Round"), lambda t: t.round.name, sort="round__name"),
    Column(
        "department",
        gettext_lazy("Receiving department"),
        lambda t: t.department.name,
        sort="department__name",
    ),
    Column("route", gettext_lazy("Route"), lambda t: t.get_route_display(), sort="route"),
    Column(
        "clues", gettext_lazy("Clues"), lambda t: t.clue_count, sort="clue_count", css="text-end"
    ),
    Column(
        "disposed",
        gettext_lazy("Disposal reported"),
        lambda t: t.disposed_count,
        sort="disposed_count",
        css="text-end",
    ),
    Column(
        "closed",
        gettext_lazy("Closed clues"),
        lambda t: t.closed_count,
        sort="closed_count",
        css="text-end",
    ),
    Column("sent", gettext_lazy("Sent on"), lambda t: t.sent_on, sort="sent_on"),
    Column(
        "received",
        gettext_lazy("Received on"),
        lambda t: _day(t.received_at) or _("Not yet"),
        sort="received_at",
    ),
    Column(
        "report_due", gettext_lazy("Report disposal by"), lambda t: t.report_due, sort="report_due"
    ),
    Column("close_due", gettext_lazy("Close by"), lambda t: t.close_due, sort="close_due"),
]


def _round_filter(request: AuthedRequest, action: str) -> tuple[Any, Round | None]:
    rounds = policy.scope(request.user, action, Round.objects.all()).order_by("-created_at")
    form = handover_forms.RoundFilterForm(request.GET or None, rounds=rounds)
    round_ = form.cleaned_data.get("round") if form.is_valid() else None
    return form, round_


@require_GET
def transfer_list(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, CLUE_TRANSFER)
    form, round_ = _round_filter(request, CLUE_TRANSFER)
    qs = policy.scope(request.user, CLUE_TRANSFER, Transfer.objects.all()).select_related(
        "round", "department"
    )
    if round_ is not None:
        qs = qs.filter(round=round_)
    table = Table(request, _annotate_counts(qs), TRANSFER_COLUMNS, default_sort="-sent")
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        handover_services.handover_exported(
            actor=request.user,
            what="transfer",
            count=table.queryset.count(),
            filters={"round": round_.pk if round_ else None},
            fmt=export,
        )
        if export == "csv":
            return table.export_csv("transfers")
        return table.export_xlsx("transfers", _("Transfers"))
    ready = (
        policy.scope(
            request.user,
            CLUE_TRANSFER,
            Record.objects.filter(kind=Kind.CLUE, status=Status.CONFIRMED),
        )
        .order_by()
        .values("round", "round__name")
        .annotate(n=Count("pk"))
        .order_by("round__name")
    )
    return render(
        request,
        "clues/transfer_list.html",
        {
            **table.context(),
            "filter_form": form,
            "ready": list(ready),
            "xlsx_url": table.export_url("xlsx"),
        },
    )


# -- a new transfer package ------------------------------------------------------------------------


def _package_records(user: Any, round_: Round) -> QuerySet[Record]:
    return (
        policy.scope(
            user,
            CLUE_TRANSFER,
            Record.objects.filter(round=round_, kind=Kind.CLUE, status=Status.CONFIRMED),
        )
        .select_related("target", "round")
        .prefetch_related("subjects", "topics", "evidence")
        .order_by("number")
    )


@require_http_methods(["GET", "POST"])
def transfer_create(request: AuthedRequest, pk: int) -> HttpResponseBase:
    user = request.user
    policy.require(user, CLUE_TRANSFER)
    round_ = get_object_or_404(
        policy.scope(user, CLUE_TRANSFER, Round.objects.select_related("committee")), pk=pk
    )
    settings = services.settings_for(round_.committee)
    groups: dict[str, list[Record]] = {}
    for record in _package_records(user, round_):
        groups.setdefault(_route_of(record, settings), []).append(record)
    departments = policy.scope(
        user, CLUE_TRANSFER, Organisation.objects.filter(is_active=True)
    ).order_by("path")
    posted = request.POST.get("route") if request.method == "POST" else None
    if posted is not None and posted not in groups:
        messages.error(
            request,
            _("No confirmed clue is waiting on this route: it may have been transferred already."),
        )
        return redirect("clues:transfer_create", pk=round_.pk)

    packages = []
    for route in TRANSFER_ROUTES:
        records = groups.get(route, [])
        if not records:
            continue
        configured = route in CONFIGURED_ROUTES
        department = services.department_for(route, settings) if configured else None
        form = handover_forms.TransferForm(
            request.POST if posted == route else None,
            candidates=Record.objects.filter(pk__in=[r.pk for r in records]),
            departments=None if configured else departments,
            prefix=route,
        )
        if posted == route:
            if configured and department is None:
                form.add_error(None, _missing_department(route, round_.committee))
            elif form.is_valid():
                chosen = department or form.cleaned_data["department"]
                try:
                    transfer = services.transfer_create(
                        actor=user,
                        records=list(form.cleaned_data["records"]),
                        department=chosen,
                        route=route,
                        note=form.cleaned_data["note"],
                    )
                except services.Refused as exc:
                    _refused(request, exc)
                    return redirect("clues:transfer_create", pk=round_.pk)
                count = len(form.cleaned_data["records"])
                messages.success(
                    request,
                    ngettext(
                        "Transfer %(number)s sent to %(department)s with %(count)s clue: "
                        "download its letter here.",
                        "Transfer %(number)s sent to %(department)s with %(count)s clues: "
                        "download its letter here.",
                        count,
                    )
                    % {"number": transfer.number, "department": chosen.name, "count": count},
                )
                return redirect("clues:transfer", pk=transfer.pk)
        selected = form.selected_ids() if form.is_bound else {r.pk for r in records}
        packages.append(
            {
                "route": route,
                "label": Route(route).label,
                "records": records,
                "form": form,
                "department": department,
                "configured": configured,
                "missing": configured and department is None,
                "selected": selected,
            }
        )
    waiting = (
        policy.scope(user, CLUE_TRANSFER, Record.objects.filter(round=round_))
        .order_by()
        .values("kind", "status")
        .annotate(n=Count("pk"))
    )
    counts = Counter({(w["kind"], w["status"]): w["n"] for w in waiting})
    return render(
        request,
        "clues/transfer_create.html",
        {
            "round": round_,
            "committee": round_.committee,
            "settings": settings,
            "packages": packages,
            "problems": sum(n for (kind, _s), n in counts.items() if kind == Kind.PROBLEM),
            "unconfirmed": counts[(Kind.CLUE, Status.NEW)] + counts[(Kind.CLUE, Status.REVIEW)],
            "can_view_records": policy.can(user, CLUE_VIEW),
        },
    )


def _missing_department(route: str, committee: Organisation) -> str:
    return _("No %(route)s is set for %(committee)s: choose it in the handover settings first.") % {
        "route": Route(route).label.lower(),
        "committee": committee.name,
    }


# -- a transfer package ----------------------------------------------------------------------------


def _transfer_page(
    request: AuthedRequest,
    transfer: Transfer,
    *,
    disposal_record: Record | None = None,
    disposal_form: handover_forms.DisposalForm | None = None,
) -> HttpResponseBase:
    user = request.user
    today = timezone.localdate()
    is_office = policy.allows_on_organisation(user, CLUE_TRANSFER, transfer.round.committee)
    is_receiver = policy.allows_on_organisation(user, CLUE_RECEIVE, transfer.department)
    records = list(_records_of(user, transfer))
    handover_services.transfer_read(actor=user, transfer=transfer, records=records)
    rows = [
        {
            "record": r,
            "overdue": _deadlines(r, transfer, today),
            "may_dispose": is_receiver
            and transfer.received_at is not None
            and r.status in OPEN_AT_DEPARTMENT,
            "may_close": is_office and r.status == Status.DISPOSAL_REPORTED,
        }
        for r in records
    ]
    return render(
        request,
        "clues/transfer_detail.html",
        {
            "transfer": transfer,
            "rows": rows,
            "is_office": is_office,
            "is_receiver": is_receiver,
            "can_view_records": policy.can(user, CLUE_VIEW),
            "overdue_count": sum(1 for row in rows if row["overdue"]),
            "disposal_record": disposal_record,
            "disposal_form": disposal_form,
            "today": today,
        },
    )


def _transfer(request: AuthedRequest, pk: int) -> Transfer:
    if not (policy.can(request.user, CLUE_TRANSFER) or policy.can(request.user, CLUE_RECEIVE)):
        raise PermissionDenied
    return get_object_or_404(
        _transfers_for(request.user).select_related(
            "round__committee", "department", "created_by", "received_by"
        ),
        pk=pk,
    )


@require_http_methods(["GET", "POST"])
def transfer_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """The package; the office closes a clue here once its disposal was reported."""
    transfer = _transfer(request, pk)
    if request.method == "POST":
        return _close(request, transfer)
    return _transfer_page(request, transfer)


def _close(request: AuthedRequest, transfer: Transfer) -> HttpResponseBase:
    if not policy.allows_on_organisation(request.user, CLUE_TRANSFER, transfer.round.committee):
        raise PermissionDenied
    back = reverse("clues:transfer", args=[transfer.pk])
    form = handover_forms.CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say how the matter was concluded."))
        return redirect(back)
    record = get_object_or_404(
        policy.scope(request.user, CLUE_TRANSFER, Record.objects.filter(transfer=transfer)),
        pk=form.cleaned_data["record"],
    )
    try:
        services.record_close(actor=request.user, record=record, reason=form.cleaned_data["reason"])
    except services.Refused as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("%(number)s closed.") % {"number": record.number})
    return redirect(f"{back}#clue-{record.pk}")


@require_GET
def transfer_letter(request: AuthedRequest, pk: int) -> HttpResponseBase:
    transfer = _transfer(request, pk)
    records = list(_records_of(request.user, transfer))
    data = letters.transfer_letter_docx(transfer, records)
    handover_services.letter_generated(actor=request.user, transfer=transfer, records=records)
    return download(data, DOCX_CONTENT_TYPE, f"{transfer.number}{letters.LETTER_TITLE}.docx")


@require_POST
def transfer_receive(request: AuthedRequest, pk: int) -> HttpResponseBase:
    policy.require(request.user, CLUE_RECEIVE)
    transfer = get_object_or_404(
        policy.scope(request.user, CLUE_RECEIVE, Transfer.objects.all()), pk=pk
    )
    try:
        services.transfer_receive(actor=request.user, transfer=transfer)
    except services.Refused as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("Receipt of %(number)s recorded. Record the disposal of each clue below.")
            % {"number": transfer.number},
        )
    return redirect("clues:transfer", pk=transfer.pk)


# -- the receiving department ----------------------------------------------------------------------


@require_GET
def inbox(request: AuthedRequest) -> HttpResponseBase:
    user = request.user
    policy.require(user, CLUE_RECEIVE)
    today = timezone.localdate()
    transfers = list(
        _annotate_counts(
            policy.scope(user, CLUE_RECEIVE, Transfer.objects.all()).select_related(
                "round", "department"
            )
        ).order_by("-created_at", "-pk")
    )
    received = policy.scope(user, CLUE_RECEIVE, Record.objects.all())
    late = Counter(
        selectors.overdue(received, today).order_by().values_list("transfer_id", flat=True)
    )
    open_records = list(
        received.filter(status__in=OPEN_AT_DEPARTMENT)
        .select_related("transfer", "target")
        .order_by("transfer__report_due", "number")
    )
    clues = [
        {
            "record": r,
            "overdue": _deadlines(r, r.transfer, today) if r.transfer else [],
            "received": r.transfer is not None and r.transfer.received_at is not None,
        }
        for r in open_records
    ]
    return render(
        request,
        "clues/inbox.html",
        {
            "transfers": [{"transfer": t, "overdue": late.get(t.pk, 0)} for t in transfers],
            "waiting": sum(1 for t in transfers if t.received_at is None),
            "clues": clues,
            "overdue_count": sum(1 for c in clues if c["overdue"]),
            "today": today,
        },
    )


@require_http_methods(["GET", "POST"])
def disposal(request: AuthedRequest, pk: int) -> HttpResponseBase:
    """Record how a received clue was disposed of: the form on top of its package."""
    user = request.user
    policy.require(user, CLUE_RECEIVE)
    record = get_object_or_404(
        policy.scope(user, CLUE_RECEIVE, Record.objects.all()).select_related(
            "transfer__round__committee",
            "transfer__department",
            "transfer__created_by",
            "transfer__received_by",
        ),
        pk=pk,
    )
    transfer = record.transfer
    if transfer is None:  # pragma: no cover - the receiving scope goes through the transfer
        raise Http404
    back = reverse("clues:transfer", args=[transfer.pk])
    form = handover_forms.DisposalForm(
        request.POST if request.method == "POST" else None,
        initial={"decided_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            done: Disposal = services.disposal_record(
                actor=user,
                record=record,
                method=data["method"],
                result=data["result"],
                decided_on=data["decided_on"],
            )
        except services.Refused as exc:
            _refused(request, exc)
            return redirect(back)
        messages.success(
            request,
            _("Disposal of %(number)s recorded: %(method)s. The office has been informed.")
            % {"number": record.number, "method": done.get_method_display()},
        )
        return redirect(f"{back}#clue-{record.pk}")
    return _transfer_page(request, transfer, disposal_record=record, disposal_form=form)


# -- overdue ---------------------------------------------------------------------------------------


def _deadline_text(record: Record, today: dt.date) -> str:
    if record.transfer is None:  # pragma: no cover - the overdue list holds transferred clues
        return ""
    return "; ".join(
        f"{d['label']} ({d['due']:%Y-%m-%d})" for d in _deadlines(record, record.transfer, today)
    )


def _reminder_text(record: Record) -> str:
    return "; ".join(
        f"{r.get_deadline_display()} {timezone.localdate(r.created_at):%Y-%m-%d}"
        for r in record.reminders.all()
    )


def _overdue_columns(today: dt.date, link_records: bool) -> list[Column]:
    return [
        Column(
            "number",
            gettext_lazy("Number"),
            lambda r: r.number,
            sort="number",
            link=(lambda r: reverse("clues:detail", args=[r.pk])) if link_records else None,
        ),
        Column("title", gettext_lazy("Clue title"), lambda r: r.title, sort="title"),
        Column("round", gettext_lazy("Round"), lambda r: r.round.name, sort="round__name"),
        Column("target", gettext_lazy("Target"), lambda r: r.target.name, sort="target__name"),
        Column(
            "department",
            gettext_lazy("Receiving department"),
            lambda r: r.transfer.department.name,
            sort="transfer__department__name",
        ),
        Column(
            "transfer",
            gettext_lazy("Transfer"),
            lambda r: r.transfer.number,
            sort="transfer__number",
            link=lambda r: reverse("clues:transfer", args=[r.transfer_id]),
        ),
        Column("status", gettext_lazy("Status"), lambda r: r.get_status_display(), sort="status"),
        Column(
            "report_due",
            gettext_lazy("Report disposal by"),
            lambda r: r.transfer.report_due,
            sort="transfer__report_due",
        ),
        Column(
            "close_due",
            gettext_lazy("Close by"),
            lambda r: r.transfer.close_due,
            sort="transfer__close_due",
        ),
        Column("passed", gettext_lazy("Deadlines passed"), lambda r: _deadline_text(r, today)),
        Column("reminders", gettext_lazy("Reminders"), _reminder_text),
    ]


@require_GET
def overdue(request: AuthedRequest) -> HttpResponseBase:
    user = request.user
    policy.require(user, CLUE_TRANSFER)
    today = timezone.localdate()
    form, round_ = _round_filter(request, CLUE_TRANSFER)
    qs = policy.scope(user, CLUE_TRANSFER, Record.objects.all())
    if round_ is not None:
        qs = qs.filter(round=round_)
    qs = (
        selectors.overdue(qs, today)
        .select_related("round", "target", "transfer__department")
        .prefetch_related("reminders")
    )
    columns = _overdue_columns(today, link_records=policy.can(user, CLUE_VIEW))
    table = Table(request, qs, columns, default_sort="report_due")
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        handover_services.handover_exported(
            actor=user,
            what="overdue",
            count=table.queryset.count(),
            filters={"round": round_.pk if round_ else None},
            fmt=export,
        )
        if export == "csv":
            return table.export_csv("overdue-clues")
        return download(table.xlsx(_("Overdue clues")), XLSX_CONTENT_TYPE, "overdue-clues.xlsx")
    return render(
        request,
        "clues/overdue.html",
        {
            **table.context(),
            "filter_form": form,
            "xlsx_url": table.export_url("xlsx"),
            "today": today,
        },
    )


# -- statistics ------------------------------------------------------------------------------------


def _pivot(rows: list[dict[str, Any]], field: str, label: Any) -> list[dict[str, Any]]:
    """Grouped counts (one row per value and kind) as one row per value, in first-seen
    order: label, problems, clues, total."""
    table: dict[str, dict[str, Any]] = {}
    for row in rows:
        name = str(label(row[field]))
        entry = table.setdefault(name, {"label": name, "problem": 0, "clue": 0})
        entry[row["kind"]] = entry.get(row["kind"], 0) + row["n"]
    result = list(table.values())
    for entry in result:
        entry["total"] = entry["problem"] + entry["clue"]
    return result


def _chart(rows: list[dict[str, Any]], limit: int = 20) -> dict[str, Any]:
    """A stacked bar of problems and clues (the largest ``limit`` groups) for app.js."""
    top = sorted(rows, key=lambda r: -r["total"])[:limit]
    return {
        "categories": [r["label"] for r in top],
        "colors": ["#f39c12", "#c0392b"],
        "series": [
            {"name": str(Kind.PROBLEM.label), "data": [r["problem"] for r in top]},
            {"name": str(Kind.CLUE.label), "data": [r["clue"] for r in top]},
        ],
    }


def _departments(qs: QuerySet[Record], today: dt.date) -> list[dict[str, Any]]:
    """Per receiving department: clues transferred, disposal reported, rate, overdue."""
    rows = (
        qs.filter(kind=Kind.CLUE, transfer__isnull=False)
        .exclude(status=Status.MERGED)
        .order_by()
        .values("transfer__department__name")
        .annotate(
            transferred=Count("pk", distinct=True),
            disposed=Count("pk", filter=Q(status__in=DISPOSED), distinct=True),
        )
        .order_by("transfer__department__name")
    )
    late = dict(
        selectors.overdue(qs, today)
        .order_by()
        .values("transfer__department__name")
        .annotate(n=Count("pk", distinct=True))
        .values_list("transfer__department__name", "n")
    )
    return [
        {
            "label": r["transfer__department__name"],
            "transferred": r["transferred"],
            "disposed": r["disposed"],
            "rate": r["disposed"] / r["transferred"] if r["transferred"] else None,
            "rate_text": _percent(r["disposed"] / r["transferred"] if r["transferred"] else None),
            "overdue": late.get(r["transfer__department__name"], 0),
        }
        for r in rows
    ]


def _statistics(qs: QuerySet[Record], today: dt.date) -> dict[str, Any]:
    stats = selectors.statistics(qs)
    english = (get_language() or "").startswith("en")
    topic_names = dict(TopicTag.objects.values_list("name_zh", "name_en")) if english else {}
    groups = {
        "round": _pivot(stats["by_round"], "round__name", lambda v: v),
        "target": _pivot(stats["by_target"], "target__name", lambda v: v),
        "discipline": _pivot(
            stats["by_discipline"],
            "discipline",
            lambda v: Discipline(v).label if v else _("Unclassified"),
        ),
        "topic": _pivot(
            stats["by_topic"],
            "topics__name_zh",
            lambda v: topic_names.get(v, v) if v else _("No topic"),
        ),
        "status": _pivot(stats["by_status"], "status", lambda v: Status(v).label),
    }
    departments = _departments(qs, today)
    kinds = {k: sum(r[k] for r in groups["status"]) for k in ("problem", "clue")}
    return {
        **stats,
        "groups": groups,
        "departments": departments,
        "problems": kinds["problem"],
        "clues": kinds["clue"],
        "overdue": sum(d["overdue"] for d in departments),
        "rate_text": _percent(stats["disposal_rate"]),
    }


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


GROUP_TITLES = {
    "round": gettext_lazy("By round"),
    "target": gettext_lazy("By target"),
    "discipline": gettext_lazy("By discipline"),
    "topic": gettext_lazy("By topic"),
    "status": gettext_lazy("By status"),
}


def _statistics_xlsx(data: dict[str, Any]) -> bytes:
    rate = data["disposal_rate"]
    summary = [
        (_("Problems and clues"), data["total"]),
        (_("Problems"), data["problems"]),
        (_("Clues"), data["clues"]),
        (_("Clues transferred"), data["transferred"]),
        (_("Disposal reported or closed"), data["disposed"]),
        (_("Disposal rate"), round(rate, 4) if rate is not None else ""),
        (_("Overdue clues"), data["overdue"]),
    ]
    count_header = [_("Problems"), _("Clues"), _("Total")]
    sheets: list[tuple[str, Sequence[Any], Iterable[Sequence[Any]]]] = [
        (_("Summary"), [_("Measure"), _("Value")], summary)
    ]
    for key, sheet_title in GROUP_TITLES.items():
        sheets.append(
            (
                str(sheet_title),
                [sheet_title, *count_header],
                [[r["label"], r["problem"], r["clue"], r["total"]] for r in data["groups"][key]],
            )
        )
    sheets.append(
        (
            _("By receiving department"),
            [
                _("Receiving department"),
                _("Clues transferred"),
                _("Disposal reported or closed"),
                _("Disposal rate"),
                _("Overdue clues"),
            ],
            [
                [
                    d["label"],
                    d["transferred"],
                    d["disposed"],
                    round(d["rate"], 4) if d["rate"] is not None else "",
                    d["overdue"],
                ]
                for d in data["departments"]
            ],
        )
    )
    return xlsx_bytes(sheets)


@require_GET
def statistics(request: AuthedRequest) -> HttpResponseBase:
    user = request.user
    policy.require(user, CLUE_STATISTICS)
    today = timezone.localdate()
    form, round_ = _round_filter(request, CLUE_STATISTICS)
    qs = policy.scope(user, CLUE_STATISTICS, Record.objects.all())
    if round_ is not None:
        qs = qs.filter(round=round_)
    data = _statistics(qs, today)
    if request.GET.get("export") == "xlsx":
        handover_services.handover_exported(
            actor=user,
            what="statistics",
            count=data["total"],
            filters={"round": round_.pk if round_ else None},
            fmt="xlsx",
        )
        return download(_statistics_xlsx(data), XLSX_CONTENT_TYPE, "clue-statistics.xlsx")
    params = request.GET.copy()
    params["export"] = "xlsx"
    charts = [
        {
            "key": key,
            "source": f"stats-{key}",
            "title": GROUP_TITLES[key],
            "data": _chart(data["groups"][key]),
        }
        for key in ("round", "target", "discipline", "topic")
    ]
    return render(
        request,
        "clues/statistics.html",
        {
            "filter_form": form,
            "data": data,
            "charts": charts,
            "tables": [
                {"key": key, "title": title, "rows": data["groups"][key]}
                for key, title in GROUP_TITLES.items()
            ],
            "xlsx_url": "?" + params.urlencode(),
            "can_see_overdue": policy.can(user, CLUE_TRANSFER),
            "round": round_,
        },
    )


# -- routing and deadline settings -----------------------------------------------------------------


def _committees(request: AuthedRequest) -> QuerySet[Organisation]:
    return policy.scope(
        request.user,
        CLUE_TRANSFER,
        Organisation.objects.filter(
            kind__in=[OrganisationKind.PREFECTURE, OrganisationKind.COUNTY], is_active=True
        ),
    ).order_by("depth", "code")


@require_http_methods(["GET", "POST"])
def handover_settings(request: AuthedRequest) -> HttpResponseBase:
    user = request.user
    policy.require(user, CLUE_TRANSFER)
    committees = _committees(request)
    source = request.POST if request.method == "POST" else request.GET
    picker = handover_forms.CommitteeForm(
        {"committee": source["committee"]} if source.get("committee") else None,
        committees=committees,
    )
    if picker.is_bound and picker.is_valid():
        committee = picker.cleaned_data["committee"]
    elif request.method == "POST" or picker.is_bound:
        raise Http404
    else:
        first = committees.first()
        if first is None:
            raise PermissionDenied
        committee = first
        picker = handover_forms.CommitteeForm(
            initial={"committee": committee}, committees=committees
        )
    effective = services.settings_for(committee)
    departments = policy.scope(
        user, CLUE_TRANSFER, Organisation.objects.filter(is_active=True, kind=OrganisationKind.UNIT)
    ).order_by("path")
    form = handover_forms.HandoverSettingsForm(
        request.POST if request.method == "POST" else None,
        initial=handover_forms.HandoverSettingsForm.initial_from(effective),
        departments=departments,
        topics=TopicTag.objects.order_by("code"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.handover_settings_set(actor=user, committee=committee, values=form.values())
        except services.Refused as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Handover settings of %(committee)s saved.") % {"committee": committee.name},
            )
            return redirect(f"{reverse('clues:handover_settings')}?committee={committee.pk}")
    return render(
        request,
        "clues/handover_settings.html",
        {
            "picker": picker,
            "committee": committee,
            "form": form,
            "effective": effective,
            "origin": setting_origin(effective, committee),
        },
    )
