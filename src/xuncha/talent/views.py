"""Pool pages: the shared prefecture pool, filtered, searched, charted and exported."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from xuncha.core import i18n, policy
from xuncha.core.forms import DateInput, applied_filters, applied_values
from xuncha.core.models import Organisation, OrganisationKind
from xuncha.core.policy import Action
from xuncha.core.selectors import name_rank
from xuncha.core.tables import Column, Table
from xuncha.core.views import AuthedRequest
from xuncha.talent import permissions, selectors, services
from xuncha.talent.models import Evaluation, Specialty
from xuncha.talent.profile_forms import check_record_date
from xuncha.talent.profile_views import EXPIRY_WARNING


class PoolFilterForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        help_text=gettext_lazy("Characters, pinyin or initials (zwj, zhangwj, zhangwenjie)"),
    )
    specialty = forms.ModelChoiceField(
        label=gettext_lazy("Specialty"),
        required=False,
        queryset=Specialty.objects.all(),
        empty_label=gettext_lazy("All"),
    )
    qualified = forms.ChoiceField(
        label=gettext_lazy("Qualification"),
        required=False,
        choices=[
            ("", gettext_lazy("All")),
            ("yes", gettext_lazy("Valid")),
            ("no", gettext_lazy("Missing or expired")),
        ],
    )
    leader = forms.BooleanField(label=gettext_lazy("Leader pool only"), required=False)
    available_on = forms.DateField(
        label=gettext_lazy("Available on"), required=False, widget=DateInput()
    )
    min_rounds = forms.IntegerField(
        label=gettext_lazy("At least this many rounds"), required=False, min_value=0, max_value=50
    )
    min_grade = forms.ChoiceField(
        label=gettext_lazy("Last evaluation"),
        required=False,
        choices=[
            ("", gettext_lazy("All")),
            ("pass", gettext_lazy("Pass or better")),
            ("good", gettext_lazy("Good or better")),
            ("excellent", gettext_lazy("Excellent")),
        ],
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[
            ("in_pool", gettext_lazy("In the pool")),
            ("removed", gettext_lazy("Removed")),
            ("all", gettext_lazy("All")),
        ],
    )

    def clean_available_on(self) -> dt.date | None:
        day = self.cleaned_data.get("available_on")
        return check_record_date(day) if day is not None else None

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["county"] = forms.ModelChoiceField(
            label=gettext_lazy("County"),
            required=False,
            empty_label=gettext_lazy("All"),
            # The order of the table's county column.
            queryset=policy.scope(
                user,
                permissions.TALENT_VIEW,
                Organisation.objects.filter(kind=OrganisationKind.COUNTY),
            ).order_by("code"),
        )


def leader_pool_label(leader_eligible: bool, qualified: bool, in_pool: bool = True) -> str:
    """The leader pool as the "leaders only" filter and team formation read it: in the pool,
    eligible and holding a valid qualification; eligible without one is said, so the office
    sees why (short enough for the column on a phone; the profile says it in full)."""
    if not leader_eligible or not in_pool:
        return ""
    return str(_("Yes") if qualified else _("No (not qualified)"))


def qualified_label(qualified: bool, valid_until: dt.date | None, today: dt.date) -> str:
    """Yes / No, and the expiry when a valid qualification runs out within the warning
    period (the office renews it before a round needs it)."""
    if not qualified:
        return str(_("No"))
    if valid_until is not None and valid_until - today <= EXPIRY_WARNING:
        return _("Yes, expires on %(day)s") % {"day": valid_until.isoformat()}
    return str(_("Yes"))


def last_evaluation_label(grade: str | None, score: int | None) -> str:
    """The grade and score of the latest evaluation ("" before the first one)."""
    if grade is None:
        return ""
    label = Evaluation.Grade(grade).label if grade in Evaluation.Grade.values else grade
    return _("%(grade)s (%(score)s)") % {"grade": label, "score": score}


COLUMNS = [
    Column(
        "name",
        gettext_lazy("Full name"),
        lambda p: p.person.name,
        sort="person__name_search",
        link=lambda p: reverse("talent:profile_detail", args=[p.pk]),
        css="text-nowrap",
    ),
    Column(
        "county",
        gettext_lazy("County"),
        lambda p: p.county.name,
        sort="county__code",
        css="text-nowrap",
        hide_below="sm",
    ),
    Column(
        "home",
        gettext_lazy("Home organisation and post"),
        lambda p: f"{p.home_organisation.name if p.home_organisation else ''} {p.home_post}",
        hide_below="md",
    ),
    Column(
        "specialties",
        gettext_lazy("Specialties"),
        lambda p: i18n.enumeration(s.name for s in p.specialties.all()),
    ),
    Column(
        "qualified",
        gettext_lazy("Qualified"),
        lambda p: qualified_label(p.qualified, p.valid_until, timezone.localdate()),
        sort="qualified",
    ),
    Column(
        "leader",
        gettext_lazy("Leader pool"),
        lambda p: leader_pool_label(p.leader_eligible, p.qualified, p.in_pool),
        sort="leader_rank",
    ),
    Column(
        "rounds",
        pgettext_lazy("pool column: how many rounds", "Rounds served"),
        lambda p: p.rounds_done,
        sort="rounds_done",
        css="text-end",
        hide_below="sm",
    ),
    Column(
        "evaluation",
        gettext_lazy("Last evaluation"),
        lambda p: last_evaluation_label(p.last_grade, p.last_score),
        sort="last_score",
        css="text-nowrap",
        hide_below="md",
    ),
]


# Shown when the list includes people taken out of the pool: who they are, and why.
REMOVED_COLUMN = Column(
    "removed",
    gettext_lazy("Taken out of the pool"),
    lambda p: "" if p.in_pool else (p.removed_reason or _("Yes")),
    sort="in_pool",
)


def _filtered(request: AuthedRequest) -> tuple[PoolFilterForm, Any]:
    form = PoolFilterForm(request.GET or None, user=request.user)
    filters: dict[str, Any] = {}
    q = ""
    if form.is_bound:
        # A filter that is not valid is left out (and marked); the others still apply.
        form.is_valid()
        filters = {k: v for k, v in form.cleaned_data.items() if k != "q"}
        q = form.cleaned_data.get("q", "")
    return form, selectors.pool_for(request.user, today=timezone.localdate(), filters=filters, q=q)


def _filter_codes(applied: dict[str, Any]) -> dict[str, str]:
    """The applied filters as stored values (ids, codes, ISO dates), for the audit event."""
    return {
        name: value.isoformat() if isinstance(value, dt.date) else str(getattr(value, "pk", value))
        for name, value in applied.items()
    }


def _export(
    request: AuthedRequest, form: PoolFilterForm, table: Table, fmt: str
) -> HttpResponseBase:
    """The filtered, sorted pool as a file named by the day, audited; the xlsx says on a
    second sheet what it holds (filters, sort, rows, when and by whom)."""
    count = table.queryset.count()
    applied = applied_values(form)
    services.pool_export_recorded(
        actor=request.user, fmt=fmt, count=count, filters=_filter_codes(applied)
    )
    now = timezone.localtime()
    filename = f"inspector-pool-{now.date().isoformat()}"
    if fmt == "csv":
        return table.export_csv(filename)
    criteria: list[tuple[Any, Any]] = applied_filters(form)
    if "status" not in applied:  # the pool's default
        criteria.append((form.fields["status"].label, _("In the pool")))
    criteria += [
        (_("Sorted by"), table.sort_label()),
        (_("Rows"), count),
        (_("Exported at"), now.strftime("%Y-%m-%d %H:%M")),
        (_("Exported by"), request.user.display_name()),
    ]
    return table.export_xlsx(filename, _("Inspector pool"), criteria)


@require_GET
def pool(request: AuthedRequest) -> HttpResponseBase:
    policy.require(request.user, permissions.TALENT_VIEW)
    form, qs = _filtered(request)
    status = getattr(form, "cleaned_data", {}).get("status") or "in_pool"
    columns = COLUMNS if status == "in_pool" else [*COLUMNS, REMOVED_COLUMN]
    # A column the list is filtered by shows on phones too.
    filtered_by = {
        column
        for column, field in (("evaluation", "min_grade"), ("rounds", "min_rounds"))
        if getattr(form, "cleaned_data", {}).get(field)
    }
    columns = [replace(c, hide_below="") if c.key in filtered_by else c for c in columns]
    # Exporting personal data is the office's, as on the people list: readers such as the
    # leading group see the pool but take no copy of it.
    exportable = policy.can(request.user, Action.PERSON_EXPORT)
    q = getattr(form, "cleaned_data", {}).get("q", "")
    # A pinyin search lists common readings first (王 before 方 for "wang").
    rank = name_rank(q, prefix="person__") if q else None
    table = Table(request, qs, columns, default_sort="county", exportable=exportable, rank=rank)
    export = request.GET.get("export")
    if export in ("csv", "xlsx"):
        if not exportable:
            raise PermissionDenied
        return _export(request, form, table, export)
    return render(
        request,
        "talent/pool.html",
        {
            **table.context(),
            "filter_form": form,
            "filter_partial": True,
            "chart": selectors.pool_chart(qs),
            "xlsx_url": table.export_url("xlsx") if exportable else "",
            "can_add": policy.can(request.user, permissions.TALENT_CHANGE),
            "forming": selectors.rounds_to_form(request.user),
        },
    )


@require_GET
def profile_detail(request: AuthedRequest, pk: int) -> HttpResponseBase:
    from xuncha.talent import profile_views

    return profile_views.render_profile(request, pk)
