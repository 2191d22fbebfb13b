"""The fieldwork demo fills the demo team (fieldwork/demo.py). Most tests build their own
state on that team and count what they made, so ``clear`` removes the demo's fieldwork
first (inside the test's transaction: rolled back afterwards). ``test_demo.py`` reads the
demo as loaded."""

from __future__ import annotations

from xuncha.clues.models import Record
from xuncha.fieldwork import models as m
from xuncha.intake.models import Appointment, Report
from xuncha.rounds.models import Team

DEMO_CLUE_TITLE = "食堂采购价格明显偏高"


def clear(team: Team) -> None:
    m.WorkingPaper.objects.filter(team=team).delete()
    m.InterviewRecord.objects.filter(team=team).delete()
    m.Interference.objects.filter(team=team).delete()
    m.Activity.objects.filter(team=team).delete()
    m.Talk.objects.filter(team=team).delete()
    m.ScheduleRun.objects.filter(team=team).delete()
    m.Interviewee.objects.filter(team=team).delete()
    m.SampleDraw.objects.filter(team=team).delete()
    m.Room.objects.filter(team=team).delete()
    m.Notice.objects.filter(team=team).delete()
    Record.objects.filter(team=team, title=DEMO_CLUE_TITLE).delete()
    clear_public_talk(team)


def clear_public_talk(team: Team) -> None:
    """The public talk request the fieldwork demo adds and confirms (the public channel's
    own demo confirms none), for tests that count the channel's reports and talks."""
    confirmed = Appointment.objects.filter(team=team, state=Appointment.State.CONFIRMED)
    Report.objects.filter(pk__in=confirmed.values("report")).delete()
