"""Background tasks of data comparison: thin wrappers around services, with progress."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django_tasks import task

from xuncha.core import jobs
from xuncha.datacheck import services
from xuncha.datacheck.models import Run, Version


@task()
def import_version(job_id: str, version_id: int) -> dict[str, Any]:
    """Read, normalise and store one uploaded file (``services.import_version``)."""
    version = Version.objects.get(pk=version_id)
    with jobs.running(job_id) as reporter:
        version = services.import_version(version, progress=reporter.throttled())
        summary = {
            "status": version.status,
            "rows": version.rows_total,
            "valid": version.rows_valid,
            "rejected": version.rows_rejected,
            "next_url": reverse("datacheck:version", args=[version.pk]),
        }
        reporter.progress(version.rows_total, version.rows_total, "")
        jobs.finish(job_id, result=summary)
    return summary


@task()
def run_rules(job_id: str, run_id: int) -> dict[str, Any]:
    """Run the rule library over the run's versions (``services.run_execute``)."""
    run = Run.objects.get(pk=run_id)
    with jobs.running(job_id) as reporter:
        run = services.run_execute(run, progress=reporter.throttled())
        summary = {
            "new": run.findings_new,
            "hits": run.findings_total,
            "next_url": reverse("datacheck:run", args=[run.pk]),
        }
        jobs.finish(job_id, result=summary)
    return summary


@task()
def link_records(job_id: str, link_run_id: int) -> dict[str, Any]:
    """Link two dataset versions, or find one's duplicates (``linking.link_execute``)."""
    from xuncha.datacheck import linking
    from xuncha.datacheck.models import LinkRun

    run = LinkRun.objects.get(pk=link_run_id)
    with jobs.running(job_id) as reporter:
        run = linking.link_execute(run, progress=reporter.throttled())
        summary = {
            "pairs": run.pairs_total,
            "links": run.links,
            "review": run.reviews,
            "next_url": reverse("datacheck:link_run", args=[run.pk]),
        }
        jobs.finish(job_id, result=summary)
    return summary


@task()
def prepare_features() -> dict[str, int]:
    """Linkage features of the household registers that lack them (run hourly by the
    scheduler; ``linking.prepare_missing_features``)."""
    from xuncha.datacheck import linking

    return {"prepared": linking.prepare_missing_features()}
