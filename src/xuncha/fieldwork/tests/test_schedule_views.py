"""The talk schedule's pages: who may see and change, the calendar with its talks, the run
form leading to the job page, the places, one talk changed and refused, cancelling, the
exports, and each interviewer's own day."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from xuncha.core.models import AuditEvent, AuditEventType, JobRun
from xuncha.fieldwork import common, schedule_services
from xuncha.fieldwork.models import Room, Talk
from xuncha.fieldwork.tests import test_schedule_services as base
from xuncha.fieldwork.tests.test_schedule_services import DATABASE_TASKS, LIBRARY, solve_now

# The services tests' fixtures: the travel in time, the team's talks, the worker's setup.
travel = base.travel
setup = base.setup
_keep_test_connection = base._keep_test_connection

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
TEAM_PEOPLE = ["leader", "deputy", "member", "office", "office_c1"]
REFUSED = ["liaison", "receiver", "auditor", "leading", "admin"]


@pytest.fixture
def scheduled(team: Any, setup: dict[str, Any]) -> dict[str, Any]:
    solve_now(team, setup["leader"])
    return setup


@pytest.mark.parametrize("username", TEAM_PEOPLE)
def test_the_team_and_the_office_see_the_schedule(as_user, team, scheduled, username):
    response = as_user(username).get(reverse("fieldwork:schedule", args=[team.pk]), **EN)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="talk-block"' in content and 'data-testid="public-badge"' in content
    assert LIBRARY in content and scheduled["people"]["a"].name in content
    talk = Talk.objects.get(interviewee=scheduled["people"]["a"])
    assert as_user(username).get(reverse("fieldwork:talk", args=[talk.pk])).status_code == 200


@pytest.mark.parametrize("username", REFUSED)
def test_others_are_refused(as_user, team, scheduled, username):
    client = as_user(username)
    talk = Talk.objects.get(interviewee=scheduled["people"]["a"])
    for url in (
        reverse("fieldwork:schedule", args=[team.pk]),
        reverse("fieldwork:rooms", args=[team.pk]),
        reverse("fieldwork:schedule_xlsx", args=[team.pk]),
        reverse("fieldwork:schedule_docx", args=[team.pk]),
        reverse("fieldwork:talk", args=[talk.pk]),
    ):
        assert client.get(url).status_code in (403, 404), url
    for url in (
        reverse("fieldwork:schedule_run", args=[team.pk]),
        reverse("fieldwork:talk_cancel", args=[talk.pk]),
        reverse("fieldwork:talk", args=[talk.pk]),
    ):
        assert client.post(url, {}).status_code in (403, 404), url
    talk.refresh_from_db()
    assert talk.state == Talk.State.SCHEDULED
    # My day lists nobody else's talks.
    day = timezone.localtime(talk.starts_at).date().isoformat()
    page = client.get(reverse("fieldwork:my_day") + f"?date={day}")
    assert page.status_code == 200 and b'data-testid="my-talk"' not in page.content


def test_the_week_navigation_and_the_last_run(as_user, team, scheduled):
    client = as_user("leader")
    url = reverse("fieldwork:schedule", args=[team.pk])
    page = client.get(url + "?week=2026-06-22", **EN).content.decode()
    assert "Week of 2026-06-22" in page and 'data-testid="run-form"' in page
    assert 'data-testid="workload"' in page and 'id="workload-data"' in page
    assert 'data-testid="excluded"' in page  # the member kept from a relative
    empty = client.get(url + "?week=2026-09-07", **EN).content.decode()
    assert 'data-testid="talk-block"' not in empty
    # A member may change, so sees the form too; nonsense in ?week is ignored.
    assert client.get(url + "?week=nonsense").status_code == 200


def test_a_run_from_the_page_goes_to_the_job_page_and_back(
    as_user, team, setup, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS
    client = as_user("member")
    data = {
        "time_limit": 3,
        "seed": 1,
        "main_leader_rule": "on",
        "near_end_days": 3,
        "same_unit_buffer_units": 1,
        "daily_cap": 4,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("fieldwork:schedule_run", args=[team.pk]), data)
    job = JobRun.objects.filter(kind="fieldwork.schedule").latest("created_at")
    assert response.status_code == 302
    assert response["Location"] == reverse("core:job_detail", args=[job.pk])
    base.work()
    page = client.get(reverse("core:job_detail", args=[job.pk])).content.decode()
    assert reverse("fieldwork:schedule", args=[team.pk]) in page  # "show the result"
    assert Talk.objects.filter(team=team, state=Talk.State.SCHEDULED).count() == 6

    bad = client.post(reverse("fieldwork:schedule_run", args=[team.pk]), {**data, "time_limit": 0})
    assert bad.status_code == 302 and bad["Location"].endswith(f"/team/{team.pk}/schedule/")


def test_rooms_add_and_remove(as_user, team, travel):
    client = as_user("member")
    url = reverse("fieldwork:rooms", args=[team.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "三楼谈话室", "kind": "talk_room"})
    assert response.status_code == 302
    room = Room.objects.get(team=team, name="三楼谈话室")
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.FIELDWORK_PLACES_SET, object_id=str(room.pk)
    ).exists()
    assert client.post(url, {"remove": room.pk}).status_code == 302
    assert not Room.objects.filter(pk=room.pk).exists()
    # An outsider cannot add.
    assert as_user("auditor").post(url, {"name": "x", "kind": "talk_room"}).status_code in (
        403,
        404,
    )


def test_a_talk_is_changed_through_its_page_or_refused_in_words(as_user, team, scheduled):
    client = as_user("member")
    a = Talk.objects.get(interviewee=scheduled["people"]["a"])
    b = Talk.objects.get(interviewee=scheduled["people"]["b"])
    url = reverse("fieldwork:talk", args=[a.pk])
    page = client.get(url, **EN).content.decode()
    assert 'data-testid="change-form"' in page
    local = timezone.localtime(b.starts_at)
    other_room = next(r for r in scheduled["rooms"] if r.pk != b.room_id)
    partner = a.recorder_id if a.recorder_id != b.asker_id else a.asker_id
    refused = client.post(
        url,
        {
            "day": local.date().isoformat(),
            "start": f"{local:%H:%M}",
            "room": other_room.pk,
            "asker": b.asker_id,
            "recorder": partner,
        },
        **EN,
    )
    assert refused.status_code == 200
    assert b'data-testid="change-problems"' in refused.content
    assert b"another talk at that time" in refused.content

    taken = {timezone.localtime(t.starts_at).date() for t in Talk.objects.filter(team=team)}
    days = [d for d in schedule_services.stationing_days(team)[1:-3] if d not in taken]
    seats = [s.person for s in common.seats(team) if s.person != scheduled["kin_member"]]
    moved = client.post(
        url,
        {
            "day": days[0].isoformat(),
            "start": "15:00",
            "room": scheduled["rooms"][0].pk,
            "asker": seats[0].pk,
            "recorder": seats[1].pk,
        },
    )
    assert moved.status_code == 302
    a.refresh_from_db()
    assert timezone.localtime(a.starts_at).date() == days[0] and a.asker_id == seats[0].pk


def test_cancel_a_talk(as_user, team, scheduled):
    a = Talk.objects.get(interviewee=scheduled["people"]["a"])
    response = as_user("deputy").post(reverse("fieldwork:talk_cancel", args=[a.pk]))
    assert response.status_code == 302
    a.refresh_from_db()
    assert a.state == Talk.State.CANCELLED


def test_exports_download(as_user, team, scheduled):
    client = as_user("office")
    xlsx = client.get(reverse("fieldwork:schedule_xlsx", args=[team.pk]))
    docx = client.get(reverse("fieldwork:schedule_docx", args=[team.pk]))
    assert xlsx.status_code == docx.status_code == 200
    assert xlsx["Content-Type"].endswith("spreadsheetml.sheet")
    assert docx["Content-Type"].endswith("wordprocessingml.document")
    assert (
        AuditEvent.objects.filter(
            event_type=AuditEventType.FIELDWORK_EXPORTED, actor__username="office"
        ).count()
        == 2
    )


def test_my_day_shows_only_my_own_talks(as_user, user_named, team, scheduled):
    me = user_named("member").person
    mine = Talk.objects.filter(team=team, state=Talk.State.SCHEDULED).filter(
        asker=me
    ) | Talk.objects.filter(team=team, state=Talk.State.SCHEDULED, recorder=me)
    talk = mine.order_by("starts_at").first()
    assert talk is not None, "the member has no talk in the schedule"
    day = timezone.localtime(talk.starts_at).date()
    page = as_user("member").get(reverse("fieldwork:my_day") + f"?date={day}", **EN)
    content = page.content.decode()
    expected = [t for t in mine if timezone.localtime(t.starts_at).date() == day]
    assert content.count('data-testid="my-talk"') == len(expected)
    others = Talk.objects.filter(team=team, state=Talk.State.SCHEDULED).exclude(
        pk__in=[t.pk for t in mine]
    )
    for other in others:
        if timezone.localtime(other.starts_at).date() == day:
            assert reverse("fieldwork:talk", args=[other.pk]) not in content
    assert f"?date={day - dt.timedelta(days=1)}" in content
    # The deputy's day differs from the member's; the office has no talks of its own.
    office = as_user("office").get(reverse("fieldwork:my_day") + f"?date={day}")
    assert office.status_code == 200 and b'data-testid="my-talk"' not in office.content
