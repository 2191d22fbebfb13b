"""The team's fieldwork pages make as many queries with five rows of each kind as with
one: lists do not query per row."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from xuncha.fieldwork.models import (
    Activity,
    DocumentRead,
    HouseholdVisit,
    Interference,
    Interviewee,
    InterviewRecord,
    Method,
    Room,
    Talk,
    WorkingPaper,
)
from xuncha.rounds.models import Team

pytestmark = pytest.mark.django_db

PAGES = (
    "fieldwork:team",
    "fieldwork:activities",
    "fieldwork:coverage",
    "fieldwork:interviewees",
    "fieldwork:schedule",
    "fieldwork:records",
    "fieldwork:papers",
    "fieldwork:papers_report",
    "fieldwork:interference",
)


def _grow(team: Team, target: Any, users: dict[str, Any], start: int, n: int) -> None:
    leader, member = users["leader"], users["member"]
    methods = list(Method.objects.exclude(code="individual_talk").order_by("pk")[:3])
    room = Room.objects.get_or_create(team=team, name="谈话室", kind="talk_room")[0]
    base = dt.datetime(2026, 7, 6, 1, 0, tzinfo=dt.UTC)
    for i in range(start, start + n):
        activity = Activity.objects.create(
            team=team,
            target=target,
            method=methods[i % len(methods)],
            date=dt.date(2026, 7, 1),
            title=f"活动{i}",
            record="记录",
            created_by=member,
        )
        activity.participants.set([leader.person, member.person])
        DocumentRead.objects.create(activity=activity, title=f"资料{i}")
        HouseholdVisit.objects.create(activity=activity, household=f"户{i}")
        interviewee = Interviewee.objects.create(
            team=team, target=target, name=f"对象{i}", role="staff", source="added"
        )
        talk = Talk.objects.create(
            team=team,
            interviewee=interviewee,
            state=Talk.State.SCHEDULED,
            starts_at=base + dt.timedelta(hours=i),
            ends_at=base + dt.timedelta(hours=i, minutes=50),
            room=room,
            asker=leader.person,
            recorder=member.person,
        )
        record = InterviewRecord.objects.create(
            team=team,
            talk=talk,
            interviewee=interviewee,
            interviewee_name=interviewee.name,
            held_at=base + dt.timedelta(hours=i),
            place="谈话室",
            asker=leader.person,
            recorder=member.person,
            created_by=member,
        )
        paper = WorkingPaper.objects.create(
            team=team,
            target=target,
            title=f"底稿{i}",
            facts="事实",
            status=WorkingPaper.Status.SIGNED,
            signed_by=leader,
            created_by=member,
        )
        paper.activities.set([activity])
        paper.records.set([record])
        Interference.objects.create(
            team=team,
            who=f"某人{i}",
            for_whom="某人",
            how="phone",
            occurred_at=base,
            what="打招呼",
            recorded_by=member,
        )


def _counts(client: Any, team: Team) -> dict[str, int]:
    out = {}
    for name in PAGES:
        url = reverse(name, args=[team.pk])
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url + ("?week=2026-07-06" if name.endswith("schedule") else ""))
        assert response.status_code == 200, url
        out[name] = len(ctx.captured_queries)
    return out


def test_list_pages_do_not_query_per_row(
    team: Team, target: Any, as_user: Any, user_named: Any
) -> None:
    users = {u: user_named(u) for u in ("leader", "member")}
    client = as_user("leader")
    _grow(team, target, users, 0, 1)
    one = _counts(client, team)
    _grow(team, target, users, 1, 4)
    five = _counts(client, team)
    grown = {name: (one[name], five[name]) for name in PAGES if five[name] != one[name]}
    assert grown == {}
