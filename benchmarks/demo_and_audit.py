"""Demo generation and audit-chain verification, with baselines from the same run.

- Demo: loading the scale-1 prefecture (~5,500 people, ~7,000 posts, ~14,000 audit events)
  against the baseline of inserting the same people rows with plain ``bulk_create``
  (no pinyin keys, posts, kinship or audit chain). The ratio is the cost of a complete,
  audited load.
- Verify: ``audit.verify()`` over every event against the baseline of reading the same
  rows and hashing their JSON with plain SHA-256 (no HMAC, no chain checks).
"""

from __future__ import annotations

import hashlib
import json

from _common import setup_django, timed, write

setup_django()

from django.db import transaction  # noqa: E402

from xuncha.core import audit  # noqa: E402
from xuncha.core.demo.generator import load_demo  # noqa: E402
from xuncha.core.models import AuditEvent, Organisation, Person  # noqa: E402

demo_seconds, summary = timed(lambda: load_demo(scale=1.0, seed=2026))


def baseline_insert() -> None:
    registry = Organisation.objects.get(code="C01")
    rows = [
        Person(name=p.name, registry=registry, gender=p.gender, birth_date=p.birth_date)
        for p in Person.objects.only("name", "gender", "birth_date")
    ]
    with transaction.atomic():
        Person.objects.bulk_create(rows, batch_size=1000)
        transaction.set_rollback(True)


baseline_seconds, _ = timed(baseline_insert, repeat=3)
verify_seconds, result = timed(audit.verify, repeat=3)
assert result.ok


def baseline_hash() -> int:
    n = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        hashlib.sha256(
            json.dumps([event.after, event.extra, event.object_repr], default=str).encode()
        ).hexdigest()
        n += 1
    return n


hash_seconds, events = timed(baseline_hash, repeat=3)
write(
    "demo_and_audit",
    {
        "people": summary.people,
        "posts": summary.posts,
        "audit_events": events,
        "demo_load_seconds": round(demo_seconds, 3),
        "baseline_plain_insert_seconds": round(baseline_seconds, 3),
        "demo_vs_plain_insert_ratio": round(demo_seconds / baseline_seconds, 2),
        "verify_seconds": round(verify_seconds, 3),
        "verify_events_per_second": round(events / verify_seconds),
        "baseline_read_and_hash_seconds": round(hash_seconds, 3),
        "verify_vs_read_and_hash_ratio": round(verify_seconds / hash_seconds, 2),
    },
)
