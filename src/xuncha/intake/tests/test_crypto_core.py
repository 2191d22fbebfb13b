"""The public channel's cryptographic core: keys wrapped under passwords and a recovery
key, report keys sealed to each authorised user and re-shared, field encryption bound to
its report and field, and receipts (entropy, reading back, stored digest)."""

from __future__ import annotations

import math

import nacl.pwhash
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xuncha.intake.lib import receipts, sealing

FAST = sealing.Cost(
    opslimit=nacl.pwhash.argon2id.OPSLIMIT_MIN, memlimit=nacl.pwhash.argon2id.MEMLIMIT_MIN
)
FAST_RECEIPT = {
    "opslimit": nacl.pwhash.argon2id.OPSLIMIT_MIN,
    "memlimit": nacl.pwhash.argon2id.MEMLIMIT_MIN,
}
SALT = bytes(range(16))
REPORT = "反映某村村委会主任王某某虚报村道工程量，多领工程款约十二万元。".encode()


def test_a_report_is_read_only_with_a_password_of_an_authorised_user():
    alice = sealing.new_user_keys("alice-pass-1", FAST)
    bob = sealing.new_user_keys("bob-pass-2", FAST)
    key = sealing.new_report_key()
    sealed = {"alice": sealing.seal_key(key, alice.public_key)}
    body = sealing.encrypt(key, REPORT, context="report:7:body")

    private = sealing.unwrap_private_key(alice.by_password, "alice-pass-1")
    opened = sealing.open_key(sealed["alice"], private)
    assert sealing.decrypt(opened, body, context="report:7:body") == REPORT

    with pytest.raises(sealing.DecryptionFailed):
        sealing.unwrap_private_key(alice.by_password, "wrong")
    bob_private = sealing.unwrap_private_key(bob.by_password, "bob-pass-2")
    with pytest.raises(sealing.DecryptionFailed):
        sealing.open_key(sealed["alice"], bob_private)

    # Bob joins the team: Alice seals the same key to him.
    sealed["bob"] = sealing.reshare(sealed["alice"], private, bob.public_key)
    assert sealing.open_key(sealed["bob"], bob_private) == key


def test_what_is_stored_reveals_nothing_without_a_password():
    """A copy of every stored byte (wrapped keys, sealed keys, ciphertext) holds neither
    the text nor a usable key."""
    user = sealing.new_user_keys("s3cret-pass", FAST)
    key = sealing.new_report_key()
    stored = b"".join(
        [
            user.public_key,
            user.by_password.salt,
            user.by_password.box,
            user.by_recovery,
            sealing.seal_key(key, user.public_key),
            sealing.encrypt(key, REPORT, context="report:1:body"),
        ]
    )
    private = sealing.unwrap_private_key(user.by_password, "s3cret-pass")
    for secret in (REPORT, REPORT[:12], key, private, user.recovery_key.encode()):
        assert secret not in stored
    assert "王某某".encode() not in stored


def test_a_ciphertext_moved_to_another_report_or_field_or_altered_fails():
    key = sealing.new_report_key()
    body = sealing.encrypt(key, REPORT, context="report:7:body")
    with pytest.raises(sealing.DecryptionFailed):
        sealing.decrypt(key, body, context="report:8:body")
    with pytest.raises(sealing.DecryptionFailed):
        sealing.decrypt(key, body, context="report:7:identity")
    altered = body[:-1] + bytes([body[-1] ^ 1])
    with pytest.raises(sealing.DecryptionFailed):
        sealing.decrypt(key, altered, context="report:7:body")
    with pytest.raises(sealing.DecryptionFailed):
        sealing.decrypt(sealing.new_report_key(), body, context="report:7:body")
    # The same text twice gives two different ciphertexts (random nonces).
    assert sealing.encrypt(key, REPORT, context="c") != sealing.encrypt(key, REPORT, context="c")


def test_the_recovery_key_restores_access_after_a_lost_password():
    user = sealing.new_user_keys("forgotten", FAST)
    groups = user.recovery_key.split("-")
    assert len(groups) == 13 and all(len(g) == 4 for g in groups)
    private = sealing.recover_private_key(user.by_recovery, user.recovery_key.lower())
    assert private == sealing.unwrap_private_key(user.by_password, "forgotten")
    rewrapped = sealing.wrap_private_key(private, "new-password", FAST)
    assert sealing.unwrap_private_key(rewrapped, "new-password") == private
    other = sealing.new_recovery_key()
    with pytest.raises(sealing.DecryptionFailed):
        sealing.recover_private_key(user.by_recovery, other)
    with pytest.raises(sealing.DecryptionFailed):
        sealing.recover_private_key(user.by_recovery, "not-a-key")


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=2000), st.text(max_size=40))
def test_encryption_round_trips_any_bytes(data, context):
    key = sealing.new_report_key()
    assert sealing.decrypt(key, sealing.encrypt(key, data, context=context), context=context) == (
        data
    )


def test_receipts_carry_at_least_80_random_bits():
    assert receipts.BITS >= 80
    assert len(receipts.ALPHABET) == 32 and math.log2(len(receipts.ALPHABET)) == 5
    codes = {receipts.new_receipt() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == receipts.LENGTH for c in codes)
    # Every symbol is used, in every position (no fixed or skewed characters).
    for position in range(receipts.LENGTH):
        assert len({c[position] for c in codes}) == 32


def test_receipts_are_read_back_forgivingly():
    code = receipts.new_receipt()
    shown = receipts.grouped(code)
    assert shown.count("-") == 4 and shown.replace("-", "") == code
    typed = " ".join(shown.lower().split("-"))
    assert receipts.normalise(typed) == code
    confusable = code.replace("0", "O").replace("1", "l")
    assert receipts.normalise(confusable) == code
    for bad in ("", code[:-1], code + "7", code[:-1] + "U", "<script>alert(1)</script>"):
        with pytest.raises(receipts.InvalidReceipt):
            receipts.normalise(bad)


def test_only_a_digest_is_stored_and_it_is_found_again():
    code = receipts.new_receipt()
    stored = receipts.digest(code, SALT, **FAST_RECEIPT)
    assert code not in stored and len(stored) == 64
    assert receipts.digest(receipts.grouped(code).lower(), SALT, **FAST_RECEIPT) == stored
    assert receipts.matches(stored, code, SALT, **FAST_RECEIPT)
    assert not receipts.matches(stored, receipts.new_receipt(), SALT, **FAST_RECEIPT)
    assert not receipts.matches(stored, "garbage", SALT, **FAST_RECEIPT)
    # Another installation's salt gives another digest.
    assert receipts.digest(code, bytes(16), **FAST_RECEIPT) != stored
    with pytest.raises(ValueError, match="salt"):
        receipts.digest(code, b"short", **FAST_RECEIPT)
