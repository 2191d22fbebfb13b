"""The audit trail: typed events, hash-chained with HMAC-SHA256, verified end to end.

Every service writes its event with ``record`` inside the service's transaction. The
chain head row is locked while appending, so events get gap-free sequence numbers in
commit order on PostgreSQL and SQLite alike. ``verify`` recomputes the chain and names
the first event that was altered, removed or moved.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import decimal
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from xuncha.core.models import AuditChainHead, AuditEvent, AuditEventType

if TYPE_CHECKING:
    from xuncha.core.models import User

GENESIS_HASH = "0" * 64
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(obj: models.Model, fields: Sequence[str]) -> dict[str, Any]:
    """JSON-safe values of ``fields`` (foreign keys as ids) for before/after records."""
    data: dict[str, Any] = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name)
        data[name] = _json_value(getattr(obj, attname))
    return data


def _canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(
        fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    ).encode("utf-8")


def _payload(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "created_at": _json_value(event.created_at),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "event_type": event.event_type,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "before": event.before,
        "after": event.after,
        "extra": event.extra,
        "request_id": event.request_id,
        "prev_hash": event.prev_hash,
    }


def compute_hash(event: AuditEvent) -> str:
    key = settings.AUDIT_KEY.encode("utf-8")
    return hmac.new(key, _canonical(_payload(event)), hashlib.sha256).hexdigest()


@dataclass
class PendingEvent:
    event_type: AuditEventType | str
    obj: models.Model | None = None
    object_type: str = ""
    object_id: str = ""
    object_repr: str = ""
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    extra: dict[str, Any] | None = None


def _build(actor: User | None, pending: PendingEvent, now: dt.datetime) -> AuditEvent:
    obj = pending.obj
    object_type = pending.object_type or (obj._meta.label_lower if obj is not None else "")
    object_id = pending.object_id or (str(obj.pk) if obj is not None else "")
    object_repr = pending.object_repr or (str(obj)[:200] if obj is not None else "")
    return AuditEvent(
        created_at=now,
        actor=actor,
        actor_label=actor.get_username() if actor is not None else "system",
        event_type=str(pending.event_type),
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        before=_jsonable(pending.before),
        after=_jsonable(pending.after),
        extra=_jsonable(pending.extra) or {},
        request_id=request_id_var.get(),
    )


def _jsonable(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    # Round-trip through JSON so the hashed payload equals what the database returns.
    result: dict[str, Any] = json.loads(_canonical({k: _json_value(v) for k, v in data.items()}))
    return result


def record_many(actor: User | None, events: Iterable[PendingEvent]) -> list[AuditEvent]:
    """Append events to the chain; must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit events must be written inside the change's transaction")
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
    now = timezone.now()
    rows: list[AuditEvent] = []
    seq, prev = head.last_seq, head.last_hash
    for pending in events:
        event = _build(actor, pending, now)
        seq += 1
        event.seq = seq
        event.prev_hash = prev
        event.hash = compute_hash(event)
        prev = event.hash
        rows.append(event)
    if rows:
        AuditEvent.objects.bulk_create(rows, batch_size=2000)
        AuditChainHead.objects.filter(pk=head.pk).update(last_seq=seq, last_hash=prev)
    return rows


def record(
    *,
    actor: User | None,
    event_type: AuditEventType | str,
    obj: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    pending = PendingEvent(
        event_type=event_type,
        obj=obj,
        before=before,
        after=after,
        extra=extra,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
    )
    return record_many(actor, [pending])[0]


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""


def verify(progress: Callable[[int, int], None] | None = None) -> VerifyResult:
    """Recompute the chain; return the first event that does not check out."""
    total = AuditEvent.objects.count()
    expected_seq, expected_prev, checked = 1, GENESIS_HASH, 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return VerifyResult(
                False,
                checked,
                expected_seq,
                f"event {expected_seq} is missing (next present is {event.seq})",
            )
        if event.prev_hash != expected_prev:
            return VerifyResult(
                False,
                checked,
                event.seq,
                f"event {event.seq} does not follow event {event.seq - 1} "
                "(an event was removed, inserted or moved)",
            )
        if not hmac.compare_digest(compute_hash(event), event.hash):
            return VerifyResult(False, checked, event.seq, f"event {event.seq} was altered")
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
        if progress is not None and checked % 1000 == 0:
            progress(checked, total)
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_seq == checked and head.last_hash != expected_prev:
        return VerifyResult(
            False,
            checked,
            checked,
            f"event {checked} does not match the hash the chain head recorded",
        )
    if head is not None and head.last_seq != checked:
        missing_from = checked + 1
        return VerifyResult(
            False,
            checked,
            missing_from,
            f"the chain ends at event {checked} but the head records "
            f"event {head.last_seq}: events from {missing_from} were removed",
        )
    if progress is not None:
        progress(checked, total)
    return VerifyResult(True, checked)


def record_verification(*, actor: User | None, result: VerifyResult) -> None:
    """Record that the chain was verified, and the outcome, as an event of its own."""
    with transaction.atomic():
        record(
            actor=actor,
            event_type=AuditEventType.AUDIT_VERIFIED,
            extra={
                "ok": result.ok,
                "checked": result.checked,
                "first_bad_seq": result.first_bad_seq,
                "problem": result.problem,
            },
        )
