"""Encryption at rest for public reports (pure; libsodium through PyNaCl; no Django).

The model, after GlobaLeaks and SecureDrop:

- Each staff user has a key pair (X25519). The private key is stored only *wrapped*: once
  under a key derived from the user's password (Argon2id), and once under a recovery key
  shown to the user one time. A copy of the database and files therefore holds no
  usable private key.
- Each report gets a random 32-byte key. Its fields and files are encrypted with
  XChaCha20-Poly1305 under that key, with *associated data* naming the report and field,
  so a ciphertext moved to another report or field fails to decrypt instead of being
  shown there.
- The report key is sealed (``crypto_box_seal``) to the public key of every user
  authorised for the team. Sealing needs only public keys, so a report can be stored by
  an anonymous submitter's request with nobody logged in; opening needs a user's private
  key, which needs their password. When someone joins the team, a user who can open the
  report key seals it again to the newcomer (``reshare``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import nacl.bindings as sodium
import nacl.exceptions
import nacl.public
import nacl.pwhash
import nacl.secret
import nacl.utils

KEY_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_KEYBYTES
NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES

# Argon2id cost for wrapping a private key: libsodium's "interactive" level (64 MiB).
# Tests pass the minimum through ``Cost`` to stay fast.
OPSLIMIT = nacl.pwhash.argon2id.OPSLIMIT_INTERACTIVE
MEMLIMIT = nacl.pwhash.argon2id.MEMLIMIT_INTERACTIVE


class DecryptionFailed(Exception):
    """Wrong key or password, or the ciphertext was altered or moved."""


@dataclass(frozen=True)
class Cost:
    opslimit: int = OPSLIMIT
    memlimit: int = MEMLIMIT


@dataclass(frozen=True)
class WrappedKey:
    """A private key encrypted under a password-derived key; all parts are stored."""

    salt: bytes
    opslimit: int
    memlimit: int
    box: bytes  # SecretBox nonce + ciphertext


@dataclass(frozen=True)
class UserKeys:
    public_key: bytes
    by_password: WrappedKey
    by_recovery: bytes  # SecretBox under the recovery key
    recovery_key: str  # shown once, never stored


def _derive(password: str, salt: bytes, cost: Cost) -> bytes:
    return bytes(
        nacl.pwhash.argon2id.kdf(
            nacl.secret.SecretBox.KEY_SIZE,
            password.encode("utf-8"),
            salt,
            opslimit=cost.opslimit,
            memlimit=cost.memlimit,
        )
    )


def wrap_private_key(private_key: bytes, password: str, cost: Cost = Cost()) -> WrappedKey:
    salt = nacl.utils.random(SALT_BYTES)
    box = nacl.secret.SecretBox(_derive(password, salt, cost))
    return WrappedKey(salt, cost.opslimit, cost.memlimit, bytes(box.encrypt(private_key)))


def unwrap_private_key(wrapped: WrappedKey, password: str) -> bytes:
    key = _derive(password, wrapped.salt, Cost(wrapped.opslimit, wrapped.memlimit))
    try:
        return bytes(nacl.secret.SecretBox(key).decrypt(wrapped.box))
    except nacl.exceptions.CryptoError:
        raise DecryptionFailed("wrong password or altered key") from None


RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32


def _recovery_bytes(recovery_key: str) -> bytes:
    text = recovery_key.upper().replace("-", "").replace(" ", "")
    text = text.replace("O", "0").replace("I", "1").replace("L", "1")
    value = 0
    for char in text:
        index = RECOVERY_ALPHABET.find(char)
        if index < 0:
            raise DecryptionFailed("not a recovery key")
        value = value * 32 + index
    if len(text) != 52:
        raise DecryptionFailed("not a recovery key")
    return (value >> 4).to_bytes(32, "big")  # 52 × 5 = 260 bits: 256 and 4 of padding


def new_recovery_key() -> str:
    """32 random bytes as 52 base-32 characters in groups of four."""
    value = int.from_bytes(secrets.token_bytes(32), "big") << 4
    chars = []
    for _ in range(52):
        chars.append(RECOVERY_ALPHABET[value & 31])
        value >>= 5
    text = "".join(reversed(chars))
    return "-".join(text[i : i + 4] for i in range(0, 52, 4))


def new_user_keys(password: str, cost: Cost = Cost()) -> UserKeys:
    private = nacl.public.PrivateKey.generate()
    recovery = new_recovery_key()
    by_recovery = nacl.secret.SecretBox(_recovery_bytes(recovery)).encrypt(bytes(private))
    return UserKeys(
        public_key=bytes(private.public_key),
        by_password=wrap_private_key(bytes(private), password, cost),
        by_recovery=bytes(by_recovery),
        recovery_key=recovery,
    )


def recover_private_key(by_recovery: bytes, recovery_key: str) -> bytes:
    """The private key from the recovery key (then wrap it under a new password)."""
    try:
        return bytes(nacl.secret.SecretBox(_recovery_bytes(recovery_key)).decrypt(by_recovery))
    except nacl.exceptions.CryptoError:
        raise DecryptionFailed("wrong recovery key") from None


def new_report_key() -> bytes:
    return nacl.utils.random(KEY_BYTES)


def seal_key(report_key: bytes, public_key: bytes) -> bytes:
    return bytes(nacl.public.SealedBox(nacl.public.PublicKey(public_key)).encrypt(report_key))


def open_key(sealed: bytes, private_key: bytes) -> bytes:
    try:
        return bytes(nacl.public.SealedBox(nacl.public.PrivateKey(private_key)).decrypt(sealed))
    except nacl.exceptions.CryptoError:
        raise DecryptionFailed("the report key is not sealed to this user") from None


def reshare(sealed: bytes, private_key: bytes, new_public_key: bytes) -> bytes:
    """Seal a report key that ``private_key`` can open to another user."""
    return seal_key(open_key(sealed, private_key), new_public_key)


def encrypt(report_key: bytes, plaintext: bytes, *, context: str) -> bytes:
    """Nonce + ciphertext; ``context`` (e.g. ``"report:17:body"``) is authenticated."""
    nonce = nacl.utils.random(NONCE_BYTES)
    sealed = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        plaintext, context.encode("utf-8"), nonce, report_key
    )
    return nonce + sealed


def decrypt(report_key: bytes, data: bytes, *, context: str) -> bytes:
    nonce, sealed = data[:NONCE_BYTES], data[NONCE_BYTES:]
    try:
        return bytes(
            sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
                sealed, context.encode("utf-8"), nonce, report_key
            )
        )
    except nacl.exceptions.CryptoError:
        raise DecryptionFailed("wrong key, or the data was altered or moved") from None
