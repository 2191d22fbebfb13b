"""Team formation: the CP-SAT model against brute force, the validator, explanations, JSON."""

from __future__ import annotations

import itertools
import json
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from random import Random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xuncha.talent.lib import formation, instance_gen
from xuncha.talent.lib.formation import (
    RELAXABLE,
    Assignment,
    Candidate,
    Forbidden,
    Instance,
    Result,
    Rules,
    TeamSpec,
    from_json,
    greedy,
    objective_value,
    result_to_json,
    score_terms,
    solve,
    to_json,
    validate,
)

FAST = 5.0  # time limit for tiny instances; they are solved in milliseconds


def person(
    pid: int,
    name: str | None = None,
    *,
    specs: Sequence[str] = ("finance",),
    leader: bool = False,
    rounds: int = 2,
    county: str = "A",
    available: bool = True,
    workload: int = 0,
    qualified: bool = True,
) -> Candidate:
    return Candidate(
        pid,
        name or f"候选人{pid}",
        county,
        frozenset(specs),
        leader,
        rounds,
        available,
        workload,
        qualified,
    )


def team(
    index: int,
    label: str | None = None,
    *,
    size: tuple[int, int] = (2, 3),
    deputies: tuple[int, int] = (0, 1),
    required: Sequence[str] = ("finance",),
    counties: Sequence[str] = ("Z",),
) -> TeamSpec:
    return TeamSpec(
        index,
        label or f"第{index}巡察组",
        (100 + index,),
        frozenset(counties),
        size[0],
        size[1],
        deputies[0],
        deputies[1],
        frozenset(required),
    )


def generated(n: int, t: int, seed: int) -> Instance:
    """A roomy random instance: enough leaders, specialists and experience for every team."""
    rng = Random(seed)
    specs = ["finance", "audit", "law", "discipline", "personnel", "it"]
    counties = ["C1", "C2", "C3"]
    people = tuple(
        person(
            pid,
            specs=rng.sample(specs, rng.randint(1, 3)),
            leader=rng.random() < 0.25,
            rounds=rng.choice([0, 1, 2, 3, 5]),
            county=rng.choice(counties),
            available=rng.random() < 0.95,
            workload=rng.choice([0, 0, 1, 2]),
            qualified=rng.random() < 0.8,
        )
        for pid in range(1, n + 1)
    )
    teams = tuple(
        team(
            i,
            size=(4, 6),
            deputies=(1, 2),
            required=("finance", rng.choice(specs)),
            counties=(rng.choice(counties),),
        )
        for i in range(1, t + 1)
    )
    forbidden = tuple(
        Forbidden(
            rng.randint(1, n),
            rng.randint(1, t),
            rng.choice(["leader", "deputy", "any"]),
            "worked_recently",
            "近三年在被巡察单位任职",
        )
        for _ in range(n // 2)
    )
    pairs = frozenset(
        (min(a, b), max(a, b)) for a, b in (rng.sample(range(1, n + 1), 2) for _ in range(n // 4))
    )
    return Instance(people, teams, forbidden, Rules(cross=True), pairs)


# -- brute force ---------------------------------------------------------------------------


def brute_force(
    instance: Instance, keep: Sequence[Assignment] = ()
) -> tuple[float, list[Assignment]] | None:
    """Best objective by enumerating every membership and every role split (tiny only).

    Shares nothing with the model: memberships are enumerated, roles are tried per team
    and checked with ``validate`` on a one-team instance, and the score is objective_value.
    The teams named in ``keep`` keep exactly those people and roles.
    """
    teams = instance.teams
    people = instance.candidates
    kept_teams = {a.team_index for a in keep}
    kept_people = {a.person_id: a.team_index for a in keep}
    open_teams = tuple(ti for ti, spec in enumerate(teams) if spec.index not in kept_teams)
    options = [
        (
            (next(ti for ti, spec in enumerate(teams) if spec.index == kept_people[p.person_id]),)
            if p.person_id in kept_people
            else (-1, *open_teams)
        )
        for p in people
    ]

    def roles_for(spec: TeamSpec, members: tuple[int, ...]) -> list[Assignment] | None:
        if not spec.size_min <= len(members) <= spec.size_max:
            return None
        single = replace(instance, teams=(spec,))
        for leader in members:
            rest = [m for m in members if m != leader]
            for k in range(len(rest) + 1):
                for deputies in itertools.combinations(rest, k):
                    trial = [Assignment(spec.index, leader, "leader")] + [
                        Assignment(spec.index, m, "deputy" if m in deputies else "member")
                        for m in rest
                    ]
                    if not validate(single, trial):
                        return trial
        return None

    cache: dict[tuple[int, tuple[int, ...]], list[Assignment] | None] = {}
    best: tuple[float, list[Assignment]] | None = None
    for choice in itertools.product(*options):
        split: list[list[Assignment]] = []
        for ti, spec in enumerate(teams):
            members = tuple(p.person_id for p, c in zip(people, choice, strict=True) if c == ti)
            key = (ti, members)
            if key not in cache:
                if spec.index in kept_teams:
                    cache[key] = [a for a in keep if a.team_index == spec.index]
                else:
                    cache[key] = roles_for(spec, members)
            roles = cache[key]
            if roles is None:
                break
            split.append(roles)
        else:
            full = [a for roles in split for a in roles]
            value = objective_value(instance, full)
            if best is None or value > best[0]:
                best = (value, full)
    return best


@st.composite
def tiny_instances(draw: st.DrawFn, teams: tuple[int, int] = (1, 2)) -> Instance:
    pool = ("finance", "law", "audit")
    n = draw(st.integers(2, 7))
    t = draw(st.integers(*teams))
    people = tuple(
        person(
            pid,
            specs=sorted(draw(st.sets(st.sampled_from(pool), max_size=2))),
            leader=draw(st.sampled_from([True, True, False])),
            rounds=draw(st.sampled_from([0, 1, 2, 2, 3])),
            county=draw(st.sampled_from("AB")),
            available=draw(st.sampled_from([True, True, True, True, False])),
            workload=draw(st.integers(0, 3)),
            qualified=draw(st.sampled_from([True, True, False])),
        )
        for pid in range(1, n + 1)
    )
    teams = []
    for index in range(1, t + 1):
        size_min = draw(st.sampled_from([1, 2, 2, 3]))
        deputies_min = draw(st.sampled_from([0, 0, 1]))
        teams.append(
            team(
                index,
                size=(size_min, size_min + draw(st.integers(0, 2))),
                # Now and then an empty deputy range, which must come out infeasible.
                deputies=(
                    deputies_min,
                    deputies_min + draw(st.sampled_from([0, 1, 1, 1, 1, 1, -1])),
                ),
                required=sorted(draw(st.sets(st.sampled_from(pool), max_size=1))),
                counties=sorted(draw(st.sets(st.sampled_from("AB"), max_size=1))),
            )
        )
    forbidden = tuple(
        Forbidden(
            draw(st.integers(1, n)),
            draw(st.integers(1, t)),
            draw(st.sampled_from(["leader", "deputy", "member", "any"])),
            "worked_recently",
            "证据",
        )
        for _ in range(draw(st.integers(0, 2)))
    )
    rules = Rules(
        min_experienced=draw(st.sampled_from([0, 0, 1, 1, 2])),
        max_first_timers=draw(st.sampled_from([0, 1, 2, 2, 3])),
        cross=draw(st.booleans()),
        relaxed=frozenset(draw(st.sets(st.sampled_from(sorted(RELAXABLE)), max_size=2))),
    )
    pairs = frozenset(
        (min(a, b), max(a, b))
        for a, b in draw(st.lists(st.tuples(st.integers(1, n), st.integers(1, n)), max_size=3))
        if a != b
    )
    return Instance(people, tuple(teams), forbidden, rules, pairs)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances())
def test_solver_matches_brute_force_on_tiny_instances(instance: Instance) -> None:
    expected = brute_force(instance)
    result = solve(instance, time_limit=FAST, seed=1)
    if expected is None:
        assert result.status == "infeasible"
        assert result.explanation
        assert not result.explanation[0].startswith("the rules cannot all hold")
    else:
        best, witness = expected
        assert validate(instance, witness) == []
        assert result.status == "optimal"
        assert validate(instance, result.assignments) == []
        assert objective_value(instance, result.assignments) == pytest.approx(best)
        assert result.objective == pytest.approx(best)
        assert result.gap == 0.0
    baseline = greedy(instance)
    if baseline.status == "feasible":
        assert expected is not None
        assert validate(instance, baseline.assignments) == []
        assert baseline.objective is not None
        assert baseline.objective <= expected[0] + 1e-9


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_instances(teams=(2, 3)), st.data())
def test_restaffing_some_teams_finds_their_best_staffing(
    instance: Instance, data: st.DataObject
) -> None:
    # The neighbourhood model (some teams re-staffed, the others kept with their people,
    # whose experience still counts in the balance) against brute force over the same.
    start = greedy(instance)
    if start.status != "feasible":
        found = brute_force(instance)
        if found is None:
            return
        start = replace(start, assignments=tuple(found[1]))
    ctx = formation._Context(instance)
    positions = range(len(instance.teams))
    chosen = sorted(data.draw(st.sets(st.sampled_from(positions), min_size=1), label="chosen"))
    staffed = {instance.teams[ti].index for ti in chosen}
    keep = [a for a in start.assignments if a.team_index not in staffed]
    expected = brute_force(instance, keep)
    assert expected is not None  # the start itself is one such staffing
    restaffed, used = formation._restaff(ctx, start.assignments, chosen, seed=1, units=FAST)
    assert restaffed is not None and used >= 0
    assert validate(instance, restaffed) == []
    assert {a for a in restaffed if a.team_index not in staffed} == set(keep)
    assert objective_value(instance, restaffed) == pytest.approx(expected[0])


# -- objective -------------------------------------------------------------------------------


def test_objective_terms_by_hand() -> None:
    people = (
        person(1, specs=("finance",), rounds=3, workload=1),  # +3 -2
        person(2, specs=("law",), rounds=0),  # 0
        person(3, specs=("audit",), rounds=2, workload=2),  # +3 -4
        person(4, specs=("finance",), rounds=1, qualified=False),  # 0: no term
    )
    teams = (team(1, required=("finance",)), team(2, required=("audit", "finance")))
    instance = Instance(people, teams, (), Rules(), frozenset({(1, 2), (3, 4), (1, 4)}))
    assignments = [
        Assignment(1, 1, "leader"),
        Assignment(1, 2, "member"),
        Assignment(2, 3, "leader"),
        Assignment(2, 4, "member"),
    ]
    # Team 1 holds finance (required, +10) and law (breadth, +4); team 2 holds audit and
    # finance, both required (+20). People: +1 and -1. Experienced per team: 1 and 1, no
    # deviation. Pairs together: (1,2) and (3,4). Person 4's missing qualification is
    # no term of the score (solve breaks ties with it).
    assert objective_value(instance, assignments) == 10 + 4 + 20 + 1 - 1 - 5 - 5
    assert score_terms(instance, assignments) == {
        "required_specialties": 30,
        "other_specialties": 4,
        "experienced": 6,
        "experience_balance": 0,
        "repeated_pairs": -10,
        "workload": -6,
    }
    # Person 3's experience next to person 1's: counts 2 and 0 where the even spread is 1
    # and 1, each one outside it: 2. Team 1 holds finance and audit (audit is not required
    # there: breadth), team 2 finance and law.
    moved = [
        Assignment(1, 1, "leader"),
        Assignment(1, 3, "member"),
        Assignment(2, 2, "leader"),
        Assignment(2, 4, "member"),
    ]
    assert objective_value(instance, moved) == (10 + 4) + (10 + 4) + 1 - 1 - 2 * 2
    terms = score_terms(instance, moved)
    assert (terms["experience_balance"], terms["repeated_pairs"]) == (-4, 0)
    assert sum(terms.values()) == objective_value(instance, moved)
    assert list(terms) == list(formation.SCORE_TERMS)


def test_the_balance_counts_only_what_an_even_spread_avoids() -> None:
    # Three experienced people over two teams: 2 and 1 is as even as it gets (0); 3 and 0
    # is one above the ceiling (2) and one below the floor (1): -2 x 2.
    people = tuple(person(i, leader=i <= 2, rounds=2 if i <= 3 else 0) for i in range(1, 5))
    instance = Instance(people, (team(1), team(2)), (), Rules(min_experienced=0))
    even = [Assignment(1, 1, "leader"), Assignment(1, 3, "member"), Assignment(2, 2, "leader")]
    even.append(Assignment(2, 4, "member"))
    assert score_terms(instance, even)["experience_balance"] == 0
    piled = [Assignment(1, 1, "leader"), Assignment(1, 3, "member"), Assignment(1, 2, "member")]
    piled += [Assignment(2, 4, "leader")]
    piled_people = replace(
        instance, candidates=(*people[:3], replace(people[3], leader_eligible=True))
    )
    assert score_terms(piled_people, piled)["experience_balance"] == -4
    # The solver, whose model states the same, spreads them.
    result = solve(instance, time_limit=5.0)
    assert result.status == "optimal"
    assert score_terms(instance, result.assignments)["experience_balance"] == 0


def test_a_valid_qualification_breaks_ties_and_only_ties() -> None:
    # Persons 3 and 4 bring the same (law, one round); only 4 holds a valid
    # qualification. Listed first, 3 is what the search alone would seat.
    people = (
        person(1, leader=True, rounds=3),
        person(2, specs=("audit",), rounds=1),
        person(3, specs=("law",), rounds=1, qualified=False),
        person(4, specs=("law",), rounds=1),
    )
    instance = Instance(people, (team(1, size=(3, 3)),), (), Rules())
    result = solve(instance, time_limit=5.0)
    assert result.status == "optimal"
    assert {a.person_id for a in result.assignments} == {1, 2, 4}
    # It never costs points: with experience (+3) person 3 scores more and serves.
    seasoned = replace(
        instance, candidates=(*people[:2], replace(people[2], rounds_done=2), people[3])
    )
    result = solve(seasoned, time_limit=5.0)
    assert {a.person_id for a in result.assignments} == {1, 2, 3}
    assert result.objective == result.bound == objective_value(seasoned, result.assignments)
    # Nobody trained who can take the seat (person 4 is excluded there): 3 stays.
    barred = replace(instance, forbidden=(Forbidden(4, 1, "any", "declared", "x"),))
    assert {a.person_id for a in solve(barred, time_limit=5.0).assignments} == {1, 2, 3}


def test_specialties_count_per_team_not_per_person() -> None:
    people = (
        person(1, specs=("finance",), rounds=1),
        person(2, specs=("finance",), rounds=1),
        person(3, specs=("finance", "law"), rounds=1),
    )
    instance = Instance(people, (team(1, size=(1, 3)),), (), Rules(min_experienced=0))
    one = [Assignment(1, 1, "leader")]
    assert objective_value(instance, one) == 10
    # A second finance officer adds nothing; a lawyer who also does finance adds breadth.
    assert objective_value(instance, [*one, Assignment(1, 2, "member")]) == 10
    assert objective_value(instance, [*one, Assignment(1, 3, "member")]) == 10 + 4
    # Unheld required specialties score nothing (the hard rule catches them, unless relaxed).
    law_only = Instance(
        people, (team(1, size=(1, 3), required=("audit",)),), (), Rules(min_experienced=0)
    )
    assert objective_value(law_only, [Assignment(1, 3, "leader")]) == 4 + 4


# -- validate --------------------------------------------------------------------------------

BASE_PEOPLE = (
    person(1, "甲", leader=True, rounds=3, specs=("finance",)),
    person(2, "乙", rounds=2, specs=("discipline",)),
    person(3, "丙", rounds=0, specs=("audit",)),
    person(4, "丁", rounds=1, specs=("law",), county="X"),
    person(5, "戊", rounds=2, available=False),
    person(6, "己", leader=True, rounds=1, specs=("audit",)),
)
BASE_TEAM = team(
    1,
    "第一巡察组 · 青山镇",
    size=(3, 4),
    deputies=(1, 1),
    required=("finance", "audit"),
    counties=("X",),
)
BASE_RULES = Rules(min_experienced=1, max_first_timers=1, cross=True)
BASE = Instance(BASE_PEOPLE, (BASE_TEAM,), (), BASE_RULES)
VALID = [Assignment(1, 1, "leader"), Assignment(1, 2, "deputy"), Assignment(1, 3, "member")]


def with_rules(rules: Rules) -> Instance:
    return replace(BASE, rules=rules)


ViolationCase = tuple[Instance, list[Assignment], str]

VIOLATIONS: dict[str, Callable[[], ViolationCase]] = {
    "unknown person": lambda: (BASE, [*VALID, Assignment(1, 99, "member")], "not a candidate"),
    "unknown team": lambda: (BASE, [*VALID, Assignment(7, 6, "member")], "unknown team 7"),
    "unknown role": lambda: (BASE, [*VALID, Assignment(1, 6, "observer")], "unknown role"),
    "assigned twice": lambda: (BASE, [*VALID, Assignment(1, 3, "deputy")], "more than once"),
    "unavailable": lambda: (BASE, [*VALID, Assignment(1, 5, "member")], "戊 is unavailable"),
    "leader not in pool": lambda: (
        BASE,
        [Assignment(1, 2, "leader"), Assignment(1, 1, "deputy"), Assignment(1, 3, "member")],
        "not in the leader pool",
    ),
    "two leaders": lambda: (BASE, [*VALID, Assignment(1, 6, "leader")], "2 leaders"),
    "no leader": lambda: (
        BASE,
        [Assignment(1, 2, "deputy"), Assignment(1, 3, "member"), Assignment(1, 6, "member")],
        "0 leaders",
    ),
    "deputies": lambda: (
        BASE,
        [Assignment(1, 1, "leader"), Assignment(1, 2, "member"), Assignment(1, 3, "member")],
        "0 deputies, needs 1–1",
    ),
    "size": lambda: (
        replace(BASE, teams=(replace(BASE_TEAM, required_specialties=frozenset()),)),
        VALID[:2],
        "has 2 people, needs 3–4",
    ),
    "forbidden": lambda: (
        replace(BASE, forbidden=(Forbidden(2, 1, "deputy", "worked_recently", "2022 在青山镇"),)),
        VALID,
        "worked_recently (2022 在青山镇)",
    ),
    "forbidden any role": lambda: (
        replace(BASE, forbidden=(Forbidden(3, 1, "any", "relative", "配偶在青山镇"),)),
        VALID,
        "relative (配偶在青山镇)",
    ),
    "specialty": lambda: (
        BASE,
        [Assignment(1, 1, "leader"), Assignment(1, 2, "deputy"), Assignment(1, 4, "member")],
        "nobody with specialty audit",
    ),
    "experience": lambda: (
        with_rules(replace(BASE_RULES, min_experienced=3)),
        VALID,
        "needs at least 3",
    ),
    "first-timers": lambda: (
        with_rules(replace(BASE_RULES, max_first_timers=0)),
        VALID,
        "1 first-timers",
    ),
    "cross": lambda: (
        BASE,
        [*VALID, Assignment(1, 4, "member")],
        "丁 would inspect their home county X",
    ),
}


def test_valid_base_assignment_passes() -> None:
    assert validate(BASE, VALID) == []


@pytest.mark.parametrize("kind", sorted(VIOLATIONS))
def test_validate_catches_each_kind_of_violation(kind: str) -> None:
    instance, assignments, expected = VIOLATIONS[kind]()
    problems = validate(instance, assignments)
    assert any(expected in problem for problem in problems), problems


def test_relaxed_rules_are_not_checked() -> None:
    cross_member = [*VALID, Assignment(1, 4, "member")]
    assert (
        validate(with_rules(replace(BASE_RULES, relaxed=frozenset({"cross"}))), cross_member) == []
    )
    assert (
        validate(
            with_rules(
                replace(BASE_RULES, max_first_timers=0, relaxed=frozenset({"max_first_timers"}))
            ),
            VALID,
        )
        == []
    )


# -- solving and explaining ------------------------------------------------------------------

LABEL_1 = "第一巡察组 · 青山镇"
LABEL_2 = "第二巡察组 · 白水乡"


def leaders_blocked() -> Instance:
    people = (
        person(1, "张明", leader=True, rounds=4),
        person(2, "李华", leader=True, rounds=3),
        person(3, "王强", leader=True, rounds=2, available=False),
        person(4, "赵敏", leader=True, rounds=2),
        *(person(pid, rounds=pid % 3) for pid in range(5, 13)),
    )
    forbidden = (
        Forbidden(1, 1, "leader", "worked_recently", "2021—2023 任青山镇副镇长"),
        Forbidden(2, 1, "any", "relative", "配偶在青山镇财政所工作"),
        Forbidden(4, 1, "leader", "superior", "2020—2024 系青山镇党委书记的上级"),
    )
    teams = (
        team(1, LABEL_1, size=(3, 4), deputies=(1, 1)),
        team(2, LABEL_2, size=(3, 4), deputies=(1, 1)),
    )
    return Instance(people, teams, forbidden, Rules())


def test_infeasible_explanation_names_team_rule_and_evidence() -> None:
    result = solve(leaders_blocked(), time_limit=FAST)
    assert result.status == "infeasible"
    assert result.assignments == ()
    assert result.objective is None
    text = "\n".join(result.explanation)
    first = result.explanation[0]
    assert "leader rule" in first
    assert LABEL_1 in first
    assert LABEL_2 not in text  # team 2 has nothing to do with it
    assert "4 leader-eligible candidates, all excluded" in first
    for evidence in (
        "2021—2023 任青山镇副镇长",
        "配偶在青山镇财政所工作",
        "2020—2024 系青山镇党委书记的上级",
    ):
        assert evidence in first
    assert "王强 (unavailable)" in first
    assert "recusal rule" in text


def test_competing_teams_are_explained_together() -> None:
    people = (
        person(1, "孙立", leader=True),
        *(person(pid) for pid in range(2, 9)),
    )
    teams = (team(1, LABEL_1, size=(2, 3)), team(2, LABEL_2, size=(2, 3)))
    result = solve(Instance(people, teams, (), Rules()), time_limit=FAST)
    assert result.status == "infeasible"
    text = "\n".join(result.explanation)
    assert LABEL_1 in text and LABEL_2 in text
    assert "together teams 1, 2 need at least 4 people and 2 leaders" in text
    assert "usable for at least one of them: 8 distinct candidates, 1 of them leader-eligible" in (
        text
    )


def test_explanations_count_in_the_right_form() -> None:
    """English has a form for one and one for more ("1 round", "2 rounds"); Chinese one."""
    from django.utils import translation
    from django.utils.translation import gettext, ngettext

    from xuncha.talent.lib.formation import render_text

    people = (
        person(1, "孙立", leader=True, rounds=1),
        person(2, "钱芳", rounds=2),
        *(person(pid, rounds=0) for pid in range(3, 7)),
    )
    one_team = Instance(people, (team(1, LABEL_1, size=(2, 3)),), (), Rules())
    lone = replace(
        one_team,
        forbidden=(Forbidden(1, 1, "any", "relative", "配偶在青山镇财政所工作"),),
    )
    first = solve(lone, time_limit=FAST).explanation[0]
    assert "1 leader-eligible candidate, excluded: 孙立 (forbidden (relative): 配偶" in first
    two_teams = replace(one_team, teams=(*one_team.teams, team(2, LABEL_2, size=(2, 3))))
    short = solve(two_teams, time_limit=FAST)  # one experienced person for two teams
    assert "needs at least 1 person with 2 or more rounds" in short.explanation[0]
    experienced = (*people, person(7, rounds=3))
    result = solve(replace(two_teams, candidates=experienced), time_limit=FAST)
    assert result.status == "infeasible"
    assert "孙立 (1 round)" in result.explanation[0]
    assert "need at least 4 people and 2 leaders" in result.explanation[-1]
    with translation.override("zh-hans"):
        chinese = [
            render_text(n.to_json(), gettext, ntranslate=ngettext) for n in result.explanation_texts
        ]
    assert "孙立（已参加1轮）" in chinese[0]
    assert "合计至少需要4人、2名组长" in chinese[-1]


def test_templates_of_runs_stored_before_still_translate() -> None:
    from django.utils import translation
    from django.utils.translation import gettext

    from xuncha.talent.lib import formation, recusal

    retired = (*formation.RETIRED_TEMPLATES, *recusal.RETIRED_TEMPLATES)
    assert len(retired) == 24
    # A template without words ("“%(reason)s”") reads the same in Chinese.
    worded = [t for t in retired if re.search("[A-Za-z]", re.sub(r"%\(\w+\)s", "", t))]
    assert len(worded) == 23
    with translation.override("zh-hans"):
        assert [t for t in worded if gettext(t) == t] == []


def test_a_size_explanation_names_who_is_out_and_why() -> None:
    people = (
        person(1, "孙立", leader=True, rounds=3),
        person(2, "钱芳", rounds=2),
        person(3, "周敏", available=False),
        person(4, "吴刚", available=False),
        person(5, "郑云", county="Z"),
        person(6, "冯雪"),
    )
    forbidden = (Forbidden(6, 1, "any", "relative", "配偶在青山镇工作"),)
    instance = Instance(people, (team(1, LABEL_1, size=(5, 6)),), forbidden, Rules(cross=True))
    [line] = solve(instance, time_limit=FAST).explanation
    assert line.endswith(
        "candidates usable: 2 (of the others: 1 forbidden by recusal (冯雪), 1 from a target "
        "county (郑云), 2 unavailable (周敏, 吴刚))"
    )
    # Past ten names a group ends with a count.
    away = tuple(person(pid, f"人员{pid}", available=False) for pid in range(10, 23))
    crowded = replace(instance, candidates=(*people, *away))
    [line] = solve(crowded, time_limit=FAST).explanation
    assert "15 unavailable (周敏, 吴刚, 人员10, " in line
    assert "人员17, and 5 more)" in line and "人员18" not in line


def test_a_specialty_nobody_holds_is_said_plainly() -> None:
    people = (person(1, "孙立", leader=True, rounds=3), *(person(p) for p in range(2, 5)))
    teams = (team(1, LABEL_1, size=(2, 3), required=("finance", "law")),)
    [line] = solve(Instance(people, teams, (), Rules()), time_limit=FAST).explanation
    assert line.endswith("finance: 4 of 4 holders usable; law: nobody in the pool holds it")


def test_the_same_evidence_in_several_roles_is_said_once() -> None:
    people = (
        person(1, "孙立", leader=True, rounds=3),
        person(2, "钱芳", specs=("law",), leader=True, rounds=3),
        *(person(p) for p in range(3, 6)),
    )
    declared = "本人申报：与该单位负责人系同学"
    forbidden = tuple(Forbidden(2, 1, role, "declared", declared) for role in ("leader", "deputy"))
    teams = (team(1, LABEL_1, size=(3, 4), required=("finance", "law")),)
    instance = Instance(people, teams, forbidden, Rules())
    # Someone forbidden as leader and deputy may still be a member: no exclusion.
    assert solve(instance, time_limit=FAST).status == "optimal"
    everywhere = (*forbidden, Forbidden(2, 1, "member", "declared", declared))
    line = solve(replace(instance, forbidden=everywhere), time_limit=FAST).explanation[0]
    assert f"钱芳 (forbidden as leader, deputy, member (declared): {declared})" in line
    assert line.count(declared) == 1


def first_timers_only() -> Instance:
    people = (person(1, "周斌", leader=True, rounds=3), *(person(p, rounds=0) for p in range(2, 7)))
    teams = (team(1, LABEL_1, size=(4, 5), deputies=(1, 1)),)
    return Instance(people, teams, (), Rules(max_first_timers=1))


def test_relaxing_the_named_rule_makes_it_feasible() -> None:
    strict = first_timers_only()
    blocked = solve(strict, time_limit=FAST)
    assert blocked.status == "infeasible"
    assert any("first-timer rule" in line and LABEL_1 in line for line in blocked.explanation)
    relaxed = replace(strict, rules=replace(strict.rules, relaxed=frozenset({"max_first_timers"})))
    result = solve(relaxed, time_limit=FAST)
    assert result.status == "optimal"
    assert validate(relaxed, result.assignments) == []
    assert validate(strict, result.assignments)  # still breaks the strict rule, as intended


def test_cross_round_explained_and_relaxed() -> None:
    people = tuple(person(p, leader=p == 1, county="Z" if p < 4 else "A") for p in range(1, 7))
    strict = Instance(people, (team(1, LABEL_1, counties=("Z",)),), (), Rules(cross=True))
    blocked = solve(strict, time_limit=FAST)
    assert blocked.status == "infeasible"
    text = "\n".join(blocked.explanation)
    assert "cross-round rule" in text and "home county Z is a target county" in text
    relaxed = replace(strict, rules=replace(strict.rules, relaxed=frozenset({"cross"})))
    assert solve(relaxed, time_limit=FAST).status == "optimal"


def test_unknown_relaxation_and_duplicates_are_rejected() -> None:
    with pytest.raises(ValueError, match="cannot relax"):
        solve(replace(BASE, rules=Rules(relaxed=frozenset({"leader"}))), time_limit=FAST)
    with pytest.raises(ValueError, match=r"candidates\[\d+\]\.person_id: \d+ is already used"):
        solve(replace(BASE, candidates=(*BASE_PEOPLE, BASE_PEOPLE[0])), time_limit=FAST)


def test_greedy_is_valid_and_solver_is_at_least_as_good() -> None:
    instance = generated(60, 5, seed=7)
    baseline = greedy(instance)
    assert baseline.status == "feasible"
    assert validate(instance, baseline.assignments) == []
    assert baseline.objective == objective_value(instance, baseline.assignments)
    seen: list[tuple[float, float | None, float | None]] = []
    result = solve(instance, time_limit=3.0, progress=lambda *report: seen.append(report))
    assert result.status in {"optimal", "feasible"}
    assert validate(instance, result.assignments) == []
    assert result.objective is not None and baseline.objective is not None
    assert result.objective >= baseline.objective
    assert result.bound is not None and result.bound >= result.objective - 1e-9
    assert seen and all(isinstance(report[0], float) for report in seen)


def _while_busy(call: Callable[[], Result]) -> Result:
    """`call()` while another thread keeps taking the interpreter lock: every Python step
    (model building, polishing, the neighbourhood steps) then takes several times longer,
    as on a loaded machine."""
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            sum(range(1000))

    busy = threading.Thread(target=spin, daemon=True)
    busy.start()
    try:
        return call()
    finally:
        stop.set()
        busy.join()


def test_same_seed_same_result() -> None:
    # Big enough that the search stops on its (deterministic) clock rather than by proof,
    # after the neighbourhood steps.
    instance = generated(400, 25, seed=11)

    def run() -> Result:
        return solve(instance, time_limit=0.3, seed=3)

    first, second, third = run(), run(), _while_busy(run)
    assert first.status == "feasible"  # stopped on the clock, not by a proof
    for other in (second, third):
        assert (first.status, first.assignments, first.objective, first.bound) == (
            other.status,
            other.assignments,
            other.objective,
            other.bound,
        )
    assert greedy(instance).assignments == greedy(instance).assignments


def test_the_search_budget_is_counted_in_solver_units_not_wall_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Five teams: no neighbourhood steps, so the whole-problem search gets the whole
    # limit. Were the model-building time taken off it, the budget would differ between
    # any two runs, and a busy machine would cut it short.
    instance = generated(60, 5, seed=7)
    budgets: list[float] = []
    make_solver = formation._make_solver

    def spy(limit: float, *args: Any) -> Any:
        budgets.append(limit)
        return make_solver(limit, *args)

    monkeypatch.setattr(formation, "_make_solver", spy)

    def run() -> Result:
        return solve(instance, time_limit=1.5, seed=3)

    quiet, busy = run(), _while_busy(run)
    assert budgets == [1.5, 1.5]
    assert (quiet.assignments, quiet.objective, quiet.bound) == (
        busy.assignments,
        busy.objective,
        busy.bound,
    )


def test_neighbourhood_steps_keep_the_rules_only_improve_and_report() -> None:
    instance = generated(200, 12, seed=5)
    ctx = formation._Context(instance)
    start = greedy(instance)
    assert start.status == "feasible" and start.objective is not None
    seen: list[tuple[float, float | None, float]] = []
    reporter = formation._Reporter(lambda *r: seen.append(r), 0.0)
    improved, used = formation._neighbourhoods(ctx, start.assignments, 4, 30, reporter)
    assert validate(instance, improved) == []
    assert objective_value(instance, improved) > start.objective
    assert used > 0
    # Reported: the start, then each better list, ending with the one returned.
    values = [objective for objective, _, _ in seen]
    assert values[0] == start.objective and values == sorted(set(values))
    assert values[-1] == objective_value(instance, improved)
    silent = formation._Reporter(None, 0.0)
    again = formation._neighbourhoods(ctx, start.assignments, 4, 30, silent)
    assert again == (improved, used)


def test_progress_reports_better_lists_and_bounds() -> None:
    seen: list[tuple[float, float | None]] = []
    reporter = formation._Reporter(lambda o, b, _s: seen.append((o, b)), 0.0)
    reporter.solution(10.0)
    reporter.solution(9.0)  # worse: not reported
    reporter.cp_sat_solution(10.0, math.inf)  # CP-SAT's first (the hint): nothing new
    reporter.cp_sat_bound(15.0)
    reporter.cp_sat_bound(math.inf)  # no bound proven: not a bound
    reporter.cp_sat_solution(10.0, 14.0)  # same teams, better bound
    reporter.cp_sat_solution(11.0, 14.0)
    assert seen == [(10.0, None), (10.0, 15.0), (10.0, 14.0), (11.0, 14.0)]


def test_the_last_progress_report_is_the_result() -> None:
    # Proving these teams the best, CP-SAT calls back no bound (its last was 33): the
    # progress bar would stop short of a proof it has.
    seen: list[tuple[float, float | None]] = []
    result = solve(BASE, time_limit=FAST, progress=lambda o, b, _s: seen.append((o, b)))
    assert result.status == "optimal"
    assert seen[-1] == (result.objective, result.bound) == (result.objective, result.objective)


def test_local_search_keeps_the_rules_and_only_improves() -> None:
    instance = generated(80, 6, seed=3)
    start = greedy(instance)
    assert start.status == "feasible" and start.objective is not None
    polished = formation._Polish(formation._Context(instance), start.assignments).run(3)
    assert validate(instance, polished) == []
    assert objective_value(instance, polished) >= start.objective


# -- the generated prefecture ---------------------------------------------------------------


@pytest.fixture(scope="module")
def prefecture() -> instance_gen.Generated:
    return instance_gen.prefecture(2026)


def test_generated_prefecture_has_the_stated_shape(prefecture: instance_gen.Generated) -> None:
    instance = prefecture.instance
    assert len(instance.candidates) == 600
    assert len(instance.teams) == 40
    assert len({c.county for c in instance.candidates}) == 12
    assert instance.rules.cross
    for spec in instance.teams:
        assert len(spec.target_ids) == 5
        assert len(spec.target_counties) == 1  # each team's targets lie in one county
        assert "finance" in spec.required_specialties
    targets = [t for spec in instance.teams for t in spec.target_ids]
    assert len(set(targets)) == 200
    people = instance.candidates
    assert 0.25 <= sum(c.leader_eligible for c in people) / 600 <= 0.40
    assert 0.70 <= sum(c.qualified for c in people) / 600 <= 0.90
    assert all(c.qualified for c in people if c.leader_eligible)
    assert 0.85 <= sum(c.available for c in people) / 600 <= 0.95
    assert sum(c.rounds_done <= 1 for c in people) > 300  # many with 0-1 rounds
    assert sum(c.workload > 0 for c in people) > 100
    assert len(instance.previous_pairs) > 1000
    assert all(c.specialties <= set(instance_gen.SPECIALTIES) and c.specialties for c in people)
    # Recusal comes from the generated careers and kinship, every rule with evidence.
    rules = {f.rule for f in instance.forbidden}
    assert {"worked_recently", "worked_long", "relative", "rotation", "former_colleague"} <= rules
    assert "home_county" not in rules  # Rules.cross covers it
    assert all(f.evidence for f in instance.forbidden)
    assert {f.role for f in instance.forbidden} == {"leader", "deputy", "any"}
    ids = {c.person_id for c in people}
    assert {f.person_id for f in instance.forbidden} <= ids


def test_generated_prefecture_is_reproducible_and_staffable(
    prefecture: instance_gen.Generated,
) -> None:
    again = instance_gen.prefecture(2026)
    assert again.instance == prefecture.instance and again.stats == prefecture.stats
    assert instance_gen.prefecture(7).instance != prefecture.instance
    baseline = greedy(prefecture.instance)
    assert baseline.status == "feasible"
    assert validate(prefecture.instance, baseline.assignments) == []


def test_thin_pool_changes_only_who_may_lead_and_who_is_free(
    prefecture: instance_gen.Generated,
) -> None:
    thin = instance_gen.prefecture(2026, leader_share=(0.04, 0.04), availability=0.75)
    people = thin.instance.candidates
    assert 0.08 <= sum(c.leader_eligible for c in people) / 600 <= 0.14
    assert 0.70 <= sum(c.available for c in people) / 600 <= 0.80
    # The same draws otherwise: the same careers, teams and history.
    assert thin.instance.teams == prefecture.instance.teams
    assert thin.instance.previous_pairs == prefecture.instance.previous_pairs
    rich = {c.person_id: c for c in prefecture.instance.candidates}
    assert all(c.specialties == rich[c.person_id].specialties for c in people)
    assert all(not c.leader_eligible or rich[c.person_id].leader_eligible for c in people)
    assert all(c.qualified == rich[c.person_id].qualified for c in people)
    assert validate(thin.instance, greedy(thin.instance).assignments) == []


def test_small_generated_prefecture_solves() -> None:
    small = instance_gen.prefecture(5, counties=4, inspectors=120, teams=6).instance
    result = solve(small, time_limit=5.0)
    assert result.status in {"optimal", "feasible"}
    assert validate(small, result.assignments) == []
    assert result.objective is not None
    baseline = greedy(small)
    assert baseline.objective is not None and result.objective >= baseline.objective


# -- JSON ------------------------------------------------------------------------------------


def test_json_round_trip() -> None:
    instance = replace(
        generated(12, 2, seed=5),
        rules=Rules(min_experienced=2, cross=True, relaxed=frozenset({"specialties"})),
    )
    data = to_json(instance)
    text = json.dumps(data, ensure_ascii=False)
    assert from_json(json.loads(text)) == instance
    assert to_json(from_json(data)) == data


def test_from_json_defaults_and_errors() -> None:
    minimal = {
        "candidates": [{"person_id": 1, "name": "甲", "county": "A", "leader_eligible": True}],
        "teams": [{"index": 1, "label": "第一巡察组"}],
    }
    instance = from_json(minimal)
    assert instance.rules == Rules()
    assert instance.teams[0].size_min == 5
    assert instance.teams[0].required_specialties == frozenset({"finance"})
    assert instance.candidates[0].available is True
    assert instance.candidates[0].qualified is True  # files from before the field score alike
    with pytest.raises(ValueError, match="person_id"):
        from_json({"candidates": [{"person_id": "1", "name": "甲", "county": "A"}], "teams": []})
    with pytest.raises(ValueError, match="unsupported format"):
        from_json({**minimal, "format": "other/1"})
    with pytest.raises(ValueError, match="unknown role"):
        from_json(
            {
                **minimal,
                "forbidden": [{"person_id": 1, "team_index": 1, "role": "boss", "rule": "x"}],
            }
        )


def test_result_json_shape() -> None:
    result = solve(BASE, time_limit=FAST)
    data = result_to_json(result)
    assert json.loads(json.dumps(data)) == data
    assert data["status"] == "optimal"
    assert {a["role"] for a in data["assignments"]} >= {"leader", "deputy"}
    assert set(data) == {
        "format",
        "status",
        "assignments",
        "objective",
        "bound",
        "gap",
        "seconds",
        "explanation",
        "explanation_texts",
    }


def test_explanations_are_translatable_and_render_back_to_the_english_lines() -> None:
    from xuncha.talent.lib.formation import render_text

    impossible = replace(BASE, rules=replace(BASE.rules, min_experienced=99))
    result = solve(impossible, time_limit=FAST)
    assert result.status == "infeasible" and result.explanation_texts
    data = result_to_json(result)["explanation_texts"]
    assert [render_text(node) for node in data] == list(result.explanation)
    marked = [
        render_text(node, lambda t: "»" + t, ntranslate=lambda s, p, n: "»" + p) for node in data
    ]
    assert marked[0].startswith("»experience rule")  # templates go through the translator
    assert "»team 1" in marked[0]  # and so do the values'
    # A translation that lost a field falls back to the English template (here every
    # template has a field, so the whole line comes back in English).
    upper = [render_text(node, str.upper, ntranslate=lambda s, p, n: p.upper()) for node in data]
    assert upper == list(result.explanation)
    # "unavailable" leaves room for the reason the app recorded.
    assert render_text(data[0], value=lambda k, v, p: " (away)" if k == "absence" else None) == (
        result.explanation[0].replace("unavailable", "unavailable (away)")
    )
    # Values can be shown by the app in its own words (codes, evidence).
    hooked = render_text(data[0], value=lambda k, v, p: "X" if k == "team" else None)
    assert "X needs at least 99" in hooked


def test_a_search_cut_before_it_bounds_anything_claims_no_bound() -> None:
    """Under a wall-clock budget the greedy polish can use all of it; CP-SAT then stops
    before it has bounded anything and reports a number below the teams in hand. That is
    no bound: it must not come back as one (with a gap of 0)."""
    from xuncha.talent.lib import instance_gen

    # Seed 7: the polished greedy teams leave room that a 1-unit search finds.
    instance = instance_gen.prefecture(7, counties=6, inspectors=300, teams=20).instance
    cut = solve(instance, time_limit=0.01, deterministic=False)
    better = solve(instance, time_limit=1)
    assert cut.objective is not None and better.objective is not None
    assert better.objective > cut.objective  # the first run really was cut short
    assert cut.bound is None or cut.bound >= better.objective
    assert better.bound is not None and better.bound >= better.objective


def test_many_people_excluded_are_counted_by_reason_with_their_names() -> None:
    """Beyond a few people, an exclusion list is grouped by reason (a person out for two
    reasons is in both groups) instead of one reason repeated per person."""
    experienced_away = tuple(
        person(pid, f"甲{pid}", rounds=3, county="Z", available=pid % 2 == 0)
        for pid in range(10, 18)
    )
    people = (
        person(1, "孙立", leader=True, rounds=0),
        *(person(pid, rounds=0) for pid in range(2, 6)),
        *experienced_away,
    )
    instance = Instance(people, (team(1, LABEL_1, size=(3, 5)),), (), Rules(cross=True))
    result = solve(instance, time_limit=FAST)
    assert result.status == "infeasible"
    line = next(e for e in result.explanation if e.startswith("experience rule"))
    odd = ", ".join(f"甲{pid}" for pid in range(11, 18, 2))
    everyone = ", ".join(f"甲{pid}" for pid in range(10, 18))
    assert line.endswith(
        f"excluded: 8 from a target county ({everyone}), 4 unavailable ({odd}), "
        "some for more than one reason"
    ), line
    # A few are still given one by one, with all their reasons.
    few = replace(instance, candidates=people[:5] + experienced_away[:2])
    line = next(
        e for e in solve(few, time_limit=FAST).explanation if e.startswith("experience rule")
    )
    assert "甲11 (unavailable; home county Z is a target county)" in line, line
