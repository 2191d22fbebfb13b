"""Schedules a round's interviews (individual talks) during stationing (pure; no Django).

Given the working days of the stationing period (already filtered by the holiday calendar:
the caller passes dates), the teams' members and their availability, the places, each
interview's length and interviewee availability, and the confirmed public talk requests,
``solve`` builds a schedule with OR-Tools CP-SAT: for each interview a day, a start, a
place and two members of its team, one who asks and one who records. ``greedy`` is a fast
baseline scored by the same objective; ``validate`` and ``objective_value`` re-check any
schedule with plain loops, sharing nothing with the model, so a solver bug cannot pass an
invalid or mis-scored schedule.

Time. Each working day has the working windows of ``Rules.windows`` (default 08:30-12:00
and 14:30-18:00, minutes from midnight) cut into units of ``Rules.unit_minutes`` (30).
An interview lasts ``length`` units and lies inside one window: it never spans lunch or
the night. Availability (members, places, interviewees) is a list of ``Span`` (day index,
start and end minute); ``None`` means every working window. Adjacent spans join, so 8:30-10
plus 10-12 allow a talk from 9:30 to 10:30. The solver starts non-fixed talks on the unit
grid; a fixed (confirmed public) talk keeps its minute even off the grid. Gaps and buffers
are measured in real minutes, so the lunch break separates a talk ending at 12:00 from
one starting at 14:30.

Hard rules (each has its own check in ``validate`` and its own violation kind):

* "members": two distinct members, asker and recorder; "team": both of the interview's
  team; "asker": the asker is one of ``Interview.askers`` when that is given (e.g. the
  team leader talks to the main leader);
* "conflict": no member talks to an interviewee named in their ``conflicts`` (relative,
  former superior or subordinate, long-time colleague: the recusal evidence). Such pairs
  are excluded from the model and listed in ``Result.excluded`` with their evidence;
* "member_overlap": no member in two talks at once, nor with fewer than
  ``member_gap_units`` units between two of their talks (default 0);
* "member_availability" and "daily_cap": inside the member's availability, at most
  ``Member.daily_cap`` talks a day (default 4);
* "place_overlap", "place_availability", "place_allowed": one talk per place at a time,
  inside the place's availability, in a place the interview allows (an empty
  ``Interview.places`` allows the team's own places and the shared ones);
* "interviewee_availability", "interviewee_overlap": inside the interviewee's availability,
  never two talks of one interviewee at once;
* "window", "fixed": inside a working window of a working day; a fixed talk at its day,
  start and place;
* "main_leader_first": with ``Rules.main_leader_rule`` (default on), a talk marked
  ``FIRST`` starts strictly before every talk of the same unit not marked ``FIRST`` (the
  simplest correct reading of "the main leader is talked to first"; "starts before", not
  "ends before", so other places may begin while it runs); "main_leader_last": a talk
  marked ``LAST`` lies on one of the last ``Rules.near_end_days`` (3) working days;
* "same_unit_buffer": two talks whose interviewees belong to the same unit, in the same
  place, are at least ``same_unit_buffer_units`` units (default 1) apart, so one does not
  meet the next at the door.

An interview may be left out. Objective (minimised):

* ``left_out_penalty(instance)`` x (1 + priority) per interview left out. The penalty is
  one more than the largest value all other terms together can take, so the objective is
  lexicographic: an optimal schedule holds as many (priority-weighted) talks as possible,
  and an optimal one that leaves a talk out proves that they cannot all fit;
* +10 per team for the spread (most - fewest talks of a member of the team: members'
  availability and conflicts are not discounted, every member counts);
* +1 per talk of total absolute deviation from the team's mean talks per member, so that
  a spread of 1 with one busy member beats one with several;
* +1 per priority point per working day of the talk (day index from 0): priority talks
  slightly earlier.

The mean makes the deviation fractional; the model multiplies every term by the least
common multiple of the team sizes and divides the reported values back.

The model: for interview i a start ``S_i`` (minutes from the first day's midnight) whose
domain is the grid starts that fit a window, the interviewee's availability and the
near-end rule; a bool per day ``b_id`` (exactly one when scheduled); a bool per allowed
place ``z_ip``; a bool ``v_imd`` per eligible member and day, with ``sum_m v_imd = 2 b_id``
(two members) and ``sum_i v_imd <= cap`` (the daily cap is linear in these). Optional
intervals on ``S_i`` per member (presence ``sum_d v_imd``) and per place (presence
``z_ip``) go into one no-overlap per member and per place, next to fixed intervals for the
times outside their availability; per place and unit a second no-overlap of the intervals
lengthened by the buffer; per interviewee one of the talk intervals. Redundant cuts per
team and day (talk minutes within the members' and the places' open minutes) give the LP
what the no-overlaps hide: on the benchmark they raised the proven bound from 112.4 to
116.4 against a best schedule of 118.4 (CP-SAT's linearization level 2 added nothing).
Roles are not variables: of the two members, the asker is one allowed to ask who has
asked least so far, in time order. The greedy schedule is the solution hint and the
fallback: ``solve`` never returns a worse schedule.

Infeasibility is explained by naming what cannot fit. Before solving, cheap checks find
talks that cannot be held at all (fewer than two members free of conflict, no asker,
longer than any window, no time the interviewee is free, no allowed place, a fixed time
outside the windows or colliding with a member's, place's or interviewee's availability);
these are left out of the model with their reason. Further checks name fixed talks that
collide with each other and teams whose talks need more member or place time than there
is. After solving, every talk left out gets the reasons found by trying to place it alone
against the schedule found: at how many of its possible times and places the place, the
interviewee, two members (or an asker), or the main-leader order are taken.

Explanations are ``core.lib.text.Text`` (English templates marked for translation, rendered
by the app), and plain strings next to them, as in team formation.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from ortools.sat.python import cp_model

from xuncha.core.lib.cpsat import make_solver
from xuncha.core.lib.text import Joined, Text, gettext_noop

FIRST = "first"
LAST = "last"
MAIN_LEADER_MARKS = frozenset({FIRST, LAST})

MINUTES_PER_DAY = 1440

SPREAD_WEIGHT = 10  # per talk of (most - fewest) in a team
DEVIATION_WEIGHT = 1  # per talk of total |talks - team mean|
EARLY_WEIGHT = 1  # per priority point per working day

# Violation kinds (``Violation.kind``), one per rule.
V_UNKNOWN = "unknown"
V_DUPLICATE = "duplicate"
V_WINDOW = "window"
V_MEMBERS = "members"
V_TEAM = "team"
V_ASKER = "asker"
V_CONFLICT = "conflict"
V_MEMBER_OVERLAP = "member_overlap"
V_MEMBER_AVAILABILITY = "member_availability"
V_DAILY_CAP = "daily_cap"
V_PLACE_OVERLAP = "place_overlap"
V_PLACE_AVAILABILITY = "place_availability"
V_PLACE_ALLOWED = "place_allowed"
V_INTERVIEWEE_AVAILABILITY = "interviewee_availability"
V_INTERVIEWEE_OVERLAP = "interviewee_overlap"
V_FIXED = "fixed"
V_MAIN_LEADER_FIRST = "main_leader_first"
V_MAIN_LEADER_LAST = "main_leader_last"
V_SAME_UNIT_BUFFER = "same_unit_buffer"
VIOLATION_KINDS: tuple[str, ...] = (
    V_UNKNOWN,
    V_DUPLICATE,
    V_WINDOW,
    V_MEMBERS,
    V_TEAM,
    V_ASKER,
    V_CONFLICT,
    V_MEMBER_OVERLAP,
    V_MEMBER_AVAILABILITY,
    V_DAILY_CAP,
    V_PLACE_OVERLAP,
    V_PLACE_AVAILABILITY,
    V_PLACE_ALLOWED,
    V_INTERVIEWEE_AVAILABILITY,
    V_INTERVIEWEE_OVERLAP,
    V_FIXED,
    V_MAIN_LEADER_FIRST,
    V_MAIN_LEADER_LAST,
    V_SAME_UNIT_BUFFER,
)

# Explanations list people by name; beyond this many a count stands in for the rest.
_LIST_LIMIT = 12

ProgressCallback = Callable[[float, Text], None]


# -- data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A stretch of one working day: ``day`` indexes ``Instance.days``; minutes from
    midnight, ``end`` exclusive."""

    day: int
    start: int
    end: int


@dataclass(frozen=True)
class Conflict:
    """A member may not talk to this interviewee (recusal evidence computed elsewhere)."""

    interviewee_id: int
    rule: str  # e.g. "relative", "former_superior", "former_subordinate", "colleague"
    evidence: str


@dataclass(frozen=True)
class Member:
    member_id: int
    name: str
    team_id: int
    available: tuple[Span, ...] | None = None  # None = every working window
    daily_cap: int = 4  # talks a day
    conflicts: tuple[Conflict, ...] = ()


@dataclass(frozen=True)
class Place:
    place_id: int
    name: str
    team_id: int | None = None  # None = shared by every team
    kind: str = "talk_room"  # e.g. "talk_room", "office", "meeting_room"
    available: tuple[Span, ...] | None = None


@dataclass(frozen=True)
class Fixed:
    """A confirmed time and place (a public talk request, at the requester's choosing)."""

    day: int
    start: int  # minutes from midnight
    place_id: int


@dataclass(frozen=True)
class Interview:
    interview_id: int
    team_id: int
    interviewee_id: int  # the person; one person may have several talks
    interviewee: str  # name shown, e.g. "张三（某镇党委书记）"
    unit_id: int | None  # the interviewee's organisation (None: not from a unit)
    length: int  # in units of Rules.unit_minutes
    places: frozenset[int] = frozenset()  # allowed places; empty = team's own and shared
    available: tuple[Span, ...] | None = None  # the interviewee's; None = any time
    fixed: Fixed | None = None
    main_leader: str | None = None  # FIRST | LAST | None
    askers: frozenset[int] = frozenset()  # members who may ask; empty = any of the two
    priority: int = 0  # >= 0; weighs leaving it out and prefers earlier days


@dataclass(frozen=True)
class Rules:
    unit_minutes: int = 30
    windows: tuple[tuple[int, int], ...] = ((510, 720), (870, 1080))  # 08:30-12, 14:30-18
    member_gap_units: int = 0  # free units a member needs between two talks
    same_unit_buffer_units: int = 1
    main_leader_rule: bool = True
    near_end_days: int = 3


@dataclass(frozen=True)
class Instance:
    days: tuple[date, ...]  # working days of the stationing period, in order
    members: tuple[Member, ...]
    places: tuple[Place, ...]
    interviews: tuple[Interview, ...]
    rules: Rules = field(default_factory=Rules)


@dataclass(frozen=True)
class Slot:
    interview_id: int
    day: int  # index into Instance.days
    start: int  # minutes from midnight
    place_id: int
    asker_id: int
    recorder_id: int


@dataclass(frozen=True)
class Violation:
    kind: str  # one of VIOLATION_KINDS
    message: str
    interview_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class LeftOut:
    interview_id: int
    reasons: tuple[Text, ...]


@dataclass(frozen=True)
class Exclusion:
    """A member who may not talk to an interview's interviewee, with the evidence."""

    interview_id: int
    member_id: int
    rule: str
    evidence: str


@dataclass(frozen=True)
class Result:
    status: str  # "optimal" | "feasible" (greedy schedule or a better one, not proven)
    slots: tuple[Slot, ...]
    unscheduled: tuple[LeftOut, ...]
    objective: float | None
    bound: float | None  # proven lower bound on the objective (solver only)
    gap: float | None  # relative gap (0.0 = proven optimal)
    seconds: float
    explanation: tuple[str, ...] = ()  # what cannot fit, in words
    explanation_texts: tuple[Text, ...] = ()  # the same, translatable
    excluded: tuple[Exclusion, ...] = ()  # recusal pairs kept apart

    @property
    def complete(self) -> bool:
        return not self.unscheduled


# -- public API -----------------------------------------------------------------------------


def solve(
    instance: Instance,
    *,
    time_limit: float = 30.0,
    seed: int = 0,
    workers: int = 2,
    progress: ProgressCallback | None = None,
    deterministic: bool = True,
) -> Result:
    """Schedule every interview that can be, balancing the members' workload.

    ``deterministic`` (the default, as in team formation) runs one CP-SAT search thread
    stopped on CP-SAT's deterministic clock (``time_limit`` in its units; 20 of them took
    about 40 s of wall time on the 120-talk benchmark; a wall-clock stop at twice the
    limit guards a slow machine), so the same instance and seed give the same schedule.
    With ``deterministic=False``, ``workers`` threads race under a wall-clock limit; on the
    benchmark two of them reached the same schedule in 8 s.

    ``progress(fraction, message)`` is called after the checks, at every improving
    solution and at the end; ``fraction`` is the share of the time limit used (1.0 at the
    end) and ``message`` a ``Text`` with the talks placed, the objective and the bound.
    """
    started = time.perf_counter()
    ctx = _Context(instance)
    static = _static_reasons(ctx)
    joint = _joint_checks(ctx)
    start = _greedy_slots(ctx, static)
    if progress is not None:
        progress(
            0.05,
            Text(
                gettext_noop("checked the request; a first schedule places %(placed)s of %(n)s"),
                placed=len(start),
                n=len(ctx.interviews),
            ),
        )
    built = _build_model(ctx, static)
    _add_hint(ctx, built, start)

    # On CP-SAT's deterministic clock the whole limit goes to the search: subtracting the
    # wall time of the checks and the greedy would make the stop depend on machine load.
    spent = 0.0 if deterministic else time.perf_counter() - started
    remaining = max(0.05, time_limit - spent)
    solver = make_solver(remaining, seed, workers, deterministic)
    callback = _Progress(progress, built, remaining, deterministic) if progress else None
    status = solver.solve(built.model, callback) if callback else solver.solve(built.model)
    if status == cp_model.MODEL_INVALID:
        raise RuntimeError(f"CP-SAT rejected the model: {built.model.validate()}")
    if status == cp_model.INFEASIBLE:  # leaving every talk out is always a schedule
        raise RuntimeError("the scheduling model is infeasible: a bug in the model")

    slots: tuple[Slot, ...] = start
    objective = objective_value(instance, start)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        found = _read_solution(ctx, built, solver)
        found_objective = objective_value(instance, found)
        # Never worse than the greedy schedule (the hint), whatever the solver stopped on.
        if status == cp_model.OPTIMAL or found_objective <= objective:
            slots, objective = found, found_objective
    if validate(instance, slots):  # a bug, not a data problem: fail loudly
        raise RuntimeError(f"schedule breaks a rule: {validate(instance, slots)[:3]}")

    bound: float | None
    gap: float | None
    if status == cp_model.OPTIMAL:
        bound, gap = objective, 0.0
    else:
        raw = solver.best_objective_bound
        bound = min(objective, raw / built.scale) if math.isfinite(raw) else None
        gap = None if bound is None else (objective - bound) / max(1.0, abs(objective))
    left = _left_out(ctx, slots, static)
    texts = (*joint, *(reason for item in left for reason in item.reasons))
    if progress is not None:
        progress(
            1.0,
            Text(
                gettext_noop("done: %(placed)s of %(n)s talks placed"),
                placed=len(slots),
                n=len(ctx.interviews),
            ),
        )
    return Result(
        "optimal" if status == cp_model.OPTIMAL else "feasible",
        slots,
        left,
        objective,
        bound,
        gap,
        time.perf_counter() - started,
        tuple(t.render() for t in texts),
        texts,
        excluded_pairs(instance),
    )


def greedy(instance: Instance) -> Result:
    """Place talks one by one at the earliest free time with the least-loaded pair.

    Order: fixed talks, then first main-leader talks, then by fewest (start, place)
    options. Scored by ``objective_value`` like ``solve``; talks it cannot place are
    explained the same way (that does not prove they cannot fit).
    """
    started = time.perf_counter()
    ctx = _Context(instance)
    static = _static_reasons(ctx)
    slots = _greedy_slots(ctx, static)
    left = _left_out(ctx, slots, static)
    texts = (*_joint_checks(ctx), *(reason for item in left for reason in item.reasons))
    return Result(
        "feasible",
        slots,
        left,
        objective_value(instance, slots),
        None,
        None,
        time.perf_counter() - started,
        tuple(t.render() for t in texts),
        texts,
        excluded_pairs(instance),
    )


def excluded_pairs(instance: Instance) -> tuple[Exclusion, ...]:
    """Every (interview, member of its team) pair kept apart by a recusal conflict."""
    found: list[Exclusion] = []
    for interview in instance.interviews:
        for member in instance.members:
            if member.team_id != interview.team_id:
                continue
            for conflict in member.conflicts:
                if conflict.interviewee_id == interview.interviewee_id:
                    found.append(
                        Exclusion(
                            interview.interview_id,
                            member.member_id,
                            conflict.rule,
                            conflict.evidence,
                        )
                    )
    return tuple(found)


def day_spans(rules: Rules, days: Iterable[int]) -> tuple[Span, ...]:
    """Availability covering every working window of the given day indexes."""
    return tuple(Span(day, a, b) for day in sorted(set(days)) for a, b in rules.windows)


def left_out_penalty(instance: Instance) -> int:
    """What leaving one talk (of priority 0) out costs: more than all other terms can."""
    per_team = Counter(iv.team_id for iv in instance.interviews)
    # Per team: the spread is at most the team's talks; the deviation from the mean at
    # most twice the member-talks (two per talk). Earliness at most priority x last day.
    balance = sum((SPREAD_WEIGHT + 4 * DEVIATION_WEIGHT) * n for n in per_team.values())
    last_day = max(0, len(instance.days) - 1)
    early = EARLY_WEIGHT * last_day * sum(max(0, iv.priority) for iv in instance.interviews)
    return balance + early + 1


def workload(instance: Instance, slots: Sequence[Slot]) -> dict[int, dict[int, int]]:
    """Talks per member (asking or recording), by team id, every member listed."""
    counts: dict[int, dict[int, int]] = {}
    for member in instance.members:
        counts.setdefault(member.team_id, {})[member.member_id] = 0
    team_of = {m.member_id: m.team_id for m in instance.members}
    for slot in slots:
        for member_id in (slot.asker_id, slot.recorder_id):
            if member_id in team_of:
                counts[team_of[member_id]][member_id] += 1
    return counts


def objective_value(instance: Instance, slots: Sequence[Slot]) -> float:
    """The objective of ``solve`` recomputed from the schedule alone (no model involved)."""
    interviews = {iv.interview_id: iv for iv in instance.interviews}
    members = {m.member_id for m in instance.members}
    penalty = left_out_penalty(instance)
    score = Fraction(0)
    placed: set[int] = set()
    for slot in slots:
        interview = interviews.get(slot.interview_id)
        if interview is None or slot.asker_id not in members or slot.recorder_id not in members:
            raise ValueError(f"slot {slot} refers to an unknown interview or member")
        if slot.interview_id in placed:
            continue
        placed.add(slot.interview_id)
        score += EARLY_WEIGHT * max(0, interview.priority) * slot.day
    for interview in instance.interviews:
        if interview.interview_id not in placed:
            score += penalty * (1 + max(0, interview.priority))
    for counts in workload(instance, slots).values():
        values = list(counts.values())
        if not values:
            continue
        mean = Fraction(sum(values), len(values))
        score += SPREAD_WEIGHT * (max(values) - min(values))
        score += DEVIATION_WEIGHT * sum(abs(v - mean) for v in values)
    return float(score)


def validate(instance: Instance, slots: Sequence[Slot]) -> list[Violation]:
    """Every broken hard rule ([] = valid). Talks left out are not violations.

    Written from the rules directly with plain loops, sharing nothing with the model or
    the greedy, so it can be trusted to catch a wrong model.
    """
    rules = instance.rules
    unit = rules.unit_minutes
    problems: list[Violation] = []
    interviews = {iv.interview_id: iv for iv in instance.interviews}
    members = {m.member_id: m for m in instance.members}
    places = {p.place_id: p for p in instance.places}

    def add(kind: str, message: str, *ids: int) -> None:
        problems.append(Violation(kind, message, tuple(ids)))

    def inside(spans: tuple[Span, ...] | None, day: int, start: int, end: int) -> bool:
        if spans is None:
            return True
        # Walk the spans of the day in order, extending the covered stretch from start.
        reached = start
        for span in sorted((s for s in spans if s.day == day), key=lambda s: s.start):
            if span.start <= reached < span.end:
                reached = span.end
            if reached >= end:
                return True
        return reached >= end

    good: list[tuple[Slot, Interview, int, int]] = []  # slot, interview, start, end
    seen: set[int] = set()
    for slot in slots:
        interview = interviews.get(slot.interview_id)
        if interview is None:
            add(V_UNKNOWN, f"slot for unknown interview {slot.interview_id}")
            continue
        iid = interview.interview_id
        who = f"talk {iid} with {interview.interviewee}"
        if iid in seen:
            add(V_DUPLICATE, f"{who} is scheduled more than once", iid)
            continue
        seen.add(iid)
        if slot.place_id not in places:
            add(V_UNKNOWN, f"{who} is in unknown place {slot.place_id}", iid)
            continue
        if slot.asker_id not in members or slot.recorder_id not in members:
            add(V_UNKNOWN, f"{who} has an unknown member", iid)
            continue
        start = slot.start
        end = slot.start + interview.length * unit
        if not 0 <= slot.day < len(instance.days) or not any(
            a <= start and end <= b for a, b in rules.windows
        ):
            add(V_WINDOW, f"{who} is not inside a working window of a working day", iid)
        if slot.asker_id == slot.recorder_id:
            add(V_MEMBERS, f"{who} has one member asking and recording", iid)
        for member_id in (slot.asker_id, slot.recorder_id):
            member = members[member_id]
            if member.team_id != interview.team_id:
                add(V_TEAM, f"{member.name} of team {member.team_id} is in {who}", iid)
            for conflict in member.conflicts:
                if conflict.interviewee_id == interview.interviewee_id:
                    add(
                        V_CONFLICT,
                        f"{member.name} may not talk to {interview.interviewee}: "
                        f"{conflict.rule} ({conflict.evidence})",
                        iid,
                    )
            if not inside(member.available, slot.day, start, end):
                add(V_MEMBER_AVAILABILITY, f"{member.name} is not available for {who}", iid)
        if interview.askers and slot.asker_id not in interview.askers:
            add(V_ASKER, f"{members[slot.asker_id].name} may not ask in {who}", iid)
        place = places[slot.place_id]
        if interview.fixed is not None:
            allowed = slot.place_id == interview.fixed.place_id
        elif interview.places:
            allowed = slot.place_id in interview.places
        else:
            allowed = place.team_id is None or place.team_id == interview.team_id
        if not allowed:
            add(V_PLACE_ALLOWED, f"{who} may not be held in {place.name}", iid)
        if not inside(place.available, slot.day, start, end):
            add(V_PLACE_AVAILABILITY, f"{place.name} is not available for {who}", iid)
        if not inside(interview.available, slot.day, start, end):
            add(V_INTERVIEWEE_AVAILABILITY, f"{interview.interviewee} is not free for {who}", iid)
        fixed = interview.fixed
        if fixed is not None and (fixed.day, fixed.start, fixed.place_id) != (
            slot.day,
            slot.start,
            slot.place_id,
        ):
            add(V_FIXED, f"{who} is not at its fixed day, time and place", iid)
        if (
            rules.main_leader_rule
            and interview.main_leader == LAST
            and slot.day < len(instance.days) - rules.near_end_days
        ):
            add(
                V_MAIN_LEADER_LAST,
                f"{who} is not on one of the last {rules.near_end_days} working days",
                iid,
            )
        good.append((slot, interview, slot.day * MINUTES_PER_DAY + start, end - start))

    gap = rules.member_gap_units * unit
    buffer = rules.same_unit_buffer_units * unit
    per_day: Counter[tuple[int, int]] = Counter()
    for slot, _, _, _ in good:
        for member_id in {slot.asker_id, slot.recorder_id}:
            per_day[member_id, slot.day] += 1
    for (member_id, day), n in sorted(per_day.items()):
        member = members[member_id]
        if n > member.daily_cap:
            that_day = [
                s.interview_id
                for s, _, _, _ in good
                if s.day == day and member_id in (s.asker_id, s.recorder_id)
            ]
            add(
                V_DAILY_CAP,
                f"{member.name} has {n} talks on day {day}, at most {member.daily_cap}",
                *that_day,
            )

    for x in range(len(good)):
        sa, ia, ta, la = good[x]
        for y in range(x + 1, len(good)):
            sb, ib, tb, lb = good[y]
            ids = (ia.interview_id, ib.interview_id)
            apart = max(tb - (ta + la), ta - (tb + lb))  # < 0: overlap, else free minutes
            shared = {sa.asker_id, sa.recorder_id} & {sb.asker_id, sb.recorder_id}
            if shared and apart < gap:
                names = ", ".join(members[m].name for m in sorted(shared))
                add(V_MEMBER_OVERLAP, f"{names} in talks {ids[0]} and {ids[1]} at once", *ids)
            if sa.place_id == sb.place_id and apart < 0:
                add(V_PLACE_OVERLAP, f"talks {ids[0]} and {ids[1]} share a place at once", *ids)
            if (
                sa.place_id == sb.place_id
                and ia.unit_id is not None
                and ia.unit_id == ib.unit_id
                and 0 <= apart < buffer
            ):
                add(
                    V_SAME_UNIT_BUFFER,
                    f"talks {ids[0]} and {ids[1]} (same unit, same place) are {apart} "
                    f"minutes apart, need {buffer}",
                    *ids,
                )
            if ia.interviewee_id == ib.interviewee_id and apart < 0:
                add(
                    V_INTERVIEWEE_OVERLAP,
                    f"{ia.interviewee} is in talks {ids[0]} and {ids[1]} at once",
                    *ids,
                )
            if rules.main_leader_rule and ia.unit_id is not None and ia.unit_id == ib.unit_id:
                for (first, f_at), (other, o_at) in (((ia, ta), (ib, tb)), ((ib, tb), (ia, ta))):
                    if first.main_leader == FIRST and other.main_leader != FIRST and o_at <= f_at:
                        add(
                            V_MAIN_LEADER_FIRST,
                            f"talk {other.interview_id} starts before the main leader's "
                            f"first talk {first.interview_id}",
                            first.interview_id,
                            other.interview_id,
                        )
    return problems


# -- shared view of an instance -------------------------------------------------------------


def _merge(spans: Iterable[Span]) -> dict[int, list[tuple[int, int]]]:
    """Spans by day, sorted, overlapping and adjacent ones joined."""
    by_day: dict[int, list[tuple[int, int]]] = {}
    for span in sorted(spans, key=lambda s: (s.day, s.start, s.end)):
        if span.end <= span.start:
            continue
        day = by_day.setdefault(span.day, [])
        if day and span.start <= day[-1][1]:
            day[-1] = (day[-1][0], max(day[-1][1], span.end))
        else:
            day.append((span.start, span.end))
    return by_day


class _Availability:
    """Answers "free from a to b on day d" for one person or place (None = always)."""

    def __init__(self, spans: tuple[Span, ...] | None) -> None:
        self.always = spans is None
        self.by_day = {} if spans is None else _merge(spans)

    def covers(self, day: int, start: int, end: int) -> bool:
        if self.always:
            return True
        return any(a <= start and end <= b for a, b in self.by_day.get(day, ()))

    def any_on(self, day: int) -> bool:
        return self.always or bool(self.by_day.get(day))

    def blocked(
        self, day: int, windows: Sequence[tuple[int, int]]
    ) -> list[tuple[int, int]]:  # minutes of the windows not covered
        if self.always:
            return []
        found: list[tuple[int, int]] = []
        for w0, w1 in windows:
            cursor = w0
            for a, b in self.by_day.get(day, ()):
                if b <= cursor or a >= w1:
                    continue
                if a > cursor:
                    found.append((cursor, a))
                cursor = max(cursor, b)
            if cursor < w1:
                found.append((cursor, w1))
        return found


class _Context:
    """Lookups the model, the greedy and the explanations share (not ``validate``)."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        rules = instance.rules
        if rules.unit_minutes <= 0:
            raise ValueError("unit_minutes must be positive")
        windows = sorted(rules.windows)
        for a, b in windows:
            if not 0 <= a < b <= MINUTES_PER_DAY:
                raise ValueError(f"bad working window {(a, b)}")
        for (_, b), (c, _) in itertools.pairwise(windows):
            if c < b:
                raise ValueError("working windows overlap")
        if rules.member_gap_units < 0 or rules.same_unit_buffer_units < 0:
            raise ValueError("gaps and buffers cannot be negative")
        for label, ids in (
            ("member", [m.member_id for m in instance.members]),
            ("place", [p.place_id for p in instance.places]),
            ("interview", [iv.interview_id for iv in instance.interviews]),
        ):
            duplicates = sorted(k for k, n in Counter(ids).items() if n > 1)
            if duplicates:
                raise ValueError(f"duplicate {label} ids {duplicates}")
        for iv in instance.interviews:
            if iv.length <= 0:
                raise ValueError(f"interview {iv.interview_id} has length {iv.length}")
            if iv.main_leader is not None and iv.main_leader not in MAIN_LEADER_MARKS:
                raise ValueError(
                    f"interview {iv.interview_id} has main_leader {iv.main_leader!r}; "
                    f"use {sorted(MAIN_LEADER_MARKS)} or None"
                )

        self.rules = rules
        self.windows = windows
        self.unit = rules.unit_minutes
        self.gap = rules.member_gap_units * self.unit
        self.buffer = rules.same_unit_buffer_units * self.unit
        self.day_count = len(instance.days)
        self.members = instance.members
        self.places = instance.places
        self.interviews = instance.interviews
        self.member_pos = {m.member_id: mi for mi, m in enumerate(self.members)}
        self.place_pos = {p.place_id: pi for pi, p in enumerate(self.places)}
        self.member_free = [_Availability(m.available) for m in self.members]
        self.place_free = [_Availability(p.available) for p in self.places]
        self.person_free = [_Availability(iv.available) for iv in self.interviews]
        self.team_members: dict[int, list[int]] = {}
        for mi, member in enumerate(self.members):
            self.team_members.setdefault(member.team_id, []).append(mi)

        # Members of the interview's team with no conflict with its interviewee.
        self.eligible: list[list[int]] = []
        self.conflicted: list[list[tuple[int, Conflict]]] = []
        for iv in self.interviews:
            ok: list[int] = []
            blocked: list[tuple[int, Conflict]] = []
            for mi in self.team_members.get(iv.team_id, []):
                hits = [
                    c for c in self.members[mi].conflicts if c.interviewee_id == iv.interviewee_id
                ]
                if hits:
                    blocked.append((mi, hits[0]))
                else:
                    ok.append(mi)
            self.eligible.append(ok)
            self.conflicted.append(blocked)

        # Allowed places (positions) and possible starts (day, minute) per interview.
        self.place_options: list[list[int]] = []
        self.starts: list[list[tuple[int, int]]] = []
        for ii, iv in enumerate(self.interviews):
            if iv.fixed is not None:
                fixed_place = self.place_pos.get(iv.fixed.place_id)
                self.place_options.append([] if fixed_place is None else [fixed_place])
            elif iv.places:
                self.place_options.append(
                    sorted(self.place_pos[p] for p in iv.places if p in self.place_pos)
                )
            else:
                self.place_options.append(
                    [
                        pi
                        for pi, p in enumerate(self.places)
                        if p.team_id is None or p.team_id == iv.team_id
                    ]
                )
            self.starts.append(self._starts(ii, iv))

        self.unit_groups: dict[int, list[int]] = {}
        self.person_groups: dict[int, list[int]] = {}
        for ii, iv in enumerate(self.interviews):
            if iv.unit_id is not None:
                self.unit_groups.setdefault(iv.unit_id, []).append(ii)
            self.person_groups.setdefault(iv.interviewee_id, []).append(ii)

    def minutes(self, ii: int) -> int:
        return self.interviews[ii].length * self.unit

    def in_window(self, start: int, end: int) -> bool:
        return any(a <= start and end <= b for a, b in self.windows)

    def near_end(self, day: int) -> bool:
        return day >= self.day_count - self.rules.near_end_days

    def _starts(self, ii: int, iv: Interview) -> list[tuple[int, int]]:
        length = self.minutes(ii)
        if iv.fixed is not None:
            day, start = iv.fixed.day, iv.fixed.start
            ok = (
                0 <= day < self.day_count
                and self.in_window(start, start + length)
                and self.person_free[ii].covers(day, start, start + length)
                and not (self.marked_last(iv) and not self.near_end(day))
            )
            return [(day, start)] if ok else []
        found: list[tuple[int, int]] = []
        for day in range(self.day_count):
            if self.marked_last(iv) and not self.near_end(day):
                continue
            for w0, w1 in self.windows:
                start = w0
                while start + length <= w1:
                    if self.person_free[ii].covers(day, start, start + length):
                        found.append((day, start))
                    start += self.unit
        return found

    def marked_last(self, iv: Interview) -> bool:
        return self.rules.main_leader_rule and iv.main_leader == LAST

    def marked_first(self, iv: Interview) -> bool:
        return self.rules.main_leader_rule and iv.main_leader == FIRST and iv.unit_id is not None

    def members_free_at(self, ii: int, day: int, start: int) -> list[int]:
        end = start + self.minutes(ii)
        return [mi for mi in self.eligible[ii] if self.member_free[mi].covers(day, start, end)]

    def has_pair(self, ii: int, free: Sequence[int]) -> bool:
        if len(free) < 2:
            return False
        askers = self.interviews[ii].askers
        return not askers or any(self.members[mi].member_id in askers for mi in free)


def _name(iv: Interview) -> Text:
    return Text(
        gettext_noop("talk %(interview_id)s with %(interviewee)s"),
        interview_id=iv.interview_id,
        interviewee=iv.interviewee,
    )


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _when(ctx: _Context, day: int, start: int) -> str:
    label = ctx.instance.days[day].isoformat() if 0 <= day < ctx.day_count else f"day {day}"
    return f"{label} {_clock(start)}"


def _limited(items: list[Any], sep: str) -> Joined:
    shown = items[:_LIST_LIMIT]
    hidden = len(items) - len(shown)
    if hidden > 0:
        shown = [*shown, Text(gettext_noop("and %(n)s more"), n=hidden)]
    return Joined(tuple(shown), sep)


# -- checks before solving ------------------------------------------------------------------


def _static_reasons(ctx: _Context) -> dict[int, list[Text]]:
    """Talks that cannot be held whatever else happens, with why (by interview position)."""
    reasons: dict[int, list[Text]] = {}
    longest = max((b - a for a, b in ctx.windows), default=0)
    for ii, iv in enumerate(ctx.interviews):
        found: list[Text] = []
        name = _name(iv)
        eligible = ctx.eligible[ii]
        if len(eligible) < 2:
            team = ctx.team_members.get(iv.team_id, [])
            excluded = [
                Text(
                    gettext_noop("%(member)s (%(rule)s: %(evidence)s)"),
                    member=ctx.members[mi].name,
                    rule=c.rule,
                    evidence=c.evidence,
                )
                for mi, c in ctx.conflicted[ii]
            ]
            found.append(
                Text(
                    gettext_noop(
                        "%(talk)s: only %(n)s of the %(size)s members of team %(team)s may "
                        "talk to the interviewee, two are needed; excluded: %(excluded)s"
                    ),
                    talk=name,
                    n=len(eligible),
                    size=len(team),
                    team=iv.team_id,
                    excluded=_limited(excluded, "; "),
                )
            )
        elif iv.askers and not any(ctx.members[mi].member_id in iv.askers for mi in eligible):
            found.append(
                Text(
                    gettext_noop(
                        "%(talk)s: none of the members allowed to ask is free of conflict"
                    ),
                    talk=name,
                )
            )
        if ctx.minutes(ii) > longest:
            found.append(
                Text(
                    gettext_noop(
                        "%(talk)s lasts %(minutes)s minutes, longer than the longest working "
                        "window (%(longest)s minutes)"
                    ),
                    talk=name,
                    minutes=ctx.minutes(ii),
                    longest=longest,
                )
            )
        elif iv.fixed is not None and not ctx.starts[ii]:
            found.append(_fixed_time_reason(ctx, ii))
        elif not ctx.starts[ii]:
            if ctx.marked_last(iv):
                template = gettext_noop(
                    "%(talk)s: the interviewee is free at no time a %(minutes)s-minute talk "
                    "fits on the last %(days)s working days"
                )
            else:
                template = gettext_noop(
                    "%(talk)s: the interviewee is free at no time a %(minutes)s-minute talk "
                    "fits in a working window"
                )
            found.append(
                Text(template, talk=name, minutes=ctx.minutes(ii), days=ctx.rules.near_end_days)
            )
        places = ctx.place_options[ii]
        if not places:
            if iv.fixed is not None:
                found.append(
                    Text(
                        gettext_noop("%(talk)s: its fixed place %(place)s does not exist"),
                        talk=name,
                        place=iv.fixed.place_id,
                    )
                )
            else:
                found.append(
                    Text(
                        gettext_noop("%(talk)s: no place is allowed for it (team %(team)s)"),
                        talk=name,
                        team=iv.team_id,
                    )
                )
        if not found:
            found.extend(_time_reasons(ctx, ii))
        if found:
            reasons[ii] = found
    return reasons


def _fixed_time_reason(ctx: _Context, ii: int) -> Text:
    iv = ctx.interviews[ii]
    if iv.fixed is None:
        raise ValueError("not a fixed talk")
    day, start = iv.fixed.day, iv.fixed.start
    end = start + ctx.minutes(ii)
    when = _when(ctx, day, start)
    if not 0 <= day < ctx.day_count or not ctx.in_window(start, end):
        template = gettext_noop(
            "%(talk)s is fixed at %(when)s, outside the working windows of the working days"
        )
    elif not ctx.person_free[ii].covers(day, start, end):
        template = gettext_noop("%(talk)s is fixed at %(when)s, when the interviewee is not free")
    else:
        template = gettext_noop(
            "%(talk)s is a last main-leader talk fixed at %(when)s, before the last "
            "%(days)s working days"
        )
    return Text(template, talk=_name(iv), when=when, days=ctx.rules.near_end_days)


def _time_reasons(ctx: _Context, ii: int) -> list[Text]:
    """No start where two members (and a place) are available: with the fixed time named."""
    iv = ctx.interviews[ii]
    length = ctx.minutes(ii)
    with_pair = [
        (day, start)
        for day, start in ctx.starts[ii]
        if ctx.has_pair(ii, ctx.members_free_at(ii, day, start))
    ]
    found: list[Text] = []
    if not with_pair:
        if iv.fixed is not None:
            day, start = ctx.starts[ii][0]
            free = [ctx.members[mi].name for mi in ctx.members_free_at(ii, day, start)]
            found.append(
                Text(
                    gettext_noop(
                        "%(talk)s is fixed at %(when)s, when only %(n)s members free of "
                        "conflict are available (%(names)s)%(asker)s"
                    ),
                    talk=_name(iv),
                    when=_when(ctx, day, start),
                    n=len(free),
                    names=_limited(list(free), ", "),
                    asker=Text(gettext_noop(", none of them allowed to ask"))
                    if len(free) >= 2
                    else "",
                )
            )
        else:
            found.append(
                Text(
                    gettext_noop(
                        "%(talk)s: at no time when the interviewee is free are two members "
                        "free of conflict%(asker)s available"
                    ),
                    talk=_name(iv),
                    asker=Text(gettext_noop(" (one allowed to ask)")) if iv.askers else "",
                )
            )
        return found
    places = ctx.place_options[ii]
    if not any(
        ctx.place_free[pi].covers(day, start, start + length)
        for day, start in with_pair
        for pi in places
    ):
        names = [ctx.places[pi].name for pi in places]
        if iv.fixed is not None:
            template = gettext_noop("%(talk)s is fixed at %(when)s, when %(places)s is closed")
            day, start = ctx.starts[ii][0]
            found.append(
                Text(
                    template,
                    talk=_name(iv),
                    when=_when(ctx, day, start),
                    places=_limited(list(names), ", "),
                )
            )
        else:
            found.append(
                Text(
                    gettext_noop(
                        "%(talk)s: its places (%(places)s) are closed whenever the interviewee "
                        "and two members are free"
                    ),
                    talk=_name(iv),
                    places=_limited(list(names), ", "),
                )
            )
    return found


def _joint_checks(ctx: _Context) -> list[Text]:
    """Fixed talks that collide, and teams that need more time than they have."""
    lines: list[Text] = []
    fixed = [
        ii
        for ii, iv in enumerate(ctx.interviews)
        if iv.fixed is not None and ctx.starts[ii] and ctx.place_options[ii]
    ]
    for x, a in enumerate(fixed):
        for b in fixed[x + 1 :]:
            ia, ib = ctx.interviews[a], ctx.interviews[b]
            (da, sa), (db, sb) = ctx.starts[a][0], ctx.starts[b][0]
            ta, tb = da * MINUTES_PER_DAY + sa, db * MINUTES_PER_DAY + sb
            apart = max(tb - (ta + ctx.minutes(a)), ta - (tb + ctx.minutes(b)))
            same_place = ctx.place_options[a] == ctx.place_options[b]
            what: str | None = None
            if same_place and apart < 0:
                what = gettext_noop("the same place")
            elif ia.interviewee_id == ib.interviewee_id and apart < 0:
                what = gettext_noop("the same interviewee")
            elif (
                same_place
                and ia.unit_id is not None
                and ia.unit_id == ib.unit_id
                and apart < ctx.buffer
            ):
                what = gettext_noop("the same place without the buffer between one unit's people")
            elif apart < 0 and ia.team_id == ib.team_id:
                both = set(ctx.members_free_at(a, da, sa)) | set(ctx.members_free_at(b, db, sb))
                if len(both) < 4:
                    what = gettext_noop("more members than the team has free")
            if what is not None:
                lines.append(
                    Text(
                        gettext_noop(
                            "fixed talks collide: %(a)s at %(when_a)s and %(b)s at %(when_b)s "
                            "need %(what)s"
                        ),
                        a=_name(ia),
                        b=_name(ib),
                        when_a=_when(ctx, da, sa),
                        when_b=_when(ctx, db, sb),
                        what=Text(what),
                    )
                )

    window_minutes = sum(b - a for a, b in ctx.windows)
    for team_id in sorted({iv.team_id for iv in ctx.interviews}):
        talks = [ii for ii, iv in enumerate(ctx.interviews) if iv.team_id == team_id]
        team = ctx.team_members.get(team_id, [])
        need = sum(2 * ctx.minutes(ii) for ii in talks)
        have = 0
        talk_slots = 0
        for mi in team:
            free = ctx.member_free[mi]
            for day in range(ctx.day_count):
                minutes = sum(max(0, b - a) for a, b in ctx.windows) - sum(
                    b - a for a, b in free.blocked(day, ctx.windows)
                )
                have += minutes if free.any_on(day) else 0
                talk_slots += ctx.members[mi].daily_cap if free.any_on(day) and minutes else 0
        if need > have or 2 * len(talks) > talk_slots:
            lines.append(
                Text(
                    gettext_noop(
                        "team %(team)s: its %(n)s talks need %(need)s member-minutes and "
                        "%(seats)s member-talks; its %(size)s members have %(have)s minutes "
                        "and %(cap)s talks within their daily caps"
                    ),
                    team=team_id,
                    n=len(talks),
                    need=need,
                    seats=2 * len(talks),
                    size=len(team),
                    have=have,
                    cap=talk_slots,
                )
            )
        rooms = sorted({pi for ii in talks for pi in ctx.place_options[ii]})
        room_minutes = 0
        for pi in rooms:
            for day in range(ctx.day_count):
                closed = sum(b - a for a, b in ctx.place_free[pi].blocked(day, ctx.windows))
                room_minutes += window_minutes - closed
        place_need = sum(ctx.minutes(ii) for ii in talks)
        if place_need > room_minutes:
            lines.append(
                Text(
                    gettext_noop(
                        "team %(team)s: its %(n)s talks need %(need)s minutes of place time; "
                        "its places have %(have)s"
                    ),
                    team=team_id,
                    n=len(talks),
                    need=place_need,
                    have=room_minutes,
                )
            )
    return lines


# -- occupancy (greedy and the reasons for what was left out) -------------------------------


class _Occupancy:
    """A partial schedule with fast "is this free" questions."""

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        self.member_busy: list[list[tuple[int, int]]] = [[] for _ in ctx.members]
        self.member_day: Counter[tuple[int, int]] = Counter()
        self.place_busy: list[list[tuple[int, int, int]]] = [[] for _ in ctx.places]  # +ii
        self.at: dict[int, tuple[int, int]] = {}  # interview pos -> (global start, end)
        self.load = [0] * len(ctx.members)

    def span(self, ii: int, day: int, start: int) -> tuple[int, int]:
        at = day * MINUTES_PER_DAY + start
        return at, at + self.ctx.minutes(ii)

    def order_ok(self, ii: int, day: int, start: int) -> bool:
        ctx = self.ctx
        iv = ctx.interviews[ii]
        if not ctx.rules.main_leader_rule or iv.unit_id is None:
            return True
        at, _ = self.span(ii, day, start)
        for jj in ctx.unit_groups.get(iv.unit_id, []):
            if jj == ii or jj not in self.at:
                continue
            other = ctx.interviews[jj]
            if ctx.marked_first(iv) and other.main_leader != FIRST and self.at[jj][0] <= at:
                return False
            if ctx.marked_first(other) and iv.main_leader != FIRST and at <= self.at[jj][0]:
                return False
        return True

    def person_ok(self, ii: int, day: int, start: int) -> bool:
        at, end = self.span(ii, day, start)
        person = self.ctx.interviews[ii].interviewee_id
        for jj in self.ctx.person_groups.get(person, []):
            if jj != ii and jj in self.at:
                a, b = self.at[jj]
                if a < end and at < b:
                    return False
        return True

    def place_ok(self, ii: int, pi: int, day: int, start: int) -> tuple[bool, bool]:
        """(place free and open, same-unit buffer kept)."""
        ctx = self.ctx
        at, end = self.span(ii, day, start)
        if not ctx.place_free[pi].covers(day, start, start + ctx.minutes(ii)):
            return False, True
        unit = ctx.interviews[ii].unit_id
        free, buffered = True, True
        for a, b, jj in self.place_busy[pi]:
            if a < end and at < b:
                free = False
            elif (
                unit is not None
                and ctx.interviews[jj].unit_id == unit
                and max(a - end, at - b) < ctx.buffer
            ):
                buffered = False
        return free, buffered

    def free_members(self, ii: int, day: int, start: int) -> list[int]:
        ctx = self.ctx
        at, end = self.span(ii, day, start)
        found = []
        for mi in ctx.members_free_at(ii, day, start):
            if self.member_day[mi, day] >= ctx.members[mi].daily_cap:
                continue
            if any(max(a - end, at - b) < ctx.gap for a, b in self.member_busy[mi]):
                continue
            found.append(mi)
        return found

    def best_pair(self, ii: int, free: Sequence[int]) -> tuple[int, int] | None:
        askers = self.ctx.interviews[ii].askers
        best: tuple[tuple[int, int, int, int], tuple[int, int]] | None = None
        for x, a in enumerate(free):
            for b in free[x + 1 :]:
                ids = (self.ctx.members[a].member_id, self.ctx.members[b].member_id)
                if askers and ids[0] not in askers and ids[1] not in askers:
                    continue
                la, lb = self.load[a], self.load[b]
                key = (la + lb, max(la, lb), min(ids), max(ids))
                if best is None or key < best[0]:
                    best = (key, (a, b))
        return None if best is None else best[1]

    def add(self, ii: int, day: int, start: int, pi: int, pair: tuple[int, int]) -> None:
        at, end = self.span(ii, day, start)
        self.at[ii] = (at, end)
        self.place_busy[pi].append((at, end, ii))
        for mi in pair:
            self.member_busy[mi].append((at, end))
            self.member_day[mi, day] += 1
            self.load[mi] += 1


def _greedy_slots(ctx: _Context, static: Mapping[int, list[Text]]) -> tuple[Slot, ...]:
    state = _Occupancy(ctx)
    chosen: list[tuple[int, int, int, int, tuple[int, int]]] = []

    def rank(ii: int) -> tuple[int, int, int]:
        iv = ctx.interviews[ii]
        group = 0 if iv.fixed is not None else 1 if ctx.marked_first(iv) else 2
        options = len(ctx.starts[ii]) * len(ctx.place_options[ii])
        return (group, options, iv.interview_id)

    for ii in sorted((ii for ii in range(len(ctx.interviews)) if ii not in static), key=rank):
        for day, start in ctx.starts[ii]:
            if not state.order_ok(ii, day, start) or not state.person_ok(ii, day, start):
                continue
            pair = state.best_pair(ii, state.free_members(ii, day, start))
            if pair is None:
                continue
            place = next(
                (pi for pi in ctx.place_options[ii] if all(state.place_ok(ii, pi, day, start))),
                None,
            )
            if place is None:
                continue
            state.add(ii, day, start, place, pair)
            chosen.append((ii, day, start, place, pair))
            break
    return _with_roles(ctx, chosen)


def _with_roles(
    ctx: _Context, chosen: Iterable[tuple[int, int, int, int, tuple[int, int]]]
) -> tuple[Slot, ...]:
    """Slots with asker and recorder: the one allowed to ask, else whoever asked less so far."""
    asks = Counter[int]()
    slots: list[Slot] = []
    for ii, day, start, pi, (a, b) in sorted(chosen, key=lambda c: (c[1], c[2], c[0])):
        iv = ctx.interviews[ii]
        ida, idb = ctx.members[a].member_id, ctx.members[b].member_id
        candidates = [m for m in (ida, idb) if not iv.askers or m in iv.askers]
        asker = min(candidates, key=lambda m: (asks[m], m))
        asks[asker] += 1
        recorder = idb if asker == ida else ida
        slots.append(Slot(iv.interview_id, day, start, ctx.places[pi].place_id, asker, recorder))
    return tuple(sorted(slots, key=lambda s: (s.day, s.start, s.place_id, s.interview_id)))


def _left_out(
    ctx: _Context, slots: Sequence[Slot], static: Mapping[int, list[Text]]
) -> tuple[LeftOut, ...]:
    """Each talk not in ``slots`` with why: its static reason, or what blocks every option."""
    pos = {iv.interview_id: ii for ii, iv in enumerate(ctx.interviews)}
    state = _Occupancy(ctx)
    for slot in slots:
        ii = pos[slot.interview_id]
        pair = (ctx.member_pos[slot.asker_id], ctx.member_pos[slot.recorder_id])
        state.add(ii, slot.day, slot.start, ctx.place_pos[slot.place_id], pair)
    found: list[LeftOut] = []
    for ii, iv in enumerate(ctx.interviews):
        if ii in state.at:
            continue
        if ii in static:
            found.append(LeftOut(iv.interview_id, tuple(static[ii])))
            continue
        found.append(LeftOut(iv.interview_id, (_blocked_reason(ctx, state, ii),)))
    return tuple(found)


def _blocked_reason(ctx: _Context, state: _Occupancy, ii: int) -> Text:
    """Count, over the talk's (start, place) options, what is taken in the schedule."""
    counts: Counter[str] = Counter()
    options = 0
    for day, start in ctx.starts[ii]:
        order = state.order_ok(ii, day, start)
        person = state.person_ok(ii, day, start)
        free = state.free_members(ii, day, start)
        members = ctx.has_pair(ii, free)
        for pi in ctx.place_options[ii]:
            options += 1
            place, buffered = state.place_ok(ii, pi, day, start)
            counts["order"] += not order
            counts["interviewee"] += not person
            counts["members"] += not members
            counts["place"] += not place
            counts["buffer"] += not buffered
            counts["open"] += order and person and members and place and buffered
    labels = {
        "members": gettext_noop("two members free of conflict (one allowed to ask) taken"),
        "place": gettext_noop("the place taken or closed"),
        "interviewee": gettext_noop("the interviewee in another talk"),
        "buffer": gettext_noop("too close to a talk with the same unit's people in the place"),
        "order": gettext_noop("the main leader's first talk not yet held (or, for it, later)"),
    }
    if counts["open"]:
        # Only after a search stopped on its clock: an optimal schedule would hold it.
        return Text(
            gettext_noop(
                "%(talk)s was not placed: the search stopped before placing it, though "
                "%(n)s of its times and places are free in the schedule found"
            ),
            talk=_name(ctx.interviews[ii]),
            n=counts["open"],
        )
    parts = [
        Text(gettext_noop("%(what)s at %(n)s"), what=Text(labels[key]), n=counts[key])
        for key in ("members", "place", "interviewee", "buffer", "order")
        if counts[key]
    ]
    return Text(
        gettext_noop("%(talk)s could not be placed: of its %(options)s times and places, %(why)s"),
        talk=_name(ctx.interviews[ii]),
        options=options,
        why=Joined(tuple(parts), "; "),
    )


# -- the CP-SAT model -----------------------------------------------------------------------


@dataclass
class _Model:
    model: cp_model.CpModel
    scale: int
    scheduled: dict[int, cp_model.IntVar] = field(default_factory=dict)
    start: dict[int, cp_model.IntVar] = field(default_factory=dict)  # global minute
    day: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    place: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    member_day: dict[tuple[int, int, int], cp_model.IntVar] = field(default_factory=dict)
    member: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    counts: dict[int, cp_model.IntVar] = field(default_factory=dict)  # talks per member
    totals: dict[int, cp_model.IntVar] = field(default_factory=dict)  # per team
    highest: dict[int, cp_model.IntVar] = field(default_factory=dict)
    lowest: dict[int, cp_model.IntVar] = field(default_factory=dict)
    deviation: dict[int, cp_model.IntVar] = field(default_factory=dict)  # per member


def _build_model(ctx: _Context, static: Mapping[int, list[Text]]) -> _Model:
    model = cp_model.CpModel()
    team_sizes = [len(v) for v in ctx.team_members.values() if v]
    scale = math.lcm(*team_sizes) if team_sizes else 1
    built = _Model(model, scale)
    rules = ctx.rules
    member_intervals: dict[int, list[cp_model.IntervalVar]] = {}
    gap_intervals: dict[int, list[cp_model.IntervalVar]] = {}
    place_intervals: dict[int, list[cp_model.IntervalVar]] = {}
    buffer_intervals: dict[tuple[int, int], list[cp_model.IntervalVar]] = {}
    person_intervals: dict[int, list[cp_model.IntervalVar]] = {}
    objective: list[Any] = []
    penalty = left_out_penalty(ctx.instance)
    on_day: dict[tuple[int, int], list[cp_model.IntVar]] = {}  # (member, day): v_imd
    by_member: dict[int, list[cp_model.IntVar]] = {}  # member: with_im

    for ii, iv in enumerate(ctx.interviews):
        length = ctx.minutes(ii)
        weight = 1 + max(0, iv.priority)
        if ii in static:
            objective.append(scale * penalty * weight)
            continue
        sched = model.new_bool_var(f"scheduled_{iv.interview_id}")
        built.scheduled[ii] = sched
        objective.append(scale * penalty * weight * (1 - sched))
        values = sorted(d * MINUTES_PER_DAY + s for d, s in ctx.starts[ii])
        start = model.new_int_var_from_domain(
            cp_model.Domain.from_values(values), f"start_{iv.interview_id}"
        )
        built.start[ii] = start
        days = sorted({d for d, _ in ctx.starts[ii]})
        for d in days:
            b = model.new_bool_var(f"day_{iv.interview_id}_{d}")
            built.day[ii, d] = b
            model.add(start >= d * MINUTES_PER_DAY).only_enforce_if(b)
            model.add(start < (d + 1) * MINUTES_PER_DAY).only_enforce_if(b)
        model.add(sum(built.day[ii, d] for d in days) == sched)
        if iv.priority > 0:
            objective.append(
                scale * EARLY_WEIGHT * iv.priority * sum(d * built.day[ii, d] for d in days)
            )

        # Two members: v_imd per eligible member and day the member is available at all.
        parts_of: dict[int, list[cp_model.IntVar]] = {}
        for d in days:
            chosen = []
            for mi in ctx.eligible[ii]:
                if not any(
                    ctx.member_free[mi].covers(d, s, s + length)
                    for dd, s in ctx.starts[ii]
                    if dd == d
                ):
                    continue
                v = model.new_bool_var(f"member_{iv.interview_id}_{mi}_{d}")
                built.member_day[ii, mi, d] = v
                model.add_implication(v, built.day[ii, d])
                chosen.append(v)
                parts_of.setdefault(mi, []).append(v)
                on_day.setdefault((mi, d), []).append(v)
            model.add(sum(chosen) == 2 * built.day[ii, d])
        mine: dict[int, cp_model.IntVar] = {}
        for mi in ctx.eligible[ii]:
            parts = parts_of.get(mi)
            if not parts:
                continue
            y = model.new_bool_var(f"with_{iv.interview_id}_{mi}")
            model.add(y == sum(parts))
            built.member[ii, mi] = y
            mine[mi] = y
            by_member.setdefault(mi, []).append(y)
            member_intervals.setdefault(mi, []).append(
                model.new_optional_fixed_size_interval_var(start, length, y, f"m_{ii}_{mi}")
            )
            if ctx.gap:
                gap_intervals.setdefault(mi, []).append(
                    model.new_optional_fixed_size_interval_var(
                        start, length + ctx.gap, y, f"g_{ii}_{mi}"
                    )
                )
        if iv.askers:
            askers = [y for mi, y in mine.items() if ctx.members[mi].member_id in iv.askers]
            model.add(sum(askers) >= sched)

        # One place.
        places = []
        for pi in ctx.place_options[ii]:
            if not any(ctx.place_free[pi].covers(d, s, s + length) for d, s in ctx.starts[ii]):
                continue
            z = model.new_bool_var(f"place_{iv.interview_id}_{pi}")
            built.place[ii, pi] = z
            places.append(z)
            place_intervals.setdefault(pi, []).append(
                model.new_optional_fixed_size_interval_var(start, length, z, f"p_{ii}_{pi}")
            )
            if iv.unit_id is not None and ctx.buffer:
                buffer_intervals.setdefault((pi, iv.unit_id), []).append(
                    model.new_optional_fixed_size_interval_var(
                        start, length + ctx.buffer, z, f"b_{ii}_{pi}"
                    )
                )
        model.add(sum(places) == sched)
        person_intervals.setdefault(iv.interviewee_id, []).append(
            model.new_optional_fixed_size_interval_var(start, length, sched, f"i_{ii}")
        )

    def closed(free: _Availability, label: str) -> list[cp_model.IntervalVar]:
        found = []
        for d in range(ctx.day_count):
            for a, b in free.blocked(d, ctx.windows):
                at = d * MINUTES_PER_DAY + a
                found.append(model.new_fixed_size_interval_var(at, b - a, f"{label}_{d}_{a}"))
        return found

    for mi, intervals in member_intervals.items():
        model.add_no_overlap(intervals + closed(ctx.member_free[mi], f"off_m{mi}"))
        if ctx.gap and len(gap_intervals[mi]) > 1:
            model.add_no_overlap(gap_intervals[mi])
    for (mi, _), today in on_day.items():
        if len(today) > ctx.members[mi].daily_cap:
            model.add(sum(today) <= ctx.members[mi].daily_cap)
    for pi, intervals in place_intervals.items():
        model.add_no_overlap(intervals + closed(ctx.place_free[pi], f"off_p{pi}"))
    for intervals in buffer_intervals.values():
        if len(intervals) > 1:
            model.add_no_overlap(intervals)
    for intervals in person_intervals.values():
        if len(intervals) > 1:
            model.add_no_overlap(intervals)

    _add_day_capacity(ctx, built)

    # Main leader first: its start strictly before every other talk of the unit.
    if rules.main_leader_rule:
        for group in ctx.unit_groups.values():
            firsts = [ii for ii in group if ctx.marked_first(ctx.interviews[ii])]
            for f in firsts:
                if f not in built.scheduled:
                    continue
                for j in group:
                    if j == f or ctx.interviews[j].main_leader == FIRST:
                        continue
                    if j not in built.scheduled:
                        continue
                    model.add(built.start[f] + 1 <= built.start[j]).only_enforce_if(
                        [built.scheduled[f], built.scheduled[j]]
                    )

    # Balance per team: spread and deviation from the mean, over every member.
    for team_id, team in sorted(ctx.team_members.items()):
        if not team:
            continue
        n = len(team)
        talks = sum(1 for iv in ctx.interviews if iv.team_id == team_id)
        for mi in team:
            parts = by_member.get(mi, [])
            count = model.new_int_var(0, max(0, talks), f"count_{mi}")
            model.add(count == sum(parts))
            built.counts[mi] = count
        total = model.new_int_var(0, 2 * talks, f"total_{team_id}")
        model.add(total == sum(built.counts[mi] for mi in team))
        high = model.new_int_var(0, max(0, talks), f"highest_{team_id}")
        low = model.new_int_var(0, max(0, talks), f"lowest_{team_id}")
        for mi in team:
            model.add(high >= built.counts[mi])
            model.add(low <= built.counts[mi])
            deviation = model.new_int_var(0, 2 * n * max(1, talks), f"deviation_{mi}")
            model.add(deviation >= n * built.counts[mi] - total)
            model.add(deviation >= total - n * built.counts[mi])
            built.deviation[mi] = deviation
            objective.append((scale // n) * DEVIATION_WEIGHT * deviation)
        built.totals[team_id] = total
        built.highest[team_id] = high
        built.lowest[team_id] = low
        objective.append(scale * SPREAD_WEIGHT * (high - low))
    model.minimize(cp_model.LinearExpr.sum(objective))
    return built


def _add_day_capacity(ctx: _Context, built: _Model) -> None:
    """Redundant cuts per team and day: talk minutes within member and place minutes.

    The no-overlaps say the same, but the LP does not see them; without these the bound
    on the earliness term stays low. Each talk of a team needs two of its members (who
    serve no other team) and one of the team's allowed places; talks of other teams that
    may use those places only make the real capacity smaller, so leaving them out of the
    sum keeps the cut valid.
    """
    model = built.model
    window = sum(b - a for a, b in ctx.windows)
    for team_id, team in ctx.team_members.items():
        talks = [ii for ii in built.scheduled if ctx.interviews[ii].team_id == team_id]
        rooms = sorted({pi for ii in talks for pi in ctx.place_options[ii]})
        for d in range(ctx.day_count):
            on_day = [(ii, built.day[ii, d]) for ii in talks if (ii, d) in built.day]
            if not on_day:
                continue
            people = sum(
                window - sum(b - a for a, b in ctx.member_free[mi].blocked(d, ctx.windows))
                for mi in team
            )
            model.add(sum(2 * ctx.minutes(ii) * b for ii, b in on_day) <= people)
            room_time = sum(
                window - sum(b - a for a, b in ctx.place_free[pi].blocked(d, ctx.windows))
                for pi in rooms
            )
            model.add(sum(ctx.minutes(ii) * b for ii, b in on_day) <= room_time)


def _add_hint(ctx: _Context, built: _Model, slots: Sequence[Slot]) -> None:
    """Every decision and objective helper hinted with its value in ``slots``."""
    model = built.model
    pos = {iv.interview_id: ii for ii, iv in enumerate(ctx.interviews)}
    placed = {pos[s.interview_id]: s for s in slots}
    for ii, var in built.scheduled.items():
        model.add_hint(var, ii in placed)
    for ii, var in built.start.items():
        if ii in placed:
            model.add_hint(var, placed[ii].day * MINUTES_PER_DAY + placed[ii].start)
    for (ii, d), var in built.day.items():
        model.add_hint(var, ii in placed and placed[ii].day == d)
    for (ii, pi), var in built.place.items():
        model.add_hint(var, ii in placed and ctx.places[pi].place_id == placed[ii].place_id)
    counts = Counter[int]()
    for (ii, mi, d), var in built.member_day.items():
        on = (
            ii in placed
            and placed[ii].day == d
            and ctx.members[mi].member_id in (placed[ii].asker_id, placed[ii].recorder_id)
        )
        model.add_hint(var, on)
    for (ii, mi), var in built.member.items():
        on = ii in placed and ctx.members[mi].member_id in (
            placed[ii].asker_id,
            placed[ii].recorder_id,
        )
        counts[mi] += on
        model.add_hint(var, on)
    for mi, var in built.counts.items():
        model.add_hint(var, counts[mi])
    for team_id, var in built.totals.items():
        team = ctx.team_members[team_id]
        total = sum(counts[mi] for mi in team)
        model.add_hint(var, total)
        model.add_hint(built.highest[team_id], max(counts[mi] for mi in team))
        model.add_hint(built.lowest[team_id], min(counts[mi] for mi in team))
        for mi in team:
            model.add_hint(built.deviation[mi], abs(len(team) * counts[mi] - total))


def _read_solution(ctx: _Context, built: _Model, solver: cp_model.CpSolver) -> tuple[Slot, ...]:
    chosen: list[tuple[int, int, int, int, tuple[int, int]]] = []
    for ii, sched in built.scheduled.items():
        if not solver.boolean_value(sched):
            continue
        at = solver.value(built.start[ii])
        day, start = divmod(at, MINUTES_PER_DAY)
        place = next(
            pi for (i, pi), z in built.place.items() if i == ii and solver.boolean_value(z)
        )
        pair = [mi for (i, mi), y in built.member.items() if i == ii and solver.boolean_value(y)]
        chosen.append((ii, day, start, place, (pair[0], pair[1])))
    return _with_roles(ctx, chosen)


class _Progress(cp_model.CpSolverSolutionCallback):
    """Reports (fraction of the time limit, message) on every improving solution."""

    def __init__(
        self, report: ProgressCallback, built: _Model, time_limit: float, deterministic: bool
    ) -> None:
        super().__init__()
        self._report = report
        self._built = built
        self._limit = max(time_limit, 1e-9)
        self._deterministic = deterministic

    def on_solution_callback(self) -> None:
        built = self._built
        placed = sum(1 for var in built.scheduled.values() if self.boolean_value(var))
        bound = self.best_objective_bound
        # The share of the limit on the clock the search stops on (CP-SAT's own).
        elapsed = self.deterministic_time if self._deterministic else self.wall_time
        self._report(
            min(0.95, 0.05 + 0.9 * elapsed / self._limit),
            Text(
                gettext_noop("%(placed)s talks placed; objective %(objective)s, bound %(bound)s"),
                placed=placed,
                objective=round(self.objective_value / built.scale, 2),
                bound=round(bound / built.scale, 2) if math.isfinite(bound) else "-",
            ),
        )
