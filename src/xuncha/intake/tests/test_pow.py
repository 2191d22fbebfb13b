"""The proof of work: challenges, verification, the outstanding-challenge store, and the
browser's SHA-256 search (intake-public.js under Node) agreeing with the server."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

import xuncha
from xuncha.intake.lib import pow as proof

SCRIPT = Path(xuncha.__file__).parent / "static" / "xuncha" / "intake-public.js"


def _zero_bits(challenge: str, nonce: str) -> int:
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
    return 256 - int.from_bytes(digest, "big").bit_length()


def test_challenges_are_random_hex_of_sixteen_bytes():
    challenges = {proof.new_challenge() for _ in range(50)}
    assert len(challenges) == 50
    assert all(len(c) == 32 and int(c, 16) >= 0 for c in challenges)


@pytest.mark.parametrize("bits", [0, 1, 8, 12])
def test_a_solved_nonce_verifies_and_has_the_leading_zero_bits(bits):
    challenge = proof.new_challenge()
    nonce = proof.solve(challenge, bits)
    assert proof.verify(challenge, nonce, bits)
    assert _zero_bits(challenge, nonce) >= bits
    # The first solution: every smaller nonce falls short.
    assert all(_zero_bits(challenge, str(n)) < bits for n in range(int(nonce)))


def test_a_wrong_nonce_or_another_challenge_is_refused():
    challenge = proof.new_challenge()
    nonce = proof.solve(challenge, 12)
    wrong = next(str(n) for n in range(10_000) if _zero_bits(challenge, str(n)) < 12)
    assert not proof.verify(challenge, wrong, 12)
    other = next(c for c in iter(proof.new_challenge, None) if _zero_bits(c, nonce) < 12)
    assert not proof.verify(other, nonce, 12)


def test_empty_and_overlong_nonces_are_refused_even_at_zero_bits():
    challenge = proof.new_challenge()
    assert proof.verify(challenge, "7", 0)
    assert not proof.verify(challenge, "", 0)
    assert not proof.verify(challenge, "1" * (proof.MAX_NONCE_LENGTH + 1), 0)


def test_leading_zero_bits_counts_from_the_first_byte():
    assert proof.leading_zero_bits(b"\x00\x00\x80" + b"\xff" * 29) == 16
    assert proof.leading_zero_bits(b"\x00\x01" + b"\x00" * 30) == 15
    assert proof.leading_zero_bits(b"\x00" * 32) == 256


def test_a_challenge_is_taken_once():
    outstanding: dict[str, float] = {}
    proof.remember(outstanding, "a", 1000.0)
    assert proof.take(outstanding, "a", 1001.0) == 1000.0
    assert proof.take(outstanding, "a", 1001.0) is None
    assert proof.take(outstanding, "unknown", 1001.0) is None


def test_a_challenge_expires_after_an_hour():
    outstanding: dict[str, float] = {}
    proof.remember(outstanding, "old", 0.0)
    assert proof.take(outstanding, "old", proof.LIFETIME_SECONDS + 1.0) is None
    assert outstanding == {}  # taken all the same: no second chance


def test_at_most_ten_challenges_are_outstanding_and_the_oldest_go_first():
    outstanding: dict[str, float] = {}
    for number in range(15):
        proof.remember(outstanding, f"c{number}", float(number))
    assert len(outstanding) == proof.MAX_OUTSTANDING
    assert set(outstanding) == {f"c{n}" for n in range(5, 15)}


def test_expired_challenges_are_dropped_when_a_new_one_is_issued():
    outstanding = {"stale": 0.0, "fresh": 3000.0}
    proof.remember(outstanding, "new", proof.LIFETIME_SECONDS + 10.0)
    assert set(outstanding) == {"fresh", "new"}


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
def test_the_browser_script_hashes_and_solves_like_the_server():
    challenge = proof.new_challenge()
    texts = ["", "abc", "a" * 200, "中文:17", f"{challenge}:42"]
    program = (
        f"const p = require({json.dumps(str(SCRIPT))});"
        f"const texts = {json.dumps(texts)};"
        f"console.log(JSON.stringify({{"
        f"hashes: texts.map(p.sha256Hex),"
        f"nonce: p.solveSync({json.dumps(challenge)}, 10)}}));"
    )
    result = subprocess.run(
        ["node", "-e", program], capture_output=True, text=True, check=True, timeout=60
    )
    answer = json.loads(result.stdout)
    assert answer["hashes"] == [hashlib.sha256(t.encode()).hexdigest() for t in texts]
    assert answer["nonce"] == proof.solve(challenge, 10)
