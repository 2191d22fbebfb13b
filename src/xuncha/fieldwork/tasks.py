"""Background tasks of fieldwork: thin wrappers around services."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django_tasks import task

from xuncha.core import jobs
from xuncha.core.lib.text import Text
from xuncha.fieldwork import schedule_services
from xuncha.fieldwork.models import ScheduleRun

# At most one progress write per this many seconds: CP-SAT may find many solutions fast.
PROGRESS_EVERY = 0.5


@task()
def schedule_team(job_id: str, run_id: int, settings: dict[str, Any]) -> dict[str, Any]:
    """Solve the team's talk schedule and apply it (``schedule_services.run_schedule``)."""
    run = ScheduleRun.objects.select_related("team__round", "created_by").get(pk=run_id)
    with jobs.running(job_id) as reporter:
        reporter.progress(0, 100, "")
        write = reporter.throttled(PROGRESS_EVERY)

        def progress(fraction: float, message: Text) -> None:
            done = max(0, min(100, round(100 * fraction)))
            write(done, 100, message)  # rendered in the watcher's language

        try:
            run = schedule_services.run_schedule(run, settings=settings, progress=progress)
        except Exception:
            ScheduleRun.objects.filter(pk=run_id).update(status="failed")
            raise
        summary = {
            "status": run.status,
            "scheduled": run.scheduled,
            "unscheduled": len(run.unscheduled),
            "rules": schedule_services.settings_of(settings),
            "next_url": reverse("fieldwork:schedule", args=[run.team_id]),
        }
        reporter.progress(100, 100, "")
        jobs.finish(job_id, result=summary)
    return summary
