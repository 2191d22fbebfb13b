"""The coverage planner: greedy first-fit decreasing over the rounds left in the term."""

from __future__ import annotations

import re
from collections import Counter
from random import Random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xuncha.rounds.lib.planner import (
    PlanRequest,
    Proposal,
    RoundSlot,
    Target,
    propose,
)

WEIGHTS = {"unit": 1.0, "township": 1.0, "village": 0.25, "community": 0.25}


def unit(target_id: int, priority: float = 1.0) -> Target:
    return Target(target_id, f"单位{target_id}", "unit", priority)


def township(target_id: int, priority: float = 1.0) -> Target:
    return Target(target_id, f"乡镇{target_id}", "township", priority)


def village(target_id: int, township_id: int | None, priority: float = 1.0) -> Target:
    return Target(target_id, f"村{target_id}", "village", priority, township_id)


def slots(count: int, teams: int, capacity: float, first: int = 0) -> list[RoundSlot]:
    return [
        RoundSlot(
            first + i, f"{2026 + (first + i) // 2} 第{(first + i) % 2 + 1}轮", teams, capacity
        )
        for i in range(count)
    ]


def placements(proposal: Proposal) -> list[int]:
    return [
        target_id for slot in proposal.slots for team in slot.teams for target_id in team.target_ids
    ]


def team_of(proposal: Proposal, target_id: int) -> tuple[int, int]:
    for slot in proposal.slots:
        for number, team in enumerate(slot.teams):
            if target_id in team.target_ids:
                return slot.slot_index, number
    raise AssertionError(f"target {target_id} not placed")


def check_invariants(request: PlanRequest, proposal: Proposal) -> None:
    """Every target exactly once, no team over capacity, bundles never split across slots."""
    placed = placements(proposal)
    unplaced = [u.target_id for u in proposal.unplaced]
    assert Counter(placed + unplaced) == Counter(t.id for t in request.targets)
    assert proposal.complete == (not unplaced)
    by_index = {slot.index: slot for slot in request.slots}
    assert [s.slot_index for s in proposal.slots] == sorted(by_index)
    weight_of = {t.id: request.kind_weight[t.kind] for t in request.targets}
    for slot_plan in proposal.slots:
        slot = by_index[slot_plan.slot_index]
        assert len(slot_plan.teams) <= slot.teams
        for team in slot_plan.teams:
            assert team.target_ids
            assert team.load == pytest.approx(sum(weight_of[i] for i in team.target_ids))
            assert team.load <= slot.team_capacity + 1e-9
    if request.township_with_villages:
        townships = {t.id for t in request.targets if t.kind == "township"}
        for t in request.targets:
            if t.kind in ("village", "community") and t.township_id in townships:
                assert t.township_id is not None
                # Same slot, or both unplaced (None == None).
                assert proposal.slot_of(t.id) == proposal.slot_of(t.township_id)


# -- coverage -----------------------------------------------------------------------------


def county(villages_per_township: int = 15) -> list[Target]:
    targets = [unit(i, priority=1 + i % 5) for i in range(1, 201)]
    next_id = 2000
    for n in range(20):
        town_id = 1001 + n
        targets.append(township(town_id, priority=1 + n % 3))
        for _ in range(villages_per_township):
            targets.append(village(next_id, town_id))
            next_id += 1
    return targets


@pytest.mark.parametrize("with_villages", [False, True])
def test_a_county_term_is_covered_when_capacity_allows(with_villages: bool) -> None:
    targets = county()
    assert len(targets) == 200 + 20 + 300
    request = PlanRequest(targets, slots(10, 12, 3.0), WEIGHTS, with_villages)
    proposal = propose(request)
    assert proposal.complete
    assert proposal.unplaced == ()
    check_invariants(request, proposal)
    assert proposal.capacity_needed == pytest.approx(200 + 20 + 300 * 0.25)
    assert proposal.capacity_available == pytest.approx(10 * 12 * 3.0)
    assert all(proposal.slot_of(t.id) is not None for t in targets)
    assert proposal.slot_of(999_999) is None


def test_tight_capacity_is_used_to_the_last_unit() -> None:
    # 30 units of load over exactly 30 units of capacity: integral loads pack perfectly.
    targets = [unit(i) for i in range(30)]
    proposal = propose(PlanRequest(targets, slots(5, 2, 3.0), WEIGHTS))
    assert proposal.complete
    assert all(team.load == 3.0 for slot in proposal.slots for team in slot.teams)


def test_fractional_weights_fill_a_team_exactly_despite_rounding() -> None:
    weights = {"village": 0.1}
    targets = [village(i, None) for i in range(10)]
    proposal = propose(PlanRequest(targets, slots(1, 1, 1.0), weights))
    assert proposal.complete
    assert len(proposal.slots[0].teams) == 1


# -- priority -----------------------------------------------------------------------------


def test_high_priority_goes_first_and_the_lowest_is_left_out() -> None:
    targets = [unit(i, priority=float(i)) for i in range(1, 11)]
    # Slot indexes given out of order: the planner orders rounds by index, not input.
    request = PlanRequest(
        targets,
        [RoundSlot(1, "2027 第2轮", 2, 1.0), RoundSlot(0, "2027 第1轮", 2, 1.0)],
        WEIGHTS,
    )
    proposal = propose(request)
    check_invariants(request, proposal)
    assert {proposal.slot_of(10), proposal.slot_of(9)} == {0}
    assert {proposal.slot_of(8), proposal.slot_of(7)} == {1}
    assert [u.target_id for u in proposal.unplaced] == [6, 5, 4, 3, 2, 1]
    assert not proposal.complete


def test_bundle_priority_is_the_highest_of_its_members() -> None:
    targets = [unit(1, priority=5.0), township(2, priority=1.0), village(3, 2, priority=9.0)]
    request = PlanRequest(targets, slots(2, 1, 1.25), WEIGHTS, township_with_villages=True)
    proposal = propose(request)
    assert proposal.slot_of(2) == proposal.slot_of(3) == 0
    assert proposal.slot_of(1) == 1
    assert proposal.slots[0].teams[0].target_ids == (2, 3)  # township first


def test_equal_priority_places_heavier_then_lower_id_first() -> None:
    weights = {"unit": 1.0, "township": 2.0}
    targets = [unit(5), unit(3), township(9)]
    proposal = propose(PlanRequest(targets, slots(3, 1, 2.0), weights))
    assert [proposal.slot_of(i) for i in (9, 3, 5)] == [0, 1, 1]
    assert proposal.slots[1].teams[0].target_ids == (3, 5)


@given(st.lists(st.sampled_from([1.0, 2.0, 3.0, 4.0]), min_size=1, max_size=40))
def test_with_uniform_loads_the_slot_order_follows_priority(priorities: list[float]) -> None:
    targets = [unit(i, p) for i, p in enumerate(priorities)]
    proposal = propose(PlanRequest(targets, slots(3, 2, 2.0), WEIGHTS))
    ranked = sorted(targets, key=lambda t: (-t.priority, t.id))
    positions = [proposal.slot_of(t.id) for t in ranked]
    placed = [p for p in positions if p is not None]
    # Placed ones come before unplaced ones, and rounds only get later down the ranking.
    assert positions[: len(placed)] == placed
    assert placed == sorted(placed)
    assert len(placed) == min(len(targets), 3 * 2 * 2)


# -- 巡镇带村 -----------------------------------------------------------------------------


def test_township_and_its_villages_share_a_team_when_they_fit() -> None:
    targets = [
        unit(1, priority=3.0),
        village(12, 10),
        township(10),
        village(11, 10),
        Target(13, "社区13", "community", 1.0, 10),
        village(14, 10),
    ]
    request = PlanRequest(targets, slots(2, 2, 3.0), WEIGHTS, township_with_villages=True)
    proposal = propose(request)
    check_invariants(request, proposal)
    assert proposal.complete
    assert {team_of(proposal, i) for i in (10, 11, 12, 13, 14)} == {team_of(proposal, 10)}
    # The unit came first (higher priority) and took team 0; the bundle (2.0) fitted beside it.
    assert proposal.slots[0].teams[0].target_ids == (1, 10, 11, 12, 13, 14)


def test_an_oversized_bundle_is_split_across_teams_of_one_slot() -> None:
    villages = [village(100 + i, 10) for i in range(12)]
    targets = [township(10), *villages]
    request = PlanRequest(targets, slots(1, 2, 3.0), WEIGHTS, township_with_villages=True)
    proposal = propose(request)
    check_invariants(request, proposal)
    assert proposal.complete
    home, other = proposal.slots[0].teams
    # The township keeps as many of its villages as fit: 1.0 + 8 x 0.25 = 3.0.
    assert home.target_ids[0] == 10
    assert len(home.target_ids) == 9 and home.load == 3.0
    assert len(other.target_ids) == 4 and other.load == 1.0


def test_a_bundle_is_never_split_across_slots() -> None:
    villages = [village(100 + i, 10) for i in range(12)]
    targets = [township(10, priority=9.0), *villages, unit(1), unit(2), unit(3)]
    request = PlanRequest(
        targets,
        [RoundSlot(0, "2027 第1轮", 1, 3.0), RoundSlot(1, "2027 第2轮", 2, 3.0)],
        WEIGHTS,
        township_with_villages=True,
    )
    proposal = propose(request)
    check_invariants(request, proposal)
    assert proposal.complete
    assert {proposal.slot_of(t.id) for t in [targets[0], *villages]} == {1}
    assert {proposal.slot_of(i) for i in (1, 2, 3)} == {0}


def test_split_falls_back_to_first_fit_when_the_township_home_strands_a_village() -> None:
    # A 0.5 unit leaves teams with 0.5 and 1.0 free. Township-home packing puts the
    # township and both light villages on the 1.0 team and strands the 0.75 community;
    # plain first-fit decreasing fits all four.
    weights = {"unit": 0.5, "township": 0.25, "village": 0.25, "community": 0.75}
    targets = [
        unit(1, priority=9.0),
        township(10),
        village(11, 10),
        village(12, 10),
        Target(13, "社区13", "community", 1.0, 10),
    ]
    request = PlanRequest(targets, slots(1, 2, 1.0), weights, township_with_villages=True)
    proposal = propose(request)
    check_invariants(request, proposal)
    assert proposal.complete
    assert [team.load for team in proposal.slots[0].teams] == [1.0, 1.0]


def test_villages_without_a_targeted_township_stay_single() -> None:
    targets = [village(1, 99), village(2, 99), township(3), village(4, 3)]
    request = PlanRequest(targets, slots(2, 1, 1.0), WEIGHTS, township_with_villages=True)
    proposal = propose(request)
    check_invariants(request, proposal)
    # Bundle 3+4 (1.25) fits no team; the lone villages are placed on their own.
    assert proposal.slot_of(1) == proposal.slot_of(2) == 0
    assert proposal.slot_of(3) is None and proposal.slot_of(4) is None


def test_without_the_flag_villages_are_placed_independently() -> None:
    targets = [township(10), *[village(100 + i, 10) for i in range(12)]]
    proposal = propose(PlanRequest(targets, slots(2, 1, 3.0), WEIGHTS))
    assert proposal.complete
    assert {proposal.slot_of(t.id) for t in targets} == {0, 1}


# -- unplaced reasons ---------------------------------------------------------------------


def numbers(text: str) -> list[str]:
    return re.findall(r"\d+\.\d\d", text)


def test_unplaced_single_says_what_it_needs_and_what_is_left() -> None:
    # Four high-priority units take 1.0 of each round's only team, leaving 0.50 everywhere.
    targets = [unit(i, 9.0) for i in range(10, 14)] + [unit(3, 1.0)]
    proposal = propose(PlanRequest(targets, slots(4, 1, 1.5), WEIGHTS))
    assert not proposal.complete
    assert [u.target_id for u in proposal.unplaced] == [3]
    reason = proposal.unplaced[0].reason
    assert reason == "needs 1.00 load units; rounds 0–3 have 0.50 left at most per team"


def test_reason_lists_rounds_with_gaps_in_their_indexes() -> None:
    round_slots = [RoundSlot(0, "A", 1, 1.0), RoundSlot(2, "B", 1, 1.0)]
    proposal = propose(PlanRequest([unit(1), unit(2), unit(3)], round_slots, WEIGHTS))
    assert proposal.unplaced[0].reason == (
        "needs 1.00 load units; rounds 0, 2 have 0.00 left at most per team"
    )


def test_unplaced_single_heavier_than_any_team() -> None:
    weights = {"unit": 4.0}
    proposal = propose(PlanRequest([unit(1)], slots(2, 3, 3.0), weights))
    assert proposal.unplaced[0].reason == (
        "needs 4.00 load units, more than one team can carry in any round (at most 3.00)"
    )


def test_no_rounds_left() -> None:
    proposal = propose(PlanRequest([unit(1)], [], WEIGHTS))
    assert not proposal.complete
    assert (
        proposal.unplaced[0].reason == "needs 1.00 load units, but no rounds are left in the term"
    )
    assert proposal.slots == ()
    assert proposal.capacity_available == 0.0


def test_unplaced_bundle_larger_than_any_round() -> None:
    targets = [township(10), *[village(100 + i, 10) for i in range(12)]]
    request = PlanRequest(targets, slots(3, 1, 3.0), WEIGHTS, township_with_villages=True)
    proposal = propose(request)
    assert not proposal.complete
    assert [u.target_id for u in proposal.unplaced] == [t.id for t in targets]
    reasons = {u.reason for u in proposal.unplaced}
    assert reasons == {
        "bundle of township 乡镇10 (id 10) with 12 villages needs 4.00 load units, "
        "more than any round's total free capacity (at most 3.00)"
    }


def test_unplaced_bundle_names_villages_and_communities() -> None:
    targets = [
        township(10),
        village(11, 10),
        Target(12, "社区12", "community", 1.0, 10),
        Target(13, "社区13", "community", 1.0, 10),
    ]
    request = PlanRequest(targets, slots(1, 1, 1.0), WEIGHTS, township_with_villages=True)
    reason = propose(request).unplaced[0].reason
    assert reason.startswith("bundle of township 乡镇10 (id 10) with 2 communities and 1 village ")
    assert numbers(reason) == ["1.75", "1.00"]


def test_unplaced_bundle_with_a_member_heavier_than_any_team() -> None:
    weights = {"township": 2.0, "village": 0.25}
    targets = [township(10), village(11, 10)]
    request = PlanRequest(targets, slots(2, 4, 1.5), weights, township_with_villages=True)
    reason = propose(request).unplaced[0].reason
    assert reason == (
        "bundle of township 乡镇10 (id 10) with 1 village cannot be placed: township 乡镇10 "
        "(id 10) alone needs 2.00 load units, more than one team can carry in any round "
        "(at most 1.50)"
    )


def test_unplaced_bundle_blocked_by_fragmented_capacity() -> None:
    # Two units of 0.75 leave 0.25 on each of two teams: 0.50 free in total, but the
    # township alone needs 0.40 on one team.
    weights = {"unit": 0.75, "township": 0.4, "village": 0.1}
    targets = [unit(1, 9.0), unit(2, 9.0), township(10), village(11, 10)]
    request = PlanRequest(targets, slots(1, 2, 1.0), weights, township_with_villages=True)
    proposal = propose(request)
    check_invariants(request, proposal)
    assert [u.target_id for u in proposal.unplaced] == [10, 11]
    reason = proposal.unplaced[0].reason
    assert reason.startswith("bundle of township 乡镇10 (id 10) with 1 village needs 0.50")
    assert "round 0 has that much free in total (up to 0.50)" in reason
    assert "township 乡镇10, needs 0.40" in reason
    assert "the most free on one team there is 0.25" in reason


# -- determinism --------------------------------------------------------------------------


@st.composite
def requests(draw: st.DrawFn) -> PlanRequest:
    priority = st.sampled_from([0.5, 1.0, 2.0, 3.0])  # few values, so ties are common
    kinds = {"unit": 1.0, "township": 1.0, "village": 0.25, "community": 0.5}
    targets: list[Target] = []
    next_id = draw(st.integers(0, 50))
    for _ in range(draw(st.integers(0, 12))):
        targets.append(Target(next_id, f"u{next_id}", "unit", draw(priority)))
        next_id += draw(st.integers(1, 3))
    for _ in range(draw(st.integers(0, 4))):
        town_id = next_id
        targets.append(Target(town_id, f"t{town_id}", "township", draw(priority)))
        next_id += 1
        for _ in range(draw(st.integers(0, 10))):
            kind = draw(st.sampled_from(["village", "community"]))
            targets.append(Target(next_id, f"v{next_id}", kind, draw(priority), town_id))
            next_id += 1
    for _ in range(draw(st.integers(0, 3))):  # villages whose township is not a target
        targets.append(Target(next_id, f"o{next_id}", "village", draw(priority), 10_000))
        next_id += 1
    indexes = draw(st.lists(st.integers(0, 20), unique=True, max_size=5))
    round_slots = [
        RoundSlot(i, f"r{i}", draw(st.integers(1, 3)), draw(st.sampled_from([1.0, 2.0, 3.0])))
        for i in indexes
    ]
    return PlanRequest(targets, round_slots, kinds, draw(st.booleans()))


@settings(max_examples=200, deadline=None)
@given(requests(), st.randoms(use_true_random=False))
def test_proposal_is_deterministic_under_shuffling(request: PlanRequest, rng: Random) -> None:
    proposal = propose(request)
    check_invariants(request, proposal)
    targets = list(request.targets)
    round_slots = list(request.slots)
    rng.shuffle(targets)
    rng.shuffle(round_slots)
    shuffled = PlanRequest(
        targets, round_slots, request.kind_weight, request.township_with_villages
    )
    assert propose(shuffled) == proposal


# -- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("targets", "round_slots", "weights", "message"),
    [
        ([unit(1), unit(1)], slots(1, 1, 1.0), WEIGHTS, "duplicate target id 1"),
        (
            [Target(7, "学校", "school")],
            slots(1, 1, 1.0),
            WEIGHTS,
            "no load weight for kind 'school' (target 7 '学校')",
        ),
        ([unit(1)], [RoundSlot(0, "A", 0, 1.0)], WEIGHTS, "positive number of teams, got 0"),
        ([unit(1)], [RoundSlot(0, "A", -2, 1.0)], WEIGHTS, "positive number of teams, got -2"),
        ([unit(1)], [RoundSlot(0, "A", 1, 0.0)], WEIGHTS, "positive team capacity, got 0.0"),
        ([unit(1)], [RoundSlot(0, "A", 1, -1.0)], WEIGHTS, "positive team capacity, got -1.0"),
        (
            [unit(1)],
            [RoundSlot(3, "A", 1, 1.0), RoundSlot(3, "B", 1, 1.0)],
            WEIGHTS,
            "duplicate slot index 3",
        ),
        ([unit(1)], slots(1, 1, 1.0), {"unit": 0.0}, "kind 'unit' must be positive, got 0.0"),
        (
            [unit(1, float("nan"))],
            slots(1, 1, 1.0),
            WEIGHTS,
            "priority of target 1 '单位1' must be a finite number",
        ),
    ],
)
def test_invalid_input_is_rejected_with_the_problem_named(
    targets: list[Target],
    round_slots: list[RoundSlot],
    weights: dict[str, float],
    message: str,
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        propose(PlanRequest(targets, round_slots, weights))
