"""The interference register (说情打招呼登记): anyone on the team records an attempt to lobby
or intercede; the leader, the deputies and the office are told and acknowledge it; the
list filters and exports to xlsx."""

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
from django.views.decorators.http import require_GET, require_POST

from xuncha.core import policy
from xuncha.core.tables import XLSX_CONTENT_TYPE, download, xlsx_bytes
from xuncha.core.views import AuthedRequest
from xuncha.fieldwork import common, permissions
from xuncha.fieldwork import record_services as services
from xuncha.fieldwork.models import Interference
from xuncha.fieldwork.record_forms import InterferenceFilterForm, InterferenceForm
from xuncha.rounds.models import Team


def _listed(request: AuthedRequest, team: Team) -> tuple[InterferenceFilterForm, Any]:
    form = InterferenceFilterForm(request.GET or None)
    qs = policy.scope(
        request.user,
        permissions.FIELDWORK_VIEW,
        Interference.objects.filter(team=team).select_related(
            "recorded_by__person", "acknowledged_by__person"
        ),
    )
    return form, form.filter(qs).order_by("-occurred_at", "-pk")


def _page(
    request: AuthedRequest, team: Team, form: InterferenceForm | None = None
) -> HttpResponseBase:
    filter_form, items = _listed(request, team)
    can_change = policy.allows(request.user, permissions.FIELDWORK_CHANGE, team)
    query = request.GET.urlencode()
    return render(
        request,
        "fieldwork/interference/list.html",
        {
            "team": team,
            "tabs": common.tabs(team, "interference"),
            "items": list(items),
            "filter_form": filter_form,
            "form": (form or InterferenceForm()) if can_change else None,
            "can_lead": permissions.may_lead(request.user, team),
            "export_query": f"?{query}" if query else "",
        },
        status=400 if form is not None and form.errors else 200,
    )


@never_cache
@require_GET
def interference(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk)
    return _page(request, team)


@require_POST
def interference_new(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk, permissions.FIELDWORK_CHANGE)
    form = InterferenceForm(request.POST)
    if form.is_valid():
        try:
            services.interference_record(actor=request.user, team=team, **form.cleaned_data)
        except ValidationError as exc:
            common.errors_to_form(form, exc)
        else:
            messages.success(
                request, _("Recorded; the team leader, the deputies and the office were told.")
            )
            return redirect("fieldwork:interference", team.pk)
    return _page(request, team, form)


@require_POST
def interference_ack(request: AuthedRequest, pk: int) -> HttpResponseBase:
    item = common.object_or_404(
        request.user,
        Interference.objects.select_related("team"),
        pk,
        permissions.FIELDWORK_LEAD,
    )
    try:
        services.interference_acknowledge(actor=request.user, item=item)
    except ValidationError as exc:
        common.refused(request, exc)
    else:
        messages.success(request, _("Acknowledged."))
    return redirect("fieldwork:interference", item.team_id)


def _name(user: Any) -> str:
    return user.display_name() if user is not None else ""


def _when(value: Any) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


@never_cache
@require_GET
def interference_export(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = common.team_or_404(request.user, team_pk)
    _form, items = _listed(request, team)
    rows = [
        [
            _when(i.occurred_at),
            i.who,
            i.who_post,
            i.for_whom,
            i.get_how_display(),
            i.what,
            i.response,
            _name(i.recorded_by),
            _name(i.acknowledged_by),
            _when(i.acknowledged_at),
        ]
        for i in items
    ]
    header = [
        _("When"),
        _("Who interceded"),
        _("Their post or relation"),
        _("For whom"),
        _("How"),
        _("What was asked"),
        _("How the team member answered"),
        _("Recorded by"),
        _("Acknowledged by"),
        _("Acknowledged at"),
    ]
    data = xlsx_bytes([(_("Interference register"), header, rows)])
    services.exported(
        actor=request.user, team=team, what="interference", fmt="xlsx", count=len(rows)
    )
    return download(data, XLSX_CONTENT_TYPE, f"interference-{team.pk}.xlsx")


urlpatterns = [
    path("fieldwork/team/<int:team_pk>/interference/", interference, name="interference"),
    path(
        "fieldwork/team/<int:team_pk>/interference/new/", interference_new, name="interference_new"
    ),
    path(
        "fieldwork/team/<int:team_pk>/interference/export/",
        interference_export,
        name="interference_export",
    ),
    path("fieldwork/interference/<int:pk>/ack/", interference_ack, name="interference_ack"),
]
