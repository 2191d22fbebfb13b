"""Background tasks of the clue registry: the round-wide duplicate scan and the scheduled
deadline check."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django_tasks import task

from xuncha.clues import selectors, services
from xuncha.core import jobs
from xuncha.core.models import User
from xuncha.rounds.models import Round


@task()
def scan_round(job_id: str, user_id: int, round_id: int) -> dict[str, Any]:
    """Every likely duplicate pair among the open records of a round that the user reads.
    The pairs are kept in the job's result; the round's duplicates page shows the latest."""
    user = User.objects.get(pk=user_id)
    round_ = Round.objects.get(pk=round_id)
    with jobs.running(job_id) as reporter:
        records = list(
            selectors.records_for(user).filter(round=round_, status__in=selectors.DEDUP_STATUSES)
        )
        matches = selectors.round_scan(records, progress=reporter.progress)
        summary = {
            "round": round_.pk,
            "records": len(records),
            "pairs": [[m.a, m.b, round(m.score, 4)] for m in matches],
            "next_url": reverse("clues:round_duplicates", args=[round_.pk]),
        }
        jobs.finish(job_id, result=summary)
    return summary


@task()
def check_deadlines() -> dict[str, int]:
    """Flag transferred clues past their deadlines (run daily by the scheduler)."""
    return services.check_deadlines()
