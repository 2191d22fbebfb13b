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
def team(db: Any) -> Team:
    from xuncha.intake.demo import _team

    found = _team()
    assert found is not None, "the demo has no team for the member account"
    return Team.objects.select_related("round__committee").get(pk=found.pk)


@pytest.fixture
def target(team: Team) -> Organisation:
    return team.targets.order_by("pk").first()
