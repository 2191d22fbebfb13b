"""The interference register: anyone on the team records; the leader, deputies and office
are told (without the content); the leader or office acknowledges; the list filters and
exports; the home page counts per round and team with what is not yet acknowledged."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from xuncha.core.lib.text import render_text
from xuncha.core.models import AuditEvent
from xuncha.core.models import AuditEventType as E
from xuncha.fieldwork import dashboard
from xuncha.fieldwork import record_services as services
from xuncha.fieldwork.models import Interference, Notice
from xuncha.rounds.models import Team


def record(team: Team, user: Any, **extra: Any) -> Interference:
    data: dict[str, Any] = {
        "who": "张某",
        "who_post": "某局退休干部",
        "for_whom": "李某（财务股长）",
        "how": Interference.How.PHONE,
        "occurred_at": timezone.now() - dt.timedelta(hours=2),
        "what": "请求对报销问题“高抬贵手”。",
        "response": "当场拒绝并告知将登记。",
    }
    data.update(extra)
    return services.interference_record(actor=user, team=team, **data)


def test_member_records_and_leaders_and_office_are_told(team: Team, user_named: Any) -> None:
    item = record(team, user_named("member"))
    notices = Notice.objects.filter(team=team).select_related("user")
    assert {n.user.username for n in notices} == {"leader", "deputy", "office", "office_c1"}
    for notice in notices:
        text = render_text(notice.text)
        assert team.name in text and "register" in text
        assert "张某" not in text and "李某" not in text and "高抬贵手" not in text
        assert notice.url == reverse("fieldwork:interference", args=[team.pk])
    [event] = AuditEvent.objects.filter(event_type=E.FIELDWORK_INTERFERENCE, object_id=str(item.pk))
    assert event.after["notified"] == 4
    assert "张某" not in str(event.after) and "张某" not in event.object_repr


def test_the_recorder_is_not_told_of_their_own_entry(team: Team, user_named: Any) -> None:
    record(team, user_named("leader"))
    assert not Notice.objects.filter(team=team, user=user_named("leader")).exists()
    assert Notice.objects.filter(team=team, user=user_named("deputy")).exists()


def test_checks(team: Team, user_named: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        record(
            team,
            user_named("member"),
            occurred_at=timezone.now() + dt.timedelta(days=1),
            who=" ",
            how="carrier_pigeon",
        )
    assert {"occurred_at", "who", "how"} <= set(exc.value.error_dict)
    assert not Interference.objects.filter(team=team).exists()


def test_acknowledge(team: Team, user_named: Any) -> None:
    item = record(team, user_named("member"))
    with pytest.raises(PermissionDenied):
        services.interference_acknowledge(actor=user_named("member"), item=item)
    item = services.interference_acknowledge(actor=user_named("deputy"), item=item)
    assert item.acknowledged_by == user_named("deputy") and item.acknowledged_at is not None
    with pytest.raises(ValidationError):
        services.interference_acknowledge(actor=user_named("leader"), item=item)
    assert AuditEvent.objects.filter(
        event_type=E.FIELDWORK_INTERFERENCE_SEEN, object_id=str(item.pk)
    ).exists()


def test_pages(team: Team, user_named: Any, as_user: Any) -> None:
    member = as_user("member")
    url = reverse("fieldwork:interference", args=[team.pk])
    assert member.get(url).status_code == 200
    occurred = (timezone.localtime() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = member.post(
        reverse("fieldwork:interference_new", args=[team.pk]),
        {
            "who": "王某",
            "for_whom": "赵某",
            "how": "in_person",
            "occurred_at": occurred,
            "what": "请求关照。",
        },
    )
    assert response.status_code == 302
    item = Interference.objects.get(team=team)
    assert item.recorded_by == user_named("member")
    bad = member.post(reverse("fieldwork:interference_new", args=[team.pk]), {"who": "王某"})
    assert bad.status_code == 400
    # The member sees the entry but no acknowledge button; the leader acknowledges.
    assert member.post(reverse("fieldwork:interference_ack", args=[item.pk])).status_code == 403
    assert "interference-ack" not in member.get(url).content.decode()
    leader = as_user("leader")
    assert "interference-ack" in leader.get(url).content.decode()
    assert leader.post(reverse("fieldwork:interference_ack", args=[item.pk])).status_code == 302
    item.refresh_from_db()
    assert item.acknowledged_by == user_named("leader")


def test_filters_and_export(team: Team, user_named: Any, as_user: Any) -> None:
    from openpyxl import load_workbook

    seen = record(team, user_named("member"), who="甲")
    services.interference_acknowledge(actor=user_named("leader"), item=seen)
    record(team, user_named("member"), who="乙", how=Interference.How.MESSAGE)
    client = as_user("office")
    url = reverse("fieldwork:interference", args=[team.pk])
    assert [i.who for i in client.get(url, {"state": "open"}).context["items"]] == ["乙"]
    assert [i.who for i in client.get(url, {"state": "seen"}).context["items"]] == ["甲"]
    assert [i.who for i in client.get(url, {"how": "message"}).context["items"]] == ["乙"]
    export = client.get(reverse("fieldwork:interference_export", args=[team.pk]), {"state": "open"})
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[1:]] == ["乙"]
    assert AuditEvent.objects.filter(
        event_type=E.FIELDWORK_EXPORTED, object_id=str(team.pk), extra__what="interference"
    ).exists()


@pytest.mark.parametrize("username", ["liaison", "receiver", "auditor", "leading", "admin"])
def test_others_refused(team: Team, user_named: Any, as_user: Any, username: str) -> None:
    item = record(team, user_named("member"))
    client = as_user(username)
    assert client.get(reverse("fieldwork:interference", args=[team.pk])).status_code == 404
    assert client.get(reverse("fieldwork:interference_export", args=[team.pk])).status_code == 404
    assert (
        client.post(reverse("fieldwork:interference_new", args=[team.pk]), {"who": "x"}).status_code
        == 404
    )
    assert client.post(reverse("fieldwork:interference_ack", args=[item.pk])).status_code == 404


def test_dashboard_counts(team: Team, user_named: Any) -> None:
    first = record(team, user_named("member"))
    record(team, user_named("member"))
    services.interference_acknowledge(actor=user_named("leader"), item=first)
    [round_count] = dashboard.interference_counts(user_named("office"))
    assert round_count.round == team.round
    [team_count] = round_count.teams
    assert (team_count.team, team_count.total, team_count.unacknowledged) == (team, 2, 1)
    assert [r.total for r in dashboard.interference_counts(user_named("leader"))] == [2]
    assert dashboard.interference_counts(user_named("liaison")) == []
    assert dashboard.interference_counts(user_named("leading")) == []


def test_home_page_panel(team: Team, user_named: Any, as_user: Any) -> None:
    record(team, user_named("member"))
    home = as_user("office").get(reverse("core:home"))
    assert home.status_code == 200
    body = home.content.decode()
    assert 'data-testid="interference-counts"' in body
    assert reverse("fieldwork:interference", args=[team.pk]) in body
    assert 'data-testid="interference-open"' in body
    # The count column is headed as a number of reports, not as a date (登记日期).
    client = as_user("office")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    chinese = client.get(reverse("core:home")).content.decode()
    assert ">已登记</th>" in chinese and "登记日期" not in chinese
    # Members and the leading group get no panel (no FIELDWORK_LEAD).
    for username in ("member", "leading"):
        assert (
            'data-testid="interference-counts"'
            not in as_user(username).get(reverse("core:home")).content.decode()
        )
