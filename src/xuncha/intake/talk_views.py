"""Talks: propose a time and place (at random or by hand), confirm, cancel, and the
team's calendar of talks. The buttons live in the report page (``intake/talks/_panel.html``);
these views act and go back to it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from xuncha.core import policy
from xuncha.core.forms import form_errors
from xuncha.core.views import AuthedRequest
from xuncha.intake import keyring, permissions, talks
from xuncha.intake.models import Appointment, Channel, Report
from xuncha.intake.talk_forms import CancelForm, TalkForm
from xuncha.rounds.models import Team

MAX_WEEKS = 26


def locked_message(request: AuthedRequest) -> None:
    """The user's key is not unlocked in this session: say what to do."""
    messages.error(
        request,
        format_html(
            '{} <a href="{}">{}</a>',
            _(
                "Your key for public reports is not unlocked in this session: sign out and "
                "sign in again with your password."
            ),
            reverse("intake:keys"),
            _("About your key"),
        ),
    )


def _report(request: AuthedRequest, pk: int) -> Report:
    report = get_object_or_404(
        policy.scope(
            request.user, permissions.INTAKE_VIEW, Report.objects.select_related("channel__team")
        ),
        pk=pk,
    )
    policy.require(request.user, permissions.INTAKE_CHANGE, report)
    return report


def _appointment(request: AuthedRequest, pk: int) -> Appointment:
    appointment = get_object_or_404(
        policy.scope(
            request.user,
            permissions.INTAKE_VIEW,
            Appointment.objects.select_related("report__channel__team"),
        ),
        pk=pk,
    )
    policy.require(request.user, permissions.INTAKE_CHANGE, appointment.report)
    return appointment


def _back(report: Report) -> HttpResponseBase:
    return redirect(reverse("intake:report", args=[report.pk]) + "#talks")


def _refused(request: AuthedRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@require_POST
def propose(request: AuthedRequest, pk: int) -> HttpResponseBase:
    report = _report(request, pk)
    private_key = keyring.private_key(request)
    if private_key is None:
        locked_message(request)
        return _back(report)
    try:
        if request.POST.get("random") == "1":
            result = talks.propose_detailed(
                actor=request.user, report=report, private_key=private_key, random=True
            )
        else:
            form = TalkForm(request.POST, channel=report.channel)
            if not form.is_valid():
                messages.error(request, form_errors(form))
                return _back(report)
            result = talks.propose_detailed(
                actor=request.user,
                report=report,
                private_key=private_key,
                random=False,
                starts_at=form.starts_at(),
                place=form.cleaned_data["place"],
                mode=form.cleaned_data["mode"],
            )
    except ValidationError as exc:
        _refused(request, exc)
        return _back(report)
    messages.success(
        request,
        _("Proposed to the submitter: %(what)s.") % {"what": talks.describe(result.appointment)},
    )
    if result.fallback:
        messages.warning(
            request, _("No free time matched the submitter's wishes; another free time was drawn.")
        )
    if result.place_fallback:
        messages.warning(
            request, _("The team has no place of the kind asked for; another place was drawn.")
        )
    return _back(report)


@require_POST
def confirm(request: AuthedRequest, pk: int) -> HttpResponseBase:
    appointment = _appointment(request, pk)
    private_key = keyring.private_key(request)
    if private_key is None:
        locked_message(request)
        return _back(appointment.report)
    try:
        talks.confirm(request.user, appointment, private_key)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request, _("Talk confirmed: %(what)s.") % {"what": talks.describe(appointment)}
        )
    return _back(appointment.report)


@require_POST
def cancel(request: AuthedRequest, pk: int) -> HttpResponseBase:
    appointment = _appointment(request, pk)
    private_key = keyring.private_key(request)
    if private_key is None:
        locked_message(request)
        return _back(appointment.report)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return _back(appointment.report)
    try:
        talks.cancel(request.user, appointment, private_key, form.cleaned_data["note"])
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Talk cancelled; the submitter was told."))
    return _back(appointment.report)


# --- the calendar ------------------------------------------------------------------------


@dataclass
class Day:
    date: dt.date
    talks: list[Appointment] = field(default_factory=list)
    in_window: bool = True
    is_today: bool = False


def _weeks(
    days: dict[dt.date, Day], first: dt.date, last: dt.date, today: dt.date
) -> list[list[Day]]:
    start = first - dt.timedelta(days=first.weekday())
    weeks: list[list[Day]] = []
    while start <= last and len(weeks) < MAX_WEEKS:
        week = []
        for offset in range(7):
            date = start + dt.timedelta(days=offset)
            week.append(days.get(date) or Day(date, in_window=False, is_today=date == today))
        weeks.append(week)
        start += dt.timedelta(days=7)
    return weeks


@require_GET
def calendar(request: AuthedRequest, team_pk: int) -> HttpResponseBase:
    team = get_object_or_404(
        policy.scope(request.user, permissions.INTAKE_VIEW, Team.objects.select_related("round")),
        pk=team_pk,
    )
    show_cancelled = request.GET.get("cancelled") == "1"
    qs = policy.scope(
        request.user,
        permissions.INTAKE_VIEW,
        Appointment.objects.filter(team=team).select_related("report__channel"),
    ).order_by("starts_at", "pk")
    if not show_cancelled:
        qs = qs.exclude(state=Appointment.State.CANCELLED)
    channel = Channel.objects.filter(team=team).first()
    today = timezone.localdate()
    days: dict[dt.date, Day] = {}
    if channel is not None and channel.starts_on and channel.ends_on:
        date = channel.starts_on
        while date <= channel.ends_on and len(days) < MAX_WEEKS * 7:
            days[date] = Day(date, is_today=date == today)
            date += dt.timedelta(days=1)
    has_window = bool(days)
    by_day: dict[dt.date, list[Appointment]] = defaultdict(list)
    for appointment in qs:
        by_day[timezone.localtime(appointment.starts_at).date()].append(appointment)
    for date, items in by_day.items():
        day = days.setdefault(date, Day(date, in_window=not has_window, is_today=date == today))
        day.talks = items
    ordered = sorted(days)
    weeks = _weeks(days, ordered[0], ordered[-1], today) if ordered else []
    return render(
        request,
        "intake/talks/calendar.html",
        {
            "team": team,
            "channel": channel,
            "days_with_talks": [days[d] for d in ordered if days[d].talks],
            "weeks": weeks,
            "weekdays": [WEEKDAYS_ABBR[i] for i in range(7)],
            "show_cancelled": show_cancelled,
            "count": sum(len(items) for items in by_day.values()),
            "may_set_up": policy.allows(request.user, permissions.INTAKE_CHANNEL, team),
        },
    )
