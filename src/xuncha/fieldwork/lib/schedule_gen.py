"""Fictional stationing periods to schedule: interview-scheduling instances (pure).

``generate(teams, interviews, days, seed)`` invents a round's teams, targets and the talks
they plan with one seeded ``random.Random`` and returns a ``scheduling.Instance`` with the
figures the benchmark reports. Names are drawn character by character
(``xuncha.core.demo.names``); units and people are invented.

Assumptions, chosen to resemble a county round and stated so they can be argued with:

* Working days: ``days`` weekdays from ``start`` (Monday 2026-09-07); the app passes days
  filtered by the holiday calendar, here only weekends are skipped. Default windows
  08:30-12:00 and 14:30-18:00 in 30-minute units; daily cap 4 talks per member.
* Teams: 5-7 members each, a leader (who asks in the main leaders' talks), one or two
  deputies and members. In each team one or two non-leaders are away for one or two
  consecutive days (home-unit business, training), never the first day.
* Targets: one or two units per team (a township, a county bureau), each with a main
  leader talked to twice: first (2 hours, priority 2, in the team's first talk room) and
  again near the end (1 hour, on the last three working days); then the other leaders
  (1-1.5 hours, priority 1), heads of offices (1 hour), staff and retired leaders (30-60
  minutes). The team's talks are split over its targets in proportion, at least 6 each.
* Public talks: one or two per team, confirmed at the requester's time and in a given
  talk room (fixed), on days 2 to ``days`` - 2, unit-less (a member of the public) or a
  cadre of a target; at most one fixed talk per team, day and window.
* Availability: about one interviewee in ten is away for two or three consecutive days
  (a business trip), and about one in twenty only free in the afternoons.
* Recusal: about 7 % of the talks other than the main leaders' have one member (never
  the leader) in conflict with the interviewee, with evidence in words: a relative, a
  former superior or subordinate, a colleague of three or more years.
* Places: two or three talk rooms per team (the target's meeting room lent for the
  period counts as one), open all the time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from xuncha.core.demo import names
from xuncha.fieldwork.lib.scheduling import (
    FIRST,
    LAST,
    Conflict,
    Fixed,
    Instance,
    Interview,
    Member,
    Place,
    Rules,
    Span,
    day_spans,
)

START = date(2026, 9, 7)  # a Monday

_TOWNSHIP_LEADERS = ("党委副书记", "镇长", "纪委书记", "组织委员", "宣传委员", "副镇长", "人大主席")
_BUREAU_LEADERS = ("局长", "副局长", "纪检监察组组长", "总工程师", "副局长（分管财务）")
_OFFICES = (
    "党政办",
    "财政所",
    "综治中心",
    "规划建设办",
    "农业服务中心",
    "社会事务办",
    "经济发展办",
)
_BUREAU_OFFICES = ("办公室", "财务股", "人事股", "项目股", "执法大队", "政策法规股")
_BUREAUS = ("财政局", "住房和城乡建设局", "交通运输局", "水利局", "自然资源局", "卫生健康局")
_CONFLICTS = (
    ("relative", "配偶之兄，系近姻亲"),
    ("relative", "表兄弟，三代以内旁系血亲"),
    ("former_superior", "2019–2022 年曾任其直接上级"),
    ("former_subordinate", "2020–2023 年系其直接下属"),
    ("colleague", "在县财政局同事五年（2015–2020）"),
    ("colleague", "在原单位同一科室共事四年"),
)


@dataclass(frozen=True)
class Generated:
    """The instance with the seed and the figures that describe it."""

    instance: Instance
    seed: int
    stats: dict[str, object] = field(default_factory=dict)


def working_days(start: date, count: int) -> tuple[date, ...]:
    """``count`` weekdays from ``start`` (weekends skipped; holidays are the caller's)."""
    found: list[date] = []
    day = start
    while len(found) < count:
        if day.weekday() < 5:
            found.append(day)
        day += timedelta(days=1)
    return tuple(found)


def generate(
    teams: int = 3,
    interviews: int = 120,
    days: int = 15,
    seed: int = 2026,
    *,
    start: date = START,
    rules: Rules | None = None,
) -> Generated:
    """A round's stationing period (see the module docstring for what is assumed)."""
    if teams < 1 or days < 4:
        raise ValueError("need at least one team and four working days")
    if interviews < 8 * teams:
        raise ValueError("need at least 8 talks per team (two main-leader talks per target)")
    rng = random.Random(seed)  # noqa: S311 - reproducible fiction, not secrets
    rules = rules or Rules()
    calendar = working_days(start, days)
    members: list[Member] = []
    places: list[Place] = []
    talks: list[Interview] = []
    used_places: set[str] = set()
    counts = {"fixed": 0, "conflicts": 0, "away_members": 0, "limited_interviewees": 0}
    next_person = 1
    per_team = [interviews // teams + (1 if t < interviews % teams else 0) for t in range(teams)]

    for t in range(teams):
        team_id = t + 1
        size = rng.randint(5, 7)
        team_members: list[Member] = []
        deputies = rng.randint(1, 2)
        away: dict[int, tuple[int, ...]] = {}
        for k in range(size):
            member_id = team_id * 100 + k + 1
            if k > 0 and rng.random() < 0.3 and len(away) < 2:
                first = rng.randint(1, days - 2)
                away[member_id] = tuple(range(first, min(days, first + rng.randint(1, 2))))
            role = "组长" if k == 0 else "副组长" if k <= deputies else "组员"
            team_members.append(
                Member(member_id, f"{names.person_name(rng, rng.choice('MF'))}（{role}）", team_id)
            )
        if not away:  # at least one member away, as the benchmark promises
            member_id = team_members[-1].member_id
            first = rng.randint(1, days - 2)
            away[member_id] = (first,)
        counts["away_members"] += len(away)
        for k, member in enumerate(team_members):
            if member.member_id in away:
                free = [d for d in range(days) if d not in away[member.member_id]]
                team_members[k] = Member(
                    member.member_id, member.name, team_id, day_spans(rules, free)
                )
        leader = team_members[0].member_id

        room_count = rng.randint(2, 3)
        team_places = [
            Place(
                team_id * 10 + k + 1,
                f"第{team_id}组谈话室{k + 1}" if k < 2 else "被巡察单位会议室",
                team_id,
                "talk_room" if k < 2 else "meeting_room",
            )
            for k in range(room_count)
        ]
        places.extend(team_places)

        targets = 1 if per_team[t] < 24 else rng.randint(1, 2)
        shares = [
            per_team[t] // targets + (1 if u < per_team[t] % targets else 0) for u in range(targets)
        ]
        fixed_count = rng.randint(1, 2)
        fixed_used: set[tuple[int, int]] = set()
        team_talks: list[Interview] = []
        for u in range(targets):
            unit_id = team_id * 10 + u + 1
            township = rng.random() < 0.6
            unit_name = (
                names.place_name(rng, used_places) + "镇" if township else rng.choice(_BUREAUS)
            )
            head = "党委书记" if township else "党组书记、局长"
            main_id = next_person
            next_person += 1
            main_name = f"{names.person_name(rng, rng.choice('MF'))}（{unit_name}{head}）"
            common = {"team_id": team_id, "interviewee_id": main_id, "unit_id": unit_id}
            team_talks.append(
                Interview(
                    interview_id=0,
                    interviewee=main_name,
                    length=4,
                    places=frozenset({team_places[0].place_id}),
                    main_leader=FIRST,
                    askers=frozenset({leader}),
                    priority=2,
                    **common,  # type: ignore[arg-type]
                )
            )
            team_talks.append(
                Interview(
                    interview_id=0,
                    interviewee=main_name,
                    length=2,
                    places=frozenset({team_places[0].place_id}),
                    main_leader=LAST,
                    askers=frozenset({leader}),
                    priority=1,
                    **common,  # type: ignore[arg-type]
                )
            )
            remaining = shares[u] - 2
            if u == 0:
                remaining -= fixed_count
            leaders = _TOWNSHIP_LEADERS if township else _BUREAU_LEADERS
            offices = _OFFICES if township else _BUREAU_OFFICES
            for k in range(remaining):
                person = next_person
                next_person += 1
                who = names.person_name(rng, rng.choice("MF"))
                if k < len(leaders):
                    title, length, priority = leaders[k], rng.choice((2, 3)), 1
                elif k < len(leaders) + len(offices):
                    title, length, priority = offices[k - len(leaders)] + "负责人", 2, 0
                elif rng.random() < 0.15:
                    title, length, priority = "退休老领导", 2, 0
                else:
                    title, length, priority = rng.choice(offices) + "干部", rng.choice((1, 2)), 0
                available = None
                roll = rng.random()
                if roll < 0.10:
                    first = rng.randint(0, days - 3)
                    gone = set(range(first, first + rng.randint(2, 3)))
                    available = day_spans(rules, [d for d in range(days) if d not in gone])
                elif roll < 0.15:
                    available = tuple(
                        Span(d, rules.windows[-1][0], rules.windows[-1][1]) for d in range(days)
                    )
                if available is not None:
                    counts["limited_interviewees"] += 1
                team_talks.append(
                    Interview(
                        interview_id=0,
                        team_id=team_id,
                        interviewee_id=person,
                        interviewee=f"{who}（{unit_name}{title}）",
                        unit_id=unit_id,
                        length=length,
                        available=available,
                        priority=priority,
                    )
                )
            if u == 0:
                for _ in range(fixed_count):
                    for _attempt in range(100):
                        day = rng.randint(2, days - 2)
                        window = rng.randrange(len(rules.windows))
                        if (day, window) not in fixed_used:
                            break
                    fixed_used.add((day, window))
                    w0, w1 = rules.windows[window]
                    length = rng.choice((1, 2))
                    slots = (w1 - w0) // rules.unit_minutes - length
                    begin = w0 + rules.unit_minutes * rng.randint(0, max(0, slots))
                    cadre = rng.random() < 0.5
                    person = next_person
                    next_person += 1
                    who = names.person_name(rng, rng.choice("MF"))
                    team_talks.append(
                        Interview(
                            interview_id=0,
                            team_id=team_id,
                            interviewee_id=person,
                            interviewee=f"{who}（{unit_name}干部，预约谈话）"
                            if cadre
                            else f"{who}（群众，预约谈话）",
                            unit_id=unit_id if cadre else None,
                            length=length,
                            fixed=Fixed(day, begin, rng.choice(team_places).place_id),
                            priority=1,
                        )
                    )
                    counts["fixed"] += 1

        # Recusal: a few members may not talk to a few interviewees.
        conflicts: dict[int, list[Conflict]] = {}
        candidates = [iv for iv in team_talks if iv.main_leader is None]
        for iv in candidates:
            if rng.random() < 0.07:
                member = rng.choice(team_members[1:])
                rule, evidence = rng.choice(_CONFLICTS)
                conflicts.setdefault(member.member_id, []).append(
                    Conflict(iv.interviewee_id, rule, evidence)
                )
                counts["conflicts"] += 1
        for member in team_members:
            members.append(
                Member(
                    member.member_id,
                    member.name,
                    member.team_id,
                    member.available,
                    member.daily_cap,
                    tuple(conflicts.get(member.member_id, ())),
                )
            )
        for k, iv in enumerate(team_talks):
            talks.append(
                Interview(
                    interview_id=team_id * 1000 + k + 1,
                    team_id=iv.team_id,
                    interviewee_id=iv.interviewee_id,
                    interviewee=iv.interviewee,
                    unit_id=iv.unit_id,
                    length=iv.length,
                    places=iv.places,
                    available=iv.available,
                    fixed=iv.fixed,
                    main_leader=iv.main_leader,
                    askers=iv.askers,
                    priority=iv.priority,
                )
            )

    instance = Instance(calendar, tuple(members), tuple(places), tuple(talks), rules)
    stats: dict[str, object] = {
        "teams": teams,
        "members": len(members),
        "places": len(places),
        "working_days": days,
        "first_day": calendar[0].isoformat(),
        "last_day": calendar[-1].isoformat(),
        "interviews": len(talks),
        "targets": len({iv.unit_id for iv in talks if iv.main_leader == FIRST}),
        "interview_minutes": sum(iv.length * rules.unit_minutes for iv in talks),
        "fixed_public_talks": counts["fixed"],
        "recusal_conflicts": counts["conflicts"],
        "members_away": counts["away_members"],
        "interviewees_with_limited_availability": counts["limited_interviewees"],
    }
    return Generated(instance, seed, stats)
