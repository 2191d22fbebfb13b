"""Proposes which uncovered organisations go into which future round (pure; no Django).

Coverage (DOMAIN.md): every Party organisation under the county committee, villages
included, must be inspected once per committee term. Given the organisations not yet
covered and the rounds left in the term, ``propose`` packs them greedily (first-fit
decreasing, no solver) so that high-priority ones come first and coverage completes when
capacity allows. Whatever cannot be placed is reported with the numbers that explain why,
so the office can add teams or rounds instead of guessing.

Load is measured in "load units": one team carries ``team_capacity`` units per round (3.0
for 一托三) and each target weighs ``kind_weight[kind]`` (a village is lighter than a unit).
With 巡镇带村 a township and its villages form one bundle that always shares a round.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

TOWNSHIP = "township"
# Kinds that belong to a township and travel with it under 巡镇带村.
BUNDLED_KINDS = frozenset({"village", "community"})

# Weights are user-entered floats such as 0.1; without a tolerance ten of them would not
# fit in 1.0 because of binary rounding.
EPSILON = 1e-9


@dataclass(frozen=True)
class Target:
    id: int
    name: str
    kind: str  # "unit", "township", "village", "community"
    priority: float = 1.0  # higher first; set by users, later fed by reports/findings
    township_id: int | None = None  # for villages/communities: the township they belong to


@dataclass(frozen=True)
class RoundSlot:
    index: int  # order in the term (0 = next round)
    label: str  # e.g. "2027 第1轮"
    teams: int  # how many teams the office can field in that round
    team_capacity: float  # load units one team can carry in one round (3.0 for 一托三)


@dataclass(frozen=True)
class PlanRequest:
    targets: Sequence[Target]
    slots: Sequence[RoundSlot]
    # Load of one target of a kind, e.g. {"unit": 1.0, "township": 1.0, "village": 0.25}.
    kind_weight: Mapping[str, float]
    # 巡镇带村: a township and its villages go into the same round, on one team when they
    # fit, else on several teams of that same round.
    township_with_villages: bool = False


@dataclass(frozen=True)
class TeamPlan:
    target_ids: tuple[int, ...]
    load: float


@dataclass(frozen=True)
class SlotPlan:
    slot_index: int
    teams: tuple[TeamPlan, ...]  # only the teams that received work, in team order

    @property
    def load(self) -> float:
        return math.fsum(team.load for team in self.teams)


@dataclass(frozen=True)
class Unplaced:
    target_id: int
    reason: str


@dataclass(frozen=True)
class Proposal:
    slots: tuple[SlotPlan, ...]  # one per requested slot, ordered by index
    unplaced: tuple[Unplaced, ...]  # in the order the planner tried them (priority first)
    capacity_needed: float = 0.0  # total load of all targets
    capacity_available: float = 0.0  # total load all teams of all slots can carry

    @property
    def complete(self) -> bool:
        return not self.unplaced

    @cached_property
    def _slot_by_target(self) -> dict[int, int]:
        # cached_property writes to the instance dict directly, so it works on a frozen
        # dataclass and keeps repeated slot_of calls from the views linear overall.
        return {
            target_id: slot.slot_index
            for slot in self.slots
            for team in slot.teams
            for target_id in team.target_ids
        }

    def slot_of(self, target_id: int) -> int | None:
        return self._slot_by_target.get(target_id)


def propose(request: PlanRequest) -> Proposal:
    """Place every target in the earliest round with room, highest priority first."""
    _validate(request)
    slots = sorted(request.slots, key=lambda slot: slot.index)
    states = [_SlotState(slot) for slot in slots]
    unplaced: list[Unplaced] = []
    for bundle in _bundles(request):
        if not any(state.place(bundle) for state in states):
            reason = _reason(bundle, states)
            unplaced.extend(Unplaced(member.id, reason) for member in bundle.members)
    return Proposal(
        slots=tuple(state.plan() for state in states),
        unplaced=tuple(unplaced),
        capacity_needed=math.fsum(request.kind_weight[t.kind] for t in request.targets),
        capacity_available=math.fsum(slot.teams * slot.team_capacity for slot in slots),
    )


# -- validation ---------------------------------------------------------------------------


def _validate(request: PlanRequest) -> None:
    for kind, weight in request.kind_weight.items():
        if not (math.isfinite(weight) and weight > 0):
            raise ValueError(f"load weight for kind {kind!r} must be positive, got {weight!r}")
    seen_ids: set[int] = set()
    for target in request.targets:
        if target.id in seen_ids:
            raise ValueError(f"duplicate target id {target.id}")
        seen_ids.add(target.id)
        if target.kind not in request.kind_weight:
            raise ValueError(
                f"no load weight for kind {target.kind!r} (target {target.id} {target.name!r})"
            )
        if not math.isfinite(target.priority):
            # NaN would make the ordering, and so the proposal, depend on input order.
            raise ValueError(
                f"priority of target {target.id} {target.name!r} must be a finite number, "
                f"got {target.priority!r}"
            )
    seen_indexes: set[int] = set()
    for slot in request.slots:
        if slot.index in seen_indexes:
            raise ValueError(f"duplicate slot index {slot.index}")
        seen_indexes.add(slot.index)
        if slot.teams <= 0:
            raise ValueError(
                f"slot {slot.index} ({slot.label!r}) must have a positive number of teams, "
                f"got {slot.teams}"
            )
        if not (math.isfinite(slot.team_capacity) and slot.team_capacity > 0):
            raise ValueError(
                f"slot {slot.index} ({slot.label!r}) must have a positive team capacity, "
                f"got {slot.team_capacity!r}"
            )


# -- bundles ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Bundle:
    members: tuple[Target, ...]  # the township first when bundled
    loads: tuple[float, ...]  # aligned with members
    township: Target | None  # set only for a township travelling with its villages

    @property
    def load(self) -> float:
        return math.fsum(self.loads)

    @property
    def priority(self) -> float:
        return max(member.priority for member in self.members)

    def sort_key(self) -> tuple[float, float, int]:
        # Larger loads first on equal priority: first-fit decreasing packs tighter.
        return (-self.priority, -self.load, min(member.id for member in self.members))


def _bundles(request: PlanRequest) -> list[_Bundle]:
    weight = request.kind_weight
    villages_of: dict[int, list[Target]] = {}
    if request.township_with_villages:
        townships = {t.id for t in request.targets if t.kind == TOWNSHIP}
        for target in request.targets:
            home = target.township_id
            if target.kind in BUNDLED_KINDS and home is not None and home in townships:
                villages_of.setdefault(home, []).append(target)
    bundled = {v.id for villages in villages_of.values() for v in villages}
    bundles: list[_Bundle] = []
    for target in request.targets:
        if target.id in bundled:
            continue
        villages = villages_of.get(target.id, []) if target.kind == TOWNSHIP else []
        # A canonical member order keeps team lists identical however the input is shuffled.
        villages.sort(key=lambda v: (-v.priority, -weight[v.kind], v.id))
        members = (target, *villages)
        bundles.append(
            _Bundle(
                members=members,
                loads=tuple(weight[m.kind] for m in members),
                township=target if villages else None,
            )
        )
    bundles.sort(key=_Bundle.sort_key)
    return bundles


# -- placement ----------------------------------------------------------------------------


class _Team:
    __slots__ = ("capacity", "ids", "loads", "used")

    def __init__(self, capacity: float) -> None:
        self.capacity = capacity
        self.ids: list[int] = []
        self.loads: list[float] = []
        self.used = 0.0

    @property
    def free(self) -> float:
        return max(0.0, self.capacity - self.used)

    def add(self, target_id: int, load: float) -> None:
        self.ids.append(target_id)
        self.loads.append(load)
        # Re-summed exactly instead of accumulated, so rounding cannot drift.
        self.used = math.fsum(self.loads)


def _fits(load: float, free: float) -> bool:
    return load <= free + EPSILON


class _SlotState:
    def __init__(self, slot: RoundSlot) -> None:
        self.slot = slot
        self.teams = [_Team(slot.team_capacity) for _ in range(slot.teams)]

    @property
    def free_total(self) -> float:
        return math.fsum(team.free for team in self.teams)

    @property
    def max_team_free(self) -> float:
        return max(team.free for team in self.teams)

    def place(self, bundle: _Bundle) -> bool:
        whole = next((team for team in self.teams if _fits(bundle.load, team.free)), None)
        if whole is not None:
            for member, load in zip(bundle.members, bundle.loads, strict=True):
                whole.add(member.id, load)
            return True
        if bundle.township is None or not _fits(bundle.load, self.free_total):
            return False
        frees = [team.free for team in self.teams]
        assignment = _split_township_home(bundle, frees)
        if assignment is None:
            assignment = _split_first_fit(bundle, frees)
        if assignment is None:
            return False
        for member, load, team_index in zip(bundle.members, bundle.loads, assignment, strict=True):
            self.teams[team_index].add(member.id, load)
        return True

    def plan(self) -> SlotPlan:
        return SlotPlan(
            slot_index=self.slot.index,
            teams=tuple(
                TeamPlan(target_ids=tuple(team.ids), load=team.used)
                for team in self.teams
                if team.ids
            ),
        )


def _first_fit(load: float, frees: list[float]) -> int | None:
    return next((i for i, free in enumerate(frees) if _fits(load, free)), None)


def _split_township_home(bundle: _Bundle, frees: list[float]) -> list[int] | None:
    """Township on the emptiest team with as many villages as fit; the rest first-fit.

    Returns the team index of each member, or None when the members do not fit.
    """
    free = list(frees)
    home = max(range(len(free)), key=lambda i: (free[i], -i))
    if not _fits(bundle.loads[0], free[home]):
        return None
    assignment = [home] + [-1] * (len(bundle.members) - 1)
    free[home] -= bundle.loads[0]
    villages = range(1, len(bundle.members))
    # Lightest villages first keeps the most of them with their township's team.
    for i in sorted(villages, key=lambda i: (bundle.loads[i], _member_key(bundle, i))):
        if _fits(bundle.loads[i], free[home]):
            assignment[i] = home
            free[home] -= bundle.loads[i]
    rest = [i for i in villages if assignment[i] < 0]
    for i in sorted(rest, key=lambda i: (-bundle.loads[i], _member_key(bundle, i))):
        team = _first_fit(bundle.loads[i], free)
        if team is None:
            return None
        assignment[i] = team
        free[team] -= bundle.loads[i]
    return assignment


def _split_first_fit(bundle: _Bundle, frees: list[float]) -> list[int] | None:
    """Plain first-fit decreasing over the slot's teams, tried when the township-home
    packing strands a heavy village (e.g. free 1.0 + 0.5 for township 0.25 and villages
    0.25, 0.25, 0.75)."""
    free = list(frees)
    assignment = [-1] * len(bundle.members)
    order = sorted(
        range(len(bundle.members)),
        key=lambda i: (-bundle.loads[i], i != 0, _member_key(bundle, i)),
    )
    for i in order:
        team = _first_fit(bundle.loads[i], free)
        if team is None:
            return None
        assignment[i] = team
        free[team] -= bundle.loads[i]
    return assignment


def _member_key(bundle: _Bundle, i: int) -> tuple[float, int]:
    member = bundle.members[i]
    return (-member.priority, member.id)


# -- reasons ------------------------------------------------------------------------------


def _units(value: float) -> str:
    return f"{value:.2f}"


def _rounds_phrase(states: Sequence[_SlotState]) -> str:
    indexes = [state.slot.index for state in states]
    if len(indexes) == 1:
        return f"round {indexes[0]} has"
    if indexes == list(range(indexes[0], indexes[-1] + 1)):
        return f"rounds {indexes[0]}–{indexes[-1]} have"
    return f"rounds {', '.join(str(i) for i in indexes)} have"


def _plural(kind: str, count: int) -> str:
    if count == 1:
        return f"1 {kind}"
    return f"{count} {kind[:-1] + 'ies' if kind.endswith('y') else kind + 's'}"


def _describe(bundle: _Bundle) -> str:
    township = bundle.members[0]  # only called for bundles, whose first member is the township
    counts: dict[str, int] = {}
    for member in bundle.members[1:]:
        counts[member.kind] = counts.get(member.kind, 0) + 1
    parts = [_plural(kind, counts[kind]) for kind in sorted(counts)]
    return f"bundle of township {township.name} (id {township.id}) with {' and '.join(parts)}"


def _reason(bundle: _Bundle, states: Sequence[_SlotState]) -> str:
    if bundle.township is None:
        return _single_reason(bundle.loads[0], states)
    return _bundle_reason(bundle, states)


def _single_reason(load: float, states: Sequence[_SlotState]) -> str:
    needs = f"needs {_units(load)} load units"
    if not states:
        return f"{needs}, but no rounds are left in the term"
    largest = max(state.slot.team_capacity for state in states)
    if not _fits(load, largest):
        return f"{needs}, more than one team can carry in any round (at most {_units(largest)})"
    most = max(state.max_team_free for state in states)
    return f"{needs}; {_rounds_phrase(states)} {_units(most)} left at most per team"


def _bundle_reason(bundle: _Bundle, states: Sequence[_SlotState]) -> str:
    what = _describe(bundle)
    needs = f"needs {_units(bundle.load)} load units"
    if not states:
        return f"{what} {needs}, but no rounds are left in the term"
    heaviest = max(range(len(bundle.members)), key=lambda i: (bundle.loads[i], -i))
    heavy = bundle.members[heaviest]
    largest = max(state.slot.team_capacity for state in states)
    if not _fits(bundle.loads[heaviest], largest):
        return (
            f"{what} cannot be placed: {heavy.kind} {heavy.name} (id {heavy.id}) alone needs "
            f"{_units(bundle.loads[heaviest])} load units, more than one team can carry in "
            f"any round (at most {_units(largest)})"
        )
    most_total = max(state.free_total for state in states)
    if not _fits(bundle.load, most_total):
        return (
            f"{what} {needs}, more than any round's total free capacity "
            f"(at most {_units(most_total)})"
        )
    roomy = [state for state in states if _fits(bundle.load, state.free_total)]
    most_team = max(state.max_team_free for state in roomy)
    return (
        f"{what} {needs}; {_rounds_phrase(roomy)} that much free in total (up to "
        f"{_units(most_total)}) but spread over teams in pieces its members cannot be packed "
        f"into (its heaviest, "
        f"{heavy.kind} {heavy.name}, needs {_units(bundle.loads[heaviest])}; the most free "
        f"on one team there is {_units(most_team)})"
    )
