"""Fixtures for fieldwork: the demo team (the one the demo accounts leader, deputy and
member sit in, as in the public channel's demo) and its first target."""

from __future__ import annotations

from typing import Any

import pytest

from xuncha.core.models import Organisation
from xuncha.rounds.models import Team


@pytest.fixture(autouse=True)
def _english_services() -> Any:
    """Service messages in English for assertions; pages answer in the language each
    request asks for."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def as_user(db: Any, user_named: Any) -> Any:
    """Signed-in clients whose pages answer in English unless a test asks for another
    language (the request's language also stays active for the services afterwards)."""
    from django.test import Client

    def make(username: str | None) -> Client:
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        if username is not None:
            client.force_login(user_named(username))
        return client

    return make


@pytest.fixture
def team(db: Any) -> Team:
    from xuncha.fieldwork.tests import demo_state
    from xuncha.intake.demo import _team

    found = _team()
    assert found is not None, "the demo has no team for the member account"
    team = Team.objects.select_related("round__committee").get(pk=found.pk)
    demo_state.clear(team)  # tests count what they make; test_demo.py reads the demo
    return team


@pytest.fixture
def target(team: Team) -> Organisation:
    return team.targets.order_by("pk").first()
