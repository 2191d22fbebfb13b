"""Fixtures for the public channel: the demo team's open channel, its staff with keys
(created from the demo password by the demo, as at a first sign-in), and clients signed
in through the real login page so that their keys are unlocked for the session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from xuncha.core.demo.generator import DEMO_PASSWORD
from xuncha.intake import services
from xuncha.intake.demo import DEMO_REPORT_RECEIPT
from xuncha.intake.models import Channel, Kind, Report, Source


@pytest.fixture(autouse=True)
def _english_services() -> Any:
    """Service messages in English for assertions (a request before may leave zh active);
    pages still answer in the language each request asks for."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def channel(db: Any) -> Channel:
    from xuncha.fieldwork.tests.demo_state import clear_public_talk

    found = Channel.objects.select_related("team__round__committee").get(is_open=True)
    clear_public_talk(found.team)  # the channel as the public channel's demo left it
    return found


@pytest.fixture
def demo(channel: Channel) -> dict[str, Report]:
    """The demo channel's five reports by role (see intake/demo.py)."""
    reports = list(Report.objects.filter(channel=channel).order_by("number"))
    found = services.report_for_receipt(DEMO_REPORT_RECEIPT)
    assert found is not None
    return {
        "road": found[0],
        "phone": next(r for r in reports if r.source == Source.PHONE),
        "subsidy": next(r for r in reports if r.named),
        "talk": next(r for r in reports if r.kind == Kind.TALK),
        "letter": next(r for r in reports if r.source == Source.LETTER),
    }


@pytest.fixture
def private_key(user_named: Callable[[str], Any]) -> Callable[[str], bytes]:
    def get(username: str) -> bytes:
        unlocked = services.keys_on_password(user=user_named(username), password=DEMO_PASSWORD)
        assert unlocked.private_key is not None
        return unlocked.private_key

    return get


@pytest.fixture
def signed_in(db: Any) -> Callable[[str], Client]:
    """A client signed in with the password (keys unlocked), not ``force_login``."""

    def make(username: str) -> Client:
        client = Client()
        response = client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, response.content[:500]
        return client

    return make
