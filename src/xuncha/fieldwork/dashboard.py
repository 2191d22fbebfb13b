"""Fieldwork figures for the home page: interference recorded, per round and team, with
what the leader or the office has not acknowledged yet (counts only, no content)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q

from xuncha.core import policy
from xuncha.fieldwork import permissions
from xuncha.rounds.models import Team


@dataclass
class TeamCount:
    team: Team
    total: int
    unacknowledged: int


@dataclass
class RoundCount:
    round: Any
    teams: list[TeamCount] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(t.total for t in self.teams)

    @property
    def unacknowledged(self) -> int:
        return sum(t.unacknowledged for t in self.teams)


def interference_counts(user: Any) -> list[RoundCount]:
    """For each round with interference recorded in a team the user may see: the teams,
    their entries and how many are not yet acknowledged. Newest round first; one query.

    The team's scope for ``FIELDWORK_VIEW`` is the register's scope (both are the office
    of the round's committee or a seat in the team), so counting through the team is exact.
    """
    teams = (
        policy.scope(user, permissions.FIELDWORK_VIEW, Team.objects.all())
        .annotate(
            interference_total=Count("interferences"),
            interference_open=Count(
                "interferences", filter=Q(interferences__acknowledged_at__isnull=True)
            ),
        )
        .filter(interference_total__gt=0)
        .select_related("round")
        .order_by("-round__created_at", "round_id", "id")
    )
    rounds: dict[int, RoundCount] = {}
    for team in teams:
        rounds.setdefault(team.round_id, RoundCount(team.round)).teams.append(
            TeamCount(team, team.interference_total, team.interference_open)
        )
    return list(rounds.values())
