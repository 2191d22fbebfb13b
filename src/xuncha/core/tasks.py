"""Background tasks of the core app: thin wrappers around services and selectors."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from xuncha.core import audit, exports, jobs
from xuncha.core.models import User


@task()
def export_people_xlsx(job_id: str, user_id: int, filters: dict[str, Any]) -> dict[str, Any]:
    user = User.objects.get(pk=user_id)
    with jobs.running(job_id) as reporter:
        path = reporter.file_path(".xlsx")
        summary = exports.people_xlsx(
            user=user, filters=filters, path=path, progress=reporter.progress
        )
        jobs.finish(job_id, result=summary, result_file=path.name)
    return summary


@task()
def verify_audit_chain(job_id: str, user_id: int) -> dict[str, Any]:
    user = User.objects.get(pk=user_id)
    with jobs.running(job_id) as reporter:
        result = audit.verify(progress=reporter.progress)
        summary = {
            "ok": result.ok,
            "checked": result.checked,
            "first_bad_seq": result.first_bad_seq,
            "problem": result.problem,
        }
        audit.record_verification(actor=user, result=result)
        jobs.finish(job_id, result=summary)
    return summary


@task()
def ping(value: int) -> int:
    """A trivial task used to check a backend end to end (tests, ``xuncha worker`` docs)."""
    return value * 2
