"""The demo tells the issue's story (fieldwork/demo.py): read it as loaded, without the
clearing the ``team`` fixture does."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from xuncha.fieldwork import coverage, schedule_services
from xuncha.fieldwork.lib import scheduling
from xuncha.fieldwork.models import (
    Activity,
    Interference,
    Interviewee,
    InterviewRecord,
    Notice,
    ScheduleRun,
    Talk,
    WorkingPaper,
)
from xuncha.rounds.models import Team

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_team(db: Any) -> Team:
    from xuncha.intake.demo import _team

    found = _team()
    assert found is not None
    return found


def test_the_list_has_reasons_and_outlines(demo_team: Team) -> None:
    listed = Interviewee.objects.filter(team=demo_team)
    must = listed.filter(source=Interviewee.Source.MUST)
    assert must.filter(role="main_leader").exists()
    assert all(iv.reasons for iv in must)
    assert listed.filter(source=Interviewee.Source.SAMPLE).exists()
    assert all(iv.outline for iv in listed.filter(status=Interviewee.Status.PLANNED))


def test_the_new_clue_changed_an_outline_and_the_team_was_told(demo_team: Team) -> None:
    changed = Interviewee.objects.filter(team=demo_team, changes_seen=False)
    assert changed.exists()
    iv = changed.first()
    assert any("食堂采购价格明显偏高" in str(c) for c in iv.outline_changes)
    assert Notice.objects.filter(team=demo_team, user__username="member").exists()


def test_the_schedule_holds_the_public_talk_and_every_rule(demo_team: Team) -> None:
    run = ScheduleRun.objects.filter(team=demo_team).latest("created_at")
    assert run.status in ("optimal", "feasible") and not run.violations
    public = Talk.objects.get(team=demo_team, appointment__isnull=False)
    assert public.state == Talk.State.SCHEDULED
    assert public.starts_at == public.appointment.starts_at
    scheduled = Talk.objects.filter(team=demo_team, state=Talk.State.SCHEDULED)
    assert scheduled.count() > 3
    days = schedule_services.stationing_days(demo_team)
    settings = schedule_services.last_settings(demo_team)
    instance, maps = schedule_services.build_instance(
        demo_team, days, schedule_services.rules_of(settings)
    )
    slots = schedule_services.current_slots(instance, maps)
    assert slots and scheduling.validate(instance, slots) == []


def test_records_activities_paper_interference_and_coverage(demo_team: Team, as_user: Any) -> None:
    assert InterviewRecord.objects.filter(team=demo_team).count() == 2
    methods = set(Activity.objects.filter(team=demo_team).values_list("method__code", flat=True))
    assert {"read_documents", "forum", "field_visit"} <= methods
    assert "individual_talk" not in methods
    assert WorkingPaper.objects.filter(team=demo_team, status=WorkingPaper.Status.SIGNED).exists()
    assert Interference.objects.filter(team=demo_team).exists()
    matrix = coverage.matrix(demo_team)
    target = demo_team.targets.order_by("pk").first()
    talks = matrix.cell(target.pk, "individual_talk", "")
    assert talks is not None and talks.count == 2
    page = as_user("leader").get(
        reverse("fieldwork:coverage", args=[demo_team.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert page.status_code == 200
