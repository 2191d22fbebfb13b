"""The talk schedule in a real browser (issue #7): the team leader, at 1280 px, starts a
run of the scheduler for a team with two talk rooms, a main leader, three staff and a
confirmed public talk request; the job page follows the run and leads back to the
calendar, which shows the talks with the public one marked; the leader opens a talk. A
member on a phone sees the schedule as a list per day and their own day.

Every page: no request to another host, no CSP report, no script error; phone pages do
not scroll sideways."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.browser.conftest import PHONE, Watched, browser_db

pytestmark = [pytest.mark.browser, browser_db]

LIBRARY = "县图书馆二楼阅览室"


def _work() -> None:
    call_command(
        "db_worker", batch=True, reload=False, startup_delay=False, queue_name="*", verbosity=0
    )


def _clean(w: Watched) -> None:
    assert w.foreign_requests() == []
    assert w.csp_messages() == []
    assert w.page_errors == []
    assert w.console_errors() == []


def _fits(w: Watched) -> None:
    width, inner = w.no_horizontal_scroll()
    assert width <= inner, f"{w.page.url} scrolls sideways: {width} > {inner}"


def _prepare() -> tuple[Any, dt.datetime]:
    """The demo team with places, people to talk to and a confirmed public talk, through
    the services (the must-interview list is another page's work)."""
    from xuncha.core.demo.generator import DEMO_PASSWORD
    from xuncha.core.models import Person, User
    from xuncha.fieldwork import common, schedule_services
    from xuncha.fieldwork.models import Interviewee, IntervieweeRole, Room
    from xuncha.fieldwork.tests.demo_state import clear
    from xuncha.intake import services, talks
    from xuncha.intake.demo import DEMO_TALK_RECEIPT, _team

    team = _team()
    assert team is not None
    clear(team)  # the fieldwork demo's own list and schedule (restored after the module)
    leader = User.objects.get(username="leader")
    target = team.targets.order_by("pk").first()
    assert target is not None
    for name in ("谈话室一", "谈话室二"):
        schedule_services.room_add(actor=leader, team=team, name=name, kind=Room.Kind.TALK_ROOM)
    people = list(
        Person.objects.filter(posts__organisation=target)
        .exclude(pk__in=common.member_ids(team))
        .distinct()
        .order_by("pk")[:4]
    )
    for i, person in enumerate(people):
        Interviewee.objects.create(
            team=team,
            target=target,
            person=person,
            name=person.name,
            post="党组书记" if i == 0 else "科员",
            role=IntervieweeRole.MAIN_LEADER if i == 0 else IntervieweeRole.STAFF,
            source=Interviewee.Source.MUST,
        )
    # The public talk: the next working day of the period after tomorrow, at 10:30.
    days = schedule_services.stationing_days(team)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    day = next(d for d in days if d > tomorrow)
    starts_at = timezone.make_aware(dt.datetime.combine(day, dt.time(10, 30)))
    key = services.keys_on_password(user=leader, password=DEMO_PASSWORD).private_key
    found = services.report_for_receipt(DEMO_TALK_RECEIPT)
    assert found is not None
    appointment = talks.propose(
        leader, found[0], key, random=False, starts_at=starts_at, place=LIBRARY, mode="in_person"
    )
    talks.confirm(leader, appointment, key)
    return team, starts_at


def test_schedule_the_talks(
    open_page: Callable[..., Watched], artifacts_dir: Path, settings: Any
) -> None:
    from xuncha.fieldwork.models import Talk

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    team, public_at = _prepare()

    w = open_page(locale="en-GB")
    w.login("leader")
    w.goto(f"/fieldwork/team/{team.pk}/schedule/")
    assert w.page.locator("[data-testid=run-form]").is_visible()
    w.page.fill("#id_time_limit", "3")
    with w.page.expect_navigation():
        w.page.click("[data-testid=run-start]")
    w.page.wait_for_selector("[data-testid=job-progress]")
    _work()
    w.page.wait_for_selector("[data-testid=job-next]", timeout=20_000)
    with w.page.expect_navigation():
        w.page.click("[data-testid=job-next]")
    assert w.page.url.endswith(f"/fieldwork/team/{team.pk}/schedule/")

    scheduled = Talk.objects.filter(team=team, state=Talk.State.SCHEDULED)
    assert scheduled.count() == 6  # the main leader twice, three staff, the public talk
    assert all(t.asker_id and t.recorder_id and t.asker_id != t.recorder_id for t in scheduled)
    grid = w.page.locator("[data-testid=schedule-grid]")
    assert grid.is_visible()
    assert w.page.locator("[data-testid=schedule-list]").is_hidden()
    assert w.page.inner_text("[data-testid=run-status]").strip() in (
        "proven best",
        "good, not proven best",
    )
    # The week of the public talk shows it, marked, at its time.
    w.goto(f"/fieldwork/team/{team.pk}/schedule/?week={public_at.date().isoformat()}")
    blocks = w.page.locator("[data-testid=schedule-grid] [data-testid=talk-block]")
    assert blocks.count() >= 1
    public = w.page.locator(
        "[data-testid=schedule-grid] [data-testid=talk-block]", has_text="public request"
    )
    assert public.count() == 1
    assert "10:30" in public.inner_text() and LIBRARY in public.inner_text()
    w.page.wait_for_selector("#chart-workload[data-rendered=true]")
    w.page.screenshot(path=str(artifacts_dir / "fieldwork-schedule-en-1280.png"), full_page=True)
    _clean(w)

    with w.page.expect_navigation():
        blocks.first.click()
    assert "/fieldwork/talk/" in w.page.url
    assert w.page.inner_text("[data-testid=talk-state]").strip() == "Scheduled"
    assert w.page.inner_text("[data-testid=talk-asker]").strip() not in ("", "—")
    assert w.page.locator("[data-testid=change-form]").is_visible()
    _clean(w)

    # A member on a phone: the schedule as a list per day, and their own day.
    phone = open_page(viewport=PHONE, locale="en-GB")
    phone.login("member")
    phone.goto(f"/fieldwork/team/{team.pk}/schedule/?week={public_at.date().isoformat()}")
    assert phone.page.locator("[data-testid=schedule-list]").is_visible()
    assert phone.page.locator("[data-testid=schedule-grid]").is_hidden()
    assert phone.page.locator("[data-testid=schedule-list] [data-testid=talk-block]").count() >= 1
    _fits(phone)
    from xuncha.core.models import User

    person = User.objects.get(username="member").person
    mine = scheduled.filter(asker=person) | scheduled.filter(recorder=person)
    first = mine.order_by("starts_at").first()
    if first is not None:
        day = timezone.localtime(first.starts_at).date().isoformat()
        phone.goto(f"/fieldwork/my-day/?date={day}")
        assert phone.page.locator("[data-testid=my-talk]").count() >= 1
        phone.page.screenshot(
            path=str(artifacts_dir / "fieldwork-my-day-en-phone.png"), full_page=True
        )
    else:
        phone.goto("/fieldwork/my-day/")
    _fits(phone)
    _clean(phone)
