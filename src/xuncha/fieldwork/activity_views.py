"""Methods as evidence: a team's activities (list, record, change, approve, attachments,
links to problems and clues), the coverage matrix with its export, and the office's
methods and coverage minimums.

Teams and activities come from ``common.team_or_404`` / ``common.object_or_404`` (someone
else's is a 404, a missing right a 403); writes go through ``activity_services``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from xuncha.core import policy
from xuncha.core.forms import form_errors
from xuncha.core.models import Organisation, OrganisationKind
from xuncha.core.tables import XLSX_CONTENT_TYPE, Column, Table, download, xlsx_bytes
from xuncha.core.views import AuthedRequest
from xuncha.fieldwork import activity_services as services
from xuncha.fieldwork import common, coverage, permissions, uploads
from xuncha.fieldwork.activity_forms import (
    ActivityFilterForm,
    ActivityForm,
    CommitteeForm,
    DocumentFormSet,
    EvidenceForm,
    HouseholdFormSet,
    MethodForm,
    MinimumFormSet,
    formset_rows,
)
from xuncha.fieldwork.models import Activity, ActivityFile, Method
from xuncha.rounds.models import Team

# -- the activity list -----------------------------------------------------------------------


def _approval(activity: Activity) -> str:
    if not activity.method.needs_approval:
        return ""
    return _("Approved") if activity.approved_at else _("Waiting for approval")


COLUMNS = [
    Column("date", gettext_lazy("Date"), lambda a: a.date, sort="date", css="text-nowrap"),
    Column("method", gettext_lazy("Method"), lambda a: a.method.name, sort="method__order"),
    Column("group", gettext_lazy("Group"), lambda a: a.get_group_display()),
    Column(
        "target",
        gettext_lazy("Target"),
        lambda a: a.target.name if a.target else "",
        sort="target__name",
    ),
    Column(
        "title",
        gettext_lazy("Subject"),
        lambda a: a.title,
        sort="title",
        link=lambda a: reverse("fieldwork:activity", args=[a.pk]),
    ),
    Column("place", gettext_lazy("Place"), lambda a: a.place),
    Column(
        "participants",
        gettext_lazy("Team members taking part"),
        lambda a: "、".join(p.name for p in a.participants.all()),
    ),
    Column("approval", gettext_lazy("Approval"), _approval),
]


def _is_htmx(request: AuthedRequest) -> bool:
    return bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )


def _filtered(request: AuthedRequest, team: Team) -> tuple[ActivityFilterForm, dict[str, Any], Any]:
    form = ActivityFilterForm(request.GET or None, team=team)
    qs = (
        policy.scope(request.user, permissions.FIELDWORK_VIEW, Activity.objects.filter(team=team))
        .select_related("method", "target")
        .prefetch_related("participants")
    )
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
    if filters.get("method"):
        qs = qs.filter(method=filters["method"])
    if filters.get("target"):
        qs = qs.filter(target=filters["target"])
    if filters.get("date_from"):
        qs = qs.filter(date__gte=filters["date_from"])
    if filters.get("date_to"):
        qs = qs.filter(date__lte=filters["date_to"])
    return form, filters, qs


@never_cache
@vary_on_headers("HX-Request")
@require_GET
def activities(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk)
    form, _filters, qs = _filtered(request, team)
    table = Table(request, qs, COLUMNS, default_sort="-date")
    context = table.context()
    context.update(
        {
            "team": team,
            "tabs": common.tabs(team, "activities"),
            "filter_form": form,
            "xlsx_url": reverse("fieldwork:activities_export", args=[team.pk])
            + table.export_url("xlsx"),
            "may_change": policy.allows(request.user, permissions.FIELDWORK_CHANGE, team),
            "waiting": qs.filter(method__needs_approval=True, approved_at__isnull=True).count(),
        }
    )
    template = (
        "fieldwork/activities/_table.html"
        if _is_htmx(request)
        else "fieldwork/activities/list.html"
    )
    return render(request, template, context)


@never_cache
@require_GET
def activities_export(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk)
    _form, filters, qs = _filtered(request, team)
    table = Table(request, qs, COLUMNS, default_sort="-date")
    services.exported(
        actor=request.user,
        team=team,
        what="activities",
        count=qs.count(),
        filters={k: str(getattr(v, "pk", v)) for k, v in filters.items()},
    )
    return table.export_xlsx(f"activities-{team.pk}", _("Activities"))


# -- recording and changing an activity ------------------------------------------------------


def _choosable(method: Method | None) -> bool:
    return method is not None and method.is_active and method.code != services.TALK_METHOD


def _forms(
    request: AuthedRequest,
    team: Team,
    method: Method,
    activity: Activity | None = None,
) -> tuple[ActivityForm, Any, Any]:
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    initial: dict[str, Any] = {}
    docs_initial: list[dict[str, Any]] = []
    homes_initial: list[dict[str, Any]] = []
    if activity is not None:
        initial = {
            "target": activity.target_id,
            "group": activity.group,
            "date": activity.date,
            "place": activity.place,
            "title": activity.title,
            "participants": list(activity.participants.values_list("pk", flat=True)),
            "others": activity.others,
            "attendees": activity.attendees,
            "record": activity.record,
        }
        docs_initial = [
            dict(d) for d in activity.documents.values("title", "reference", "pages", "copied")
        ]
        homes_initial = [
            dict(h) for h in activity.households.values("household", "address", "group", "note")
        ]
    form = ActivityForm(
        data,
        files,
        team=team,
        method=method,
        initial=initial,
        existing_files=activity.files.all() if activity is not None else None,
    )
    # Bound, the posted rows are the whole register: no initial to compare them with.
    documents = (
        DocumentFormSet(data, prefix="doc", initial=None if data else docs_initial)
        if method.records_documents
        else None
    )
    households = (
        HouseholdFormSet(data, prefix="home", initial=None if data else homes_initial)
        if method.records_households
        else None
    )
    return form, documents, households


def _save(
    request: AuthedRequest,
    team: Team,
    method: Method,
    form: ActivityForm,
    documents: Any,
    households: Any,
    activity: Activity | None,
) -> Activity | None:
    valid = form.is_valid()
    valid = (documents is None or documents.is_valid()) and valid
    valid = (households is None or households.is_valid()) and valid
    if not valid:
        return None
    data = form.cleaned_data
    values: dict[str, Any] = {
        "actor": request.user,
        "target": data["target"],
        "method": method,
        "group": data.get("group") or "",
        "date": data["date"],
        "place": data["place"],
        "title": data["title"],
        "participants": list(data["participants"]),
        "others": data["others"],
        "attendees": data["attendees"],
        "record": data["record"],
        "documents": formset_rows(documents) if documents is not None else [],
        "households": formset_rows(households) if households is not None else [],
        "files": data["attachments"],
    }
    try:
        if activity is None:
            return services.activity_create(team=team, **values)
        return services.activity_update(
            activity=activity, remove_files=list(data.get("remove_files") or []), **values
        )
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return None


def _form_page(
    request: AuthedRequest,
    team: Team,
    method: Method,
    forms: tuple[ActivityForm, Any, Any],
    activity: Activity | None,
    action: str,
) -> HttpResponseBase:
    """The page recording (``activity`` None) or changing an activity of ``method``."""
    form, documents, households = forms
    return render(
        request,
        "fieldwork/activities/form.html",
        {
            "team": team,
            "tabs": common.tabs(team, "activities"),
            "method": method,
            "form": form,
            "documents": documents,
            "households": households,
            "activity": activity,
            "action": f"{action}?method={quote(method.code)}",
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def activity_new(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk, permissions.FIELDWORK_CHANGE)
    code = request.GET.get("method", "")
    method = Method.objects.filter(code=code).first() if code else None
    if not _choosable(method):
        methods = Method.objects.filter(is_active=True)
        return render(
            request,
            "fieldwork/activities/choose.html",
            {
                "team": team,
                "tabs": common.tabs(team, "activities"),
                "methods": [m for m in methods if m.code != services.TALK_METHOD],
                "talk_method": next((m for m in methods if m.code == services.TALK_METHOD), None),
                "records_url": _records_url(team),
                "asked": code,
            },
            status=400 if code else 200,
        )
    assert method is not None  # noqa: S101 (checked by _choosable)
    form, documents, households = _forms(request, team, method)
    if request.method == "POST":
        activity = _save(request, team, method, form, documents, households, None)
        if activity is not None:
            if method.needs_approval:
                messages.success(
                    request,
                    _("Recorded. It counts once the team leader, a deputy or the office approves."),
                )
            else:
                messages.success(request, _("Recorded."))
            return redirect("fieldwork:activity", pk=activity.pk)
    action = reverse("fieldwork:activity_new", args=[team.pk])
    return _form_page(request, team, method, (form, documents, households), None, action)


def _records_url(team: Team) -> str:
    from django.urls import NoReverseMatch

    try:
        return reverse("fieldwork:records", args=[team.pk])
    except NoReverseMatch:
        return ""


def _activity(
    request: AuthedRequest, pk: int, action: str = permissions.FIELDWORK_VIEW
) -> Activity:
    return common.object_or_404(
        request.user,
        Activity.objects.select_related(
            "team__round__committee", "method", "target", "approved_by", "created_by"
        ),
        pk,
        action,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def activity_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    activity = _activity(request, pk, permissions.FIELDWORK_CHANGE)
    team = activity.team
    code = request.GET.get("method", "")
    method = Method.objects.filter(code=code).first() if code else activity.method
    if not _choosable(method):
        method = activity.method
    assert method is not None  # noqa: S101
    form, documents, households = _forms(request, team, method, activity)
    if request.method == "POST":
        saved = _save(request, team, method, form, documents, households, activity)
        if saved is not None:
            messages.success(request, _("Saved."))
            return redirect("fieldwork:activity", pk=saved.pk)
    action = reverse("fieldwork:activity_edit", args=[activity.pk])
    return _form_page(request, team, method, (form, documents, households), activity, action)


TABLE_PREVIEW_ROWS = 50


@never_cache
@require_GET
def activity(request: AuthedRequest, pk: int) -> HttpResponseBase:
    from xuncha.clues import permissions as clue_permissions
    from xuncha.clues.services import OPEN

    item = _activity(request, pk)
    team = item.team
    user = request.user
    may_change = policy.allows(user, permissions.FIELDWORK_CHANGE, item)
    evidence_form = None
    if may_change and policy.can(user, clue_permissions.CLUE_CHANGE):
        evidence_form = EvidenceForm(records=_linkable_records(request, item))
    files = list(item.files.all())
    return render(
        request,
        "fieldwork/activities/detail.html",
        {
            "team": team,
            "tabs": common.tabs(team, "activities"),
            "activity": item,
            "participants": list(item.participants.order_by("name")),
            "documents": list(item.documents.all()),
            "households": list(item.households.all()),
            "files": files,
            "tables": [
                (f, f.table["headers"], f.table["rows"][:TABLE_PREVIEW_ROWS], len(f.table["rows"]))
                for f in files
                if f.is_results and f.table
            ],
            "may_change": may_change,
            "may_approve": item.method.needs_approval
            and item.approved_at is None
            and policy.allows(user, permissions.FIELDWORK_LEAD, item),
            "citing": common.evidence_links(user, item),
            "evidence_form": evidence_form,
            "open_statuses": OPEN,
        },
    )


def _linkable_records(request: AuthedRequest, item: Activity) -> Any:
    return common.open_problems(request.user, item.team).order_by("-created_at")


@require_POST
def activity_approve(request: AuthedRequest, pk: int) -> HttpResponseBase:
    item = _activity(request, pk, permissions.FIELDWORK_LEAD)
    try:
        services.activity_approve(actor=request.user, activity=item)
    except ValidationError as exc:
        common.refused(request, exc)
    else:
        messages.success(request, _("Approved; the activity now counts in the coverage."))
    return redirect("fieldwork:activity", pk=item.pk)


@require_POST
def activity_evidence(request: AuthedRequest, pk: int) -> HttpResponseBase:
    from xuncha.clues import permissions as clue_permissions
    from xuncha.clues import services as clue_services

    item = _activity(request, pk, permissions.FIELDWORK_CHANGE)
    policy.require(request.user, clue_permissions.CLUE_CHANGE)
    form = EvidenceForm(request.POST, records=_linkable_records(request, item))
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("fieldwork:activity", pk=item.pk)
    try:
        clue_services.evidence_add(
            actor=request.user,
            record=form.cleaned_data["record"],
            obj=item,
            excerpt=form.cleaned_data["excerpt"],
        )
    except ValidationError as exc:
        common.refused(request, exc)
    else:
        messages.success(
            request,
            _("Linked as evidence of %(number)s.") % {"number": form.cleaned_data["record"].number},
        )
    return redirect("fieldwork:activity", pk=item.pk)


@never_cache
@require_GET
def activity_file(request: AuthedRequest, pk: int) -> HttpResponseBase:
    item = common.object_or_404(
        request.user, ActivityFile.objects.select_related("activity__team"), pk
    )
    try:
        data = services.file_read(actor=request.user, file=item)
    except FileNotFoundError:
        raise Http404 from None
    extension = item.name.rsplit(".", 1)[-1] if "." in item.name else ""
    response = HttpResponse(data, content_type=uploads.content_type(extension))
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(item.name)}"
    return uploads.protect_download(response)


# -- coverage --------------------------------------------------------------------------------


def _chart(m: coverage.Matrix) -> dict[str, Any]:
    return {
        "categories": [line.label for line in m.lines],
        "series": [
            {"name": _("Used"), "data": [line.total for line in m.lines]},
            {"name": _("At least"), "data": [line.total_minimum or 0 for line in m.lines]},
        ],
    }


@never_cache
@require_GET
def coverage_page(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk)
    m = coverage.matrix(team)
    gaps = m.gaps()
    source = coverage.minimums_source(team.round.committee)
    return render(
        request,
        "fieldwork/coverage.html",
        {
            "team": team,
            "tabs": common.tabs(team, "coverage"),
            "matrix": m,
            "rows": [(line, list(line.cells)) for line in m.lines],
            "gaps_per_target": m.gaps_per_target(),
            "gaps": [g.text() for g in gaps],
            "chart": _chart(m),
            "source": source,
            "may_set": policy.can(request.user, permissions.FIELDWORK_SETTINGS),
        },
    )


@never_cache
@require_GET
def coverage_export(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk)
    m = coverage.matrix(team)
    header: list[Any] = [_("Method"), _("Group")]
    for target in m.targets:
        header += [
            _("%(target)s: used") % {"target": target.name},
            _("%(target)s: at least") % {"target": target.name},
        ]
    header += [_("Used in total"), _("At least in total")]
    rows = []
    for line in m.lines:
        row: list[Any] = [line.method.name, coverage.group_label(line.group) if line.group else ""]
        for cell in line.cells:
            row += [cell.count, cell.minimum if cell.minimum is not None else ""]
        row += [line.total, line.total_minimum if line.total_minimum is not None else ""]
        rows.append(row)
    gaps = [
        [
            g.target.name,
            g.method.name,
            coverage.group_label(g.group) if g.group else "",
            g.count,
            g.minimum,
        ]
        for g in m.gaps()
    ]
    data = xlsx_bytes(
        [
            (_("Coverage"), header, rows),
            (_("Gaps"), [_("Target"), _("Method"), _("Group"), _("Used"), _("At least")], gaps),
        ]
    )
    services.exported(actor=request.user, team=team, what="coverage", count=len(rows), filters={})
    return download(data, XLSX_CONTENT_TYPE, f"coverage-{team.pk}.xlsx")


# -- the office's settings: methods ----------------------------------------------------------


def _require_settings(request: AuthedRequest) -> None:
    if not policy.can(request.user, permissions.FIELDWORK_SETTINGS):
        raise PermissionDenied


@never_cache
@require_GET
def methods(request: AuthedRequest) -> HttpResponseBase:
    _require_settings(request)
    return render(
        request,
        "fieldwork/settings/methods.html",
        {"methods": list(Method.objects.all())},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def method_new(request: AuthedRequest) -> HttpResponseBase:
    return _method_form(request, None)


@never_cache
@require_http_methods(["GET", "POST"])
def method_edit(request: AuthedRequest, pk: int) -> HttpResponseBase:
    _require_settings(request)
    return _method_form(request, get_object_or_404(Method, pk=pk))


def _method_form(request: AuthedRequest, method: Method | None) -> HttpResponseBase:
    _require_settings(request)
    form = MethodForm(request.POST or None, instance=method)
    if request.method == "POST" and form.is_valid():
        values = {k: form.cleaned_data[k] for k in services.METHOD_FIELDS if k in form.cleaned_data}
        try:
            services.method_set(actor=request.user, method=method, values=values)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("Saved."))
            return redirect("fieldwork:methods")
    return render(request, "fieldwork/settings/method_form.html", {"form": form, "method": method})


# -- the office's settings: coverage minimums ------------------------------------------------

COMMITTEE_KINDS = (OrganisationKind.PROVINCE, OrganisationKind.PREFECTURE, OrganisationKind.COUNTY)


def _committees(request: AuthedRequest) -> Any:
    return policy.scope(
        request.user,
        permissions.FIELDWORK_SETTINGS,
        Organisation.objects.filter(kind__in=COMMITTEE_KINDS, is_active=True),
    ).order_by("path")


@never_cache
@require_http_methods(["GET", "POST"])
def minimums(request: AuthedRequest) -> HttpResponseBase:
    _require_settings(request)
    committees = _committees(request)
    chooser = CommitteeForm(request.GET or None, committees=committees)
    committee = chooser.cleaned_data["committee"] if chooser.is_valid() else committees.first()
    if committee is None:
        raise PermissionDenied
    source = coverage.minimums_source(committee)
    effective = coverage.minimums_for(committee)
    initial = [
        {"profile": r.profile, "method": r.method, "group": r.group, "minimum": r.minimum}
        for r in effective
    ]
    # Bound, the posted rows are the whole list (no initial to compare with).
    formset = (
        MinimumFormSet(request.POST, prefix="min")
        if request.method == "POST"
        else MinimumFormSet(prefix="min", initial=initial)
    )
    back = reverse("fieldwork:minimums") + f"?committee={committee.pk}"
    if request.method == "POST":
        if request.POST.get("inherit") == "1":
            try:
                services.minimums_inherit(actor=request.user, committee=committee)
            except ValidationError as exc:
                common.refused(request, exc)
            else:
                messages.success(request, _("The minimums of the committee above apply again."))
            return redirect(back)
        if formset.is_valid():
            rows = [
                services.MinimumInput(
                    profile=f.cleaned_data["profile"],
                    method=f.cleaned_data["method"],
                    group=f.cleaned_data.get("group") or "",
                    minimum=f.cleaned_data["minimum"],
                )
                for f in formset.forms
                if f.cleaned_data and not f.cleaned_data.get("DELETE")
            ]
            try:
                services.minimums_set(actor=request.user, committee=committee, rows=rows)
            except ValidationError as exc:
                common.refused(request, exc)
            else:
                messages.success(request, _("Minimums saved."))
                return redirect(back)
    chooser = CommitteeForm(initial={"committee": committee.pk}, committees=committees)
    return render(
        request,
        "fieldwork/settings/minimums.html",
        {
            "committee": committee,
            "chooser": chooser,
            "formset": formset,
            "source": source,
            "origin": "defaults"
            if source is None
            else ("own" if source.pk == committee.pk else "inherited"),
            "action": back,
        },
    )


urlpatterns = [
    path("fieldwork/team/<int:team_pk>/activities/", activities, name="activities"),
    path(
        "fieldwork/team/<int:team_pk>/activities/export/",
        activities_export,
        name="activities_export",
    ),
    path("fieldwork/team/<int:team_pk>/activities/new/", activity_new, name="activity_new"),
    path("fieldwork/activity/<int:pk>/", activity, name="activity"),
    path("fieldwork/activity/<int:pk>/edit/", activity_edit, name="activity_edit"),
    path("fieldwork/activity/<int:pk>/approve/", activity_approve, name="activity_approve"),
    path("fieldwork/activity/<int:pk>/evidence/", activity_evidence, name="activity_evidence"),
    path("fieldwork/file/<int:pk>/", activity_file, name="activity_file"),
    path("fieldwork/team/<int:team_pk>/coverage/", coverage_page, name="coverage"),
    path("fieldwork/team/<int:team_pk>/coverage/export/", coverage_export, name="coverage_export"),
    path("fieldwork/settings/methods/", methods, name="methods"),
    path("fieldwork/settings/methods/new/", method_new, name="method_new"),
    path("fieldwork/settings/methods/<int:pk>/", method_edit, name="method_edit"),
    path("fieldwork/settings/minimums/", minimums, name="minimums"),
]
