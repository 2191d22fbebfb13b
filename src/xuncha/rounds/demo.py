"""The rounds part of the demo: a committee term per county with rounds already done,
one round under way (its first team inspects the demo team's unit) and the rest of the
term still to plan."""

from __future__ import annotations

import datetime as dt
from typing import Any

from xuncha.core.models import Organisation
from xuncha.rounds import services
from xuncha.rounds.models import STAGE_ORDER, Milestone, Round, RoundKind, Stage

TEAM_NAMES = ["第一巡察组", "第二巡察组", "第三巡察组", "第四巡察组"]
# Milestones that let each stage gate pass, recorded on the round for all its teams.
GATE_MILESTONES: dict[str, list[str]] = {
    Stage.STATIONING: [Milestone.Kind.PLAN_APPROVED, Milestone.Kind.NOTICE_SENT],
    Stage.UNDERSTANDING: [Milestone.Kind.MOBILISATION_MEETING, Milestone.Kind.CHANNELS_PUBLISHED],
    Stage.FEEDBACK: [Milestone.Kind.REPORT_FILED],
    Stage.HANDOVER: [Milestone.Kind.FEEDBACK_GIVEN],
    Stage.RECTIFICATION: [Milestone.Kind.HANDOVER_DONE],
    Stage.SUPERVISION: [Milestone.Kind.RECTIFICATION_REPORT],
}


def walk(round_: Round, until: str) -> None:
    """Record the milestones and move every team, then the round, up to ``until``."""
    stages = {s.stage: s for s in round_.stages.all()}
    for stage in STAGE_ORDER[1 : STAGE_ORDER.index(until) + 1]:
        planned = stages.get(stage)
        day = planned.start_date if planned else round_.stages.order_by("-end_date")[0].end_date
        for kind in GATE_MILESTONES.get(stage, []):
            services.milestone_record(
                actor=None, round_=round_, kind=kind, date=day - dt.timedelta(days=1)
            )
        for team in round_.teams.all():
            services.team_advance(actor=None, team=team)  # type: ignore[arg-type]
        services.round_advance(actor=None, round_=round_)  # type: ignore[arg-type]


def load(context: Any) -> None:
    rng, today = context.rng, context.today
    for index, county_info in enumerate(context.tree["counties"]):
        county: Organisation = county_info["county"]
        term = services.term_create(
            actor=None,
            committee=county,
            name=f"{county.name}第十五届县委任期",
            start_date=dt.date(2022, 9, 1),
            end_date=dt.date(2027, 8, 31),
            rounds_per_year=3,
            teams_per_round=3,
            team_capacity=3,
        )
        units = list(county_info["units"])
        townships = list(county_info["townships"])
        villages_by_town: dict[int, list[Organisation]] = {}
        for village in county_info["villages"]:
            villages_by_town.setdefault(village.parent_id, []).append(village)
        rng.shuffle(units)
        # Past rounds cover about half of the units and a third of the townships.
        n_past = 4 if index == 0 else 2
        start = dt.date(2023, 3, 6)
        per_round = max(1, len(units) // (2 * n_past))
        for number in range(n_past):
            teams: list[tuple[str, list[Organisation]]] = []
            chunk = units[number * per_round : (number + 1) * per_round]
            for t in range(3):
                part = chunk[t::3]
                if part:
                    teams.append((TEAM_NAMES[t], part))
            if number % 2 == 1 and townships:
                town = townships.pop(0)
                teams.append((TEAM_NAMES[3], [town, *villages_by_town.get(town.pk, [])]))
            if not teams:
                continue
            round_ = services.round_create(
                actor=None,
                committee=county,
                term=term,
                kind=RoundKind.ROUTINE,
                name=f"{county.name[:-1]}县委第{number + 1}轮巡察",
                start_date=start,
                teams=teams,
            )
            walk(round_, Stage.CLOSED if number < n_past - 1 else Stage.RECTIFICATION)
            start += dt.timedelta(days=120)
        remaining = units[n_past * per_round :]
        if index == 0 and remaining:
            # The round under way: its first team inspects the demo team's unit.
            office_target = context.tree["counties"][0]["units"][
                min(12, len(context.tree["counties"][0]["units"]) - 1)
            ]
            current = [office_target, *[u for u in remaining if u != office_target][:2]]
            round_ = services.round_create(
                actor=None,
                committee=county,
                term=term,
                kind=RoundKind.ROUTINE,
                name=f"{county.name[:-1]}县委第{n_past + 1}轮巡察",
                start_date=today - dt.timedelta(days=30),
                teams=[(TEAM_NAMES[0], current[:1]), (TEAM_NAMES[1], current[1:])],
            )
            walk(round_, Stage.STATIONING)
            for team in round_.teams.all():
                services.milestone_record(
                    actor=None,
                    round_=round_,
                    team=team,
                    kind=Milestone.Kind.MOBILISATION_MEETING,
                    date=today - dt.timedelta(days=8),
                )
            first = round_.teams.order_by("name").first()
            if first is None:
                raise RuntimeError("the demo round has no team")
            services.milestone_record(
                actor=None,
                round_=round_,
                team=first,
                kind=Milestone.Kind.CHANNELS_PUBLISHED,
                date=today - dt.timedelta(days=7),
            )
            services.team_advance(actor=None, team=first)  # type: ignore[arg-type]
