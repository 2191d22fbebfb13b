"""Counts of the public channel for the round dashboard: per team, by channel of receipt
and by category, with a stacked bar chart. Counts only (no content, no key needed), for
whoever may see the round; a team's row is shown only to users who may view its inbox."""

from __future__ import annotations

from typing import Any

from django.db.models import Count

from xuncha.core import policy
from xuncha.intake import permissions
from xuncha.intake.models import Category, Kind, Report, Source, Status
from xuncha.rounds.models import Round


def round_counts(user: Any, round_: Round) -> dict[str, Any] | None:
    """None when the user may see no team's channel in this round."""
    reports = policy.scope(
        user, permissions.INTAKE_VIEW, Report.objects.filter(channel__team__round=round_)
    )
    teams = list(
        policy.scope(user, permissions.INTAKE_VIEW, round_.teams.all()).filter(
            channel__isnull=False
        )
    )
    if not teams:
        return None
    by_source: dict[int, dict[str, int]] = {}
    by_category: dict[int, dict[str, int]] = {}
    totals: dict[int, dict[str, int]] = {}
    rows = reports.values("channel__team_id", "source", "category", "kind", "status").annotate(
        n=Count("pk")
    )
    for row in rows:
        team_id, n = row["channel__team_id"], row["n"]
        by_source.setdefault(team_id, {}).setdefault(row["source"], 0)
        by_source[team_id][row["source"]] += n
        by_category.setdefault(team_id, {}).setdefault(row["category"], 0)
        by_category[team_id][row["category"]] += n
        total = totals.setdefault(team_id, {"all": 0, "talks": 0, "new": 0})
        total["all"] += n
        total["talks"] += n if row["kind"] == Kind.TALK else 0
        total["new"] += n if row["status"] == Status.NEW else 0
    return {
        "sources": [(s.value, s.label) for s in Source],
        "categories": [(c.value, c.label) for c in Category],
        "rows": [
            {
                "team": team,
                "totals": totals.get(team.pk, {"all": 0, "talks": 0, "new": 0}),
                "by_source": [by_source.get(team.pk, {}).get(s.value, 0) for s in Source],
                "by_category": [by_category.get(team.pk, {}).get(c.value, 0) for c in Category],
            }
            for team in teams
        ],
        "chart": {
            "categories": [team.name for team in teams],
            "series": [
                {
                    "name": str(c.label),
                    "data": [by_category.get(team.pk, {}).get(c.value, 0) for team in teams],
                }
                for c in Category
            ],
        },
    }
