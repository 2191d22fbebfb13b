"""Audit rows for reads of handover data: letters downloaded, transfer packages read,
statistics and lists exported. The changes themselves (transfer, receipt, disposal,
closure, settings) are in ``xuncha.clues.services``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from xuncha.clues.models import Record, Transfer
from xuncha.core import audit
from xuncha.core.models import AuditEventType as E
from xuncha.core.models import User


@transaction.atomic
def letter_generated(*, actor: User, transfer: Transfer, records: Sequence[Record]) -> None:
    """The letter lists the clues with their subjects and evidence: a read of each."""
    audit.record(
        actor=actor,
        event_type=E.CLUE_TRANSFER_LETTER,
        obj=transfer,
        extra={"records": sorted(r.pk for r in records), "format": "docx"},
    )


@transaction.atomic
def transfer_read(*, actor: User, transfer: Transfer, records: Sequence[Record]) -> None:
    """The package page shows each clue's text, subjects and evidence: one read per clue,
    so that "who read this clue" finds it."""
    audit.record_many(
        actor,
        [
            audit.PendingEvent(
                event_type=E.CLUE_READ, obj=record, extra={"transfer": transfer.number}
            )
            for record in records
        ],
    )


@transaction.atomic
def handover_exported(
    *, actor: User, what: str, count: int, filters: dict[str, Any], fmt: str
) -> None:
    """A list or the statistics left the system as a file (``what`` names which)."""
    audit.record(
        actor=actor,
        event_type=E.CLUE_EXPORTED,
        object_type=f"clues.{what}",
        extra={"count": count, "filters": filters, "format": fmt},
    )
