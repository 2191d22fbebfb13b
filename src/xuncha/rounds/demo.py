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


PAST_ROUND_REASON = "演示数据：往期轮次的工作方式记录未录入系统。"


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
            # Past rounds carry no method records in the demo: the coverage gate of
            # fieldwork is passed with the reason on record, as an office would.
            _to, missing = services.team_gate(team)
            coverage_only = bool(missing) and all(m.code.startswith("coverage:") for m in missing)
            services.team_advance(
                actor=None,  # type: ignore[arg-type]
                team=team,
                override_reason=PAST_ROUND_REASON if coverage_only else "",
            )
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
            _briefings_and_profile(context, round_, office_target)


def _briefings_and_profile(context: Any, round_: Round, target: Organisation) -> None:
    """Two departments asked about the first target (one answered); the target's projects
    and budget for its profile page."""
    from decimal import Decimal

    from xuncha.core.models import Person
    from xuncha.rounds.models import BudgetFigure, MajorProject, TopicTag

    rng, today = context.rng, context.today
    units = context.tree["counties"][0]["units"]
    discipline, organisation_dept = units[0], units[1]
    asked = services.briefing_request(
        actor=None,
        round_=round_,
        target=target,
        department=discipline,
        due_date=today - dt.timedelta(days=35),
    )
    services.briefing_request(
        actor=None,
        round_=round_,
        target=target,
        department=organisation_dept,
        due_date=today + dt.timedelta(days=5),
    )
    topics = {t.code: t for t in TopicTag.objects.all()}
    services.briefing_submit(
        actor=None,
        request=asked,
        date=today - dt.timedelta(days=36),
        summary="近三年共收到反映该单位问题线索4件，已了结3件，1件暂存待查。",
        concerns=[
            ("专项资金拨付进度与项目进度不符，存在提前拨付情况", topics.get("agri-funds")),
            ("公务接待费用连续两年增幅超过30%", topics.get("eight-rules")),
        ],
    )
    people = list(Person.objects.filter(posts__organisation=target, posts__end_date=None)[:4])
    for i, name in enumerate(["农田水利改造工程", "办公楼维修改造项目"]):
        project = MajorProject.objects.create(
            organisation=target,
            name=name,
            amount=Decimal(rng.randint(80, 900) * 10000),
            start_date=today - dt.timedelta(days=400 + 200 * i),
            end_date=today - dt.timedelta(days=60 + 100 * i),
        )
        project.participants.set(people[i::2])
    for year in (today.year - 2, today.year - 1):
        for item, base in (
            ("一般公共预算支出", 3_000_000),
            ("公务接待费", 120_000),
            ("专项资金", 8_000_000),
        ):
            BudgetFigure.objects.create(
                organisation=target,
                year=year,
                item=item,
                amount=Decimal(base + rng.randint(0, base // 3)),
            )
