"""The signed-in user's private key, held for the session without a usable copy at rest.

At sign-in the password unwraps the user's private key (services.keys_on_password). It is
kept encrypted in the session under a random key that only the browser holds, in an
HttpOnly cookie: the session table alone (a database copy) cannot open it, and the
cookie alone is a random number. Signing out ends the session and with it the key.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from xuncha.intake.lib import sealing

COOKIE = "xuncha_keyring"
_SESSION = "intake_keyring"
_RECOVERY = "intake_recovery"
_LOCKED = "intake_locked"
_PENDING_ATTR = "_intake_keyring_cookie"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode("ascii"))


def _cookie_key(request: HttpRequest, *, create: bool) -> bytes | None:
    pending = getattr(request, _PENDING_ATTR, None)
    if pending is not None:
        return pending
    raw = request.COOKIES.get(COOKIE)
    if raw:
        try:
            key = _unb64(raw)
        except (ValueError, UnicodeEncodeError):
            key = b""
        if len(key) == sealing.KEY_BYTES:
            return key
    if not create:
        return None
    key = secrets.token_bytes(sealing.KEY_BYTES)
    setattr(request, _PENDING_ATTR, key)
    return key


def _new_or_existing_key(request: HttpRequest) -> bytes:
    key = _cookie_key(request, create=True)
    if key is None:  # pragma: no cover - create=True always gives a key
        raise RuntimeError("no keyring key")
    return key


def _context(request: HttpRequest, what: str) -> str:
    return f"keyring:{what}:{getattr(request.user, 'pk', '')}"


def hold(request: HttpRequest, private_key: bytes) -> None:
    """Keep ``private_key`` for this session (encrypted under the browser's cookie)."""
    key = _new_or_existing_key(request)
    sealed = sealing.encrypt(key, private_key, context=_context(request, "private"))
    request.session[_SESSION] = _b64(sealed)
    request.session.pop(_LOCKED, None)


def private_key(request: HttpRequest) -> bytes | None:
    """The private key held for this session, or None (not unlocked, or another browser)."""
    stored = request.session.get(_SESSION)
    key = _cookie_key(request, create=False)
    if not stored or key is None:
        return None
    try:
        return sealing.decrypt(key, _unb64(stored), context=_context(request, "private"))
    except (sealing.DecryptionFailed, ValueError):
        return None


def hold_recovery_key(request: HttpRequest, recovery_key: str) -> None:
    key = _new_or_existing_key(request)
    sealed = sealing.encrypt(key, recovery_key.encode(), context=_context(request, "recovery"))
    request.session[_RECOVERY] = _b64(sealed)


def take_recovery_key(request: HttpRequest) -> str | None:
    """The recovery key waiting to be shown, removed from the session as it is read."""
    stored = request.session.pop(_RECOVERY, None)
    key = _cookie_key(request, create=False)
    if not stored or key is None:
        return None
    try:
        return sealing.decrypt(key, _unb64(stored), context=_context(request, "recovery")).decode()
    except (sealing.DecryptionFailed, ValueError):
        return None


def recovery_waiting(request: HttpRequest) -> bool:
    return _RECOVERY in request.session


def mark_locked(request: HttpRequest) -> None:
    """The password no longer opens the stored key (an administrator reset it)."""
    request.session[_LOCKED] = True


def is_locked(request: HttpRequest) -> bool:
    return bool(request.session.get(_LOCKED))


class KeyringCookieMiddleware:
    """Set the keyring cookie when a request created its key."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        response = self.get_response(request)
        key = getattr(request, _PENDING_ATTR, None)
        if key is not None:
            response.set_cookie(
                COOKIE,
                _b64(key),
                httponly=True,
                samesite="Strict",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response


# --- the submitter's side: the report opened with a receipt, for this session only ------

_REPORT = "intake_report"


def hold_report(request: HttpRequest, report_id: int, report_key: bytes) -> None:
    """After a receipt was accepted: keep the report key for this browser session,
    encrypted under the cookie key (the session row alone cannot open it)."""
    key = _new_or_existing_key(request)
    sealed = sealing.encrypt(key, report_key, context=f"keyring:report:{report_id}")
    request.session[_REPORT] = {"id": report_id, "key": _b64(sealed)}


def held_report(request: HttpRequest) -> tuple[int, bytes] | None:
    """(report id, report key) held for this session, or None."""
    stored = request.session.get(_REPORT)
    key = _cookie_key(request, create=False)
    if not isinstance(stored, dict) or key is None:
        return None
    try:
        report_id = int(stored["id"])
        report_key = sealing.decrypt(
            key, _unb64(stored["key"]), context=f"keyring:report:{report_id}"
        )
    except (KeyError, TypeError, ValueError, sealing.DecryptionFailed):
        return None
    return report_id, report_key


def drop_report(request: HttpRequest) -> None:
    request.session.pop(_REPORT, None)
