"""Interview scheduling, the Django side: the talks to hold, the instance for the pure
scheduler (``lib.scheduling``), a run as a background job, changes by hand re-checked by
the scheduler's validator, and the exports.

- ``stationing_days``: the working days talks can be held on;
- ``ensure_talks``: one talk per planned interviewee (two for a main leader: first and
  near the end), one per confirmed public talk request (its time and place kept);
- ``build_instance``: models to ``lib.scheduling.Instance`` and back (``Maps``);
- ``start_run`` / ``run_schedule``: a run of the solver as a job, its result written in
  one transaction (a schedule the validator finds fault with is not applied);
- ``talk_change`` / ``talk_cancel``: a change by hand, refused with every rule it breaks;
- ``room_add`` / ``room_remove``: the team's places;
- ``schedule_xlsx`` / ``schedule_docx``: the schedule, one table per day.

A run's settings (main-leader rule, near-end days, same-unit buffer, daily cap) have no
field on ``ScheduleRun``: they travel as the job's arguments and are kept in the job's
result (``JobRun.result["rules"]``), where ``talk_change`` reads them back.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from xuncha.core import audit, jobs
from xuncha.core.lib.officefiles import stamp_document
from xuncha.core.lib.text import Text, gettext_noop, render_text
from xuncha.core.models import AuditEventType, JobRun, Person, User
from xuncha.fieldwork import common
from xuncha.fieldwork.lib import scheduling as sch
from xuncha.fieldwork.models import (
    Absence,
    Interviewee,
    IntervieweeRole,
    Room,
    ScheduleRun,
    Talk,
)
from xuncha.rounds.models import Team

# A channel left open for months must not turn into a model with hundreds of days.
MAX_DAYS = 60
MAX_TIME_LIMIT = 120
JOB_KIND = "fieldwork.schedule"
OPEN_STATES = (Talk.State.UNSCHEDULED, Talk.State.SCHEDULED)
# Places for the talks the scheduler places itself; neutral places are kept for the public.
TALK_ROOM_KINDS = (Room.Kind.TALK_ROOM, Room.Kind.OFFICE, Room.Kind.MEETING_ROOM)
TALK_REQUEST_RULE = "talk_request"  # lib.interviewees.RULE_TALK_REQUEST

DEFAULT_SETTINGS: dict[str, Any] = {
    "main_leader_rule": True,
    "near_end_days": 3,
    "same_unit_buffer_units": 1,
    "daily_cap": 4,
}


def translate(template: str) -> str:
    return gettext(template)


def text(node: Any) -> str:
    """A stored ``Text.to_json()`` in the active language."""
    return render_text(node, translate, ntranslate=ngettext)


# -- the period ------------------------------------------------------------------------------


def _range_days(first: dt.date, last: dt.date, today: dt.date) -> list[dt.date]:
    from xuncha.rounds import services as round_services

    calendar = round_services.work_calendar()
    days: list[dt.date] = []
    day = max(first, today)
    while day <= last and len(days) < MAX_DAYS:
        if calendar.is_workday(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def stationing_days(team: Team, *, today: dt.date | None = None) -> list[dt.date]:
    """Working days from the start of the round's stationing stage to the end of its
    understanding stage, or (when the stages give no day from today on) the public
    channel's stationing period; days before today are left out."""
    from xuncha.intake.models import Channel
    from xuncha.rounds.models import RoundStage, Stage

    today = today or timezone.localdate()
    stages = {
        s.stage: s
        for s in RoundStage.objects.filter(
            round_id=team.round_id, stage__in=[Stage.STATIONING, Stage.UNDERSTANDING]
        )
    }
    ranges: list[tuple[dt.date, dt.date]] = []
    stationing = stages.get(Stage.STATIONING)
    if stationing is not None:
        understanding = stages.get(Stage.UNDERSTANDING)
        end = understanding.end_date if understanding is not None else stationing.end_date
        ranges.append((stationing.start_date, end))
    channel = Channel.objects.filter(team=team).first()
    if channel is not None and channel.starts_on and channel.ends_on:
        ranges.append((channel.starts_on, channel.ends_on))
    for first, last in ranges:
        days = _range_days(first, last, today)
        if days:
            return days
    raise ValidationError(
        _(
            "There is no working day left to schedule talks on: set the dates of the round's "
            "stationing and understanding stages, or the stationing period in the public "
            "channel's settings."
        )
    )


# -- the talks to hold -----------------------------------------------------------------------


def _public_room(team: Team, name: str) -> Room:
    room = Room.objects.filter(team=team, name=name).order_by("pk").first()
    if room is None:
        room = Room.objects.create(team=team, name=name, kind=Room.Kind.NEUTRAL)
    return room


def _appointment_place(appointment: Any) -> str:
    from xuncha.intake.models import Appointment

    if appointment.mode == Appointment.Mode.PHONE:
        return gettext("By phone")
    return str(appointment.place)[:100] or gettext("Place not set")


@dataclass
class Ensured:
    created: int = 0
    cancelled: int = 0
    public: int = 0


@transaction.atomic
def ensure_talks(*, actor: User, team: Team, main_leader_twice: bool = True) -> Ensured:
    """A talk for every planned interviewee without one (a main leader gets a first talk
    and one near the end when ``main_leader_twice``); a fixed talk for every confirmed
    public talk request; open talks of dropped interviewees and of cancelled requests are
    cancelled."""
    from xuncha.intake.models import Appointment

    done = Ensured()
    talks_of: dict[int, list[Talk]] = {}
    for talk in Talk.objects.filter(team=team).order_by("pk"):
        talks_of.setdefault(talk.interviewee_id, []).append(talk)

    for interviewee in Interviewee.objects.filter(team=team).order_by("pk"):
        own = talks_of.get(interviewee.pk, [])
        if interviewee.status == Interviewee.Status.DROPPED:
            for talk in own:
                if talk.state in OPEN_STATES and not talk.fixed:
                    talk.state = Talk.State.CANCELLED
                    talk.save(update_fields=["state", "updated_at"])
                    done.cancelled += 1
            continue
        if interviewee.status != Interviewee.Status.PLANNED:
            continue
        if interviewee.role == IntervieweeRole.MAIN_LEADER and main_leader_twice:
            marks = {t.mark for t in own}
            unmarked = [t for t in own if not t.mark and t.state in OPEN_STATES]
            for mark in (Talk.Mark.FIRST, Talk.Mark.LAST):
                if mark in marks:
                    continue
                if unmarked:
                    talk = unmarked.pop(0)
                    talk.mark = mark
                    talk.save(update_fields=["mark", "updated_at"])
                else:
                    Talk.objects.create(team=team, interviewee=interviewee, mark=mark)
                    done.created += 1
        elif not own:
            Talk.objects.create(team=team, interviewee=interviewee)
            done.created += 1

    target = team.targets.order_by("pk").first()
    appointments = Appointment.objects.filter(team=team).select_related("report__channel")
    linked = {
        t.appointment_id: t for t in Talk.objects.filter(team=team, appointment__isnull=False)
    }
    for appointment in appointments:
        found = linked.get(appointment.pk)
        if appointment.state == Appointment.State.CANCELLED:
            if found is not None and found.state in OPEN_STATES:
                found.state = Talk.State.CANCELLED
                found.save(update_fields=["state", "updated_at"])
                done.cancelled += 1
            continue
        if appointment.state != Appointment.State.CONFIRMED:
            continue
        place = _appointment_place(appointment)
        room = _public_room(team, place)
        if found is None:
            if target is None:
                raise ValidationError(
                    _("The team has no target yet: add one before scheduling talks.")
                )
            label = appointment.report.label
            interviewee, created = Interviewee.objects.get_or_create(
                team=team,
                person=None,
                name=label,
                defaults={
                    "target": target,
                    "role": IntervieweeRole.PUBLIC,
                    "source": Interviewee.Source.MUST,
                    "rules": [TALK_REQUEST_RULE],
                    "reasons": [
                        Text(
                            gettext_noop(
                                "asked for a talk through the public channel (%(source)s)"
                            ),
                            source=label,
                        ).to_json()
                    ],
                    "added_by": actor,
                },
            )
            if created:
                audit.record(
                    actor=actor,
                    event_type=AuditEventType.FIELDWORK_INTERVIEWEE_SET,
                    obj=interviewee,
                    after={"source": "talk_request", "appointment": appointment.pk},
                )
            Talk.objects.create(
                team=team,
                interviewee=interviewee,
                appointment=appointment,
                state=Talk.State.SCHEDULED,
                starts_at=appointment.starts_at,
                ends_at=appointment.ends_at,
                place=place,
                room=room,
            )
            done.created += 1
            done.public += 1
        elif found.state in OPEN_STATES and (
            found.starts_at != appointment.starts_at
            or found.ends_at != appointment.ends_at
            or found.room_id != room.pk
        ):
            found.starts_at, found.ends_at = appointment.starts_at, appointment.ends_at
            found.place, found.room, found.state = place, room, Talk.State.SCHEDULED
            found.save(
                update_fields=["starts_at", "ends_at", "place", "room", "state", "updated_at"]
            )

    if done.created or done.cancelled:
        audit.record(
            actor=actor,
            event_type=AuditEventType.FIELDWORK_SCHEDULED,
            obj=team,
            after={"talks_created": done.created, "talks_cancelled": done.cancelled},
            extra={"step": "ensure_talks", "public": done.public},
        )
    return done


# -- models to the scheduler and back --------------------------------------------------------


@dataclass
class Maps:
    """What the instance's ids stand for."""

    days: list[dt.date]
    talks: dict[int, Talk] = field(default_factory=dict)
    rooms: dict[int, Room] = field(default_factory=dict)
    people: dict[int, Person] = field(default_factory=dict)  # members by person id
    evidence: dict[tuple[int, int], list[dict[str, Any]]] = field(default_factory=dict)
    left_aside: list[Talk] = field(default_factory=list)  # open talks not in the instance

    def day_of(self, moment: dt.datetime) -> int | None:
        local = timezone.localtime(moment).date()
        return self.days.index(local) if local in self.days else None


def person_key(interviewee: Interviewee) -> int:
    """The scheduler's interviewee id: the person, or a negative id for a name only."""
    return interviewee.person_id if interviewee.person_id else -interviewee.pk


def _pair_evidence(team: Team) -> list[Any]:
    from xuncha.fieldwork.planning_services import pair_evidence

    return list(pair_evidence(team))


def settings_of(values: dict[str, Any] | None) -> dict[str, Any]:
    merged = dict(DEFAULT_SETTINGS)
    for key in DEFAULT_SETTINGS:
        if values and key in values:
            merged[key] = type(DEFAULT_SETTINGS[key])(values[key])
    return merged


def rules_of(settings: dict[str, Any]) -> sch.Rules:
    return sch.Rules(
        main_leader_rule=bool(settings["main_leader_rule"]),
        near_end_days=int(settings["near_end_days"]),
        same_unit_buffer_units=int(settings["same_unit_buffer_units"]),
    )


def _shown_name(interviewee: Interviewee) -> str:
    return f"{interviewee.name}（{interviewee.post}）" if interviewee.post else interviewee.name


def _free_spans(
    rules: sch.Rules, free: Sequence[int], n_days: int, cut: int | None
) -> tuple[sch.Span, ...] | None:
    """The interviewee's time: the working windows of ``free`` days, today's from ``cut``
    on (None: any time)."""
    if len(free) == n_days and (cut is None or cut <= min(a for a, _ in rules.windows)):
        return None
    spans = []
    for day in free:
        for begin, end in rules.windows:
            begin = max(begin, cut) if day == 0 and cut is not None else begin
            if begin < end:
                spans.append(sch.Span(day, begin, end))
    return tuple(spans)


NOON = 12 * 60  # a window starting before noon is the morning's


def absences_by_member(team: Team, days: Sequence[dt.date]) -> dict[int, dict[int, set[str]]]:
    """person id -> day index -> the parts of that day the member is away."""
    index = {d: i for i, d in enumerate(days)}
    out: dict[int, dict[int, set[str]]] = {}
    for person_id, day, part in Absence.objects.filter(team=team, date__in=days).values_list(
        "person_id", "date", "part"
    ):
        out.setdefault(person_id, {}).setdefault(index[day], set()).add(part)
    return out


def member_spans(
    rules: sch.Rules, n_days: int, away: dict[int, set[str]]
) -> tuple[sch.Span, ...] | None:
    """A member's working windows less their absences (None: every window)."""
    if not away:
        return None
    spans = []
    for day in range(n_days):
        parts = away.get(day, set())
        for begin, end in rules.windows:
            half = Absence.Part.MORNING if begin < NOON else Absence.Part.AFTERNOON
            if Absence.Part.DAY in parts or half in parts:
                continue
            spans.append(sch.Span(day, begin, end))
    return tuple(spans)


@transaction.atomic
def absence_add(
    *, actor: User, team: Team, person: Person, date: dt.date, part: str, note: str = ""
) -> Absence:
    """Record a member away; talks already scheduled then are named so they can be moved
    (or the schedule run again)."""
    if person.pk not in common.member_ids(team):
        raise ValidationError({"person": _("Only a member of this team can be recorded away.")})
    if part not in Absence.Part.values:
        raise ValidationError({"part": _("Choose all day, the morning or the afternoon.")})
    if Absence.objects.filter(team=team, person=person, date=date, part=part).exists():
        raise ValidationError(_("This absence is recorded already."))
    absence = Absence.objects.create(
        team=team, person=person, date=date, part=part, note=note.strip()[:200], recorded_by=actor
    )
    audit.record(
        actor=actor,
        event_type=AuditEventType.FIELDWORK_PLACES_SET,
        obj=absence,
        object_repr=f"#{absence.pk}",
        after={"absence": "added", "person": person.pk, "date": date, "part": part},
    )
    return absence


def absence_clashes(absence: Absence) -> list[Talk]:
    """Scheduled talks the absent member asks or records in during the absence."""
    talks = Talk.objects.filter(
        team=absence.team_id,
        state=Talk.State.SCHEDULED,
        starts_at__isnull=False,
    ).filter(models.Q(asker=absence.person_id) | models.Q(recorder=absence.person_id))
    out = []
    for talk in talks.select_related("interviewee"):
        local = timezone.localtime(talk.starts_at)
        if local.date() != absence.date:
            continue
        half = (
            Absence.Part.MORNING
            if local.hour * 60 + local.minute < NOON
            else Absence.Part.AFTERNOON
        )
        if absence.part in (Absence.Part.DAY, half):
            out.append(talk)
    return out


@transaction.atomic
def absence_remove(*, actor: User, absence: Absence) -> None:
    audit.record(
        actor=actor,
        event_type=AuditEventType.FIELDWORK_PLACES_SET,
        obj=absence,
        object_repr=f"#{absence.pk}",
        before={"absence": "removed", "person": absence.person_id, "date": absence.date},
    )
    absence.delete()


def build_instance(
    team: Team, days: Sequence[dt.date], rules: sch.Rules, *, daily_cap: int = 4
) -> tuple[sch.Instance, Maps]:
    """The scheduler's instance for the team's open talks on ``days``. Talks scheduled to
    start before now and fixed talks outside ``days`` are left aside (``Maps.left_aside``):
    they keep their time."""
    maps = Maps(days=list(days))
    seats = common.seats(team)
    leaders = frozenset(s.person.pk for s in seats if s.leading)
    conflicts: dict[int, list[sch.Conflict]] = {}
    for pair in _pair_evidence(team):
        conflicts.setdefault(pair.interviewer_id, []).append(
            sch.Conflict(pair.interviewee_id, pair.rule, pair.evidence.render())
        )
        maps.evidence.setdefault((pair.interviewer_id, pair.interviewee_id), []).append(
            pair.evidence.to_json()
        )
    absent = absences_by_member(team, days)
    members = []
    for seat in seats:
        maps.people[seat.person.pk] = seat.person
        members.append(
            sch.Member(
                seat.person.pk,
                seat.person.name,
                team.pk,
                member_spans(rules, len(days), absent.get(seat.person.pk, {})),
                daily_cap,
                tuple(conflicts.get(seat.person.pk, ())),
            )
        )
    places = []
    for room in Room.objects.filter(team=team).order_by("pk"):
        maps.rooms[room.pk] = room
        places.append(sch.Place(room.pk, room.name, team.pk, room.kind))
    talk_rooms = frozenset(r.pk for r in maps.rooms.values() if r.kind in TALK_ROOM_KINDS)

    interviews = []
    now = timezone.localtime()
    # Today's hours already gone are not offered (on the unit grid, as the solver starts).
    cut: int | None = None
    if days and days[0] == now.date():
        # A talk that has begun still holds its interviewers: nothing new until it ends.
        begun = Talk.objects.filter(
            team=team, state=Talk.State.SCHEDULED, starts_at__lt=now, ends_at__gt=now
        ).values_list("ends_at", flat=True)
        until = max([now, *(timezone.localtime(e) for e in begun if e is not None)])
        unit = rules.unit_minutes
        cut = math.ceil((until.hour * 60 + until.minute + until.second / 60) / unit) * unit
    talks = (
        Talk.objects.filter(team=team, state__in=OPEN_STATES)
        .select_related("interviewee", "appointment", "room")
        .order_by("pk")
    )
    for talk in talks:
        interviewee = talk.interviewee
        if not talk.fixed and interviewee.status != Interviewee.Status.PLANNED:
            continue
        if talk.state == Talk.State.SCHEDULED and talk.starts_at and talk.starts_at < now:
            maps.left_aside.append(talk)  # already begun: a record is due, not a new time
            continue
        fixed = None
        if talk.fixed:
            starts_at, ends_at = talk.starts_at, talk.ends_at
            day = maps.day_of(starts_at) if starts_at is not None else None
            if day is None or starts_at is None or ends_at is None or talk.room_id is None:
                maps.left_aside.append(talk)
                continue
            local = timezone.localtime(starts_at)
            fixed = sch.Fixed(day, local.hour * 60 + local.minute, talk.room_id)
            minutes = (ends_at - starts_at).total_seconds() / 60
        else:
            minutes = interviewee.minutes
        away = {str(d) for d in interviewee.unavailable or ()}
        free = [i for i, d in enumerate(days) if d.isoformat() not in away]
        maps.talks[talk.pk] = talk
        interviews.append(
            sch.Interview(
                interview_id=talk.pk,
                team_id=team.pk,
                interviewee_id=person_key(interviewee),
                interviewee=_shown_name(interviewee),
                # A member of the public belongs to no unit: no buffer, no main-leader order.
                unit_id=None
                if interviewee.role == IntervieweeRole.PUBLIC
                else interviewee.target_id,
                length=max(1, math.ceil(minutes / rules.unit_minutes)),
                places=frozenset() if fixed else talk_rooms,
                available=_free_spans(rules, free, len(days), cut),
                fixed=fixed,
                main_leader=talk.mark or None,
                askers=leaders if interviewee.role == IntervieweeRole.MAIN_LEADER else frozenset(),
                priority=interviewee.priority,
            )
        )
    instance = sch.Instance(
        days=tuple(days),
        members=tuple(members),
        places=tuple(places),
        interviews=tuple(interviews),
        rules=rules,
    )
    return instance, maps


def _moment(day: dt.date, minute: int) -> dt.datetime:
    naive = dt.datetime.combine(day, dt.time(minute // 60, minute % 60))
    return timezone.make_aware(naive, timezone.get_current_timezone())


def current_slots(instance: sch.Instance, maps: Maps) -> list[sch.Slot]:
    """The schedule as it stands in the database, as the scheduler's slots."""
    slots = []
    for iv in instance.interviews:
        talk = maps.talks[iv.interview_id]
        if (
            talk.state != Talk.State.SCHEDULED
            or talk.starts_at is None
            or talk.room_id is None
            or talk.asker_id is None
            or talk.recorder_id is None
        ):
            continue
        day = maps.day_of(talk.starts_at)
        if day is None:
            continue
        local = timezone.localtime(talk.starts_at)
        slots.append(
            sch.Slot(
                talk.pk,
                day,
                local.hour * 60 + local.minute,
                talk.room_id,
                talk.asker_id,
                talk.recorder_id,
            )
        )
    return slots


# -- a run -----------------------------------------------------------------------------------


@transaction.atomic
def start_run(
    *,
    actor: User,
    team: Team,
    time_limit: int = 20,
    seed: int = 0,
    main_leader_rule: bool = True,
    near_end_days: int = 3,
    same_unit_buffer_units: int = 1,
    daily_cap: int = 4,
) -> ScheduleRun:
    """Bring the talks up to date and queue a run of the scheduler (a job with progress)."""
    from xuncha.fieldwork import tasks

    if not 1 <= time_limit <= MAX_TIME_LIMIT:
        raise ValidationError(
            {"time_limit": _("Between 1 and %(n)s seconds.") % {"n": MAX_TIME_LIMIT}}
        )
    if not 1 <= near_end_days <= 20:
        raise ValidationError({"near_end_days": _("Between 1 and 20 working days.")})
    if not 0 <= same_unit_buffer_units <= 8:
        raise ValidationError({"same_unit_buffer_units": _("Between 0 and 8 half-hours.")})
    if not 1 <= daily_cap <= 12:
        raise ValidationError({"daily_cap": _("Between 1 and 12 talks a day.")})
    if seed < 0:
        raise ValidationError({"seed": _("The seed cannot be negative.")})
    stationing_days(team)
    if len(common.member_ids(team)) < 2:
        raise ValidationError(_("A talk needs two team members; the team has fewer."))
    if not Room.objects.filter(team=team, kind__in=TALK_ROOM_KINDS).exists():
        raise ValidationError(
            _("Add at least one talk room, office or meeting room on the places page first.")
        )
    ensure_talks(actor=actor, team=team, main_leader_twice=main_leader_rule)
    if not Talk.objects.filter(team=team, state__in=OPEN_STATES).exists():
        raise ValidationError(
            _("There is no talk to schedule: add people to talk to on the list first.")
        )
    settings = {
        "main_leader_rule": main_leader_rule,
        "near_end_days": near_end_days,
        "same_unit_buffer_units": same_unit_buffer_units,
        "daily_cap": daily_cap,
    }
    run = ScheduleRun.objects.create(team=team, seed=seed, time_limit=time_limit, created_by=actor)
    job = jobs.job_start(
        actor=actor,
        kind=JOB_KIND,
        label=gettext("Schedule the talks of %(team)s") % {"team": team.name},
        task=tasks.schedule_team,
        run_id=run.pk,
        settings=settings,
    )
    JobRun.objects.filter(pk=job.pk).update(result={"rules": settings})
    run.job = job
    run.save(update_fields=["job"])
    audit.record(
        actor=actor,
        event_type=AuditEventType.FIELDWORK_SCHEDULED,
        obj=team,
        after={"run": run.pk, "seed": seed, "time_limit": time_limit, **settings},
        extra={"step": "start"},
    )
    return run


Progress = Callable[[float, Text], None]


def run_schedule(
    run: ScheduleRun, *, settings: dict[str, Any] | None = None, progress: Progress | None = None
) -> ScheduleRun:
    """Solve (run by the background task), check the schedule with the validator, and
    write it with the run's outcome in one transaction. A schedule with violations is
    not applied: they are kept on the run."""
    settings = settings_of(settings)
    team = run.team
    try:
        days = stationing_days(team)
    except ValidationError as exc:
        run.status = "failed"
        run.explanation = [Text(m).to_json() for m in exc.messages]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "explanation", "finished_at"])
        return run
    rules = rules_of(settings)
    instance, maps = build_instance(team, days, rules, daily_cap=int(settings["daily_cap"]))
    result = sch.solve(
        instance,
        time_limit=float(run.time_limit),
        seed=run.seed,
        deterministic=True,
        progress=progress,
    )
    violations = sch.validate(instance, result.slots)
    with transaction.atomic():
        run = ScheduleRun.objects.select_for_update().get(pk=run.pk)
        run.seconds = result.seconds
        run.finished_at = timezone.now()
        run.explanation = [t.to_json() for t in result.explanation_texts]
        run.excluded = [
            {
                "talk": e.interview_id,
                "member": e.member_id,
                "rule": e.rule,
                "evidence": maps.evidence.get(
                    (e.member_id, instance_person(instance, e.interview_id)), []
                ),
            }
            for e in result.excluded
        ]
        if violations:
            run.status = "failed"
            run.violations = [
                {"kind": v.kind, "message": v.message, "talks": list(v.interview_ids)}
                for v in violations
            ]
            run.save()
        else:
            _apply(run, result, instance, maps)
        audit.record(
            actor=run.created_by,
            event_type=AuditEventType.FIELDWORK_SCHEDULED,
            obj=team,
            after={
                "run": run.pk,
                "status": run.status,
                "scheduled": run.scheduled,
                "unscheduled": len(result.unscheduled),
                "objective": result.objective,
                "bound": result.bound,
                "gap": result.gap,
                "violations": len(violations),
            },
            extra={"step": "finish"},
        )
    return run


def instance_person(instance: sch.Instance, interview_id: int) -> int:
    return next(iv.interviewee_id for iv in instance.interviews if iv.interview_id == interview_id)


def _apply(run: ScheduleRun, result: sch.Result, instance: sch.Instance, maps: Maps) -> None:
    lengths = {iv.interview_id: iv.length for iv in instance.interviews}
    unit = instance.rules.unit_minutes
    for slot in result.slots:
        talk = maps.talks[slot.interview_id]
        if not talk.fixed:
            talk.starts_at = _moment(maps.days[slot.day], slot.start)
            talk.ends_at = _moment(maps.days[slot.day], slot.start + lengths[talk.pk] * unit)
            talk.room_id = slot.place_id
            talk.place = ""
        talk.asker_id, talk.recorder_id = slot.asker_id, slot.recorder_id
        talk.state = Talk.State.SCHEDULED
        talk.run = run
        talk.unscheduled_reasons = []
        talk.save()
    for left in result.unscheduled:
        talk = maps.talks[left.interview_id]
        talk.unscheduled_reasons = [r.to_json() for r in left.reasons]
        talk.run = run
        talk.asker, talk.recorder = None, None
        if not talk.fixed:  # a confirmed public talk keeps its time: the public was told
            talk.state = Talk.State.UNSCHEDULED
            talk.starts_at = talk.ends_at = None
            talk.room = None
        talk.save()
    run.status = result.status
    run.objective, run.bound, run.gap = result.objective, result.bound, result.gap
    run.scheduled = len(result.slots)
    run.unscheduled = [
        {"talk": left.interview_id, "reasons": [r.to_json() for r in left.reasons]}
        for left in result.unscheduled
    ]
    run.violations = []
    run.save()


def last_settings(team: Team) -> dict[str, Any]:
    """The settings of the team's last run that finished, else the defaults."""
    run = (
        ScheduleRun.objects.filter(team=team, status__in=["optimal", "feasible"])
        .select_related("job")
        .first()
    )
    stored = run.job.result.get("rules") if run is not None and run.job is not None else None
    return settings_of(stored if isinstance(stored, dict) else None)


# -- changes by hand -------------------------------------------------------------------------

_KIND_TEXTS = {
    sch.V_WINDOW: _("The time is not inside the working hours of a working day."),
    sch.V_MEMBERS: _("One person cannot both ask and record."),
    sch.V_TEAM: _("Both interviewers must be members of the team."),
    sch.V_ASKER: _("Only the team leader or a deputy may ask the main leader."),
    sch.V_CONFLICT: _("An interviewer may not talk to this person (recusal)."),
    sch.V_MEMBER_OVERLAP: _("An interviewer has another talk at that time: %(others)s."),
    sch.V_MEMBER_AVAILABILITY: _("An interviewer is not available at that time."),
    sch.V_DAILY_CAP: _("An interviewer would have more talks that day than allowed: %(others)s."),
    sch.V_PLACE_OVERLAP: _("The place is taken at that time: %(others)s."),
    sch.V_PLACE_AVAILABILITY: _("The place is not available at that time."),
    sch.V_PLACE_ALLOWED: _("Talks cannot be held in that place (it is kept for public talks)."),
    sch.V_INTERVIEWEE_AVAILABILITY: _("The interviewee is away then, or the time has passed."),
    sch.V_INTERVIEWEE_OVERLAP: _("The interviewee has another talk at that time: %(others)s."),
    sch.V_FIXED: _("A talk the public asked for keeps the time and place the submitter was given."),
    sch.V_MAIN_LEADER_FIRST: _(
        "The main leader's first talk must come before every other talk of the unit: %(others)s."
    ),
    sch.V_MAIN_LEADER_LAST: _(
        "The main leader's second talk must be on one of the last %(days)s working days."
    ),
    sch.V_SAME_UNIT_BUFFER: _(
        "Two people of the same unit would meet at the door of the same place: %(others)s."
    ),
}


def _talk_label(talk: Talk) -> str:
    when = timezone.localtime(talk.starts_at).strftime("%m-%d %H:%M") if talk.starts_at else ""
    return f"{talk.interviewee.name} {when}".strip()


def violation_text(violation: sch.Violation, maps: Maps, changed: int, rules: sch.Rules) -> str:
    template = _KIND_TEXTS.get(violation.kind)
    if template is None:
        return violation.message
    others = [
        _talk_label(maps.talks[i])
        for i in violation.interview_ids
        if i != changed and i in maps.talks
    ]
    values = {"others": "、".join(others) or "—", "days": rules.near_end_days}
    return str(template) % values


@transaction.atomic
def talk_change(
    *,
    actor: User,
    talk: Talk,
    day: dt.date,
    start: dt.time,
    room: Room,
    asker: Person,
    recorder: Person,
) -> Talk:
    """Move a talk or change who asks and records. The team's whole schedule is
    re-checked with the change; if the change breaks a rule, nothing is saved and the
    ValidationError names every rule broken."""
    talk = Talk.objects.select_for_update().select_related("team", "interviewee").get(pk=talk.pk)
    team = talk.team
    if talk.state not in OPEN_STATES:
        raise ValidationError(_("Only a talk that is not held or cancelled can be changed."))
    problems: list[str] = []
    members = common.member_ids(team)
    if asker.pk not in members:
        problems.append(
            gettext("%(name)s, who asks, is not a member of the team.") % {"name": asker.name}
        )
    if recorder.pk not in members:
        problems.append(
            gettext("%(name)s, who records, is not a member of the team.") % {"name": recorder.name}
        )
    if asker.pk == recorder.pk:
        problems.append(gettext("One person cannot both ask and record."))
    if room.team_id != team.pk:
        problems.append(gettext("The place is not one of the team's places."))
    days = stationing_days(team)
    if day not in days:
        problems.append(
            gettext("%(day)s is not a working day of the stationing period.")
            % {"day": day.isoformat()}
        )
    if problems:
        raise ValidationError(problems)

    settings = last_settings(team)
    rules = rules_of(settings)
    instance, maps = build_instance(team, days, rules, daily_cap=int(settings["daily_cap"]))
    if talk.pk not in maps.talks:
        raise ValidationError(_("This talk cannot be moved: it lies outside the period."))
    interviewee_key = person_key(talk.interviewee)
    named_conflict = False  # the evidence is named here; the validator's line would repeat it
    for person in (asker, recorder):
        for evidence in maps.evidence.get((person.pk, interviewee_key), []):
            named_conflict = True
            problems.append(
                gettext("%(name)s may not talk to %(interviewee)s: %(evidence)s.")
                % {
                    "name": person.name,
                    "interviewee": talk.interviewee.name,
                    "evidence": text(evidence),
                }
            )
    minute = start.hour * 60 + start.minute
    others = [s for s in current_slots(instance, maps) if s.interview_id != talk.pk]
    changed = sch.Slot(talk.pk, days.index(day), minute, room.pk, asker.pk, recorder.pk)
    before = set(sch.validate(instance, others))
    after = sch.validate(instance, [*others, changed])
    for violation in after:
        if violation.kind == sch.V_CONFLICT and named_conflict:
            continue
        if talk.pk in violation.interview_ids or violation not in before:
            message = violation_text(violation, maps, talk.pk, rules)
            if message not in problems:
                problems.append(message)
    if problems:
        raise ValidationError(problems)

    previous = audit.snapshot(talk, ("starts_at", "room", "asker", "recorder", "state"))
    length = next(iv.length for iv in instance.interviews if iv.interview_id == talk.pk)
    talk.starts_at = _moment(day, minute)
    talk.ends_at = _moment(day, minute + length * rules.unit_minutes)
    if talk.fixed and talk.appointment is not None:
        talk.ends_at = talk.appointment.ends_at
    talk.room, talk.asker, talk.recorder = room, asker, recorder
    talk.state = Talk.State.SCHEDULED
    talk.unscheduled_reasons = []
    talk.save()
    audit.record(
        actor=actor,
        event_type=AuditEventType.FIELDWORK_TALK_CHANGED,
        obj=talk,
        object_repr=f"talk {talk.pk}",
        before=previous,
        after=audit.snapshot(talk, ("starts_at", "room", "asker", "recorder", "state")),
    )
    return talk


@transaction.atomic
def talk_cancel(*, actor: User, talk: Talk) -> Talk:
    """Cancel a talk (not a public one: that is cancelled on its report, where the
    submitter is told)."""
    talk = Talk.objects.select_for_update().get(pk=talk.pk)
    if talk.fixed:
        raise ValidationError(
            _(
                "A talk the public asked for is cancelled on its report, where the submitter "
                "is told."
            )
        )
    if talk.state not in OPEN_STATES:
        raise ValidationError(_("Only a talk that is not held or cancelled can be cancelled."))
    before = talk.state
    talk.state = Talk.State.CANCELLED
    talk.save(update_fields=["state", "updated_at"])
    audit.record(
        actor=actor,
        event_type=AuditEventType.FIELDWORK_TALK_CHANGED,
        obj=talk,
        object_repr=f"talk {talk.pk}",
        before={"state": before},
        after={"state": talk.state},
    )
    return talk


# -- places ----------------------------------------------------------------------------------


@transaction.atomic
def room_add(*, actor: User, team: Team, name: str, kind: str) -> Room:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the place a name.")})
    if kind not in Room.Kind.values:
        raise ValidationError({"kind": _("Choose a kind of place.")})
    if Room.objects.filter(team=team, name=name).exists():
        raise ValidationError({"name": _("The team already has a place of that name.")})
    room = Room.objects.create(team=team, name=name[:100], kind=kind)
    audit.record(
        actor=actor,
        event_type=AuditEventType.FIELDWORK_PLACES_SET,
        obj=room,
        after={"room": "added", "kind": kind},
    )
    return room


@transaction.atomic
def room_remove(*, actor: User, room: Room) -> None:
    used = Talk.objects.filter(
        room=room, state=Talk.State.SCHEDULED, starts_at__gte=timezone.now()
    ).count()
    if used:
        raise ValidationError(
            _(
                "%(n)s scheduled talks are held in %(name)s: move them or schedule again "
                "before removing it."
            )
            % {"n": used, "name": room.name}
        )
    audit.record(
        actor=actor,
        event_type=AuditEventType.FIELDWORK_PLACES_SET,
        obj=room,
        before={"room": "removed", "kind": room.kind},
    )
    room.delete()


# -- reading the schedule --------------------------------------------------------------------


def scheduled_talks(team: Team) -> list[Talk]:
    return list(
        Talk.objects.filter(team=team, state=Talk.State.SCHEDULED, starts_at__isnull=False)
        .select_related("interviewee", "room", "asker", "recorder", "appointment")
        .order_by("starts_at", "pk")
    )


def workload(team: Team) -> list[dict[str, Any]]:
    """Scheduled talks per member, asking and recording, every member listed."""
    rows: dict[int, dict[str, Any]] = {
        s.person.pk: {"person": s.person, "asks": 0, "records": 0} for s in common.seats(team)
    }
    for talk in Talk.objects.filter(team=team, state=Talk.State.SCHEDULED):
        if talk.asker_id in rows:
            rows[talk.asker_id]["asks"] += 1
        if talk.recorder_id in rows:
            rows[talk.recorder_id]["records"] += 1
    out = list(rows.values())
    for row in out:
        row["total"] = row["asks"] + row["records"]
    return out


def place_of(talk: Talk) -> str:
    return talk.room.name if talk.room is not None else talk.place


def _export_rows(talks: Iterable[Talk]) -> list[list[Any]]:
    rows = []
    for talk in talks:
        start = timezone.localtime(talk.starts_at) if talk.starts_at else None
        end = timezone.localtime(talk.ends_at) if talk.ends_at else None
        rows.append(
            [
                start.date().isoformat() if start else "",
                f"{start:%H:%M}–{end:%H:%M}" if start and end else "",
                talk.interviewee.name,
                talk.interviewee.post,
                place_of(talk),
                talk.asker.name if talk.asker else "",
                talk.recorder.name if talk.recorder else "",
                gettext("public request") if talk.fixed else "",
            ]
        )
    return rows


def _export_header() -> list[str]:
    return [
        gettext("Date"),
        gettext("Time"),
        gettext("Interviewee"),
        gettext("Post"),
        gettext("Place"),
        gettext("Asks"),
        gettext("Records"),
        gettext("Note"),
    ]


def _exported(actor: User, team: Team, fmt: str, count: int) -> None:
    common.audit_export(actor, team, after={"list": "schedule", "format": fmt, "talks": count})


@transaction.atomic
def schedule_xlsx(*, actor: User, team: Team) -> bytes:
    from xuncha.core.tables import xlsx_bytes

    talks = scheduled_talks(team)
    data = xlsx_bytes([(gettext("Talk schedule"), _export_header(), _export_rows(talks))])
    _exported(actor, team, "xlsx", len(talks))
    return data


@transaction.atomic
def schedule_docx(*, actor: User, team: Team) -> bytes:
    """One table per day: time, interviewee, post, place, who asks, who records."""
    from docx import Document

    talks = scheduled_talks(team)
    document = Document()
    heading = gettext("Talk schedule of %(team)s") % {"team": team.name}
    stamp_document(document, title=heading)  # Xuncha's name in the properties, not the library's
    document.add_heading(heading, level=1)
    document.add_paragraph(gettext("Confidential: for the team's use only."))
    by_day: dict[dt.date, list[Talk]] = {}
    for talk in talks:
        if talk.starts_at is None:
            continue
        by_day.setdefault(timezone.localtime(talk.starts_at).date(), []).append(talk)
    header = [
        gettext("Time"),
        gettext("Interviewee"),
        gettext("Post"),
        gettext("Place"),
        gettext("Asks"),
        gettext("Records"),
    ]
    for day, items in sorted(by_day.items()):
        document.add_heading(day.isoformat(), level=2)
        table = document.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        for cell, title in zip(table.rows[0].cells, header, strict=True):
            cell.text = title
        for row in _export_rows(items):
            cells = table.add_row().cells
            values = [row[1], row[2], row[3], row[4], row[5], row[6]]
            for cell, value in zip(cells, values, strict=True):
                cell.text = str(value)
    if not talks:
        document.add_paragraph(gettext("No talk is scheduled yet."))
    buffer = io.BytesIO()
    document.save(buffer)
    _exported(actor, team, "docx", len(talks))
    return buffer.getvalue()
