"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

Database. ``live_server`` makes every test transactional: the test runs outside a
transaction (so the server thread sees its data) and the database is *flushed* after it.
The demo prefecture, loaded once per session by the root ``django_db_setup``, would be gone
after the first browser test. So:

- ``demo_snapshot`` (module scope, autouse here) serialises the database once the demo is
  in it (loading the demo first if an earlier transactional test flushed it);
- ``demo_db`` (autouse here) reloads that snapshot before a test if the demo is missing;
- after the last browser test of a module the snapshot is loaded again, so any test that
  runs later still sees the demo (pytest-django runs transactional tests after the
  ordinary ``db`` tests anyway).

Why not ``django_db(serialized_rollback=True)``: Django keeps the snapshot as an attribute
of the connection object (``_test_serialized_contents``), and connections are per context.
Once Playwright's sync API has started, the test code runs in another context and gets a
fresh connection object (same in-memory database) without the attribute, so Django would
neither reload the snapshot nor inhibit post_migrate on flush. Reloading it here does not
depend on that.

Async safety. Playwright's sync API runs an asyncio event loop in this thread and Django
refuses ORM calls when it sees one; ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set while Playwright
runs (module scope) and restored afterwards.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
DEMO_SCALE = 0.1  # same as the root conftest
DEMO_SEED = 7
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000

# Marker for every browser test: the live server thread must see committed data.
browser_db = pytest.mark.django_db(transaction=True)


def _unavailable(reason: str) -> None:
    if os.environ.get("XUNCHA_REQUIRE_BROWSER") == "1":
        pytest.fail(f"a browser is required (XUNCHA_REQUIRE_BROWSER=1) but {reason}")
    pytest.skip(reason)


# --- database --------------------------------------------------------------------------


def _demo_present() -> bool:
    from xuncha.core.models import Organisation, User

    return Organisation.objects.exists() and User.objects.filter(username="office").exists()


def _restore(snapshot: str) -> None:
    """Empty the database (without post_migrate) and load the snapshot into it."""
    from django.core.management import call_command
    from django.db import connection

    call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=True)
    connection.creation.deserialize_db_from_string(snapshot)
    # Rows come back with their ids; on PostgreSQL the id sequences must follow them, or the
    # next insert collides with a restored row. (SQLite needs nothing: it returns no SQL.)
    from django.core.management.color import no_style

    introspection = connection.introspection
    models = introspection.installed_models(introspection.table_names())
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(statement)


@pytest.fixture(scope="module", autouse=True)
def demo_snapshot(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    from django.db import connection

    from xuncha.core.demo.generator import load_demo
    from xuncha.core.models import Organisation

    with django_db_blocker.unblock():
        if not _demo_present():
            if Organisation.objects.exists():  # something else is there: start clean
                from django.core.management import call_command

                call_command("flush", verbosity=0, interactive=False)
            load_demo(scale=DEMO_SCALE, seed=DEMO_SEED)
        snapshot = connection.creation.serialize_db_to_string()
    yield snapshot
    with django_db_blocker.unblock():
        if not _demo_present():
            _restore(snapshot)


@pytest.fixture(autouse=True)
def demo_db(transactional_db: Any, demo_snapshot: str) -> None:
    """The demo is in the database when the test starts (the previous test flushed it)."""
    if not _demo_present():
        _restore(demo_snapshot)


# --- browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - dev dependency
        _unavailable(f"playwright is not installed: {exc}")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            try:
                chromium = pw.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
            except Exception as exc:
                _unavailable(f"Chromium at {CHROMIUM} did not start: {exc}")
            try:
                yield chromium
            finally:
                chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class Watched:
    """A page plus what it did: every request URL and every console message."""

    page: Any
    base_url: str
    requests: list[str] = field(default_factory=list)
    console: list[tuple[str, str]] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        own = urlsplit(self.base_url)
        foreign = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in ("data", "blob", "about"):
                continue
            if (parts.scheme, parts.netloc) != (own.scheme, own.netloc):
                foreign.append(url)
        return foreign

    def console_errors(self) -> list[str]:
        return [text for kind, text in self.console if kind == "error"]

    def csp_messages(self) -> list[str]:
        return [
            text
            for _kind, text in self.console
            if re.search(r"content.security.policy", text, re.IGNORECASE)
        ]

    def goto(self, path: str) -> Any:
        return self.page.goto(self.base_url + path)

    def login(self, username: str, password: str | None = None) -> None:
        from xuncha.core.demo.generator import DEMO_PASSWORD

        self.goto("/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", DEMO_PASSWORD if password is None else password)
        with self.page.expect_navigation():
            self.page.click("[data-testid=login-submit]")

    def no_horizontal_scroll(self) -> tuple[int, int]:
        return self.page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")


@pytest.fixture
def open_page(browser: Any, live_server: Any) -> Iterator[Callable[..., Watched]]:
    """``open_page(viewport=..., locale=...)``: a fresh context and page, watched."""
    contexts: list[Any] = []

    def make(viewport: dict[str, int] | None = None, locale: str = "zh-CN") -> Watched:
        context = browser.new_context(
            viewport=viewport or DESKTOP, locale=locale, base_url=live_server.url
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        watched = Watched(page=page, base_url=live_server.url)
        page.on("request", lambda request: watched.requests.append(request.url))
        page.on("console", lambda msg: watched.console.append((msg.type, msg.text)))
        page.on("pageerror", lambda exc: watched.page_errors.append(str(exc)))
        return watched

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    default = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
    path = Path(os.environ.get("XUNCHA_TEST_ARTIFACTS", str(default)))
    path.mkdir(parents=True, exist_ok=True)
    return path
