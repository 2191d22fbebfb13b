"""Talk scheduling, the Django side: the stationing days (stages, holidays, the channel as
fallback), the talks to hold (the main leader twice, a confirmed public talk fixed), a run
through the background job (two conflict-free members per talk, the public talk at its
time, the validator content), an impossible talk explained, changes by hand re-checked,
cancelling, the exports, and the audit events."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation

from xuncha.core.demo.generator import DEMO_PASSWORD
from xuncha.core.models import AuditEvent, AuditEventType, Kinship, Person
from xuncha.fieldwork import common, schedule_services
from xuncha.fieldwork.lib import scheduling as sch
from xuncha.fieldwork.models import (
    Absence,
    Interviewee,
    IntervieweeRole,
    Room,
    ScheduleRun,
    Talk,
)
from xuncha.rounds.models import HolidayOverride

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 6, 15, 9, 0, tzinfo=SHANGHAI)  # a Monday, a week before stationing
STATIONING, END = dt.date(2026, 6, 22), dt.date(2026, 7, 29)  # the demo round's stages
PUBLIC_AT = dt.datetime(2026, 6, 23, 10, 30, tzinfo=SHANGHAI)
LIBRARY = "县图书馆二楼阅览室"
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def travel() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture(autouse=True)
def _keep_test_connection(monkeypatch: Any) -> None:
    """The worker recycles connections between tasks; inside a test that would close the
    one holding the test's transaction."""
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )


def work() -> None:
    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, queue_name="*", verbosity=0
    )


def outsiders(team: Any, target: Any, n: int) -> list[Person]:
    """People of the target who are not on the team (fictional demo people)."""
    members = common.member_ids(team)
    people = (
        Person.objects.filter(posts__organisation=target)
        .exclude(pk__in=members)
        .distinct()
        .order_by("pk")
    )
    found = list(people[:n])
    assert len(found) == n, "the demo target has too few people"
    return found


def add_interviewee(
    team: Any, target: Any, person: Person, role: str = IntervieweeRole.STAFF, **extra: Any
) -> Interviewee:
    return Interviewee.objects.create(
        team=team,
        target=target,
        person=person,
        name=person.name,
        post=extra.pop("post", "科员"),
        role=role,
        source=Interviewee.Source.MUST,
        **extra,
    )


def confirmed_public_talk(user_named: Any, starts_at: dt.datetime = PUBLIC_AT) -> Any:
    """The demo's anonymous talk request, given a time by hand and confirmed."""
    from xuncha.intake import services, talks
    from xuncha.intake.demo import DEMO_TALK_RECEIPT

    leader = user_named("leader")
    key = services.keys_on_password(user=leader, password=DEMO_PASSWORD).private_key
    found = services.report_for_receipt(DEMO_TALK_RECEIPT)
    assert found is not None
    appointment = talks.propose(
        leader, found[0], key, random=False, starts_at=starts_at, place=LIBRARY, mode="in_person"
    )
    return talks.confirm(leader, appointment, key)


@pytest.fixture
def setup(team: Any, target: Any, user_named: Any, travel: None) -> dict[str, Any]:
    """Two talk rooms, a main leader, three staff (one a relative of a team member), and
    a confirmed public talk."""
    leader = user_named("leader")
    rooms = [
        schedule_services.room_add(actor=leader, team=team, name=name, kind=Room.Kind.TALK_ROOM)
        for name in ("谈话室一", "谈话室二")
    ]
    boss, a, b, kin = outsiders(team, target, 4)
    people = {
        "boss": add_interviewee(team, target, boss, IntervieweeRole.MAIN_LEADER, post="党组书记"),
        "a": add_interviewee(team, target, a),
        "b": add_interviewee(team, target, b, priority=2),
        "kin": add_interviewee(team, target, kin),
    }
    member = next(s.person for s in common.seats(team) if s.role == "member")
    Kinship.objects.create(person=member, relative=kin, relation="cousin")
    appointment = confirmed_public_talk(user_named)
    return {
        "leader": leader,
        "rooms": rooms,
        "people": people,
        "kin_member": member,
        "appointment": appointment,
    }


def solve_now(team: Any, actor: Any, time_limit: int = 5, **settings: Any) -> ScheduleRun:
    """A run without the job (the job is tested once, below)."""
    schedule_services.ensure_talks(
        actor=actor, team=team, main_leader_twice=settings.get("main_leader_rule", True)
    )
    run = ScheduleRun.objects.create(team=team, seed=0, time_limit=time_limit, created_by=actor)
    return schedule_services.run_schedule(run, settings=settings)


def current(team: Any) -> tuple[sch.Instance, list[sch.Slot]]:
    days = schedule_services.stationing_days(team)
    instance, maps = schedule_services.build_instance(team, days, sch.Rules())
    return instance, schedule_services.current_slots(instance, maps)


# -- the period ------------------------------------------------------------------------------


def test_stationing_days_run_from_stationing_to_understanding_on_working_days(team, travel):
    days = schedule_services.stationing_days(team)
    assert days[0] == STATIONING and days[-1] == END
    assert all(d.weekday() < 5 for d in days)
    assert dt.date(2026, 6, 27) not in days  # a Saturday
    # A holiday of the office's calendar drops a weekday; a make-up Saturday adds one.
    HolidayOverride.objects.create(day=dt.date(2026, 6, 24), is_workday=False, name="假")
    HolidayOverride.objects.create(day=dt.date(2026, 6, 27), is_workday=True, name="调休")
    days = schedule_services.stationing_days(team)
    assert dt.date(2026, 6, 24) not in days and dt.date(2026, 6, 27) in days


def test_stationing_days_drop_the_past_then_fall_back_to_the_channel(team):
    with time_machine.travel(dt.datetime(2026, 7, 1, 9, tzinfo=SHANGHAI)):
        assert schedule_services.stationing_days(team)[0] == dt.date(2026, 7, 1)
    with time_machine.travel(dt.datetime(2026, 8, 3, 9, tzinfo=SHANGHAI)):
        # The stages are over: the public channel's period (open until later) is used.
        days = schedule_services.stationing_days(team)
        assert days[0] == dt.date(2026, 8, 3) and len(days) <= schedule_services.MAX_DAYS
    with (
        time_machine.travel(dt.datetime(2030, 1, 7, 9, tzinfo=SHANGHAI)),
        pytest.raises(ValidationError, match="stationing period in the public channel"),
    ):
        schedule_services.stationing_days(team)


# -- the talks to hold -----------------------------------------------------------------------


def test_ensure_talks_main_leader_twice_and_the_public_talk_fixed(team, setup):
    leader, people = setup["leader"], setup["people"]
    done = schedule_services.ensure_talks(actor=leader, team=team)
    assert done.created == 6 and done.public == 1  # boss x2, a, b, kin, the public talk
    marks = sorted(t.mark for t in Talk.objects.filter(interviewee=people["boss"]))
    assert marks == [Talk.Mark.FIRST, Talk.Mark.LAST]
    assert Talk.objects.filter(interviewee=people["a"]).count() == 1

    appointment = setup["appointment"]
    public = Talk.objects.select_related("interviewee", "room").get(appointment=appointment)
    assert public.state == Talk.State.SCHEDULED and public.fixed
    assert public.starts_at == appointment.starts_at and public.ends_at == appointment.ends_at
    assert public.room.name == LIBRARY and public.room.kind == Room.Kind.NEUTRAL
    interviewee = public.interviewee
    assert interviewee.person is None and interviewee.name == appointment.report.label
    assert interviewee.role == IntervieweeRole.PUBLIC and interviewee.rules == ["talk_request"]
    assert interviewee.target == team.targets.order_by("pk").first()

    # Again: nothing new. Without the rule, a new main leader gets one talk.
    assert schedule_services.ensure_talks(actor=leader, team=team).created == 0
    people["b"].role = IntervieweeRole.MAIN_LEADER
    people["b"].save()
    Talk.objects.filter(interviewee=people["b"]).delete()
    schedule_services.ensure_talks(actor=leader, team=team, main_leader_twice=False)
    assert list(Talk.objects.filter(interviewee=people["b"]).values_list("mark", flat=True)) == [""]
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.FIELDWORK_INTERVIEWEE_SET, object_id=str(interviewee.pk)
    ).exists()
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.FIELDWORK_SCHEDULED, extra__step="ensure_talks"
    ).exists()


def test_a_cancelled_public_talk_cancels_its_talk(team, setup):
    from xuncha.intake import services, talks

    leader = setup["leader"]
    schedule_services.ensure_talks(actor=leader, team=team)
    key = services.keys_on_password(user=leader, password=DEMO_PASSWORD).private_key
    talks.cancel(leader, setup["appointment"], key, "")
    schedule_services.ensure_talks(actor=leader, team=team)
    assert Talk.objects.get(appointment=setup["appointment"]).state == Talk.State.CANCELLED


# -- a run -----------------------------------------------------------------------------------


def test_a_run_through_the_job_schedules_every_talk_without_conflict(
    team, setup, settings, django_capture_on_commit_callbacks
):
    from xuncha.core.models import JobRun

    settings.TASKS = DATABASE_TASKS
    leader = setup["leader"]
    with django_capture_on_commit_callbacks(execute=True):
        run = schedule_services.start_run(actor=leader, team=team, time_limit=5, seed=3)
    assert run.job is not None
    work()
    job = JobRun.objects.get(pk=run.job.pk)
    assert job.status == JobRun.Status.SUCCEEDED, job.message
    assert job.result["next_url"] == f"/fieldwork/team/{team.pk}/schedule/"
    assert job.result["rules"]["daily_cap"] == 4 and job.percent == 100
    run.refresh_from_db()
    assert run.status in ("optimal", "feasible") and not run.violations
    assert run.scheduled == 6 and run.unscheduled == [] and run.finished_at

    members = common.member_ids(team)
    leading = {s.person.pk for s in common.seats(team) if s.leading}
    talks = list(Talk.objects.filter(team=team).select_related("interviewee"))
    assert all(t.state == Talk.State.SCHEDULED and t.run_id == run.pk for t in talks)
    for talk in talks:
        assert {talk.asker_id, talk.recorder_id} <= members
        assert talk.asker_id != talk.recorder_id
        assert talk.room_id is not None and talk.starts_at < talk.ends_at
    kin = setup["people"]["kin"]
    kin_talk = next(t for t in talks if t.interviewee_id == kin.pk)
    assert setup["kin_member"].pk not in (kin_talk.asker_id, kin_talk.recorder_id)
    public = next(t for t in talks if t.fixed)
    assert public.starts_at == PUBLIC_AT and public.room.name == LIBRARY
    boss = [t for t in talks if t.interviewee_id == setup["people"]["boss"].pk]
    assert all(t.asker_id in leading for t in boss)
    first = next(t for t in boss if t.mark == Talk.Mark.FIRST)
    assert all(first.starts_at < t.starts_at for t in talks if t is not first and not t.fixed)
    last = next(t for t in boss if t.mark == Talk.Mark.LAST)
    days = schedule_services.stationing_days(team)
    assert timezone.localtime(last.starts_at).date() in days[-3:]
    # Non-public talks are in talk rooms, on the grid, inside the working windows.
    assert all(t.room.kind == Room.Kind.TALK_ROOM for t in talks if not t.fixed)

    instance, slots = current(team)
    assert len(slots) == 6 and sch.validate(instance, slots) == []
    assert run.excluded and run.excluded[0]["member"] == setup["kin_member"].pk
    assert run.excluded[0]["evidence"]  # the kinship, as Text
    finished = AuditEvent.objects.filter(
        event_type=AuditEventType.FIELDWORK_SCHEDULED, extra__step="finish"
    ).latest("seq")
    assert finished.after["scheduled"] == 6 and finished.actor == leader
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.FIELDWORK_SCHEDULED, extra__step="start"
    ).exists()


def test_the_same_seed_gives_the_same_schedule(team, setup):
    leader = setup["leader"]
    solve_now(team, leader)
    first = list(Talk.objects.order_by("pk").values_list("starts_at", "room", "asker", "recorder"))
    solve_now(team, leader)
    again = list(Talk.objects.order_by("pk").values_list("starts_at", "room", "asker", "recorder"))
    assert first == again


def test_an_interviewee_away_every_day_is_left_out_with_the_reason(team, target, setup):
    away = setup["people"]["a"]
    away.unavailable = [d.isoformat() for d in schedule_services.stationing_days(team)]
    away.save()
    run = solve_now(team, setup["leader"])
    talk = Talk.objects.get(interviewee=away)
    assert talk.state == Talk.State.UNSCHEDULED and talk.starts_at is None
    assert talk.unscheduled_reasons
    reason = schedule_services.text(talk.unscheduled_reasons[0])
    assert away.name in reason and "free" in reason
    assert [u["talk"] for u in run.unscheduled] == [talk.pk]
    assert run.scheduled == 5 and run.explanation


def test_a_run_without_rooms_or_days_is_refused(team, user_named, travel):
    with pytest.raises(ValidationError, match="talk room"):
        schedule_services.start_run(actor=user_named("leader"), team=team)


# -- changes by hand -------------------------------------------------------------------------


def _free_day(team: Any) -> dt.date:
    """A stationing day with no talk, before the last three."""
    days = schedule_services.stationing_days(team)
    taken = {
        timezone.localtime(t.starts_at).date()
        for t in Talk.objects.filter(team=team, starts_at__isnull=False)
    }
    return next(d for d in days[1:-3] if d not in taken)


def test_talk_change_refuses_a_double_booking_and_a_conflict_and_accepts_a_move(team, setup):
    leader = setup["leader"]
    solve_now(team, leader)
    a = Talk.objects.get(interviewee=setup["people"]["a"])
    b = Talk.objects.get(interviewee=setup["people"]["b"])
    other_room = next(r for r in setup["rooms"] if r.pk != b.room_id)
    local = timezone.localtime(b.starts_at)
    with pytest.raises(ValidationError) as refused:
        schedule_services.talk_change(
            actor=leader,
            talk=a,
            day=local.date(),
            start=local.time(),
            room=other_room,
            asker=b.asker,
            recorder=a.recorder if a.recorder_id != b.asker_id else a.asker,
        )
    assert any("another talk at that time" in m for m in refused.value.messages)

    kin_talk = Talk.objects.get(interviewee=setup["people"]["kin"])
    free = _free_day(team)
    other = next(s.person for s in common.seats(team) if s.person != setup["kin_member"])
    with pytest.raises(ValidationError) as refused:
        schedule_services.talk_change(
            actor=leader,
            talk=kin_talk,
            day=free,
            start=dt.time(15, 0),
            room=setup["rooms"][0],
            asker=setup["kin_member"],
            recorder=other,
        )
    assert any("may not talk to" in m for m in refused.value.messages)
    with pytest.raises(ValidationError, match="both ask and record"):
        schedule_services.talk_change(
            actor=leader,
            talk=a,
            day=free,
            start=dt.time(15, 0),
            room=setup["rooms"][0],
            asker=other,
            recorder=other,
        )
    unchanged = Talk.objects.get(pk=a.pk)
    assert unchanged.starts_at == a.starts_at

    seats = [s.person for s in common.seats(team) if s.person != setup["kin_member"]]
    moved = schedule_services.talk_change(
        actor=leader,
        talk=a,
        day=free,
        start=dt.time(15, 0),
        room=setup["rooms"][1],
        asker=seats[0],
        recorder=seats[1],
    )
    assert timezone.localtime(moved.starts_at) == dt.datetime.combine(
        free, dt.time(15, 0), tzinfo=SHANGHAI
    )
    assert moved.ends_at - moved.starts_at == dt.timedelta(minutes=60)
    instance, slots = current(team)
    assert sch.validate(instance, slots) == []
    event = AuditEvent.objects.filter(
        event_type=AuditEventType.FIELDWORK_TALK_CHANGED, object_id=str(a.pk)
    ).latest("seq")
    assert event.after["asker"] == seats[0].pk and event.before["starts_at"]


def test_talk_change_refuses_moving_a_public_talk_and_a_day_outside_the_period(team, setup):
    leader = setup["leader"]
    solve_now(team, leader)
    public = Talk.objects.get(appointment=setup["appointment"])
    free = _free_day(team)
    with pytest.raises(ValidationError, match="keeps the time and place"):
        schedule_services.talk_change(
            actor=leader,
            talk=public,
            day=free,
            start=dt.time(9, 0),
            room=public.room,
            asker=public.asker,
            recorder=public.recorder,
        )
    with pytest.raises(ValidationError, match="not a working day"):
        schedule_services.talk_change(
            actor=leader,
            talk=public,
            day=dt.date(2026, 6, 27),
            start=dt.time(9, 0),
            room=public.room,
            asker=public.asker,
            recorder=public.recorder,
        )


def test_talk_cancel(team, setup):
    leader = setup["leader"]
    schedule_services.ensure_talks(actor=leader, team=team)
    public = Talk.objects.get(appointment=setup["appointment"])
    with pytest.raises(ValidationError, match="cancelled on its report"):
        schedule_services.talk_cancel(actor=leader, talk=public)
    a = Talk.objects.get(interviewee=setup["people"]["a"])
    schedule_services.talk_cancel(actor=leader, talk=a)
    a.refresh_from_db()
    assert a.state == Talk.State.CANCELLED
    with pytest.raises(ValidationError):
        schedule_services.talk_cancel(actor=leader, talk=a)
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.FIELDWORK_TALK_CHANGED,
        object_id=str(a.pk),
        after__state="cancelled",
    ).exists()


def test_a_room_in_use_cannot_be_removed(team, setup):
    leader = setup["leader"]
    solve_now(team, leader)
    used = Talk.objects.filter(team=team, room__kind=Room.Kind.TALK_ROOM).first().room
    with pytest.raises(ValidationError, match="scheduled talks are held in"):
        schedule_services.room_remove(actor=leader, room=used)
    with pytest.raises(ValidationError, match="already has a place"):
        schedule_services.room_add(actor=leader, team=team, name=used.name, kind="talk_room")


# -- exports ---------------------------------------------------------------------------------


def test_exports_hold_the_talks(team, setup):
    from docx import Document
    from openpyxl import load_workbook

    leader = setup["leader"]
    solve_now(team, leader)
    names = {i.name for i in setup["people"].values()}
    data = schedule_services.schedule_xlsx(actor=leader, team=team)
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 6
    assert names <= {r[2] for r in rows[1:]}
    assert LIBRARY in {r[4] for r in rows[1:]}

    document = Document(io.BytesIO(schedule_services.schedule_docx(actor=leader, team=team)))
    cells = {c.text for table in document.tables for row in table.rows for c in row.cells}
    assert names <= cells and LIBRARY in cells
    assert sum(len(t.rows) - 1 for t in document.tables) == 6
    assert document.core_properties.author == "Xuncha"
    heading = translation.gettext("Talk schedule of %(team)s") % {"team": team.name}
    assert document.core_properties.title == heading == document.paragraphs[0].text
    assert load_workbook(io.BytesIO(data)).properties.creator == "Xuncha"
    formats = set(
        AuditEvent.objects.filter(event_type=AuditEventType.FIELDWORK_EXPORTED).values_list(
            "after__format", flat=True
        )
    )
    assert {"xlsx", "docx"} <= formats


def test_hours_already_gone_today_are_not_offered(team, setup):
    with time_machine.travel(dt.datetime(2026, 6, 22, 11, 10, tzinfo=SHANGHAI)):
        solve_now(team, setup["leader"])
        now = timezone.now()
    talks = Talk.objects.filter(team=team, state=Talk.State.SCHEDULED)
    assert talks.count() == 6
    assert all(t.starts_at >= now for t in talks)
    # A talk that has begun is left as it is by the next run (its record is due).
    first = talks.order_by("starts_at").first()
    with time_machine.travel(first.starts_at + dt.timedelta(minutes=5)):
        solve_now(team, setup["leader"])
    assert Talk.objects.get(pk=first.pk).starts_at == first.starts_at
    others = Talk.objects.filter(team=team, state=Talk.State.SCHEDULED).exclude(pk=first.pk)
    assert all(t.starts_at >= first.ends_at for t in others)


def test_a_member_away_gets_no_talk_then(team: Any, setup: dict[str, Any], as_user: Any) -> None:
    """An absence keeps the member out of the talks of that day (or half day), through the
    page; moving a talk into it by hand is refused."""
    leader = setup["leader"]
    days = schedule_services.stationing_days(team)
    first, second = days[0], days[1]
    member = next(s.person for s in common.seats(team) if s.role == "member")
    url = reverse("fieldwork:rooms", args=[team.pk])
    for day, part in ((first, "day"), (second, "morning")):
        response = as_user("leader").post(
            url, {"absence": "1", "person": member.pk, "date": day.isoformat(), "part": part}
        )
        assert response.status_code == 302
    assert Absence.objects.filter(team=team, person=member).count() == 2
    assert as_user("liaison").post(url, {"absence": "1"}).status_code == 404
    with pytest.raises(ValidationError, match="Only a member"):
        schedule_services.absence_add(
            actor=leader, team=team, person=setup["people"]["a"].person, date=first, part="day"
        )

    solve_now(team, leader)
    instance, slots = current(team)
    assert slots and sch.validate(instance, slots) == []
    for talk in Talk.objects.filter(team=team, state=Talk.State.SCHEDULED):
        local = timezone.localtime(talk.starts_at)
        if member.pk in (talk.asker_id, talk.recorder_id):
            assert local.date() != first
            assert not (local.date() == second and local.hour < 12)
    # A talk moved into the absence is refused.
    talk = Talk.objects.filter(team=team, state=Talk.State.SCHEDULED, appointment__isnull=True)
    talk = talk.filter(Q(asker=member) | Q(recorder=member)).first() or talk.first()
    others = [s.person for s in common.seats(team) if s.person.pk != member.pk]
    with pytest.raises(ValidationError, match="not available at that time"):
        schedule_services.talk_change(
            actor=leader,
            talk=talk,
            day=first,
            start=dt.time(9, 0),
            room=setup["rooms"][0],
            asker=member,
            recorder=others[0],
        )
    page = as_user("member").get(url).content.decode()
    assert 'data-testid="absence-row"' in page
    absence = Absence.objects.filter(team=team, person=member).first()
    as_user("leader").post(url, {"remove_absence": absence.pk})
    assert Absence.objects.filter(team=team, person=member).count() == 1
