"""Shared fixtures: a small demo prefecture loaded once per test session, and personas.

Personas are the demo accounts (one per role); ``as_user("office")`` gives a logged-in
test client. Tests build extra state through the real services.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

# Tests use libsodium's minimum Argon2id cost for receipts and staff keys, and an easy
# proof of work; production refuses the former (settings.py).
os.environ.setdefault("XUNCHA_INTAKE_ARGON2", "minimum")
os.environ.setdefault("XUNCHA_INTAKE_POW_BITS", "8")

DEMO_SCALE = 0.1
PERSONAS = [
    "admin",
    "office",
    "office_c1",
    "leading",
    "leader",
    "deputy",
    "member",
    "liaison",
    "receiver",
    "auditor",
]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    from xuncha.core.demo.generator import load_demo

    with django_db_blocker.unblock():
        load_demo(scale=DEMO_SCALE, seed=7)


@pytest.fixture
def user_named(db: Any) -> Callable[[str], Any]:
    from xuncha.core.models import User

    def get(username: str) -> Any:
        return User.objects.get(username=username)

    return get


@pytest.fixture
def as_user(db: Any, user_named: Callable[[str], Any]) -> Callable[[str | None], Client]:
    def make(username: str | None) -> Client:
        client = Client()
        if username is not None:
            client.force_login(user_named(username))
        return client

    return make


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def redis_available() -> Iterator[None]:
    if not _redis_up():
        if os.environ.get("XUNCHA_REQUIRE_REDIS") == "1":
            pytest.fail(
                "Redis is required (XUNCHA_REQUIRE_REDIS=1) but not reachable on 127.0.0.1:6379"
            )
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    yield
