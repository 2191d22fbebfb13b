"""Receipts for public submissions (pure; no Django).

A receipt is 20 characters of Crockford's base 32: 100 random bits (GlobaLeaks uses 53,
SecureDrop about 90), shown in five groups of four for writing down. Reading it back
forgives case, spaces, dashes and the letters people confuse with digits (O, I, L).

Only a digest is stored: Argon2id of the normalised code under an installation-wide salt.
The salt is fixed so that the digest can be looked up (the code is the only thing the
submitter brings back); 100 bits of randomness make a per-row salt unnecessary, and the
Argon2id cost makes each guess against a copied database expensive.
"""

from __future__ import annotations

import hmac
import secrets

import nacl.pwhash

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 20
BITS = LENGTH * 5
GROUP = 4

OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE
SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES


class InvalidReceipt(ValueError):
    """Not the shape of a receipt (checked before any lookup)."""


def new_receipt() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def grouped(code: str) -> str:
    """``K7QM2XZP…`` as ``K7QM-2XZP-…`` for display and printing."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalise(text: str) -> str:
    code = "".join(text.split()).replace("-", "").upper()
    code = code.replace("O", "0").replace("I", "1").replace("L", "1")
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        raise InvalidReceipt("a receipt has 20 letters and digits")
    return code


def derive(
    text: str, salt: bytes, *, opslimit: int = OPSLIMIT, memlimit: int = MEMLIMIT
) -> tuple[str, bytes]:
    """One Argon2id run, two results: the stored digest (hex, for the lookup) and a
    32-byte key that opens the submitter's copy of the report key. Knowing the digest
    tells nothing about the key (two halves of one KDF output)."""
    if len(salt) != SALT_BYTES:
        raise ValueError(f"the salt must be {SALT_BYTES} bytes")
    raw = bytes(
        nacl.pwhash.argon2id.kdf(
            64, normalise(text).encode("ascii"), salt, opslimit=opslimit, memlimit=memlimit
        )
    )
    return raw[:32].hex(), raw[32:]


def digest(text: str, salt: bytes, *, opslimit: int = OPSLIMIT, memlimit: int = MEMLIMIT) -> str:
    """The stored form of a receipt: hex Argon2id under the installation's salt."""
    return derive(text, salt, opslimit=opslimit, memlimit=memlimit)[0]


def matches(stored: str, text: str, salt: bytes, **cost: int) -> bool:
    try:
        return hmac.compare_digest(stored, digest(text, salt, **cost))
    except InvalidReceipt:
        return False
