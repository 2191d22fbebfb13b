"""Background jobs a user starts and watches: a ``JobRun`` row tracks progress.

``job_start`` records the run and its audit event and enqueues the task after commit
(through the configured Tasks backend: the database by default, Redis via RQ on
several machines). Tasks report progress with ``JobReporter``; the job page polls it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from xuncha.core import audit
from xuncha.core.lib.text import Text
from xuncha.core.models import AuditEventType, JobRun, User

logger = logging.getLogger(__name__)


class Progress(Protocol):
    def __call__(self, done: int, total: int, message: str | Text = "") -> None: ...


def stored_message(message: str | Text) -> str:
    """A progress message as stored: a ``Text`` keeps its template and values (JSON), so
    the page renders it in the language of whoever watches the job."""
    if isinstance(message, Text):
        message = json.dumps(message.to_json(), ensure_ascii=False)
        if len(message) > 500:  # never store half a JSON document
            return ""
    return message[:500]


class JobReporter:
    """Progress updates for one run; each update is one UPDATE of its row."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id

    def progress(self, done: int, total: int, message: str | Text = "") -> None:
        fields: dict[str, Any] = {"done": done, "total": total}
        if message:
            fields["message"] = stored_message(message)
        JobRun.objects.filter(pk=self.job_id).update(**fields)

    def throttled(self, every: float = 0.5) -> Progress:
        """``progress`` at most once per ``every`` seconds (a solver or a million rows may
        report far more often); the last step (done == total) is always written."""
        last = [float("-inf")]

        def progress(done: int, total: int, message: str | Text = "") -> None:
            now = time.monotonic()
            if now - last[0] < every and done < total:
                return
            last[0] = now
            self.progress(done, total, message)

        return progress

    def file_path(self, suffix: str) -> Path:
        directory = Path(settings.JOB_FILES_DIR)
        directory.mkdir(parents=True, exist_ok=True)
        return directory / f"{self.job_id}{suffix}"


@contextmanager
def running(job_id: str) -> Iterator[JobReporter]:
    """Mark the run as running, then finished or failed (with a message, no data)."""
    JobRun.objects.filter(pk=job_id).update(status=JobRun.Status.RUNNING)
    reporter = JobReporter(job_id)
    try:
        yield reporter
    except Exception as exc:
        logger.exception("job %s failed", job_id)
        JobRun.objects.filter(pk=job_id).update(
            status=JobRun.Status.FAILED,
            finished_at=timezone.now(),
            message=f"{type(exc).__name__}"[:500],
        )
        raise
    JobRun.objects.filter(pk=job_id).update(
        status=JobRun.Status.SUCCEEDED, finished_at=timezone.now()
    )


def finish(
    job_id: str, *, result: dict[str, Any], result_file: str = "", message: str = ""
) -> None:
    JobRun.objects.filter(pk=job_id).update(
        result=result, result_file=result_file, message=message[:500]
    )


def _enqueue(task: Any, job_id: str, kwargs: dict[str, Any]) -> None:
    task_result = task.enqueue(job_id=job_id, **kwargs)
    JobRun.objects.filter(pk=job_id).update(task_result_id=str(task_result.id)[:64])


@transaction.atomic
def job_start(*, actor: User, kind: str, label: str, task: Any, **kwargs: Any) -> JobRun:
    job = JobRun.objects.create(owner=actor, kind=kind, label=label[:200])
    audit.record(
        actor=actor,
        event_type=AuditEventType.JOB_STARTED,
        obj=job,
        object_repr=label[:200],
        extra={"kind": kind},
    )
    transaction.on_commit(partial(_enqueue, task, str(job.pk), kwargs))
    return job
