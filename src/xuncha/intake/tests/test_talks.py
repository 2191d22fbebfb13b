"""Talks: a random proposal for the demo talk request fits the stationing window, the
team's free hours and the submitter's wishes, and reaches the submitter's thread; busy
times, holidays, overlapping and out-of-window proposals by hand; confirming (the report
is scheduled, the calendar shows it), cancelling; who may do what; a locked key."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from xuncha.core.models import AuditEvent, AuditEventType
from xuncha.intake import services, talks
from xuncha.intake.demo import DEMO_TALK_RECEIPT
from xuncha.intake.models import Appointment, Category, Kind, Message, Report, Status
from xuncha.intake.services import Submission

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI)  # a Monday
START, END = dt.date(2026, 11, 9), dt.date(2026, 11, 20)
NEUTRAL = {"县图书馆二楼阅览室", "镇文化站活动室"}


@pytest.fixture
def travel():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def talk(channel, travel) -> Report:
    found = services.report_for_receipt(DEMO_TALK_RECEIPT)
    assert found is not None
    return found[0]


@pytest.fixture
def window(channel, user_named, travel):
    return services.channel_update(
        actor=user_named("leader"), channel=channel, starts_on=START, ends_on=END
    )


def _local(moment: dt.datetime) -> dt.datetime:
    return timezone.localtime(moment, SHANGHAI)


def _another_talk(channel, **content) -> Report:
    report, _receipt = services.submit(
        channel=channel,
        submission=Submission(
            kind=Kind.TALK,
            category=Category.OTHER,
            content={"mode": "either", "days": [], "times": [], "place_kind": "team", **content},
        ),
    )
    return report


def _submitter_thread() -> list[tuple[Message, str]]:
    found = services.report_for_receipt(DEMO_TALK_RECEIPT)
    assert found is not None
    return services.open_for_submitter(*found).messages


def test_a_random_proposal_fits_the_window_the_hours_and_the_wishes(
    window, talk, user_named, private_key
):
    leader, key = user_named("leader"), private_key("leader")
    rng = random.Random(6)
    seen = set()
    for _ in range(8):
        result = talks.propose_detailed(actor=leader, report=talk, private_key=key, rng=rng)
        appointment = result.appointment
        start = _local(appointment.starts_at)
        assert START <= start.date() <= END
        assert start.weekday() < 5
        assert start.strftime("%H:%M") in {"14:30", "16:00"}  # the afternoon, as asked
        assert appointment.ends_at - appointment.starts_at == dt.timedelta(minutes=60)
        assert appointment.place in NEUTRAL  # a neutral place, as asked
        assert appointment.mode == Appointment.Mode.IN_PERSON and appointment.random
        assert appointment.state == Appointment.State.PROPOSED
        assert not result.fallback and not result.place_fallback
        seen.add((start, appointment.place))
    assert len(seen) > 1  # drawn, not fixed
    # Only the latest proposal is open; the others were replaced.
    assert talk.appointments.filter(state=Appointment.State.PROPOSED).count() == 1
    assert talk.appointments.filter(state=Appointment.State.CANCELLED).count() == 7
    event = AuditEvent.objects.filter(event_type=AuditEventType.INTAKE_TALK_PROPOSED).latest("seq")
    assert event.actor == leader and event.object_id == str(appointment.pk)

    # The submitter reads the proposal in the receipt thread.
    talk.refresh_from_db()
    assert talk.unread_by_submitter
    message, text = _submitter_thread()[-1]
    assert message.author_kind == Message.Author.TEAM
    assert start.strftime("%H:%M") in text and appointment.place in text


def test_a_random_proposal_avoids_the_team_s_other_talks(
    channel, window, talk, user_named, private_key
):
    leader, key = user_named("leader"), private_key("leader")
    services.channel_update(actor=leader, channel=channel, starts_on=START, ends_on=START)
    monday_afternoon = [dt.datetime(2026, 11, 9, h, m, tzinfo=SHANGHAI) for h, m in ((14, 30),)]
    other = _another_talk(channel)
    talks.propose(leader, other, key, random=False, starts_at=monday_afternoon[0], place="谈话室")
    for seed in range(5):
        appointment = talks.propose(leader, talk, key, rng=random.Random(seed))
        assert _local(appointment.starts_at) == dt.datetime(2026, 11, 9, 16, 0, tzinfo=SHANGHAI)


def test_when_no_wish_can_be_met_another_free_time_is_drawn_and_said(
    channel, window, talk, user_named, private_key
):
    leader, key = user_named("leader"), private_key("leader")
    services.channel_update(
        actor=leader,
        channel=channel,
        talk_hours={"days": [0, 1, 2, 3, 4], "starts": ["09:00"], "minutes": 60},
    )
    result = talks.propose_detailed(actor=leader, report=talk, private_key=key)
    assert result.fallback
    assert _local(result.appointment.starts_at).strftime("%H:%M") == "09:00"


def test_holidays_are_not_proposed(channel, user_named, private_key):
    assert {dt.date(2026, 10, d) for d in range(1, 8)} <= talks.holidays(
        dt.date(2026, 9, 28), dt.date(2026, 10, 9)
    )
    assert not {dt.date(2026, 9, 29), dt.date(2026, 10, 9)} & talks.holidays(
        dt.date(2026, 9, 28), dt.date(2026, 10, 9)
    )
    # Years the holiday package does not know fall back to the work calendar, no error.
    assert dt.date(2027, 3, 3) not in talks.holidays(dt.date(2027, 3, 1), dt.date(2027, 3, 5))

    leader, key = user_named("leader"), private_key("leader")
    with time_machine.travel(dt.datetime(2026, 9, 21, 9, tzinfo=SHANGHAI), tick=True):
        services.channel_update(
            actor=leader,
            channel=channel,
            starts_on=dt.date(2026, 9, 28),
            ends_on=dt.date(2026, 10, 9),
        )
        found = services.report_for_receipt(DEMO_TALK_RECEIPT)
        assert found is not None
        open_days = {dt.date(2026, 9, 28), dt.date(2026, 9, 29), dt.date(2026, 9, 30)}
        open_days |= {dt.date(2026, 10, 8), dt.date(2026, 10, 9)}
        for seed in range(6):
            appointment = talks.propose(leader, found[0], key, rng=random.Random(seed))
            assert _local(appointment.starts_at).date() in open_days


def test_proposals_by_hand_are_checked(channel, window, talk, user_named, private_key):
    leader, key = user_named("leader"), private_key("leader")
    at = dt.datetime(2026, 11, 10, 15, 0, tzinfo=SHANGHAI)
    first = talks.propose(leader, talk, key, random=False, starts_at=at, place="县图书馆二楼阅览室")
    assert not first.random and first.place == "县图书馆二楼阅览室"
    assert first.ends_at == at + dt.timedelta(hours=1)
    other = _another_talk(channel)
    with pytest.raises(ValidationError, match="already has a talk"):
        talks.propose(leader, other, key, random=False, starts_at=at + dt.timedelta(minutes=30))
    with pytest.raises(ValidationError, match="outside the stationing period"):
        talks.propose(
            leader,
            other,
            key,
            random=False,
            starts_at=dt.datetime(2026, 11, 23, 9, tzinfo=SHANGHAI),
        )
    with pytest.raises(ValidationError, match="already passed"):
        talks.propose(
            leader, other, key, random=False, starts_at=dt.datetime(2026, 11, 1, 9, tzinfo=SHANGHAI)
        )
    by_phone = talks.propose(
        leader,
        other,
        key,
        random=False,
        starts_at=at + dt.timedelta(hours=1),
        mode=Appointment.Mode.PHONE,
        place="ignored",
    )
    assert by_phone.place == "" and by_phone.mode == Appointment.Mode.PHONE
    road = Report.objects.filter(channel=channel, kind=Kind.REPORT).first()
    with pytest.raises(ValidationError, match="Only talk requests"):
        talks.propose(leader, road, key)


def test_confirming_schedules_the_talk_and_the_calendar_shows_it(
    window, talk, user_named, signed_in
):
    client = signed_in("leader")
    response = client.post(reverse("intake:talk_propose", args=[talk.pk]), {"random": "1"}, **EN)
    assert response.status_code == 302
    assert response.url == reverse("intake:report", args=[talk.pk]) + "#talks"
    appointment = talk.appointments.get(state=Appointment.State.PROPOSED)
    assert any("Proposed to the submitter" in str(m) for m in get_messages(response.wsgi_request))

    response = client.post(reverse("intake:talk_confirm", args=[appointment.pk]), **EN)
    assert response.status_code == 302
    appointment.refresh_from_db()
    talk.refresh_from_db()
    assert appointment.state == Appointment.State.CONFIRMED and appointment.confirmed_at
    assert talk.status == Status.SCHEDULED
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.INTAKE_TALK_CONFIRMED, object_id=str(appointment.pk)
    ).exists()
    texts = [text for _m, text in _submitter_thread()]
    assert len(texts) == 2 and _local(appointment.starts_at).strftime("%H:%M") in texts[-1]

    page = client.get(reverse("intake:calendar", args=[talk.channel.team_id]), **EN)
    assert page.status_code == 200
    html = page.content.decode()
    assert talk.label in html and reverse("intake:report", args=[talk.pk]) in html
    assert html.count('data-testid="agenda-talk"') == 1
    assert 'data-testid="talk-grid"' in html and 'data-testid="grid-talk"' in html
    # Confirming twice is refused.
    again = client.post(reverse("intake:talk_confirm", args=[appointment.pk]), **EN)
    assert any("Only a proposed talk" in str(m) for m in get_messages(again.wsgi_request))


def test_cancelling_tells_the_submitter_and_hides_the_talk(
    window, talk, user_named, private_key, signed_in
):
    leader, key = user_named("leader"), private_key("leader")
    appointment = talks.confirm(leader, talks.propose(leader, talk, key), key)
    client = signed_in("leader")
    response = client.post(
        reverse("intake:talk_cancel", args=[appointment.pk]), {"note": "组里临时有变，改天再约。"}
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    talk.refresh_from_db()
    assert appointment.state == Appointment.State.CANCELLED
    assert talk.status == Status.REVIEW
    assert "组里临时有变" in _submitter_thread()[-1][1]
    assert AuditEvent.objects.filter(
        event_type=AuditEventType.INTAKE_TALK_CANCELLED, object_id=str(appointment.pk)
    ).exists()
    url = reverse("intake:calendar", args=[talk.channel.team_id])
    assert 'data-testid="agenda-talk"' not in client.get(url).content.decode()
    assert 'data-testid="agenda-talk"' in client.get(url + "?cancelled=1").content.decode()


def test_who_may_propose_and_see_the_calendar(
    window, talk, user_named, private_key, as_user, signed_in
):
    # A member works the channel: proposing is a change to the report.
    member = talks.propose(user_named("member"), talk, private_key("member"))
    assert member.created_by.username == "member"
    with pytest.raises(PermissionDenied):
        talks.propose(user_named("auditor"), talk, private_key("leader"))
    response = signed_in("member").post(
        reverse("intake:talk_propose", args=[talk.pk]), {"random": "1"}
    )
    assert response.status_code == 302
    assert talk.appointments.filter(state=Appointment.State.PROPOSED).count() == 1

    calendar = reverse("intake:calendar", args=[talk.channel.team_id])
    for username in ("leader", "deputy", "member", "office_c1", "office"):
        assert as_user(username).get(calendar).status_code == 200, username
    for username in ("auditor", "liaison", "leading", "admin", "receiver"):
        assert as_user(username).get(calendar).status_code == 404, username
    auditor = as_user("auditor")
    assert auditor.post(reverse("intake:talk_propose", args=[talk.pk])).status_code == 404
    appointment = talk.appointments.get(state=Appointment.State.PROPOSED)
    assert auditor.post(reverse("intake:talk_confirm", args=[appointment.pk])).status_code == 404
    assert auditor.post(reverse("intake:talk_cancel", args=[appointment.pk])).status_code == 404
    assert as_user("leader").get(reverse("intake:talk_propose", args=[talk.pk])).status_code == 405


def test_without_an_unlocked_key_nothing_is_proposed(window, talk, as_user):
    client = as_user("leader")  # force_login: the key was never unlocked
    response = client.post(reverse("intake:talk_propose", args=[talk.pk]), {"random": "1"}, **EN)
    assert response.status_code == 302
    assert not talk.appointments.exists()
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("not unlocked" in m and reverse("intake:keys") in m for m in shown)


def test_the_panel_offers_proposing_only_to_those_who_may(window, talk, user_named, private_key):
    leader = user_named("leader")
    talks.propose(leader, talk, private_key("leader"))
    context = talks.panel_context(leader, talk)
    assert context["report"] == talk and len(context["appointments"]) == 1
    assert context["talk_form"] is not None
    request = RequestFactory().get("/")
    request.user = leader
    html = render_to_string("intake/talks/_panel.html", context, request=request)
    for testid in ("talk-random", "talk-manual", "talk-confirm", "talk-cancel"):
        assert f'data-testid="{testid}"' in html
    assert "县图书馆二楼阅览室" in html or "镇文化站活动室" in html
    assert talks.panel_context(user_named("leading"), talk)["talk_form"] is None
    Report.objects.filter(pk=talk.pk).update(status=Status.CLOSED)
    talk.refresh_from_db()
    closed = talks.panel_context(leader, talk)
    assert closed["talk_form"] is None
    html = render_to_string("intake/talks/_panel.html", closed, request=request)
    assert 'data-testid="talk-confirm"' not in html and 'data-testid="talk-random"' not in html


def test_phone_talks_need_no_place_and_missing_kinds_of_place_are_said(
    channel, window, user_named, private_key
):
    leader, key = user_named("leader"), private_key("leader")
    by_phone = talks.propose(leader, _another_talk(channel, mode="phone"), key)
    assert by_phone.mode == Appointment.Mode.PHONE and by_phone.place == ""
    channel.refresh_from_db()  # channel_update saves every field, the report counter too
    services.channel_update(
        actor=leader, channel=channel, places=[{"name": "谈话室", "kind": "station"}]
    )
    result = talks.propose_detailed(
        actor=leader,
        report=_another_talk(channel, mode="in_person", place_kind="neutral"),
        private_key=key,
    )
    assert result.place_fallback and result.appointment.place == "谈话室"
    assert _local(result.appointment.starts_at) != _local(by_phone.starts_at)


def test_a_time_proposed_by_hand_through_the_page(window, talk, signed_in):
    client = signed_in("deputy")
    url = reverse("intake:talk_propose", args=[talk.pk])
    data = {
        "day": "2026-11-12",
        "start": "10:00",
        "mode": "in_person",
        "place": "县图书馆二楼阅览室",
    }
    assert client.post(url, data, **EN).status_code == 302
    appointment = talk.appointments.get()
    assert not appointment.random and appointment.place == "县图书馆二楼阅览室"
    assert _local(appointment.starts_at) == dt.datetime(2026, 11, 12, 10, tzinfo=SHANGHAI)
    response = client.post(url, {**data, "day": "2026-12-01"}, **EN)
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("outside the stationing period" in m for m in shown)
    response = client.post(url, {**data, "start": "ten"}, **EN)
    assert any("Enter a valid time" in str(m) for m in get_messages(response.wsgi_request))
    assert talk.appointments.count() == 1
