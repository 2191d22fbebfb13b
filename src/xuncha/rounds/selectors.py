"""Reads of rounds data through the policy: coverage ledgers, rounds, gates."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from xuncha.core import policy
from xuncha.core.models import Organisation, OrganisationKind
from xuncha.rounds import permissions
from xuncha.rounds.models import STAGE_ORDER, Briefing, CommitteeTerm, Round, Stage, Team

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
    priority: float  # the weight the office set (1 unless set)
    findings: int = 0  # confirmed data comparison findings about the organisation

    @property
    def proposal_priority(self) -> float:
        """What the plan proposer ranks by: the weight, raised by confirmed findings."""
        return finding_priority(self.priority, self.findings)


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
    organisations = list(term_organisations(term).order_by("path"))
    findings = confirmed_findings([o.pk for o in organisations])
    rows = []
    for org in organisations:
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
                findings.get(org.pk, 0),
            )
        )
    counts = {k: sum(1 for r in rows if r.status == k) for k in ("covered", "planned", "uncovered")}
    rounds = list(term.rounds.all())
    done = sum(1 for r in rounds if r.stage != Stage.PREPARATION)
    remaining_years = max(0.0, (term.end_date - max(today, term.start_date)).days / 365.25)
    planned_future = sum(1 for r in rounds if r.stage == Stage.PREPARATION)
    remaining = max(0, math.floor(remaining_years * term.rounds_per_year) - planned_future)
    return Ledger(rows, done, remaining, counts)


FINDING_STEP = 0.5  # each confirmed finding raises the proposer's priority by this much
FINDING_CAP = 2.0  # and all of them together by at most this much


def finding_priority(weight: float, findings: int) -> float:
    """A weight of 0 (left out on purpose) stays 0; otherwise findings raise it."""
    if weight <= 0 or findings <= 0:
        return weight
    return weight + min(FINDING_CAP, FINDING_STEP * findings)


def confirmed_findings(organisation_ids: list[int]) -> dict[int, int]:
    """Confirmed data comparison findings (issue #8) per organisation, when that app is on."""
    from django.apps import apps

    if not apps.is_installed("xuncha.datacheck"):
        return {}
    from xuncha.datacheck.services import confirmed_counts

    return confirmed_counts(organisation_ids)


def briefing_requests_to_answer(user: Any) -> QuerySet[Any]:
    from xuncha.rounds.models import BriefingRequest

    return (
        policy.scope(user, permissions.BRIEFING_SUBMIT, BriefingRequest.objects.all())
        .select_related("round", "target", "department")
        .annotate(answered=Exists(Briefing.objects.filter(request=OuterRef("pk"))))
        .order_by("answered", "due_date", "pk")
    )


def is_answered(request: Any) -> bool:
    return Briefing.objects.filter(request=request).exists()


def briefings_for(user: Any) -> QuerySet[Briefing]:
    """Briefings the user may read: by target (office, team) or given by their department."""
    readable = policy.scope(user, permissions.BRIEFING_VIEW, Briefing.objects.all())
    given = policy.scope(user, permissions.BRIEFING_SUBMIT, Briefing.objects.all())
    return (
        Briefing.objects.filter(Q(pk__in=readable.values("pk")) | Q(pk__in=given.values("pk")))
        .select_related("round", "target", "department", "submitted_by")
        .prefetch_related("concerns__topic", "attachments")
    )


def round_briefings(user: Any, round_: Round) -> dict[str, Any]:
    from xuncha.rounds.models import BriefingRequest

    requests = (
        policy.scope(user, permissions.BRIEFING_VIEW, BriefingRequest.objects.filter(round=round_))
        .select_related("target", "department")
        .annotate(answered=Exists(Briefing.objects.filter(request=OuterRef("pk"))))
    )
    briefings = policy.scope(
        user, permissions.BRIEFING_VIEW, Briefing.objects.filter(round=round_)
    ).select_related("target", "department")
    return {"briefing_requests": requests, "briefings": briefings}


def unit_profile(user: Any, org: Organisation, today: dt.date) -> dict[str, Any]:
    """What is known about a target: people, projects, budget, earlier rounds, briefings."""
    from xuncha.core.models import Post
    from xuncha.rounds.models import BudgetFigure, MajorProject

    posts = Post.objects.filter(organisation=org).select_related("person")
    current = [p for p in posts if p.end_date is None]
    three_years_ago = today.replace(year=today.year - 3)
    retired = [
        p
        for p in posts
        if p.is_leadership
        and p.end_date is not None
        and p.person.retired_on is not None
        and p.person.retired_on >= three_years_ago
    ]
    teams = (
        Team.objects.filter(targets=org)
        .select_related("round")
        .prefetch_related("round__stages")
        .order_by("-round__created_at")
    )
    return {
        "leadership": [p for p in current if p.is_leadership],
        "key_posts": [p for p in current if p.is_key_post and not p.is_leadership],
        "retired_leaders": retired,
        "projects": MajorProject.objects.filter(organisation=org).prefetch_related("participants"),
        "budget": BudgetFigure.objects.filter(organisation=org),
        "earlier_teams": teams,
        "briefings": briefings_for(user).filter(target=org),
        "can_see_people": policy.allows_on_organisation(user, "person.view", org),
        **_findings_of(user, org),
    }


def _findings_of(user: Any, org: Organisation) -> dict[str, Any]:
    """Confirmed data comparison findings about the organisation: the number for everyone
    who sees the profile, the findings themselves for the office that may read them."""
    from django.apps import apps

    if not apps.is_installed("xuncha.datacheck"):
        return {"findings_count": 0, "findings": []}
    from xuncha.datacheck.models import Finding

    confirmed = Finding.objects.filter(unit=org, status=Finding.Status.CONFIRMED)
    readable = policy.scope(user, "datacheck.view", confirmed).select_related("rule", "record")
    return {"findings_count": confirmed.count(), "findings": list(readable.order_by("pk")[:50])}
