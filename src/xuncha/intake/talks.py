"""One-to-one talks asked for through the public channel: proposing a time and place (by
hand or drawn at random from the team's free slots and places), confirming, cancelling.

The submitter learns each step through the receipt thread. An appointment's time and
place are stored in clear for the team's calendar (and later interview scheduling); who
asked for it stays in the encrypted report.
"""

from __future__ import annotations

import datetime as dt
import random as random_module
from dataclasses import dataclass
from typing import Any

import chinese_calendar
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from xuncha.core import audit, policy
from xuncha.core.models import AuditEventType as E
from xuncha.core.models import User
from xuncha.intake import permissions, services
from xuncha.intake.lib import slots
from xuncha.intake.models import CLOSED_STATUSES, Appointment, Channel, Kind, Report, Status

ACTIVE = (Appointment.State.PROPOSED, Appointment.State.CONFIRMED)
SUBMITTER_MODES = ("in_person", "phone", "either")


@dataclass
class Proposed:
    appointment: Appointment
    fallback: bool = False  # no free slot matched the submitter's wishes
    place_fallback: bool = False  # no place of the kind asked for


# --- reading the channel's settings ------------------------------------------------------


def talk_hours(channel: Channel) -> slots.TalkHours:
    try:
        return slots.TalkHours.parse(channel.talk_hours or {})
    except (TypeError, ValueError):
        return slots.TalkHours.parse({})


def holidays(first: dt.date, last: dt.date) -> set[dt.date]:
    """Public holidays in [first, last]: weekdays off in the work calendar (holiday
    overrides, then the chinese_calendar data) and named holidays where the package has
    data for the year (it raises for years it does not know)."""
    from xuncha.rounds import services as round_services

    calendar = round_services.work_calendar()
    days: set[dt.date] = set()
    day = first
    while day <= last:
        if day.weekday() < 5 and not calendar.is_workday(day):
            days.add(day)
        else:
            try:
                on_holiday, name = chinese_calendar.get_holiday_detail(day)
            except NotImplementedError:
                on_holiday, name = False, None
            if on_holiday and name:
                days.add(day)
        day += dt.timedelta(days=1)
    return days


def busy(team_id: int, *, exclude: QuerySet[Appointment] | None = None) -> list[slots.Slot]:
    qs = Appointment.objects.filter(team_id=team_id, state__in=ACTIVE)
    if exclude is not None:
        qs = qs.exclude(pk__in=exclude.values("pk"))
    return [slots.Slot(a.starts_at, a.ends_at) for a in qs]


# --- the texts the submitter reads -------------------------------------------------------


def describe(appointment: Appointment) -> str:
    """ "Tuesday 3 December 2026, 14:30–15:30, <place>" in the active language."""
    start = timezone.localtime(appointment.starts_at)
    end = timezone.localtime(appointment.ends_at)
    when = _("%(weekday)s %(date)s, %(start)s–%(end)s") % {
        "weekday": date_format(start, "l"),
        "date": date_format(start, "DATE_FORMAT"),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M"),
    }
    if appointment.mode == Appointment.Mode.PHONE:
        where = _("by phone")
    else:
        where = appointment.place or _("at a place the team will tell you here")
    return _("%(when)s, %(where)s") % {"when": when, "where": where}


def _thread_text(kind: str, appointment: Appointment, *, note: str = "", **flags: bool) -> str:
    # The submitter reads the thread in the public pages' language, whoever writes it.
    with translation.override(settings.LANGUAGE_CODE):
        what = describe(appointment)
        if kind == "proposed":
            if appointment.mode == Appointment.Mode.PHONE:
                text = _(
                    "Proposed talk: %(what)s. Reply here with a number we can call if you "
                    "have not given one, or if this time does not suit you."
                ) % {"what": what}
            else:
                text = _("Proposed talk: %(what)s. Reply here if this does not suit you.") % {
                    "what": what
                }
            if flags.get("fallback"):
                text += " " + _("None of the times you asked for was free; this is another one.")
            if flags.get("replaced"):
                text += " " + _("This replaces the earlier proposal.")
        elif kind == "confirmed":
            text = _("Confirmed talk: %(what)s. We look forward to meeting you.") % {"what": what}
        else:
            text = _("Cancelled talk: %(what)s.") % {"what": what}
            if note.strip():
                text += " " + note.strip()
        return text


def _tell_submitter(actor: User, report: Report, private_key: bytes | None, text: str) -> None:
    if report.receipt_digest is not None:
        services.staff_message(actor=actor, report=report, private_key=private_key, text=text)


# --- services ----------------------------------------------------------------------------


def _check_open(report: Report) -> None:
    if report.kind != Kind.TALK:
        raise ValidationError(_("Only talk requests can be given a talk time."))
    if report.status in CLOSED_STATUSES:
        raise ValidationError(_("This request is closed."))


def _check_time(
    channel: Channel, starts_at: dt.datetime, ends_at: dt.datetime, others: list[slots.Slot]
) -> None:
    if starts_at <= timezone.now():
        raise ValidationError(_("The time has already passed."))
    day = timezone.localtime(starts_at).date()
    if (channel.starts_on and day < channel.starts_on) or (
        channel.ends_on and day > channel.ends_on
    ):
        raise ValidationError(
            _("%(day)s is outside the stationing period (%(start)s to %(end)s).")
            % {
                "day": day.isoformat(),
                "start": channel.starts_on.isoformat() if channel.starts_on else "…",
                "end": channel.ends_on.isoformat() if channel.ends_on else "…",
            }
        )
    wanted = slots.Slot(starts_at, ends_at)
    if any(wanted.overlaps(other) for other in others):
        raise ValidationError(_("The team already has a talk at that time."))


def _random_choice(
    actor: User,
    report: Report,
    channel: Channel,
    private_key: bytes | None,
    others: list[slots.Slot],
    mode: str | None,
    rng: random_module.Random | None,
) -> tuple[slots.Slot, str, str, bool, bool]:
    """(slot, mode, place, fallback, place_fallback) drawn for the submitter's wishes."""
    content: dict[str, Any] = services.report_read(
        actor=actor, report=report, private_key=private_key
    ).content
    wishes = slots.Preferences.from_request(content.get("days") or (), content.get("times") or ())
    hours = talk_hours(channel)
    earliest = slots.earliest_start(timezone.now())
    local = timezone.localtime(earliest)
    first = max(channel.starts_on or local.date(), local.date())
    last = channel.ends_on or first + slots.DEFAULT_HORIZON
    found = slots.candidates(
        hours,
        starts_on=channel.starts_on,
        ends_on=channel.ends_on,
        earliest=earliest,
        busy=others,
        preferences=wishes,
        holidays=holidays(first, last) if first <= last else set(),
        tz=timezone.get_current_timezone(),
    )
    if not found.slots:
        raise ValidationError(
            _(
                "No free time is left for talks in the stationing period. Check the hours "
                "for talks and the dates in the channel settings, or propose a time by hand."
            )
        )
    slot = slots.pick(found.slots, rng)
    places = slots.places_from(channel.places or [])
    asked = str(content.get("mode") or "either")
    if mode is None:
        if asked == Appointment.Mode.PHONE:
            mode = Appointment.Mode.PHONE
        elif asked == Appointment.Mode.IN_PERSON or places or channel.station:
            mode = Appointment.Mode.IN_PERSON
        else:
            mode = Appointment.Mode.PHONE
    options = slots.places_for(
        places, str(content.get("place_kind") or ""), by_phone=mode == Appointment.Mode.PHONE
    )
    place_fallback = False
    if mode == Appointment.Mode.PHONE:
        place = ""
    elif options:
        place = slots.pick(options, rng).name
    else:
        place_fallback = bool(places)
        place = slots.pick(places, rng).name if places else channel.station
    return slot, mode, place, found.fallback, place_fallback


def propose_detailed(
    *,
    actor: User,
    report: Report,
    private_key: bytes | None,
    random: bool = True,
    starts_at: dt.datetime | None = None,
    place: str = "",
    mode: str | None = None,
    rng: random_module.Random | None = None,
) -> Proposed:
    """Propose a talk time and place, at random from the free slots that fit the
    submitter's wishes, or the time given; tell the submitter through the thread. A new
    proposal replaces the report's open one."""
    policy.require(actor, permissions.INTAKE_CHANGE, report)
    _check_open(report)
    if mode is not None and mode not in Appointment.Mode.values:
        raise ValueError(f"unknown mode {mode!r}")
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=report.channel_id)
        open_ones = Appointment.objects.filter(report=report, state=Appointment.State.PROPOSED)
        others = busy(channel.team_id, exclude=open_ones)
        fallback = place_fallback = False
        if random:
            slot, mode, place, fallback, place_fallback = _random_choice(
                actor, report, channel, private_key, others, mode, rng
            )
        else:
            if starts_at is None:
                raise ValueError("a proposal by hand needs a start time")
            slot = slots.Slot(starts_at, starts_at + talk_hours(channel).length)
            mode = mode or Appointment.Mode.IN_PERSON
            place = "" if mode == Appointment.Mode.PHONE else place.strip()[:200]
        _check_time(channel, slot.starts_at, slot.ends_at, others)
        replaced = list(open_ones)
        for old in replaced:
            old.state = Appointment.State.CANCELLED
            old.save(update_fields=["state"])
            audit.record(
                actor=actor,
                event_type=E.INTAKE_TALK_CANCELLED,
                obj=old,
                object_repr=_repr(report, old),
                extra={"replaced": True},
            )
        appointment = Appointment.objects.create(
            report=report,
            team_id=channel.team_id,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            mode=mode,
            place=place,
            random=random,
            created_by=actor,
        )
        _tell_submitter(
            actor,
            report,
            private_key,
            _thread_text("proposed", appointment, fallback=fallback, replaced=bool(replaced)),
        )
        audit.record(
            actor=actor,
            event_type=E.INTAKE_TALK_PROPOSED,
            obj=appointment,
            object_repr=_repr(report, appointment),
            after=audit.snapshot(appointment, ("starts_at", "ends_at", "mode", "place", "random")),
            extra={"fallback": fallback, "place_fallback": place_fallback},
        )
    return Proposed(appointment, fallback=fallback, place_fallback=place_fallback)


def propose(
    actor: User,
    report: Report,
    private_key: bytes | None,
    *,
    random: bool = True,
    starts_at: dt.datetime | None = None,
    place: str = "",
    mode: str | None = None,
    rng: random_module.Random | None = None,
) -> Appointment:
    return propose_detailed(
        actor=actor,
        report=report,
        private_key=private_key,
        random=random,
        starts_at=starts_at,
        place=place,
        mode=mode,
        rng=rng,
    ).appointment


def _repr(report: Report, appointment: Appointment) -> str:
    start = timezone.localtime(appointment.starts_at)
    return f"{report.label} {start:%Y-%m-%d %H:%M}"


def confirm(actor: User, appointment: Appointment, private_key: bytes | None) -> Appointment:
    """The team confirms a proposed talk: the report is scheduled, the submitter told."""
    report = appointment.report
    policy.require(actor, permissions.INTAKE_CHANGE, report)
    _check_open(report)
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=report.channel_id)
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if appointment.state != Appointment.State.PROPOSED:
            raise ValidationError(_("Only a proposed talk can be confirmed."))
        others = busy(appointment.team_id, exclude=Appointment.objects.filter(pk=appointment.pk))
        _check_time(channel, appointment.starts_at, appointment.ends_at, others)
        appointment.state = Appointment.State.CONFIRMED
        appointment.confirmed_at = timezone.now()
        appointment.save(update_fields=["state", "confirmed_at"])
        _tell_submitter(actor, report, private_key, _thread_text("confirmed", appointment))
        Report.objects.filter(pk=report.pk).update(status=Status.SCHEDULED)
        report.status = Status.SCHEDULED
        audit.record(
            actor=actor,
            event_type=E.INTAKE_TALK_CONFIRMED,
            obj=appointment,
            object_repr=_repr(report, appointment),
        )
    return appointment


def cancel(
    actor: User, appointment: Appointment, private_key: bytes | None, note: str = ""
) -> Appointment:
    """Cancel a proposed or confirmed talk and tell the submitter why."""
    report = appointment.report
    policy.require(actor, permissions.INTAKE_CHANGE, report)
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if appointment.state not in ACTIVE:
            raise ValidationError(_("This talk is already cancelled."))
        was = appointment.state
        appointment.state = Appointment.State.CANCELLED
        appointment.save(update_fields=["state"])
        _tell_submitter(
            actor, report, private_key, _thread_text("cancelled", appointment, note=note)
        )
        still_confirmed = Appointment.objects.filter(
            report=report, state=Appointment.State.CONFIRMED
        ).exists()
        if report.status == Status.SCHEDULED and not still_confirmed:
            Report.objects.filter(pk=report.pk).update(status=Status.REVIEW)
            report.status = Status.REVIEW
        audit.record(
            actor=actor,
            event_type=E.INTAKE_TALK_CANCELLED,
            obj=appointment,
            object_repr=_repr(report, appointment),
            before={"state": was},
            extra={"note": bool(note.strip())},
        )
    return appointment


# --- for the report page -----------------------------------------------------------------


def panel_context(user: User, report: Report) -> dict[str, Any]:
    """What ``intake/talks/_panel.html`` needs: the report, its talks, and the form to
    propose one (None when the user may not change the report or it is closed)."""
    from xuncha.intake.talk_forms import TalkForm

    appointments = list(report.appointments.select_related("created_by").order_by("starts_at"))
    may_change = (
        report.kind == Kind.TALK
        and report.status not in CLOSED_STATUSES
        and policy.allows(user, permissions.INTAKE_CHANGE, report)
    )
    return {
        "report": report,
        "appointments": appointments,
        "talk_form": TalkForm(channel=report.channel) if may_change else None,
    }
