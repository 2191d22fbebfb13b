"""The office's settings for rounds: holidays and make-up working days, default stage
durations, focus areas, and the coverage priorities of a term's organisations."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from xuncha.core import policy
from xuncha.core.forms import DateInput
from xuncha.core.models import Organisation, OrganisationKind
from xuncha.core.views import AuthedRequest
from xuncha.rounds import permissions, selectors, services, settings_services
from xuncha.rounds.models import (
    CommitteeTerm,
    FocusArea,
    HolidayOverride,
    RoundKind,
    Stage,
    StageDuration,
)

# How far ahead the holiday page looks for years without any data.
YEARS_AHEAD = 6


def _require_settings(request: AuthedRequest) -> None:
    policy.require(request.user, permissions.TERM_CHANGE)


def _posted_pk(request: AuthedRequest) -> int:
    value = request.POST.get("pk", "")
    if not value.isdigit():
        raise Http404
    return int(value)


def _errors_text(form: forms.Form) -> str:
    return "; ".join(str(e) for errors in form.errors.values() for e in errors)


# --- holidays ----------------------------------------------------------------------------


class HolidayForm(forms.Form):
    day = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    is_workday = forms.BooleanField(
        label=gettext_lazy("Working day (a make-up working day, 调休)"),
        required=False,
        help_text=gettext_lazy("Leave unticked for a holiday."),
    )
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=60,
        required=False,
        help_text=gettext_lazy("For example 国庆节 or 国庆节调休."),
    )


def _holiday_groups(rows: list[HolidayOverride], calendar: Any) -> list[dict[str, Any]]:
    """The table's rows by year, newest year first, days in order within a year."""
    years: dict[int, list[HolidayOverride]] = {}
    for row in rows:
        years.setdefault(row.day.year, []).append(row)
    return [
        {
            "year": year,
            "official": calendar.has_official_data(year),
            "rows": sorted(years[year], key=lambda h: h.day),
            "holidays": sum(1 for h in years[year] if not h.is_workday),
            "workdays": sum(1 for h in years[year] if h.is_workday),
        }
        for year in sorted(years, reverse=True)
    ]


def _edit_initial(request: AuthedRequest) -> dict[str, Any]:
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return {}
    row = HolidayOverride.objects.filter(day=day).first()
    if row is None:
        return {"day": day}
    return {"day": row.day, "is_workday": row.is_workday, "name": row.name}


@require_http_methods(["GET", "POST"])
def holidays(request: AuthedRequest) -> HttpResponseBase:
    _require_settings(request)
    form = HolidayForm(request.POST or None, initial=_edit_initial(request))
    if request.method == "POST" and request.POST.get("action") == "delete":
        holiday = get_object_or_404(HolidayOverride, pk=_posted_pk(request))
        settings_services.holiday_delete(actor=request.user, holiday=holiday)
        messages.success(
            request, _("%(day)s removed from the holiday table.") % {"day": holiday.day.isoformat()}
        )
        return redirect("rounds_settings:holidays")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.holiday_set(
            actor=request.user,
            day=data["day"],
            is_workday=data["is_workday"],
            name=data["name"].strip(),
        )
        messages.success(
            request,
            (
                _("%(day)s is now a working day.")
                if data["is_workday"]
                else _("%(day)s is now a holiday.")
            )
            % {"day": data["day"].isoformat()},
        )
        return redirect("rounds_settings:holidays")
    calendar = services.work_calendar()
    today = timezone.localdate()
    rows = list(HolidayOverride.objects.order_by("-day"))
    return render(
        request,
        "rounds/settings/holidays.html",
        {
            "form": form,
            "groups": _holiday_groups(rows, calendar),
            "missing_years": calendar.years_without_data(
                today, dt.date(today.year + YEARS_AHEAD, 12, 31)
            ),
            "active": "holidays",
        },
    )


# --- stage durations ---------------------------------------------------------------------


def _field(kind: str, stage: str, part: str) -> str:
    return f"{kind}__{stage}__{part}"


class DurationsForm(forms.Form):
    """One length and one unit per kind of round and scheduled stage."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for stage in services.SCHEDULED_STAGES:
            for kind in RoundKind.values:
                names = {"kind": RoundKind(kind).label, "stage": Stage(stage).label}
                label = _("%(stage)s of %(kind)s rounds") % names
                self.fields[_field(kind, stage, "length")] = forms.IntegerField(
                    label=label,
                    widget=forms.NumberInput(
                        attrs={
                            "min": settings_services.MIN_LENGTH,
                            "max": settings_services.MAX_LENGTH,
                            "step": 1,
                            "inputmode": "numeric",
                        }
                    ),
                    error_messages={
                        "required": _("%(stage)s of %(kind)s rounds: give a length.") % names,
                        "invalid": _(
                            "%(stage)s of %(kind)s rounds: the length must be a whole number."
                        )
                        % names,
                    },
                )
                self.fields[_field(kind, stage, "unit")] = forms.ChoiceField(
                    label=_("%(stage)s of %(kind)s rounds: unit") % names,
                    choices=StageDuration.Unit.choices,
                )

    def changes(self) -> dict[tuple[str, str], tuple[int, str]]:
        data = self.cleaned_data
        return {
            (kind, stage): (
                data[_field(kind, stage, "length")],
                data[_field(kind, stage, "unit")],
            )
            for stage in services.SCHEDULED_STAGES
            for kind in RoundKind.values
        }

    def grid(self) -> list[dict[str, Any]]:
        """Rows of stages, a cell per kind of round, for the template."""
        return [
            {
                "stage": Stage(stage).label,
                "cells": [
                    {
                        "kind": RoundKind(kind).label,
                        "length": self[_field(kind, stage, "length")],
                        "unit": self[_field(kind, stage, "unit")],
                    }
                    for kind in RoundKind.values
                ],
            }
            for stage in services.SCHEDULED_STAGES
        ]


@require_http_methods(["GET", "POST"])
def durations(request: AuthedRequest) -> HttpResponseBase:
    _require_settings(request)
    initial: dict[str, Any] = {}
    for d in StageDuration.objects.all():
        initial[_field(d.kind, d.stage, "length")] = d.length
        initial[_field(d.kind, d.stage, "unit")] = d.unit
    form = DurationsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            made = settings_services.durations_set(actor=request.user, changes=form.changes())
        except ValidationError as exc:
            for error in exc.error_list:
                params = error.params or {}
                field = _field(params.get("kind_code", ""), params.get("stage_code", ""), "length")
                form.add_error(field if field in form.fields else None, error)
        else:
            if made:
                messages.success(
                    request,
                    ngettext(
                        "%(n)s stage duration changed. Rounds created from now on use it.",
                        "%(n)s stage durations changed. Rounds created from now on use them.",
                        len(made),
                    )
                    % {"n": len(made)},
                )
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("rounds_settings:durations")
    return render(
        request,
        "rounds/settings/durations.html",
        {
            "form": form,
            "grid": form.grid(),
            "kinds": [RoundKind(k).label for k in RoundKind.values],
            "error_list": [e for errors in form.errors.values() for e in errors],
            "active": "durations",
        },
    )


# --- focus areas -------------------------------------------------------------------------


class FocusAreaForm(forms.Form):
    code = forms.SlugField(
        label=gettext_lazy("Code"),
        max_length=40,
        help_text=gettext_lazy(
            "Letters, digits, hyphens and underscores, e.g. rural-revitalisation."
        ),
    )
    name_zh = forms.CharField(label=gettext_lazy("Name (Chinese)"), max_length=100)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=100)


@require_http_methods(["GET", "POST"])
def focus_areas(request: AuthedRequest) -> HttpResponseBase:
    _require_settings(request)
    action = request.POST.get("action", "")
    if request.method == "POST" and action in ("activate", "deactivate"):
        area = get_object_or_404(FocusArea, pk=_posted_pk(request))
        settings_services.focus_area_set_active(
            actor=request.user, area=area, is_active=action == "activate"
        )
        messages.success(
            request,
            (
                _("%(name)s is offered for new rounds again.")
                if action == "activate"
                else _("%(name)s is no longer offered for new rounds.")
            )
            % {"name": area.name_zh},
        )
        return redirect("rounds_settings:focus_areas")
    form = FocusAreaForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            area = settings_services.focus_area_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Focus area %(name)s added.") % {"name": area.name_zh})
            return redirect("rounds_settings:focus_areas")
    return render(
        request,
        "rounds/settings/focus_areas.html",
        {"form": form, "areas": FocusArea.objects.order_by("code"), "active": "focus_areas"},
    )


# --- coverage priorities of a term -------------------------------------------------------


class PriorityForm(forms.Form):
    """One weight and note for the ticked organisations, or for every one of a kind."""

    weight = forms.DecimalField(
        label=gettext_lazy("Priority"),
        min_value=settings_services.MIN_WEIGHT,
        max_value=settings_services.MAX_WEIGHT,
        max_digits=5,
        decimal_places=2,
        help_text=gettext_lazy("0 to 100; 1 is the default, higher is planned first."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def __init__(self, *args: Any, term: CommitteeTerm, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.term = term
        self.fields["organisations"] = forms.ModelMultipleChoiceField(
            label=gettext_lazy("Organisations"),
            queryset=selectors.term_organisations(term),
            required=False,
        )
        self.fields["all_of_kind"] = forms.ChoiceField(
            label=gettext_lazy("Or every organisation of this kind"),
            choices=[("", "—"), *_kind_choices()],
            required=False,
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("organisations") and not data.get("all_of_kind"):
            raise ValidationError(_("Tick at least one organisation or choose a kind."))
        return data

    def targets(self) -> list[Organisation]:
        data = self.cleaned_data
        chosen: dict[int, Organisation] = {o.pk: o for o in data["organisations"]}
        if data["all_of_kind"]:
            for org in selectors.term_organisations(self.term).filter(kind=data["all_of_kind"]):
                chosen.setdefault(org.pk, org)
        return list(chosen.values())


def _kind_choices() -> list[tuple[str, str]]:
    return [(str(k), str(OrganisationKind(k).label)) for k in selectors.INSPECTED_KINDS]


def _plain(value: Decimal) -> str:
    """A weight as typed in an input: 1, 0.25, 100 (no exponent, no trailing zeros)."""
    return format(value.normalize(), "f")


def _priority_rows(
    term: CommitteeTerm, organisations: QuerySet[Organisation]
) -> list[dict[str, Any]]:
    current = {p.organisation_id: p for p in term.priorities.all()}
    rows = []
    for org in organisations:
        priority = current.get(org.pk)
        weight = priority.weight if priority is not None else Decimal(1)
        rows.append(
            {
                "organisation": org,
                "weight": _plain(weight),
                "note": priority.note if priority is not None else "",
                "is_default": priority is None or weight == 1,
            }
        )
    return rows


@require_http_methods(["GET", "POST"])
def priorities(request: AuthedRequest, pk: int) -> HttpResponseBase:
    term = get_object_or_404(selectors.terms_for(request.user), pk=pk)
    if not policy.allows(request.user, permissions.TERM_CHANGE, term):
        raise PermissionDenied
    kind = request.GET.get("kind", "")
    if kind not in selectors.INSPECTED_KINDS:
        kind = ""
    form = PriorityForm(request.POST or None, term=term)
    bulk_form = form if request.POST.get("bulk") else PriorityForm(term=term)
    if request.method == "POST":
        if form.is_valid():
            try:
                changed = settings_services.priorities_set(
                    actor=request.user,
                    term=term,
                    organisations=form.targets(),
                    weight=form.cleaned_data["weight"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                if changed:
                    messages.success(
                        request,
                        ngettext(
                            "Priority set for %(n)s organisation.",
                            "Priority set for %(n)s organisations.",
                            changed,
                        )
                        % {"n": changed},
                    )
                else:
                    messages.info(request, _("Nothing changed."))
                return redirect(request.get_full_path())
        else:
            messages.error(
                request,
                _("The priority could not be set: %(errors)s") % {"errors": _errors_text(form)},
            )
    organisations = selectors.term_organisations(term).order_by("path")
    if kind:
        organisations = organisations.filter(kind=kind)
    return render(
        request,
        "rounds/settings/priorities.html",
        {
            "term": term,
            "rows": _priority_rows(term, organisations),
            "bulk_form": bulk_form,
            "kind": kind,
            "kinds": _kind_choices(),
        },
    )
