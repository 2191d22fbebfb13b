"""Periodic background jobs: apps register a task and an interval, ``xuncha scheduler``
enqueues each one when it is due.

Apps call ``register`` from ``AppConfig.ready``; ``run_due`` (one pass of the scheduler)
enqueues every registered task whose last run is older than its interval, through the
configured Tasks backend, and a worker runs it. When each job was last enqueued is kept
in ``ScheduledRun``: the row is locked (``select_for_update``) while a pass decides and
enqueues, so schedulers on several machines never enqueue the same run twice. With the
database backend the enqueued task is written in that same transaction: a run is
enqueued exactly when its time is recorded.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from xuncha.core.models import ScheduledRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    name: str
    task: Any  # a django-tasks Task taking no arguments
    every: dt.timedelta


_ENTRIES: dict[str, Entry] = {}


def register(name: str, task: Any, every: dt.timedelta) -> None:
    """Run ``task`` (no arguments) every ``every``; ``name`` keys its last run."""
    if every <= dt.timedelta(0):
        raise ValueError(f"the interval of {name!r} must be positive")
    if not 0 < len(name) <= 100:  # ScheduledRun.name
        raise ValueError(f"the schedule name {name!r} must have 1 to 100 characters")
    _ENTRIES[name] = Entry(name=name, task=task, every=every)


def unregister(name: str) -> None:
    _ENTRIES.pop(name, None)


def entries() -> list[Entry]:
    return [_ENTRIES[name] for name in sorted(_ENTRIES)]


def is_due(last: dt.datetime | None, every: dt.timedelta, now: dt.datetime) -> bool:
    return last is None or now - last >= every


def run_due(now: dt.datetime | None = None) -> list[str]:
    """Enqueue every registered job that is due; return the names enqueued.

    Each job is decided in its own transaction, so one whose enqueue fails (the queue is
    down) is logged, left due for the next pass, and does not hold the others back.
    """
    now = now or timezone.now()
    enqueued = []
    for entry in entries():
        try:
            if _enqueue_if_due(entry, now):
                enqueued.append(entry.name)
        except Exception:
            logger.exception("scheduled job %s could not be enqueued", entry.name)
    return enqueued


def _enqueue_if_due(entry: Entry, now: dt.datetime) -> bool:
    ScheduledRun.objects.get_or_create(name=entry.name)
    with transaction.atomic():
        # Another scheduler holding this row waits here until it commits, then reads the
        # time it recorded and finds the job no longer due.
        run = ScheduledRun.objects.select_for_update().get(name=entry.name)
        if not is_due(run.last_enqueued_at, entry.every, now):
            return False
        result = entry.task.enqueue()
        run.last_enqueued_at = now
        run.save(update_fields=["last_enqueued_at"])
    logger.info("scheduled job %s enqueued (task result %s)", entry.name, result.id)
    return True
