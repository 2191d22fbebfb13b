"""Interview scheduling: every rule by hand, the validator, the explanations, the generator."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, timedelta

import pytest

from xuncha.fieldwork.lib import schedule_gen, scheduling
from xuncha.fieldwork.lib.scheduling import (
    FIRST,
    LAST,
    Conflict,
    Fixed,
    Instance,
    Interview,
    Member,
    Place,
    Result,
    Rules,
    Slot,
    Span,
    day_spans,
    greedy,
    objective_value,
    solve,
    validate,
)

FAST = 5.0  # time limit for hand-built instances; they are solved in milliseconds
MONDAY = date(2026, 9, 7)
AM, PM = 510, 870  # 08:30 and 14:30
RULES = Rules()


def days(n: int) -> tuple[date, ...]:
    return tuple(MONDAY + timedelta(days=d) for d in range(n))


def member(
    mid: int,
    team: int = 1,
    *,
    available: tuple[Span, ...] | None = None,
    cap: int = 4,
    conflicts: Sequence[Conflict] = (),
) -> Member:
    return Member(mid, f"组员{mid}", team, available, cap, tuple(conflicts))


def place(pid: int, team: int | None = 1, *, available: tuple[Span, ...] | None = None) -> Place:
    return Place(pid, f"谈话室{pid}", team, "talk_room", available)


def talk(
    iid: int,
    *,
    team: int = 1,
    person: int | None = None,
    unit: int | None = None,
    length: int = 2,
    places: Sequence[int] = (),
    available: tuple[Span, ...] | None = None,
    fixed: Fixed | None = None,
    main_leader: str | None = None,
    askers: Sequence[int] = (),
    priority: int = 0,
) -> Interview:
    return Interview(
        iid,
        team,
        person if person is not None else 500 + iid,
        f"谈话对象{iid}",
        unit,
        length,
        frozenset(places),
        available,
        fixed,
        main_leader,
        frozenset(askers),
        priority,
    )


def instance(
    talks: Sequence[Interview],
    *,
    members: Sequence[Member] | None = None,
    places: Sequence[Place] | None = None,
    n_days: int = 3,
    rules: Rules = RULES,
) -> Instance:
    return Instance(
        days(n_days),
        tuple(members if members is not None else [member(k) for k in (1, 2, 3, 4)]),
        tuple(places if places is not None else [place(11), place(12)]),
        tuple(talks),
        rules,
    )


def slot(iid: int, day: int, start: int, where: int = 11, ask: int = 1, rec: int = 2) -> Slot:
    return Slot(iid, day, start, where, ask, rec)


def kinds(inst: Instance, slots: Sequence[Slot]) -> set[str]:
    return {v.kind for v in validate(inst, slots)}


def by_id(result: Result) -> dict[int, Slot]:
    return {s.interview_id: s for s in result.slots}


def at(s: Slot) -> int:
    return s.day * 1440 + s.start


def solved(inst: Instance) -> Result:
    result = solve(inst, time_limit=FAST)
    assert validate(inst, result.slots) == []
    assert result.complete, result.explanation
    assert result.objective == objective_value(inst, result.slots)
    return result


# -- the validator catches each rule, and the solver keeps it -------------------------------

UNIT_A = 7
LEADER_SPANS = day_spans(RULES, [1])
CASES: dict[str, tuple[Instance, list[Slot], Callable[[Result], bool]]] = {
    scheduling.V_MEMBERS: (
        instance([talk(1)]),
        [slot(1, 0, AM, ask=1, rec=1)],
        lambda r: all(s.asker_id != s.recorder_id for s in r.slots),
    ),
    scheduling.V_TEAM: (
        instance([talk(1)], members=[member(1), member(2), member(3, team=2)]),
        [slot(1, 0, AM, ask=1, rec=3)],
        lambda r: {by_id(r)[1].asker_id, by_id(r)[1].recorder_id} == {1, 2},
    ),
    scheduling.V_ASKER: (
        instance([talk(1, askers=[3])]),
        [slot(1, 0, AM, ask=1, rec=3)],
        lambda r: by_id(r)[1].asker_id == 3,
    ),
    scheduling.V_CONFLICT: (
        instance(
            [talk(1)],
            members=[
                member(1, conflicts=[Conflict(501, "relative", "配偶")]),
                member(2),
                member(3),
            ],
        ),
        [slot(1, 0, AM, ask=1, rec=2)],
        lambda r: (
            1 not in (by_id(r)[1].asker_id, by_id(r)[1].recorder_id)
            and [(e.member_id, e.evidence) for e in r.excluded] == [(1, "配偶")]
        ),
    ),
    scheduling.V_MEMBER_OVERLAP: (
        instance(
            [talk(1), talk(2)],
            members=[member(1), member(2), member(3)],
            n_days=1,
            rules=replace(RULES, member_gap_units=1),
        ),
        # Back to back: no overlap, but the gap of one unit is missing.
        [slot(1, 0, AM, 11, 1, 2), slot(2, 0, AM + 60, 12, 1, 3)],
        lambda r: (
            abs(at(by_id(r)[1]) - at(by_id(r)[2])) >= 90
            or not {by_id(r)[1].asker_id, by_id(r)[1].recorder_id}
            & {by_id(r)[2].asker_id, by_id(r)[2].recorder_id}
        ),
    ),
    scheduling.V_MEMBER_AVAILABILITY: (
        instance(
            [talk(1)],
            members=[member(1, available=LEADER_SPANS), member(2, available=LEADER_SPANS)],
        ),
        [slot(1, 0, AM)],
        lambda r: by_id(r)[1].day == 1,
    ),
    scheduling.V_DAILY_CAP: (
        instance([talk(1), talk(2)], members=[member(1, cap=1), member(2, cap=1)]),
        [slot(1, 0, AM), slot(2, 0, PM)],
        lambda r: by_id(r)[1].day != by_id(r)[2].day,
    ),
    scheduling.V_PLACE_OVERLAP: (
        instance([talk(1, unit=1), talk(2, unit=2)], places=[place(11)], n_days=1),
        [slot(1, 0, AM, 11, 1, 2), slot(2, 0, AM + 30, 11, 3, 4)],
        lambda r: abs(at(by_id(r)[1]) - at(by_id(r)[2])) >= 60,
    ),
    scheduling.V_PLACE_AVAILABILITY: (
        instance([talk(1)], places=[place(11, available=(Span(2, PM, 1080),))]),
        [slot(1, 0, AM)],
        lambda r: (by_id(r)[1].day, by_id(r)[1].start >= PM) == (2, True),
    ),
    scheduling.V_PLACE_ALLOWED: (
        instance([talk(1, places=[12])], places=[place(11), place(12), place(13, team=2)]),
        [slot(1, 0, AM, 11)],
        lambda r: by_id(r)[1].place_id == 12,
    ),
    scheduling.V_INTERVIEWEE_AVAILABILITY: (
        instance([talk(1, available=(Span(2, AM, 720),))]),
        [slot(1, 0, AM)],
        lambda r: by_id(r)[1].day == 2 and by_id(r)[1].start < 720,
    ),
    scheduling.V_INTERVIEWEE_OVERLAP: (
        instance([talk(1, person=9), talk(2, person=9)], n_days=1),
        [slot(1, 0, AM, 11, 1, 2), slot(2, 0, AM, 12, 3, 4)],
        lambda r: abs(at(by_id(r)[1]) - at(by_id(r)[2])) >= 60,
    ),
    scheduling.V_WINDOW: (
        instance([talk(1)]),
        [slot(1, 0, 690)],  # 11:30 for an hour: across lunch
        lambda r: by_id(r)[1].start + 60 <= 720 or by_id(r)[1].start >= PM,
    ),
    scheduling.V_FIXED: (
        instance([talk(1, fixed=Fixed(1, 555, 12))]),  # 09:15, off the 30-minute grid
        [slot(1, 1, 540, 12)],
        lambda r: (by_id(r)[1].day, by_id(r)[1].start, by_id(r)[1].place_id) == (1, 555, 12),
    ),
    scheduling.V_MAIN_LEADER_FIRST: (
        instance(
            [
                talk(1, unit=UNIT_A, main_leader=FIRST, length=4, priority=0),
                talk(2, unit=UNIT_A, priority=3),
                talk(3, unit=UNIT_A, priority=3),
            ],
        ),
        [slot(1, 0, PM, 11, 1, 2), slot(2, 0, AM, 12, 3, 4), slot(3, 1, AM, 11, 1, 2)],
        lambda r: at(by_id(r)[1]) < min(at(by_id(r)[2]), at(by_id(r)[3])),
    ),
    scheduling.V_MAIN_LEADER_LAST: (
        instance([talk(1, unit=UNIT_A, main_leader=LAST, priority=5)], n_days=6),
        [slot(1, 0, AM)],
        lambda r: by_id(r)[1].day >= 3,
    ),
    scheduling.V_SAME_UNIT_BUFFER: (
        instance(
            [talk(1, unit=UNIT_A, length=1), talk(2, unit=UNIT_A, length=1)],
            places=[place(11)],
            n_days=1,
        ),
        [slot(1, 0, AM, 11, 1, 2), slot(2, 0, AM + 30, 11, 3, 4)],
        lambda r: abs(at(by_id(r)[1]) - at(by_id(r)[2])) >= 60,
    ),
}


@pytest.mark.parametrize("kind", sorted(CASES))
def test_validator_catches_and_solver_keeps_each_rule(kind: str) -> None:
    inst, bad, holds = CASES[kind]
    assert kind in kinds(inst, bad)
    result = solved(inst)
    assert holds(result), result.slots
    baseline = greedy(inst)
    assert validate(inst, baseline.slots) == []


def test_every_violation_kind_has_a_case() -> None:
    assert set(CASES) | {scheduling.V_UNKNOWN, scheduling.V_DUPLICATE} == set(
        scheduling.VIOLATION_KINDS
    )


def test_unknown_and_duplicate_slots() -> None:
    inst = instance([talk(1)])
    assert kinds(inst, [slot(1, 0, AM), slot(1, 1, AM)]) == {scheduling.V_DUPLICATE}
    assert kinds(inst, [slot(9, 0, AM)]) == {scheduling.V_UNKNOWN}
    assert kinds(inst, [slot(1, 0, AM, 99)]) == {scheduling.V_UNKNOWN}
    assert kinds(inst, [slot(1, 5, AM)]) == {scheduling.V_WINDOW}


def test_valid_schedules_pass_and_neighbours_of_rules_are_allowed() -> None:
    inst = instance(
        [talk(1, unit=UNIT_A, length=1), talk(2, unit=UNIT_A, length=1), talk(3, unit=8)],
        places=[place(11)],
    )
    # Same unit a unit apart; another unit right after; lunch separates 11:30 and 14:30.
    ok = [slot(1, 0, AM), slot(2, 0, AM + 60, 11, 3, 4), slot(3, 0, AM + 90)]
    assert validate(inst, ok) == []
    lunch = [slot(1, 0, 690), slot(2, 0, PM, 11, 3, 4)]
    assert validate(inst, lunch) == []
    # Availability given as adjacent spans joins up.
    split = (Span(0, AM, 600), Span(0, 600, 720))
    joined = instance([talk(1, available=split)])
    assert validate(joined, [slot(1, 0, 570)]) == []


def test_main_leader_rule_can_be_switched_off() -> None:
    inst = instance(
        [talk(1, unit=UNIT_A, main_leader=FIRST), talk(2, unit=UNIT_A)],
        rules=replace(RULES, main_leader_rule=False),
    )
    assert validate(inst, [slot(1, 1, AM), slot(2, 0, AM, 12, 3, 4)]) == []


def test_objective_terms_by_hand() -> None:
    inst = instance([talk(1, priority=2), talk(2), talk(3)], members=[member(1), member(2)])
    penalty = scheduling.left_out_penalty(inst)
    assert penalty == (10 + 4) * 3 + 2 * 2 * 1 + 1  # balance bound, earliness bound, one
    slots = [slot(1, 1, AM), slot(2, 0, AM)]
    # Talk 3 left out; the members have 2 talks each; talk 1 on day 1 at priority 2.
    assert objective_value(inst, slots) == penalty + 2
    unbalanced = [slot(1, 0, AM, 11, 1, 2)]
    three = instance([talk(1)], members=[member(1), member(2), member(3)])
    # Counts 1, 1, 0: spread 1, deviation 1/3 + 1/3 + 2/3.
    assert objective_value(three, unbalanced) == pytest.approx(10 + 4 / 3)


# -- what cannot fit is named ---------------------------------------------------------------


def left_reasons(result: Result) -> dict[int, str]:
    return {
        item.interview_id: " ".join(t.render() for t in item.reasons) for item in result.unscheduled
    }


def test_too_few_members_free_of_conflict_is_named_with_the_evidence() -> None:
    conflict = Conflict(501, "former_superior", "2019–2022 年曾任其直接上级")
    inst = instance([talk(1), talk(2)], members=[member(1, conflicts=[conflict]), member(2)])
    result = solve(inst, time_limit=FAST)
    assert by_id(result).keys() == {2}
    reason = left_reasons(result)[1]
    assert "talk 1" in reason and "only 1 of the 2 members" in reason
    assert "曾任其直接上级" in reason
    assert any("talk 1" in line for line in result.explanation)


def test_longer_than_any_window_is_named() -> None:
    result = solve(instance([talk(1, length=8), talk(2)]), time_limit=FAST)
    assert "longer than the longest working window" in left_reasons(result)[1]
    assert by_id(result).keys() == {2}


def test_no_allowed_place_is_named() -> None:
    inst = instance([talk(1, team=2)], members=[member(1, 2), member(2, 2)])
    result = solve(inst, time_limit=FAST)
    assert "no place is allowed" in left_reasons(result)[1]


def test_no_asker_free_of_conflict_is_named() -> None:
    conflict = Conflict(501, "colleague", "同事五年")
    inst = instance(
        [talk(1, askers=[1])], members=[member(1, conflicts=[conflict]), member(2), member(3)]
    )
    assert "allowed to ask" in left_reasons(solve(inst, time_limit=FAST))[1]


def test_fixed_talk_when_a_member_is_away_is_named() -> None:
    away = day_spans(RULES, [0, 2])
    inst = instance(
        [talk(1, fixed=Fixed(1, AM, 11))], members=[member(1), member(2, available=away)]
    )
    reason = left_reasons(solve(inst, time_limit=FAST))[1]
    assert "fixed at 2026-09-08 08:30" in reason and "only 1 members" in reason


def test_fixed_talk_outside_the_windows_is_named() -> None:
    inst = instance([talk(1, fixed=Fixed(0, 720, 11))])
    assert "outside the working windows" in left_reasons(solve(inst, time_limit=FAST))[1]


def test_colliding_fixed_talks_are_named_together_and_one_is_kept() -> None:
    inst = instance([talk(1, fixed=Fixed(0, AM, 11)), talk(2, fixed=Fixed(0, AM + 30, 11))])
    result = solve(inst, time_limit=FAST)
    assert result.status == "optimal" and len(result.slots) == 1
    assert any(
        "fixed talks collide" in line and "talk 1" in line and "talk 2" in line
        for line in result.explanation
    )
    left = result.unscheduled[0]
    assert "the place taken" in " ".join(t.render() for t in left.reasons)


def test_over_full_instance_keeps_what_fits_and_names_the_rest() -> None:
    # One room, one day of 14 units, six talks of three units: at most four fit.
    talks = [talk(k, length=3, unit=k) for k in range(1, 7)]
    inst = instance(talks, places=[place(11)], n_days=1)
    result = solve(inst, time_limit=FAST)
    assert result.status == "optimal"  # proven: no schedule holds more
    assert len(result.slots) == 4 and validate(inst, result.slots) == []
    assert any("place time" in line for line in result.explanation)
    for item in result.unscheduled:
        text = " ".join(t.render() for t in item.reasons)
        assert f"talk {item.interview_id}" in text and "the place taken" in text
    assert len(greedy(inst).slots) <= 4


def test_team_short_of_member_time_is_named() -> None:
    inst = instance(
        [talk(1), talk(2), talk(3)], members=[member(1, cap=1), member(2, cap=1)], n_days=2
    )
    result = solve(inst, time_limit=FAST)
    assert len(result.slots) == 2
    assert any("team 1" in line and "6 member-talks" in line for line in result.explanation)
    reason = left_reasons(result)[next(iter(left_reasons(result)))]
    assert "two members free of conflict" in reason


# -- generated instances --------------------------------------------------------------------


def small(seed: int) -> Instance:
    return schedule_gen.generate(teams=2, interviews=36, days=6, seed=seed).instance


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_solver_and_greedy_are_valid_and_solver_never_worse(seed: int) -> None:
    inst = small(seed)
    baseline = greedy(inst)
    assert validate(inst, baseline.slots) == []
    assert baseline.objective == objective_value(inst, baseline.slots)
    result = solve(inst, time_limit=1.0, seed=seed)
    assert validate(inst, result.slots) == []
    assert result.objective is not None and baseline.objective is not None
    assert result.objective <= baseline.objective
    assert result.bound is not None and result.bound <= result.objective + 1e-9
    assert result.complete and baseline.complete
    placed = by_id(result)
    for iv in inst.interviews:
        if iv.fixed is not None:
            kept = placed[iv.interview_id]
            assert (kept.day, kept.start, kept.place_id) == (
                iv.fixed.day,
                iv.fixed.start,
                iv.fixed.place_id,
            )


def test_progress_is_reported() -> None:
    seen: list[tuple[float, str]] = []
    solve(small(4), time_limit=1.0, progress=lambda f, m: seen.append((f, m.render())))
    assert len(seen) >= 3  # after the checks, at solutions, at the end
    assert all(0.0 <= f <= 1.0 for f, _ in seen)
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)
    assert seen[-1][0] == 1.0 and "talks placed" in seen[-1][1]


def test_same_seed_same_schedule() -> None:
    inst = small(5)

    def run() -> Result:
        return solve(inst, time_limit=0.5, seed=3, workers=1)

    first, second = run(), run()
    assert (first.slots, first.objective, first.bound) == (
        second.slots,
        second.objective,
        second.bound,
    )
    assert greedy(inst).slots == greedy(inst).slots


def test_generated_round_has_the_stated_shape() -> None:
    generated = schedule_gen.generate(seed=2026)
    inst = generated.instance
    assert generated.stats["interviews"] == len(inst.interviews) == 120
    assert len(inst.days) == 15 and all(d.weekday() < 5 for d in inst.days)
    teams = {m.team_id for m in inst.members}
    assert len(teams) == 3
    for team in teams:
        assert 5 <= sum(m.team_id == team for m in inst.members) <= 7
        assert 2 <= sum(p.team_id == team for p in inst.places) <= 3
    units = {iv.unit_id for iv in inst.interviews if iv.main_leader == FIRST}
    for unit in units:
        marks = sorted(
            iv.main_leader or "" for iv in inst.interviews if iv.unit_id == unit and iv.main_leader
        )
        assert marks == [FIRST, LAST]
    conflicts = sum(len(m.conflicts) for m in inst.members)
    assert 0 < conflicts <= 0.15 * len(inst.interviews)
    assert any(iv.fixed is not None for iv in inst.interviews)
    assert any(m.available is not None for m in inst.members)
    assert schedule_gen.generate(seed=2026).instance == inst
    assert schedule_gen.generate(seed=2027).instance != inst


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate interview"):
        solve(instance([talk(1), talk(1)]))
    with pytest.raises(ValueError, match="main_leader"):
        greedy(instance([talk(1, main_leader="middle")]))
    with pytest.raises(ValueError, match="length"):
        greedy(instance([talk(1, length=0)]))
