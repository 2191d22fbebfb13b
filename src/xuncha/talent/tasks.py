"""Background tasks of the talent app: thin wrappers around services."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from xuncha.core import jobs
from xuncha.talent import formation_services
from xuncha.talent.models import FormationRun

# At most one progress write per this many seconds: CP-SAT may find many solutions fast.
PROGRESS_EVERY = 0.5


@task()
def form_teams(job_id: str, run_id: int) -> dict[str, Any]:
    run = FormationRun.objects.select_related("round__committee", "created_by").get(pk=run_id)
    with jobs.running(job_id) as reporter:
        total = max(1, run.time_limit)
        reporter.progress(0, total, "")
        write = reporter.throttled(PROGRESS_EVERY)

        def progress(objective: float, bound: float | None, seconds: float) -> None:
            # The deterministic clock may run past the limit; keep the bar below 100 %.
            done = min(total - 1, int(seconds)) if total > 1 else 0
            write(done, total, f"{objective:g} / {bound:g}" if bound else "")

        try:
            formation_services.formation_solve(run, today=timezone.localdate(), progress=progress)
        except Exception:
            FormationRun.objects.filter(pk=run_id).update(status=FormationRun.Status.FAILED)
            raise
        summary = {
            "status": run.status,
            "objective": run.objective,
            "next_url": reverse("talent:formation", args=[run.round_id]),
        }
        reporter.progress(total, total, "")
        jobs.finish(job_id, result=summary)
    return summary
