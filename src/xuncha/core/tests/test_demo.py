"""The demo prefecture: fictional, deterministic for a seed, consistent, and complete
enough for every role to see something."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import PERSONAS
from django.db.models import Count

from xuncha.core import audit
from xuncha.core.lib import idnumber
from xuncha.core.models import Kinship, Organisation, Person, Post, Role, RoleGrant, User

FINGERPRINT = (
    "from xuncha.core.models import Person, Post;import hashlib;"
    "rows=[f'{p.name}|{p.id_number}|{p.birth_date}|{p.registry.code}' for p in "
    "Person.objects.select_related('registry').order_by('pk')]"
    "+[f'{p.person_id}|{p.organisation.code}|{p.title}|{p.start_date}|{p.end_date}' for p in "
    "Post.objects.select_related('organisation').order_by('pk')];"
    "print(len(rows), hashlib.sha256('\\n'.join(rows).encode()).hexdigest())"
)


def _demo_fingerprint(data_dir, seed: int) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
    env["XUNCHA_DATA_DIR"] = str(data_dir)
    run = [sys.executable, "-m", "xuncha"]
    subprocess.run(
        [*run, "demo", "--scale", "0.05", "--seed", str(seed)],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    out = subprocess.run(
        [*run, "shell", "-c", FINGERPRINT],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return out.stdout.strip()


def test_same_seed_gives_the_same_prefecture(tmp_path):
    first = _demo_fingerprint(tmp_path / "a", 11)
    assert first == _demo_fingerprint(tmp_path / "b", 11)
    assert first != _demo_fingerprint(tmp_path / "c", 12)


def test_demo_shape(db):
    kinds = dict(Organisation.objects.values_list("kind").annotate(n=Count("id")))
    assert kinds["county"] == 3 and kinds["prefecture"] == 1 and kinds["province"] == 1
    assert kinds["unit"] >= 3 * 6 and kinds["township"] >= 6
    assert kinds.get("village", 0) + kinds.get("community", 0) >= 3 * 8
    # Every county organisation belongs to its county committee; paths match the tree.
    for org in Organisation.objects.select_related("parent"):
        if org.parent:
            assert org.path == f"{org.parent.path}{org.pk}/"
    # Leadership teams, key posts, retirements, earlier posts and kinship exist.
    assert Post.objects.filter(is_leadership=True, end_date=None).exists()
    assert Post.objects.filter(is_key_post=True).exists()
    assert Person.objects.filter(retired_on__isnull=False).exists()
    assert Post.objects.filter(end_date__isnull=False, person__retired_on=None).exists()
    assert Kinship.objects.count() > 50
    assert Kinship.objects.filter(relation="spouse").exists()


def test_every_role_has_an_account_and_ids_are_valid(db):
    assert set(User.objects.values_list("username", flat=True)) >= set(PERSONAS)
    assert set(RoleGrant.objects.values_list("role", flat=True)) == set(Role.values)
    numbers = list(Person.objects.exclude(id_number=None).values_list("id_number", flat=True))
    assert numbers and all(idnumber.is_valid(n) for n in numbers)
    assert len(set(numbers)) == len(numbers)


def test_demo_audit_chain_covers_every_record(db):
    from xuncha.core.models import AuditEvent, AuditEventType

    assert (
        AuditEvent.objects.filter(event_type=AuditEventType.PERSON_CREATED).count()
        == Person.objects.count()
    )
    assert audit.verify().ok


def test_audit_verify_command_fails_on_a_tampered_copy(tmp_path):
    import shutil
    import sqlite3

    env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
    env["XUNCHA_DATA_DIR"] = str(tmp_path)
    run = [sys.executable, "-m", "xuncha"]
    subprocess.run(
        [*run, "demo", "--scale", "0.05"], env=env, check=True, capture_output=True, timeout=300
    )
    ok = subprocess.run(
        [*run, "audit", "verify"], env=env, capture_output=True, text=True, timeout=120
    )
    assert ok.returncode == 0 and "audit chain intact" in ok.stdout
    copy = tmp_path / "tampered.sqlite3"
    shutil.copy(tmp_path / "xuncha.sqlite3", copy)
    with sqlite3.connect(copy) as db:
        db.execute("UPDATE core_auditevent SET actor_label = 'someone' WHERE seq = 77")
    bad = subprocess.run(
        [*run, "audit", "verify"],
        env={**env, "XUNCHA_DATABASE_URL": f"sqlite:///{copy}"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1
    assert "audit chain broken at event 77: event 77 was altered" in bad.stderr
