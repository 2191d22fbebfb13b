"""Rate limits for the public channel, without tracking anyone.

- Per browser session: sliding windows of timestamps kept in the session itself
  (submissions, i.e. reports, talk requests and thread messages; receipt tries) and a
  count of failed receipts that slows further guesses. A session lasts 30 minutes of
  inactivity and holds nothing about the person or the network.
- Across all sessions: a budget of failed receipts per minute in Django's cache (memory
  of this process, gone after two minutes). When it is spent, every receipt is refused
  until the minute ends: guessing receipts from many sessions gains nothing.

Nothing here is keyed by an address, a device or anything else from the request.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

SESSION_SECONDS = 30 * 60
HOUR = 3600.0

SUBMISSIONS = "intake_rl_submissions"
RECEIPT_TRIES = "intake_rl_receipt_tries"
RECEIPT_FAILURES = "intake_rl_receipt_failures"

# After this many failed receipts in a session, every further answer waits.
SLOW_AFTER_FAILURES = 3
SLOW_SECONDS = 2.0


def touch(request: HttpRequest) -> None:
    """Public sessions end after 30 minutes without a request (staff sessions, if a
    signed-in user looks at the public pages, keep their own expiry)."""
    if not request.user.is_authenticated:
        request.session.set_expiry(SESSION_SECONDS)


def _recent(request: HttpRequest, key: str, now: float) -> list[int]:
    stored = request.session.get(key)
    if not isinstance(stored, list):
        return []
    return [t for t in stored if isinstance(t, int) and now - t < HOUR]


def _wait(request: HttpRequest, key: str, limit: int) -> int:
    """Seconds until the window has room again (0: there is room now)."""
    now = time.time()
    recent = _recent(request, key, now)
    if len(recent) < limit:
        return 0
    oldest = sorted(recent)[len(recent) - limit]
    return max(1, int(oldest + HOUR - now) + 1)


def _add(request: HttpRequest, key: str) -> None:
    now = time.time()
    request.session[key] = [*_recent(request, key, now), int(now)]
    touch(request)


def submission_wait(request: HttpRequest) -> int:
    return _wait(request, SUBMISSIONS, settings.INTAKE_SUBMISSIONS_PER_HOUR)


def record_submission(request: HttpRequest) -> None:
    _add(request, SUBMISSIONS)


def receipt_wait(request: HttpRequest) -> int:
    return _wait(request, RECEIPT_TRIES, settings.INTAKE_RECEIPT_TRIES_PER_HOUR)


def record_receipt_try(request: HttpRequest) -> None:
    _add(request, RECEIPT_TRIES)


def _minute_key(now: float) -> str:
    return f"intake:receipt-failures:{int(now // 60)}"


def receipts_blocked() -> int:
    """Seconds until the end of the minute if this minute's failure budget (all
    sessions together) is spent, else 0."""
    now = time.time()
    failures = cache.get(_minute_key(now), 0)
    if failures < settings.INTAKE_RECEIPT_FAILURES_PER_MINUTE:
        return 0
    return max(1, 60 - int(now % 60))


def record_receipt_failure(request: HttpRequest) -> int:
    """Count a failed receipt (globally and for the session); the session's count."""
    key = _minute_key(time.time())
    cache.add(key, 0, timeout=120)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=120)
    count = int(request.session.get(RECEIPT_FAILURES, 0)) + 1
    request.session[RECEIPT_FAILURES] = count
    touch(request)
    return count


def slow_down(failures: int) -> None:
    """Make each further guess of a session that has failed often take longer."""
    if failures > SLOW_AFTER_FAILURES:
        time.sleep(SLOW_SECONDS)
