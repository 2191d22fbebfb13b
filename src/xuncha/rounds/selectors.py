"""Reads of rounds data through the policy: coverage ledgers, rounds, gates."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from xuncha.core import policy
from xuncha.core.models import Organisation, OrganisationKind
from xuncha.rounds import permissions
from xuncha.rounds.models import STAGE_ORDER, CommitteeTerm, Round, Stage, Team

# The kinds of organisation a county round inspects (DOMAIN.md: every Party organisation
# under the committee, villages and communities included).
INSPECTED_KINDS = [
    OrganisationKind.UNIT,
    OrganisationKind.TOWNSHIP,
    OrganisationKind.VILLAGE,
    OrganisationKind.COMMUNITY,
]
COVERED_FROM = STAGE_ORDER.index(Stage.FEEDBACK)


def terms_for(user: Any) -> QuerySet[CommitteeTerm]:
    return policy.scope(user, permissions.TERM_VIEW, CommitteeTerm.objects.all()).select_related(
        "committee"
    )


def rounds_for(user: Any) -> QuerySet[Round]:
    return policy.scope(user, permissions.ROUND_VIEW, Round.objects.all()).select_related(
        "committee", "term"
    )


def term_organisations(term: CommitteeTerm) -> QuerySet[Organisation]:
    return Organisation.objects.filter(
        path__startswith=term.committee.path, kind__in=INSPECTED_KINDS, is_active=True
    ).select_related("parent")


@dataclass
class LedgerRow:
    organisation: Organisation
    status: str  # "covered", "planned" or "uncovered"
    round: Round | None
    team: Team | None
    date: dt.date | None
    priority: float


@dataclass
class Ledger:
    rows: list[LedgerRow]
    rounds_done: int
    rounds_remaining: int
    counts: dict[str, int]


def ledger(term: CommitteeTerm, today: dt.date) -> Ledger:
    """Each organisation of the term: covered (its round reached feedback), planned, or not."""
    teams = (
        Team.objects.filter(round__term=term)
        .select_related("round")
        .prefetch_related("targets", "round__stages")
    )
    best: dict[int, tuple[str, Team | None]] = {}
    for team in teams:
        covered = STAGE_ORDER.index(team.stage) >= COVERED_FROM
        status = "covered" if covered else "planned"
        for org in team.targets.all():
            current = best.get(org.pk)
            if current is None or (current[0] == "planned" and status == "covered"):
                best[org.pk] = (status, team)
    priorities = {p.organisation_id: float(p.weight) for p in term.priorities.all()}
    rows = []
    for org in term_organisations(term).order_by("path"):
        status, covering = best.get(org.pk, ("uncovered", None))
        date = None
        if covering is not None:
            stations = [s for s in covering.round.stages.all() if s.stage == Stage.STATIONING]
            date = stations[0].start_date if stations else None
        rows.append(
            LedgerRow(
                org,
                status,
                covering.round if covering else None,
                covering,
                date,
                priorities.get(org.pk, 1.0),
            )
        )
    counts = {k: sum(1 for r in rows if r.status == k) for k in ("covered", "planned", "uncovered")}
    rounds = list(term.rounds.all())
    done = sum(1 for r in rounds if r.stage != Stage.PREPARATION)
    remaining_years = max(0.0, (term.end_date - max(today, term.start_date)).days / 365.25)
    planned_future = sum(1 for r in rounds if r.stage == Stage.PREPARATION)
    remaining = max(0, math.floor(remaining_years * term.rounds_per_year) - planned_future)
    return Ledger(rows, done, remaining, counts)
