"""Background tasks of the talent app: thin wrappers around services."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from xuncha.core import jobs
from xuncha.core.lib.text import Text, gettext_noop
from xuncha.talent import formation_services
from xuncha.talent.models import FormationRun

# At most one progress write per this many seconds: CP-SAT may find many solutions fast.
PROGRESS_EVERY = 0.5


@task()
def form_teams(job_id: str, run_id: int) -> dict[str, Any]:
    run = FormationRun.objects.select_related("round__committee", "created_by").get(pk=run_id)
    with jobs.running(job_id) as reporter:
        # The bar counts the time limit in per cent; the message gives the seconds and the
        # best score and bound so far, rendered in the watcher's language.
        reporter.progress(0, 100, "")
        write = reporter.throttled(PROGRESS_EVERY)
        limit = max(1, run.time_limit)

        def progress(objective: float, bound: float | None, seconds: float) -> None:
            # The deterministic clock may run past the limit; keep the bar below 100 %.
            done = min(99, int(100 * seconds / limit))
            shown = {
                "seconds": f"{min(seconds, limit):.0f}",
                "limit": str(limit),
                "score": f"{objective:.1f}",
            }
            if bound is None:  # no bound proved yet
                text = Text(
                    gettext_noop("%(seconds)s of %(limit)s s · best score so far %(score)s"),
                    **shown,
                )
            else:
                text = Text(
                    gettext_noop(
                        "%(seconds)s of %(limit)s s · best score so far %(score)s,"
                        " best possible %(bound)s"
                    ),
                    bound=f"{bound:.1f}",
                    **shown,
                )
            write(done, 100, text)

        try:
            formation_services.formation_solve(run, today=timezone.localdate(), progress=progress)
        except Exception as exc:
            formation_services.formation_failed(run, error=type(exc).__name__)
            raise
        summary = {
            "status": run.status,
            "objective": run.objective,
            "next_url": reverse("talent:formation", args=[run.round_id]),
        }
        reporter.progress(100, 100, "")
        jobs.finish(job_id, result=summary)
    return summary
