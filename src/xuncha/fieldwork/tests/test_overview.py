"""The way into fieldwork: who sees which team, the overview, notices, the gate hook."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from xuncha.core.lib.text import Text, gettext_noop
from xuncha.fieldwork import common
from xuncha.fieldwork.models import Notice
from xuncha.rounds import gates
from xuncha.rounds.models import Team

pytestmark = pytest.mark.django_db


def test_team_members_and_office_see_the_team(team: Team, as_user: Any) -> None:
    url = reverse("fieldwork:team", args=[team.pk])
    for username in ("leader", "deputy", "member", "office", "office_c1"):
        response = as_user(username).get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, username
        assert team.name in response.content.decode()
    for username in ("liaison", "receiver", "auditor", "leading", "admin"):
        assert as_user(username).get(url).status_code == 404, username


def test_evidence_lists_only_visible_teams(team: Team, as_user: Any) -> None:
    response = as_user("member").get(reverse("fieldwork:evidence"))
    # A member in one team goes straight to it.
    assert response.status_code == 302
    assert response["Location"] == reverse("fieldwork:team", args=[team.pk])
    office = as_user("office").get(reverse("fieldwork:evidence"), HTTP_ACCEPT_LANGUAGE="en")
    assert office.status_code == 200
    assert team.name in office.content.decode()
    outsider = as_user("receiver").get(reverse("fieldwork:evidence"), HTTP_ACCEPT_LANGUAGE="en")
    assert "You are not in any team" in outsider.content.decode()


def test_seats_and_leaders_and_office(team: Team, user_named: Any) -> None:
    seats = common.seats(team)
    roles = [s.role for s in seats]
    assert roles[0] == "leader" and roles.count("leader") == 1
    assert user_named("leader").person_id in common.member_ids(team)
    told = {u.username for u in common.leaders_and_office(team)}
    assert {"leader", "deputy", "office", "office_c1"} <= told
    assert "member" not in told and "receiver" not in told


def test_notices_shown_to_their_user_and_marked_read(
    team: Team, as_user: Any, user_named: Any
) -> None:
    leader = user_named("leader")
    common.notify(
        [leader], team, Text(gettext_noop("Outlines of %(count)s planned talks changed"), count=3)
    )
    url = reverse("fieldwork:team", args=[team.pk])
    page = as_user("leader").get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Outlines of 3 planned talks changed" in page
    assert "Outlines of 3" not in as_user("member").get(url).content.decode()
    as_user("leader").post(reverse("fieldwork:notices_read", args=[team.pk]))
    assert not Notice.objects.filter(user=leader, read_at__isnull=True).exists()


def test_team_checks_join_the_gate(team: Team) -> None:
    from xuncha.rounds import services

    calls: list[str] = []

    def check(t: Any, to_stage: str) -> list[gates.Missing]:
        calls.append(to_stage)
        return [gates.Missing("extra", "extra is missing")]

    gates.register_team_check(check)
    try:
        _to_stage, missing = services.team_gate(team)
        assert "extra" in [m.code for m in missing]
        assert calls
    finally:
        gates._TEAM_CHECKS.remove(check)
