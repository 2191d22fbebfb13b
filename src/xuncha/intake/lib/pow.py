"""A small proof of work for public submissions (pure; no Django).

The server hands out a random challenge with each form; the browser finds a nonce such
that SHA-256 of ``"<challenge>:<nonce>"`` starts with ``bits`` zero bits (about 2**bits
hashes: a second on a phone at 16 bits) and sends both back. It costs a person nothing
noticeable and a script that posts thousands of reports a lot, without identifying
anyone.

Outstanding challenges live in a plain dict (challenge → issued at, epoch seconds) that
the caller keeps, in the session for the views: single use, expiring, and capped so that
a session cannot hoard them.
"""

from __future__ import annotations

import hashlib
import itertools
import secrets

CHALLENGE_BYTES = 16
LIFETIME_SECONDS = 3600
MAX_OUTSTANDING = 10
# A nonce is a short string of digits in practice; anything longer is not worth hashing.
MAX_NONCE_LENGTH = 64


def new_challenge() -> str:
    """16 random bytes as 32 hex digits."""
    return secrets.token_hex(CHALLENGE_BYTES)


def _digest(challenge: str, nonce: str) -> bytes:
    return hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()


def leading_zero_bits(digest: bytes) -> int:
    value = int.from_bytes(digest, "big")
    return len(digest) * 8 - value.bit_length()


def verify(challenge: str, nonce: str, bits: int) -> bool:
    """Whether SHA-256 of ``challenge:nonce`` has at least ``bits`` leading zero bits."""
    if not nonce or len(nonce) > MAX_NONCE_LENGTH:
        return False
    return leading_zero_bits(_digest(challenge, nonce)) >= bits


def solve(challenge: str, bits: int) -> str:
    """The first decimal nonce that satisfies ``verify`` (for tests and benchmarks; the
    browser runs the same search in intake-public.js)."""
    for number in itertools.count():
        nonce = str(number)
        if verify(challenge, nonce, bits):
            return nonce
    raise AssertionError("unreachable")  # pragma: no cover


def remember(
    outstanding: dict[str, float],
    challenge: str,
    now: float,
    *,
    keep: int = MAX_OUTSTANDING,
    lifetime: float = LIFETIME_SECONDS,
) -> None:
    """Add a newly issued challenge; drop expired ones and the oldest beyond ``keep``."""
    for old, issued in list(outstanding.items()):
        if now - issued >= lifetime:
            del outstanding[old]
    outstanding[challenge] = now
    excess = len(outstanding) - keep
    if excess > 0:
        for old in sorted(outstanding, key=outstanding.__getitem__)[:excess]:
            del outstanding[old]


def take(
    outstanding: dict[str, float],
    challenge: str,
    now: float,
    *,
    lifetime: float = LIFETIME_SECONDS,
) -> float | None:
    """Consume ``challenge``: when it was issued, or None if unknown, used or expired."""
    issued = outstanding.pop(challenge, None)
    if not isinstance(issued, int | float) or now - issued >= lifetime:
        return None
    return float(issued)
