"""Forms inspection teams from the talent pool (pure; no Django).

Given the candidates of a round, the teams to staff and the recusal conflicts computed
elsewhere (a set of forbidden (person, team, role) triples with their evidence), ``solve``
assigns people to teams and roles with OR-Tools CP-SAT so that every hard rule holds and
a linear score is maximised. ``greedy`` is a fast baseline scored by the same objective,
``validate`` and ``objective_value`` re-check any assignment independently of the model,
so a solver bug cannot silently produce an invalid or mis-scored team list.

Hard rules (DOMAIN.md "Teams, people and rules"):

* each person serves at most once, in one role, and only if available;
* each team has exactly one leader (from the leader pool), ``deputies_min``..``deputies_max``
  deputies and ``size_min``..``size_max`` people in total (leader and deputies included);
* no forbidden triple (role ``"any"`` forbids every role);
* every required specialty of a team is held by at least one of its people ("specialties");
* at least ``min_experienced`` people with ``rounds_done >= 2`` ("min_experienced");
* at most ``max_first_timers`` people with ``rounds_done == 0`` ("max_first_timers");
* in a cross round nobody inspects a target in their home county ("cross").

The four quoted rule names can be relaxed for a round through ``Rules.relaxed``; the app
records who relaxed what. Leader, deputy, size, recusal and availability rules cannot be
relaxed here: relaxing them would change who is allowed to inspect whom.

Objective (maximised; every person counts, whatever their role):

* +10 per required specialty of a team held by at least one of its people, and +4 per
  other specialty (any held in the pool) held by at least one of its people: a team is
  scored on the expertise it covers, so a fifth finance officer adds nothing while a
  lawyer or an engineer adds breadth (required specialties are a hard rule, so their
  term only varies when "specialties" is relaxed);
* +3 per experienced person (``rounds_done >= 2``);
* -2 per experienced person a team has beyond the most even spread (below the floor or
  above the ceiling of the average over all teams), so experience is spread rather than
  piled into a few teams; teams of 4 and 5 when 195 people serve in 40 teams cost nothing;
* -5 per pair from ``previous_pairs`` placed in the same team again;
* -2 x ``workload`` per person placed, so the same people are not sent round after round.

A valid qualification is a tie-break, not a term: once the search is done, ``solve``
replaces each person placed with ``qualified`` false by a free trained person who can
take the seat, where every rule still holds and the score does not drop (why not a term:
docs/formats/team-instance.md, Performance).

Every term is a whole number of points, and so is the score.

Infeasibility is explained, not just reported: each rule group sits behind an assumption
literal (per team: leader, deputies, size, specialties, experience, first-timers; global:
forbidden, cross), CP-SAT names a set of groups that cannot hold together, the set is
shrunk by deletion, and each named group is described with counts computed from the data.

JSON shape (``to_json``/``from_json``, ``result_to_json``) for the command line::

    {"format": "xuncha.formation.instance/1",
     "candidates": [{"person_id": 1, "name": "张三", "county": "350121",
                     "specialties": ["finance"], "leader_eligible": true,
                     "rounds_done": 2, "available": true, "workload": 0,
                     "qualified": true}],
     "teams": [{"index": 1, "label": "第一巡察组", "target_ids": [10, 11],
                "target_counties": ["350121"], "size_min": 5, "size_max": 7,
                "deputies_min": 1, "deputies_max": 2, "required_specialties": ["finance"]}],
     "forbidden": [{"person_id": 1, "team_index": 1, "role": "leader",
                    "rule": "worked_recently", "evidence": "2021–2023 任该镇副镇长"}],
     "rules": {"min_experienced": 1, "max_first_timers": 3, "cross": false, "relaxed": []},
     "previous_pairs": [[1, 2]]}

    {"format": "xuncha.formation.result/1", "status": "optimal",
     "assignments": [{"team_index": 1, "person_id": 1, "role": "leader"}],
     "objective": 41.0, "bound": 41.0, "gap": 0.0, "seconds": 0.2, "explanation": []}

Optional keys of the instance fall back to the dataclass defaults; lists are written
sorted so equal instances give equal JSON.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from xuncha.core.lib.cpsat import make_solver
from xuncha.core.lib.text import (  # noqa: F401 - re-exported for the app and tests
    Joined,
    Text,
    ValueHook,
    _text_json,
    gettext_noop,
    ngettext_noop,
    render_text,
)

LEADER = "leader"
DEPUTY = "deputy"
MEMBER = "member"
ANY = "any"
ROLES: tuple[str, ...] = (LEADER, DEPUTY, MEMBER)
FORBIDDEN_ROLES = frozenset({*ROLES, ANY})

RELAX_MIN_EXPERIENCED = "min_experienced"
RELAX_MAX_FIRST_TIMERS = "max_first_timers"
RELAX_CROSS = "cross"
RELAX_SPECIALTIES = "specialties"
RELAXABLE = frozenset(
    {RELAX_MIN_EXPERIENCED, RELAX_MAX_FIRST_TIMERS, RELAX_CROSS, RELAX_SPECIALTIES}
)

EXPERIENCED_ROUNDS = 2  # rounds_done at or above this counts as experienced
_POLISH_PASSES = 3  # local-search passes over the greedy teams before CP-SAT
_LNS_TEAMS = 6  # teams re-staffed together in one large-neighbourhood step
_LNS_PATIENCE = 40  # steps in a row without a gain before the neighbourhood search stops
_LNS_STEPS = 400  # at most this many steps
_LNS_STEPS_PER_UNIT = 5  # and at most this many per unit of the time limit
_LNS_UNITS = 1.0  # CP-SAT deterministic units per step

SPECIALTY_COVER_BONUS = 10  # per required specialty a team holds
SPECIALTY_BREADTH_BONUS = 4  # per other specialty a team holds
EXPERIENCED_BONUS = 3
EXPERIENCE_DEVIATION_PENALTY = 2
REPEATED_PAIR_PENALTY = 5
WORKLOAD_PENALTY = 2

# Rule groups that carry an assumption literal; the names appear in explanations.
GROUP_LEADER = "leader"
GROUP_DEPUTIES = "deputies"
GROUP_SIZE = "size"
GROUP_SPECIALTIES = "specialties"
GROUP_EXPERIENCE = "experience"
GROUP_FIRST_TIMERS = "first_timers"
GROUP_FORBIDDEN = "forbidden"
GROUP_CROSS = "cross"
TEAM_GROUPS: tuple[str, ...] = (
    GROUP_LEADER,
    GROUP_DEPUTIES,
    GROUP_SIZE,
    GROUP_SPECIALTIES,
    GROUP_EXPERIENCE,
    GROUP_FIRST_TIMERS,
)
GLOBAL_GROUPS: tuple[str, ...] = (GROUP_FORBIDDEN, GROUP_CROSS)

INSTANCE_FORMAT = "xuncha.formation.instance/1"
RESULT_FORMAT = "xuncha.formation.result/1"

# Explanations list people by name; beyond this many a count stands in for the rest so
# a message about a 50-person leader pool stays readable.
_LIST_LIMIT = 20
_DETAILED = 6  # people excluded that are each given their own reasons

ProgressCallback = Callable[[float, float | None, float | None], None]


# -- data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    person_id: int
    name: str
    county: str  # home county code
    specialties: frozenset[str]  # e.g. {"finance", "audit", "law", "discipline"}
    leader_eligible: bool  # qualified (not expired) and in the leader pool
    rounds_done: int  # experience
    available: bool = True  # availability window and rest period respected (app decides)
    workload: int = 0  # rounds in the last 12 months
    # Holds a qualification valid on the round's first day. Leaders need one (the app
    # folds it into leader_eligible); deputies and members may serve without, but solve
    # seats a trained person instead wherever that costs no points.
    qualified: bool = True


@dataclass(frozen=True)
class TeamSpec:
    index: int
    label: str  # e.g. "第一巡察组 · 某某镇"
    target_ids: tuple[int, ...]
    target_counties: frozenset[str]
    size_min: int = 5
    size_max: int = 7
    deputies_min: int = 1
    deputies_max: int = 2
    required_specialties: frozenset[str] = frozenset({"finance"})


@dataclass(frozen=True)
class Forbidden:
    person_id: int
    team_index: int
    role: str  # "leader" | "deputy" | "member" | "any"
    rule: str  # e.g. "worked_recently"
    evidence: str


@dataclass(frozen=True)
class Rules:
    min_experienced: int = 1  # people (any role) with rounds_done >= 2 per team
    max_first_timers: int = 3  # people with rounds_done == 0 per team
    cross: bool = False  # cross round: nobody inspects a target in their own county
    relaxed: frozenset[str] = frozenset()  # names from RELAXABLE dropped for this round


@dataclass(frozen=True)
class Instance:
    candidates: tuple[Candidate, ...]
    teams: tuple[TeamSpec, ...]
    forbidden: tuple[Forbidden, ...]
    rules: Rules = field(default_factory=Rules)
    # Pairs (a < b) who served together recently; placing them together again costs.
    previous_pairs: frozenset[tuple[int, int]] = frozenset()


@dataclass(frozen=True)
class Assignment:
    team_index: int
    person_id: int
    role: str  # "leader" | "deputy" | "member"


@dataclass(frozen=True)
class Result:
    status: str  # "optimal" | "feasible" | "infeasible" | "unknown"
    assignments: tuple[Assignment, ...]
    objective: float | None
    bound: float | None
    gap: float | None  # relative gap (0.0 = proven optimal)
    seconds: float
    explanation: tuple[str, ...] = ()  # why it is infeasible (or why greedy gave up)
    explanation_texts: tuple[Text, ...] = ()  # the same, translatable (solver only)


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
    """Staff every team optimally, or as well as ``time_limit`` allows.

    Three steps, each starting from the last one's teams:

    1. the greedy teams, improved by a short local search (``_Polish``, a fixed number of
       passes);
    2. large-neighbourhood steps (``_neighbourhoods``): a few teams at a time re-staffed
       optimally while the others keep their people, until a run of steps brings nothing
       (at most ``_LNS_STEPS_PER_UNIT`` steps per unit of ``time_limit``);
    3. CP-SAT over the whole problem, hinted with those teams, for the rest of
       ``time_limit``: it proves the bound (and so the gap) and may still improve the
       teams;
    4. the qualification tie-break (``_Polish.prefer_qualified``).

    The result is never worse than step 2's teams: if the search stops with weaker teams
    (or none), they are returned with its bound. Measured on the benchmark's prefecture
    (600 x 40), under the earlier balance term (as are the other figures in the comments
    of this module that the Performance section does not repeat), step 2 took the teams
    from 2,074 to 2,082 in under 2 s, while step 3 alone had reached 2,076 in 60 units; on
    a thin pool step 3 alone never improved the polished teams at all
    (docs/formats/team-instance.md, Performance).

    ``deterministic`` (the default) runs one CP-SAT search thread and stops every solve
    on CP-SAT's deterministic clock (``time_limit`` in its units, less what step 2 used),
    so the same instance and seed give the same teams whatever the machine load; building
    the model and steps 1-2 are not charged against it, as their wall time varies. Those
    units track seconds only roughly: 30 of them took 22-40 s of wall time on the
    benchmark. A wall-clock stop at four times the limit plus ten seconds guards against
    a very slow machine (a run cut there may differ). On that benchmark the single thread
    did as well as two racing ones, while CP-SAT's deterministic parallel mode
    (interleaved batches) did markedly worse. With ``deterministic=False``, ``workers``
    threads race under a wall-clock limit, charged with the time already spent, and runs
    that stop on time can differ.

    ``progress`` receives (best objective, proven bound or None, seconds since the call)
    on every better team list and every better bound.
    """
    started = time.perf_counter()
    ctx = _Context(instance)
    built = _build_optimisation(ctx)
    reporter = _Reporter(progress, started)
    start = _greedy_assign(ctx).assignments
    spent = 0.0  # deterministic units used before the whole-problem search
    if start is not None:
        polished = _Polish(ctx, start).run(_POLISH_PASSES)
        if not validate(instance, polished):  # a heuristic is checked, not trusted
            start = polished
        steps = max(1, min(_LNS_STEPS, round(_LNS_STEPS_PER_UNIT * time_limit)))
        start, spent = _neighbourhoods(ctx, start, seed, steps, reporter)
        # A complete hint (every variable, objective helpers included) is checked before
        # the search and becomes its first incumbent; the search then dives near it.
        # Measured on the benchmark at 60 units, seeds 2026 and 7 (before the
        # neighbourhood search existed): polished teams as hint ended at 2,076 and
        # 2,100 (gaps 0.4% and 0.5%); the plain greedy teams (2,023 and 2,040) at 2,082
        # and 2,045; no hint at 2,068 (seed 2026). A partial hint (teams only) took
        # CP-SAT 30 s to repair.
        _add_hint(ctx, built, start)

    if deterministic:
        # Charged in the solver's own units only, so that a slow or busy machine does
        # not shorten the search and change the result.
        remaining = max(0.05, time_limit - spent)
    else:
        remaining = max(0.05, time_limit - (time.perf_counter() - started))
    solver = _make_solver(remaining, seed, workers, deterministic)
    if progress is not None:
        solver.best_bound_callback = reporter.cp_sat_bound
        status = solver.solve(built.model, _Progress(reporter))
    else:
        status = solver.solve(built.model)

    if status == cp_model.INFEASIBLE:
        remaining = max(1.0, time_limit - (time.perf_counter() - started))
        texts = _explain(ctx, remaining, seed, workers, deterministic)
        return Result(
            "infeasible",
            (),
            None,
            None,
            None,
            time.perf_counter() - started,
            tuple(t.render() for t in texts),
            texts,
        )
    if status == cp_model.MODEL_INVALID:
        raise RuntimeError(f"CP-SAT rejected the model: {built.model.validate()}")

    found: tuple[Assignment, ...] | None = None
    objective: float | None = None
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        found = _read_solution(ctx, built, solver)
        # Recomputed from the teams: an intermediate solution may leave a deviation
        # variable above |x - avg|, which would under-report the teams' score.
        objective = objective_value(instance, found)
    if status != cp_model.OPTIMAL and start is not None:
        start_objective = objective_value(instance, start)
        if objective is None or start_objective > objective:
            found, objective = start, start_objective
    if found is None or objective is None:
        return Result(
            "unknown",
            (),
            None,
            None,
            None,
            time.perf_counter() - started,
            ("no team list found within the time limit",),
        )
    # Trained people take the seats of untrained ones where that costs nothing (a score
    # that rises is taken too); checked, not trusted, like every heuristic here.
    preferred = _Polish(ctx, found).prefer_qualified()
    if preferred != found and not validate(instance, preferred):
        found, objective = preferred, objective_value(instance, preferred)
    if status == cp_model.OPTIMAL:
        bound: float | None = objective
        gap: float | None = 0.0
    else:
        # A proven bound is at least the score of any valid team list. When the search
        # was cut before it bounded anything (a wall-clock budget spent by steps 1-2, say)
        # CP-SAT reports a number below the teams in hand: that is no bound, and saying
        # so beats a gap of 0 that was never proven.
        raw = solver.best_objective_bound
        proven = math.isfinite(raw) and raw > objective - 1  # scores are whole numbers
        bound = max(objective, raw) if proven else None
        gap = relative_gap(objective, bound)
    # The last report: CP-SAT calls back no bound when it proves the teams the best, and
    # the qualification tie-break may have raised the score.
    reporter.final(objective, bound)
    return Result(
        "optimal" if status == cp_model.OPTIMAL else "feasible",
        found,
        objective,
        bound,
        gap,
        time.perf_counter() - started,
    )


def greedy(instance: Instance) -> Result:
    """Staff the teams by simple rules of thumb (baseline; scored like ``solve``).

    Returns status "feasible" with the teams, or "unknown" with the reason when the rules
    of thumb get stuck; that does not prove the request impossible.
    """
    started = time.perf_counter()
    outcome = _greedy_assign(_Context(instance))
    if outcome.assignments is None:
        return Result(
            "unknown", (), None, None, None, time.perf_counter() - started, outcome.reasons
        )
    return Result(
        "feasible",
        outcome.assignments,
        objective_value(instance, outcome.assignments),
        None,
        None,
        time.perf_counter() - started,
    )


def validate(instance: Instance, assignments: Sequence[Assignment]) -> list[str]:
    """Every broken hard rule, in words ([] = valid).

    Written from the rules directly and sharing nothing with the model builder, so it can
    be trusted to catch a wrong model.
    """
    problems: list[str] = []
    people = {c.person_id: c for c in instance.candidates}
    teams = {t.index: t for t in instance.teams}
    rules = instance.rules
    relaxed = rules.relaxed
    first_seen: dict[int, Assignment] = {}
    rosters: dict[int, list[tuple[Candidate, str]]] = {t.index: [] for t in instance.teams}

    for item in assignments:
        person = people.get(item.person_id)
        if person is None:
            problems.append(f"person {item.person_id} is not a candidate")
            continue
        team = teams.get(item.team_index)
        if team is None:
            problems.append(f"{person.name} is assigned to unknown team {item.team_index}")
            continue
        where = f"team {team.index} ({team.label})"
        if item.role not in ROLES:
            problems.append(f"{person.name} has unknown role {item.role!r} in {where}")
            continue
        earlier = first_seen.get(item.person_id)
        if earlier is not None:
            problems.append(
                f"{person.name} is assigned more than once: team {earlier.team_index} as "
                f"{earlier.role} and team {item.team_index} as {item.role}"
            )
            continue
        first_seen[item.person_id] = item
        rosters[team.index].append((person, item.role))
        if not person.available:
            problems.append(f"{person.name} is unavailable but assigned to {where}")
        if item.role == LEADER and not person.leader_eligible:
            problems.append(f"{person.name} leads {where} but is not in the leader pool")
        for entry in instance.forbidden:
            if (
                entry.person_id == item.person_id
                and entry.team_index == item.team_index
                and entry.role in (item.role, ANY)
            ):
                problems.append(
                    f"{person.name} may not serve as {item.role} in {where}: "
                    f"{entry.rule} ({entry.evidence})"
                )
        if rules.cross and "cross" not in relaxed and person.county in team.target_counties:
            problems.append(
                f"{person.name} would inspect their home county {person.county} in {where} "
                "(cross round)"
            )

    for team in instance.teams:
        where = f"team {team.index} ({team.label})"
        roster = rosters[team.index]
        leaders = sum(1 for _, role in roster if role == LEADER)
        if leaders != 1:
            problems.append(f"{where} has {leaders} leaders instead of exactly 1")
        deputies = sum(1 for _, role in roster if role == DEPUTY)
        if not team.deputies_min <= deputies <= team.deputies_max:
            problems.append(
                f"{where} has {deputies} deputies, needs {team.deputies_min}–{team.deputies_max}"
            )
        if not team.size_min <= len(roster) <= team.size_max:
            problems.append(
                f"{where} has {len(roster)} people, needs {team.size_min}–{team.size_max}"
            )
        if "specialties" not in relaxed:
            for specialty in sorted(team.required_specialties):
                if not any(specialty in person.specialties for person, _ in roster):
                    problems.append(f"{where} has nobody with specialty {specialty}")
        if "min_experienced" not in relaxed:
            experienced = sum(1 for person, _ in roster if person.rounds_done >= 2)
            if experienced < rules.min_experienced:
                problems.append(
                    f"{where} has {experienced} people with two or more rounds, "
                    f"needs at least {rules.min_experienced}"
                )
        if "max_first_timers" not in relaxed:
            first_timers = sum(1 for person, _ in roster if person.rounds_done == 0)
            if first_timers > rules.max_first_timers:
                problems.append(
                    f"{where} has {first_timers} first-timers, "
                    f"at most {rules.max_first_timers} allowed"
                )
    return problems


def relative_gap(objective: float, bound: float | None) -> float | None:
    """How far ``bound`` lies above ``objective``: (bound - objective) / max(1, |objective|),
    the ``gap`` of a result; None without a bound."""
    return None if bound is None else (bound - objective) / max(1.0, abs(objective))


SCORE_TERMS = (
    "required_specialties",
    "other_specialties",
    "experienced",
    "experience_balance",
    "repeated_pairs",
    "workload",
)


def _exact_terms(instance: Instance, assignments: Sequence[Assignment]) -> dict[str, int]:
    people = {c.person_id: c for c in instance.candidates}
    teams = {t.index: t for t in instance.teams}
    members: dict[int, set[int]] = {index: set() for index in teams}
    held: dict[int, set[str]] = {index: set() for index in teams}
    experienced: Counter[int] = Counter()
    terms = dict.fromkeys(SCORE_TERMS, 0)
    for item in assignments:
        if item.person_id not in people or item.team_index not in teams:
            raise ValueError(f"assignment {item} refers to an unknown person or team")
        person = people[item.person_id]
        team = teams[item.team_index]
        members[team.index].add(person.person_id)
        held[team.index] |= person.specialties
        if person.rounds_done >= EXPERIENCED_ROUNDS:
            terms["experienced"] += EXPERIENCED_BONUS
            experienced[team.index] += 1
        terms["workload"] -= WORKLOAD_PENALTY * person.workload
    for index, team in teams.items():
        required = len(held[index] & team.required_specialties)
        terms["required_specialties"] += SPECIALTY_COVER_BONUS * required
        terms["other_specialties"] += SPECIALTY_BREADTH_BONUS * (len(held[index]) - required)
    pairs = {(min(a, b), max(a, b)) for a, b in instance.previous_pairs if a != b}
    for roster in members.values():
        together = sum(1 for a, b in pairs if a in roster and b in roster)
        terms["repeated_pairs"] -= REPEATED_PAIR_PENALTY * together
    if teams:
        low, high = _even_spread([experienced[index] for index in teams])
        spread = sum(_outside(experienced[index], low, high) for index in teams)
        terms["experience_balance"] -= EXPERIENCE_DEVIATION_PENALTY * spread
    return terms


def _even_spread(counts: Sequence[int]) -> tuple[int, int]:
    """The fewest and most experienced people per team in the most even spread of
    ``sum(counts)`` over ``len(counts)`` teams: the floor and ceiling of the average."""
    total, n = sum(counts), max(1, len(counts))
    return total // n, -(-total // n)


def _outside(count: int, low: int, high: int) -> int:
    """How far ``count`` lies outside [low, high] (0 inside)."""
    return max(0, low - count, count - high)


def score_terms(instance: Instance, assignments: Sequence[Assignment]) -> dict[str, float]:
    """The objective term by term (names in ``SCORE_TERMS``, see the format description):
    what the office reads to see why one team list scores more than another. The terms
    add up to ``objective_value``."""
    return {name: float(value) for name, value in _exact_terms(instance, assignments).items()}


def objective_value(instance: Instance, assignments: Sequence[Assignment]) -> float:
    """The objective of ``solve`` recomputed from the teams alone (no model involved)."""
    return float(sum(_exact_terms(instance, assignments).values()))


def to_json(instance: Instance) -> dict[str, Any]:
    """The instance as plain JSON data (see the module docstring for the shape)."""
    return {
        "format": INSTANCE_FORMAT,
        "candidates": [
            {
                "person_id": c.person_id,
                "name": c.name,
                "county": c.county,
                "specialties": sorted(c.specialties),
                "leader_eligible": c.leader_eligible,
                "rounds_done": c.rounds_done,
                "available": c.available,
                "workload": c.workload,
                "qualified": c.qualified,
            }
            for c in instance.candidates
        ],
        "teams": [
            {
                "index": t.index,
                "label": t.label,
                "target_ids": list(t.target_ids),
                "target_counties": sorted(t.target_counties),
                "size_min": t.size_min,
                "size_max": t.size_max,
                "deputies_min": t.deputies_min,
                "deputies_max": t.deputies_max,
                "required_specialties": sorted(t.required_specialties),
            }
            for t in instance.teams
        ],
        "forbidden": [
            {
                "person_id": f.person_id,
                "team_index": f.team_index,
                "role": f.role,
                "rule": f.rule,
                "evidence": f.evidence,
            }
            for f in instance.forbidden
        ],
        "rules": {
            "min_experienced": instance.rules.min_experienced,
            "max_first_timers": instance.rules.max_first_timers,
            "cross": instance.rules.cross,
            "relaxed": sorted(instance.rules.relaxed),
        },
        "previous_pairs": [list(pair) for pair in sorted(instance.previous_pairs)],
    }


def from_json(data: Mapping[str, Any]) -> Instance:
    """Read an instance written by ``to_json`` (or by hand); raises ValueError on bad data."""
    fmt = data.get("format", INSTANCE_FORMAT)
    if fmt != INSTANCE_FORMAT:
        raise ValueError(f"unsupported format {fmt!r}, expected {INSTANCE_FORMAT!r}")
    default_team = TeamSpec(0, "", (), frozenset())
    candidates = tuple(
        Candidate(
            person_id=_int(row, "person_id"),
            name=_str(row, "name"),
            county=_str(row, "county"),
            specialties=_str_set(row, "specialties", frozenset()),
            leader_eligible=_bool(row, "leader_eligible", False),
            rounds_done=_int(row, "rounds_done", 0),
            available=_bool(row, "available", True),
            workload=_int(row, "workload", 0),
            qualified=_bool(row, "qualified", True),
        )
        for row in _rows(data, "candidates")
    )
    teams = tuple(
        TeamSpec(
            index=_int(row, "index"),
            label=_str(row, "label"),
            target_ids=tuple(_int_list(row, "target_ids")),
            target_counties=_str_set(row, "target_counties", frozenset()),
            size_min=_int(row, "size_min", default_team.size_min),
            size_max=_int(row, "size_max", default_team.size_max),
            deputies_min=_int(row, "deputies_min", default_team.deputies_min),
            deputies_max=_int(row, "deputies_max", default_team.deputies_max),
            required_specialties=_str_set(
                row, "required_specialties", default_team.required_specialties
            ),
        )
        for row in _rows(data, "teams")
    )
    forbidden = tuple(
        Forbidden(
            person_id=_int(row, "person_id"),
            team_index=_int(row, "team_index"),
            role=_str(row, "role"),
            rule=_str(row, "rule"),
            evidence=_str(row, "evidence", ""),
        )
        for row in _rows(data, "forbidden", required=False)
    )
    rules_data = data.get("rules", {})
    if not isinstance(rules_data, Mapping):
        raise ValueError("'rules' must be an object")
    default_rules = Rules()
    rules = Rules(
        min_experienced=_int(rules_data, "min_experienced", default_rules.min_experienced),
        max_first_timers=_int(rules_data, "max_first_timers", default_rules.max_first_timers),
        cross=_bool(rules_data, "cross", default_rules.cross),
        relaxed=_str_set(rules_data, "relaxed", frozenset()),
    )
    pairs: set[tuple[int, int]] = set()
    for raw in data.get("previous_pairs", []):
        if not (isinstance(raw, list | tuple) and len(raw) == 2):
            raise ValueError(f"previous pair {raw!r} must be a list of two person ids")
        a, b = (_as_int(value, "previous_pairs") for value in raw)
        pairs.add((min(a, b), max(a, b)))
    instance = Instance(candidates, teams, forbidden, rules, frozenset(pairs))
    _Context(instance)  # raises ValueError on duplicate ids, unknown roles or rule names
    return instance


def result_to_json(result: Result) -> dict[str, Any]:
    """The result as plain JSON data (see the module docstring for the shape)."""
    return {
        "format": RESULT_FORMAT,
        "status": result.status,
        "assignments": [
            {"team_index": a.team_index, "person_id": a.person_id, "role": a.role}
            for a in result.assignments
        ],
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "seconds": result.seconds,
        "explanation": list(result.explanation),
        "explanation_texts": [t.to_json() for t in result.explanation_texts],
    }


# -- shared view of an instance -------------------------------------------------------------


def _unique(where: str, field: str, values: Sequence[int]) -> None:
    """ValueError naming the first repeated value by its place in the file, e.g.
    "candidates[2].person_id: 17 is already used by candidates[0]"."""
    first: dict[int, int] = {}
    for position, value in enumerate(values):
        if value in first:
            raise ValueError(
                f"{where}[{position}].{field}: {value} is already used by "
                f"{where}[{first[value]}] (it must be unique in the file)"
            )
        first[value] = position


class _Context:
    """Lookups the model, the greedy baseline and the explanations share."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.candidates = instance.candidates
        self.teams = instance.teams
        rules = instance.rules
        unknown = rules.relaxed - RELAXABLE
        if unknown:
            raise ValueError(
                f"cannot relax {sorted(unknown)}; relaxable rules are {sorted(RELAXABLE)}"
            )
        _unique("candidates", "person_id", [c.person_id for c in self.candidates])
        _unique("teams", "index", [t.index for t in self.teams])
        self.forbidden_at: dict[tuple[int, int], list[Forbidden]] = {}
        for entry in instance.forbidden:
            if entry.role not in FORBIDDEN_ROLES:
                raise ValueError(
                    f"forbidden entry for person {entry.person_id} has unknown role {entry.role!r}"
                )
            self.forbidden_at.setdefault((entry.person_id, entry.team_index), []).append(entry)
        self.position = {c.person_id: ci for ci, c in enumerate(self.candidates)}
        # Pairs naming someone outside the pool cannot occur and are dropped; both
        # orders of a pair count once, like in objective_value.
        self.pairs = sorted(
            {
                (min(a, b), max(a, b))
                for a, b in instance.previous_pairs
                if a != b and a in self.position and b in self.position
            }
        )
        self.cross_on = rules.cross and RELAX_CROSS not in rules.relaxed
        self.specialties_on = RELAX_SPECIALTIES not in rules.relaxed
        self.experience_on = RELAX_MIN_EXPERIENCED not in rules.relaxed
        self.first_timers_on = RELAX_MAX_FIRST_TIMERS not in rules.relaxed

    def forbidding(self, cand: Candidate, team: TeamSpec, role: str) -> list[Forbidden]:
        entries = self.forbidden_at.get((cand.person_id, team.index), [])
        return [e for e in entries if e.role in (role, ANY)]

    def cross_blocked(self, cand: Candidate, team: TeamSpec) -> bool:
        return self.cross_on and cand.county in team.target_counties

    @staticmethod
    def eligible(cand: Candidate, role: str) -> bool:
        return cand.available and (role != LEADER or cand.leader_eligible)

    def usable(self, cand: Candidate, team: TeamSpec, role: str) -> bool:
        return (
            self.eligible(cand, role)
            and not self.cross_blocked(cand, team)
            and not self.forbidding(cand, team, role)
        )

    def usable_any(self, cand: Candidate, team: TeamSpec) -> bool:
        return any(self.usable(cand, team, role) for role in ROLES)

    def reason_texts(self, cand: Candidate, team: TeamSpec, role: str) -> list[Text]:
        """Why ``cand`` cannot take ``role`` in ``team`` (empty when they can)."""
        middle: list[Text] = []
        if role == LEADER and not cand.leader_eligible:
            middle.append(Text(gettext_noop("not in the leader pool")))
        middle.extend(
            self._forbidden_text(cand, team, entry, (entry.role,))
            for entry in self.forbidding(cand, team, role)
        )
        return self._around(cand, team, middle)

    def reason_texts_any(self, cand: Candidate, team: TeamSpec) -> list[Text]:
        """Why ``cand`` can take no role at all in ``team``: the same evidence forbidding
        several roles is said once, naming them."""
        if self.usable_any(cand, team):
            return []
        # The roles the person could otherwise hold; "not in the leader pool" would only
        # be noise here.
        roles = ROLES if cand.leader_eligible else (DEPUTY, MEMBER)
        grouped: dict[tuple[str, str, bool], tuple[Forbidden, list[str]]] = {}
        for role in roles:
            for entry in self.forbidding(cand, team, role):
                key = (entry.rule, entry.evidence, entry.role == ANY)
                held = grouped.setdefault(key, (entry, []))[1]
                if entry.role != ANY and entry.role not in held:
                    held.append(entry.role)
        forbidden = [
            self._forbidden_text(cand, team, entry, held or (entry.role,))
            for entry, held in grouped.values()
        ]
        return self._around(cand, team, forbidden)

    def _around(self, cand: Candidate, team: TeamSpec, middle: list[Text]) -> list[Text]:
        """``middle`` between the reasons that hold in every role: unavailable first, the
        home county last."""
        found: list[Text] = []
        if not cand.available:
            # ``absence`` stays empty here; the app fills in the reason it recorded.
            found.append(
                Text(gettext_noop("unavailable%(absence)s"), absence="", person_id=cand.person_id)
            )
        found.extend(middle)
        if self.cross_blocked(cand, team):
            found.append(
                Text(gettext_noop("home county %(county)s is a target county"), county=cand.county)
            )
        return found

    @staticmethod
    def _forbidden_text(
        cand: Candidate, team: TeamSpec, entry: Forbidden, roles: Sequence[str]
    ) -> Text:
        """A recusal exclusion: in any role, or in the roles named (one text for several
        roles forbidden by the same evidence). ``role`` (the first) and ``person_id`` let
        the app find its own evidence for it."""
        where = {
            "rule": entry.rule,
            "evidence": entry.evidence,
            "person_id": cand.person_id,
            "team_index": team.index,
        }
        if entry.role == ANY:
            return Text(gettext_noop("forbidden (%(rule)s): %(evidence)s"), **where)
        return Text(
            gettext_noop("forbidden as %(roles)s (%(rule)s): %(evidence)s"),
            role=roles[0],
            roles=Joined(tuple(Text("%(role)s", role=r) for r in roles), ", "),
            **where,
        )


def _gain(cand: Candidate) -> int:
    """Objective terms that depend on one person only."""
    gain = -WORKLOAD_PENALTY * cand.workload
    if cand.rounds_done >= EXPERIENCED_ROUNDS:
        gain += EXPERIENCED_BONUS
    return gain


def _cover_bonus(team: TeamSpec, specialty: str) -> int:
    """What holding ``specialty`` at least once is worth to ``team``."""
    if specialty in team.required_specialties:
        return SPECIALTY_COVER_BONUS
    return SPECIALTY_BREADTH_BONUS


# -- the CP-SAT models ----------------------------------------------------------------------
#
# Two models share the team rules. The optimisation model has, per person and team, one
# "seat" variable (deputy or member) and one "lead" variable, only where the person may
# take that role; which seated people are deputies is settled after solving, because the
# objective does not depend on it and any split within the rules will do. Keeping three
# role variables per pair instead triples the symmetric columns for no gain. The
# diagnostic model keeps one variable per role so that every recusal triple and every
# cross-round exclusion is a constraint an assumption literal can switch off.


def _add_range(
    model: cp_model.CpModel,
    variables: Sequence[cp_model.IntVar],
    low: int,
    high: int,
    enforce: Sequence[cp_model.IntVar] = (),
) -> None:
    # An empty sum still becomes a (possibly impossible) constraint, so a team with no
    # usable leader is reported through its rule group instead of vanishing. An empty
    # range needs the explicit false clause: for an empty sum the Python layer silently
    # drops the linear constraint with low > high (measured, 9.15).
    if low > high:
        model.add_bool_or([]).only_enforce_if(list(enforce))
        return
    constraint = model.add_linear_constraint(cp_model.LinearExpr.sum(variables), low, high)
    if enforce:
        constraint.only_enforce_if(enforce)


def _add_team_rules(
    ctx: _Context,
    model: cp_model.CpModel,
    ti: int,
    members: Sequence[tuple[int, cp_model.IntVar]],
    guard: Callable[[str], list[cp_model.IntVar]],
) -> None:
    """Size, specialty, experience and first-timer rules over "person ci is in team ti"."""
    team = ctx.teams[ti]
    rules = ctx.instance.rules
    people = ctx.candidates
    _add_range(model, [v for _, v in members], team.size_min, team.size_max, guard(GROUP_SIZE))
    if ctx.specialties_on and team.required_specialties:
        enforce = guard(GROUP_SPECIALTIES)
        for specialty in sorted(team.required_specialties):
            holders = [v for ci, v in members if specialty in people[ci].specialties]
            _add_range(model, holders, 1, len(holders) + 1, enforce)
    if ctx.experience_on and rules.min_experienced > 0:
        seasoned = [v for ci, v in members if people[ci].rounds_done >= EXPERIENCED_ROUNDS]
        high = max(rules.min_experienced, len(seasoned))
        _add_range(model, seasoned, rules.min_experienced, high, guard(GROUP_EXPERIENCE))
    if ctx.first_timers_on:
        first = [v for ci, v in members if people[ci].rounds_done == 0]
        if len(first) > rules.max_first_timers:
            cap = max(0, rules.max_first_timers)
            _add_range(model, first, 0, cap, guard(GROUP_FIRST_TIMERS))


@dataclass
class _Optimisation:
    model: cp_model.CpModel
    seats: dict[tuple[int, int], cp_model.IntVar]  # (candidate pos, team pos): deputy/member
    leads: dict[tuple[int, int], cp_model.IntVar]  # (candidate pos, team pos): leader
    # Objective helpers, kept so a complete solution hint can be given; per team position.
    covers: dict[tuple[int, str], cp_model.IntVar] = field(default_factory=dict)
    counts: dict[int, cp_model.IntVar] = field(default_factory=dict)  # experienced per team
    total: cp_model.IntVar | None = None
    even: tuple[cp_model.IntVar, cp_model.IntVar] | None = None  # floor, ceil of E / n
    deviations: dict[int, cp_model.IntVar] = field(default_factory=dict)
    pairs: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)


@dataclass(frozen=True)
class _Scope:
    """Part of the problem to re-solve while the rest of a team list stays as it is.

    Only the teams at ``teams`` are staffed, only from the candidates at ``people`` (the
    unplaced and those now in these teams); every other team keeps its people, and its
    number of experienced people (``fixed_experienced``) still enters the balance term,
    whose average is over all teams.
    """

    teams: tuple[int, ...]  # team positions
    people: tuple[int, ...]  # candidate positions
    fixed_experienced: Mapping[int, int]  # team position -> experienced people, the others


def _build_optimisation(ctx: _Context, scope: _Scope | None = None) -> _Optimisation:
    """The whole problem, or the part of it in ``scope`` (see ``_Scope``)."""
    model = cp_model.CpModel()
    seats: dict[tuple[int, int], cp_model.IntVar] = {}
    leads: dict[tuple[int, int], cp_model.IntVar] = {}
    team_range = range(len(ctx.teams)) if scope is None else scope.teams
    people_range = range(len(ctx.candidates)) if scope is None else scope.people
    for ci in people_range:
        cand = ctx.candidates[ci]
        for ti in team_range:
            team = ctx.teams[ti]
            if ctx.usable(cand, team, DEPUTY) or ctx.usable(cand, team, MEMBER):
                seats[ci, ti] = model.new_bool_var(f"seat_{cand.person_id}_{team.index}")
            if ctx.usable(cand, team, LEADER):
                leads[ci, ti] = model.new_bool_var(f"lead_{cand.person_id}_{team.index}")

    by_person: dict[int, list[cp_model.IntVar]] = {}
    by_team: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
    for (ci, ti), var in [*seats.items(), *leads.items()]:
        by_person.setdefault(ci, []).append(var)
        by_team.setdefault(ti, []).append((ci, var))
    for variables in by_person.values():
        if len(variables) > 1:
            model.add_at_most_one(variables)

    def no_guard(_: str) -> list[cp_model.IntVar]:
        return []

    for ti in team_range:
        team = ctx.teams[ti]
        _add_range(model, [v for (_, tj), v in leads.items() if tj == ti], 1, 1)
        # Deputies come from the seated people allowed to be deputies; those seated who
        # may not be plain members have to be deputies. A split exists exactly when enough
        # can be deputies and not too many must be.
        capable = []
        must = []
        for (ci, tj), var in seats.items():
            if tj != ti:
                continue
            cand = ctx.candidates[ci]
            if ctx.usable(cand, team, DEPUTY):
                capable.append(var)
                if not ctx.usable(cand, team, MEMBER):
                    must.append(var)
        if team.deputies_min > team.deputies_max:
            _add_range(model, [], 1, 0)
        _add_range(model, capable, team.deputies_min, max(team.deputies_min, len(capable)))
        _add_range(model, must, 0, max(0, team.deputies_max))
        _add_team_rules(ctx, model, ti, by_team.get(ti, []), no_guard)

    built = _Optimisation(model, seats, leads)
    fixed = {} if scope is None else scope.fixed_experienced
    _add_objective(ctx, built, by_team, team_range, fixed)
    return built


def _add_objective(
    ctx: _Context,
    built: _Optimisation,
    by_team: Mapping[int, list[tuple[int, cp_model.IntVar]]],
    team_range: Iterable[int],
    fixed_experienced: Mapping[int, int],
) -> None:
    """The score as a linear objective.

    Terms of teams outside ``team_range`` are constants and left out, except in the
    balance term, where their experienced counts (``fixed_experienced``) are constants.
    """
    model = built.model
    variables: list[cp_model.IntVar] = []
    coefficients: list[int] = []
    staffed = list(team_range)
    for ti in staffed:
        team = ctx.teams[ti]
        holders: dict[str, list[cp_model.IntVar]] = {}
        for ci, var in by_team.get(ti, []):
            cand = ctx.candidates[ci]
            gain = _gain(cand)
            if gain:
                variables.append(var)
                coefficients.append(gain)
            for specialty in cand.specialties:
                holders.setdefault(specialty, []).append(var)
        for specialty in sorted(holders):
            # covered <= number of holders in the team; maximising pushes it up to 1
            # exactly when someone holds the specialty. One literal per (team, specialty).
            covered = model.new_bool_var(f"covers_{team.index}_{specialty}")
            built.covers[ti, specialty] = covered
            model.add(covered <= cp_model.LinearExpr.sum(holders[specialty]))
            variables.append(covered)
            coefficients.append(_cover_bonus(team, specialty))

    team_count = len(ctx.teams)
    if team_count >= 2:
        # Named count variables keep each deviation constraint at three terms; summing the
        # raw assignment variables there instead repeats the whole pool in 2n constraints
        # (1.6 million terms at 600 x 40) and stalls presolve and the LP.
        highest: list[int] = []
        counts: dict[int, cp_model.IntVar] = {}
        for ti in staffed:
            team = ctx.teams[ti]
            chosen = [
                var
                for ci, var in by_team.get(ti, [])
                if ctx.candidates[ci].rounds_done >= EXPERIENCED_ROUNDS
            ]
            highest.append(min(len(chosen), max(0, team.size_max)))
            count = model.new_int_var(0, highest[-1], f"experienced_{team.index}")
            model.add(count == cp_model.LinearExpr.sum(chosen))
            counts[ti] = count
        fixed = sum(fixed_experienced.values())
        total = model.new_int_var(fixed, fixed + sum(highest), "experienced_total")
        model.add(total == cp_model.LinearExpr.sum(list(counts.values())) + fixed)
        built.counts, built.total = counts, total
        # The even spread: floor(E / n) and ceil(E / n), each team's count between them.
        # Measured from these, not from the average itself, the rounding no team list can
        # avoid (221 people over 40 teams) costs nothing, in the teams and in the linear
        # relaxation alike. Measured from the average, it cost 39.9 points there that the
        # relaxation, spreading fractions of people evenly, never saw: the bound stayed
        # 8.5% above the teams found after 60 units, where the search now proves the best
        # teams in about 20 s (docs/formats/team-instance.md, Performance).
        top = max([fixed + sum(highest), *fixed_experienced.values(), 1])
        low = model.new_int_var(0, top, "experienced_floor")
        high = model.new_int_var(0, top, "experienced_ceil")
        model.add(team_count * low <= total)
        model.add(total <= team_count * low + team_count - 1)
        model.add(team_count * high >= total)
        model.add(total >= team_count * high - team_count + 1)
        built.even = (low, high)
        for ti, team in enumerate(ctx.teams):
            count_or_fixed = counts[ti] if ti in counts else fixed_experienced.get(ti, 0)
            # deviation >= how far the count lies outside [low, high]; the negative weight
            # in a maximisation pushes it down onto that distance at the optimum.
            deviation = model.new_int_var(0, top, f"deviation_{team.index}")
            model.add(deviation >= low - count_or_fixed)
            model.add(deviation >= count_or_fixed - high)
            built.deviations[ti] = deviation
            variables.append(deviation)
            coefficients.append(-EXPERIENCE_DEVIATION_PENALTY)

    for a, b in ctx.pairs:
        ca, cb = ctx.position[a], ctx.position[b]
        # One bool per previous pair, not per pair and team: each person serves in one
        # team at most, so a pair meets in one team at most. Only the lower bounds are
        # needed (the penalty pushes the bool down); measured on the 600 x 40 benchmark
        # with 1,600 pairs, a bool per pair and team with both bounds made the model three
        # times larger (65,000 extra bools) and the first solution came after 43 s.
        together: cp_model.IntVar | None = None
        for ti in staffed:
            in_a = _present(built.seats.get((ca, ti)), built.leads.get((ca, ti)))
            in_b = _present(built.seats.get((cb, ti)), built.leads.get((cb, ti)))
            if not in_a or not in_b:
                continue
            if together is None:
                together = model.new_bool_var(f"pair_{a}_{b}")
                built.pairs[a, b] = together
                variables.append(together)
                coefficients.append(-REPEATED_PAIR_PENALTY)
            for var_a in in_a:
                for var_b in in_b:
                    model.add_bool_or([var_a.negated(), var_b.negated(), together])

    model.maximize(cp_model.LinearExpr.weighted_sum(variables, coefficients))


def _add_hint(ctx: _Context, built: _Optimisation, assignments: Sequence[Assignment]) -> None:
    """Every variable of the model hinted with its value in ``assignments``."""
    team_pos = {team.index: ti for ti, team in enumerate(ctx.teams)}
    placed = {(ctx.position[a.person_id], team_pos[a.team_index]): a.role for a in assignments}
    model = built.model
    for key, var in built.seats.items():
        model.add_hint(var, placed.get(key) in (DEPUTY, MEMBER))
    for key, var in built.leads.items():
        model.add_hint(var, placed.get(key) == LEADER)
    held: dict[int, set[str]] = {ti: set() for ti in range(len(ctx.teams))}
    experienced = [0] * len(ctx.teams)
    team_of: dict[int, int] = {}
    for ci, ti in placed:
        cand = ctx.candidates[ci]
        held[ti] |= cand.specialties
        experienced[ti] += cand.rounds_done >= EXPERIENCED_ROUNDS
        team_of[cand.person_id] = ti
    for (ti, specialty), var in built.covers.items():
        model.add_hint(var, specialty in held[ti])
    for ti, var in built.counts.items():
        model.add_hint(var, experienced[ti])
    if built.total is not None:
        model.add_hint(built.total, sum(experienced))
    low, high = _even_spread(experienced)
    if built.even is not None:
        model.add_hint(built.even[0], low)
        model.add_hint(built.even[1], high)
    for ti, var in built.deviations.items():
        model.add_hint(var, _outside(experienced[ti], low, high))
    for (a, b), var in built.pairs.items():
        model.add_hint(var, a in team_of and team_of.get(b) == team_of[a])


def _present(*variables: cp_model.IntVar | None) -> list[cp_model.IntVar]:
    return [v for v in variables if v is not None]


def _read_solution(
    ctx: _Context, built: _Optimisation, solver: cp_model.CpSolver
) -> tuple[Assignment, ...]:
    """Teams from the solver's values, with deputies chosen among the seated people."""
    items: list[Assignment] = []
    for ti, team in enumerate(ctx.teams):
        for (ci, tj), var in built.leads.items():
            if tj == ti and solver.boolean_value(var):
                items.append(Assignment(team.index, ctx.candidates[ci].person_id, LEADER))
        seated = [
            ctx.candidates[ci]
            for (ci, tj), var in built.seats.items()
            if tj == ti and solver.boolean_value(var)
        ]
        items.extend(_split_roles(ctx, team, seated))
    return _sorted_assignments(ctx, items)


def _split_roles(ctx: _Context, team: TeamSpec, seated: Sequence[Candidate]) -> list[Assignment]:
    """Deputies: everyone who may not be a plain member, then the preferred until the minimum.

    Preference follows practice (DOMAIN.md): deputies often come from the discipline
    commission, then the more experienced; the person id settles ties.
    """
    must = [c for c in seated if not ctx.usable(c, team, MEMBER)]
    optional = sorted(
        (c for c in seated if c not in must and ctx.usable(c, team, DEPUTY)),
        key=lambda c: ("discipline" not in c.specialties, -c.rounds_done, c.person_id),
    )
    deputies = must + optional[: max(0, team.deputies_min - len(must))]
    chosen = {c.person_id for c in deputies}
    return [
        Assignment(team.index, c.person_id, DEPUTY if c.person_id in chosen else MEMBER)
        for c in seated
    ]


@dataclass
class _Diagnostic:
    model: cp_model.CpModel
    groups: list[tuple[cp_model.IntVar, str, int | None]]  # literal, group, team pos


def _build_diagnostic(ctx: _Context) -> _Diagnostic:
    """Feasibility model with every rule group behind an assumption literal."""
    model = cp_model.CpModel()
    groups: list[tuple[cp_model.IntVar, str, int | None]] = []

    def literal(group: str, ti: int | None) -> cp_model.IntVar:
        team_part = "" if ti is None else f"_{ctx.teams[ti].index}"
        lit = model.new_bool_var(f"rule_{group}{team_part}")
        groups.append((lit, group, ti))
        return lit

    forbidden_lit = literal(GROUP_FORBIDDEN, None) if ctx.instance.forbidden else None
    cross_lit = literal(GROUP_CROSS, None) if ctx.cross_on else None

    x: dict[tuple[int, int, str], cp_model.IntVar] = {}
    for ci, cand in enumerate(ctx.candidates):
        for ti, team in enumerate(ctx.teams):
            for role in ROLES:
                if not ctx.eligible(cand, role):
                    continue
                var = model.new_bool_var(f"x_{cand.person_id}_{team.index}_{role}")
                x[ci, ti, role] = var
                if forbidden_lit is not None and ctx.forbidding(cand, team, role):
                    model.add_implication(forbidden_lit, var.negated())
                if cross_lit is not None and ctx.cross_blocked(cand, team):
                    model.add_implication(cross_lit, var.negated())

    by_person: dict[int, list[cp_model.IntVar]] = {}
    by_team: dict[int, list[tuple[int, str, cp_model.IntVar]]] = {}
    for (ci, ti, role), var in x.items():
        by_person.setdefault(ci, []).append(var)
        by_team.setdefault(ti, []).append((ci, role, var))
    for variables in by_person.values():
        if len(variables) > 1:
            model.add_at_most_one(variables)

    for ti, team in enumerate(ctx.teams):
        slots = by_team.get(ti, [])

        def guard(group: str, ti: int = ti) -> list[cp_model.IntVar]:
            return [literal(group, ti)]

        _add_range(model, [v for _, r, v in slots if r == LEADER], 1, 1, guard(GROUP_LEADER))
        deputies = [v for _, r, v in slots if r == DEPUTY]
        low, high = team.deputies_min, team.deputies_max
        _add_range(model, deputies, low, high, guard(GROUP_DEPUTIES))
        _add_team_rules(ctx, model, ti, [(ci, v) for ci, _, v in slots], guard)
    return _Diagnostic(model, groups)


def _make_solver(
    time_limit: float, seed: int, workers: int, deterministic: bool
) -> cp_model.CpSolver:
    # Presolve off, measured on 600 candidates x 40 teams. Optimising, with presolve the
    # per-person at-most-one rows never reach the LP (320 rows; bound 2,844 against an
    # optimum near 2,660) and the search stalls; without it the LP is the assignment
    # relaxation and the gap closes to about 0.2% in 20-30 s. Explaining, the first
    # assumption solve takes 0.4 s instead of 6.5 s.
    return make_solver(time_limit, seed, workers, deterministic, presolve=False)


class _Reporter:
    """Passes (best objective, bound, seconds since ``solve`` began) to ``progress``.

    Called on every better team list (from the neighbourhood search and from CP-SAT) and
    on every better bound CP-SAT proves, so a caller sees the gap close as it happens.
    CP-SAT's infinite bound (none proven yet) is reported as None.
    """

    def __init__(self, progress: ProgressCallback | None, started: float) -> None:
        self._progress = progress
        self._started = started
        self.objective: float | None = None
        self.bound: float | None = None

    def _update(self, objective: float | None, bound: float | None) -> None:
        better = objective is not None and (self.objective is None or objective > self.objective)
        tighter = bound is not None and bound != self.bound
        if better:
            self.objective = objective
        if tighter:
            self.bound = bound
        if (better or tighter) and self._progress is not None and self.objective is not None:
            self._progress(self.objective, self.bound, time.perf_counter() - self._started)

    @staticmethod
    def _finite(value: float) -> float | None:
        return value if math.isfinite(value) else None

    def solution(self, objective: float) -> None:
        self._update(objective, None)

    def cp_sat_solution(self, objective: float, bound: float) -> None:
        self._update(objective, self._finite(bound))

    def cp_sat_bound(self, bound: float) -> None:
        self._update(None, self._finite(bound))

    def final(self, objective: float, bound: float | None) -> None:
        self._update(objective, bound)


class _Progress(cp_model.CpSolverSolutionCallback):
    """Hands every improving CP-SAT solution to the reporter."""

    def __init__(self, reporter: _Reporter) -> None:
        super().__init__()
        self._reporter = reporter

    def on_solution_callback(self) -> None:
        self._reporter.cp_sat_solution(self.objective_value, self.best_objective_bound)


def _sorted_assignments(ctx: _Context, items: Iterable[Assignment]) -> tuple[Assignment, ...]:
    team_order = {t.index: ti for ti, t in enumerate(ctx.teams)}
    role_order = {role: ri for ri, role in enumerate(ROLES)}
    return tuple(
        sorted(
            items,
            key=lambda a: (team_order[a.team_index], role_order[a.role], a.person_id),
        )
    )


# -- large-neighbourhood search -------------------------------------------------------------


def _neighbourhoods(
    ctx: _Context,
    assignments: tuple[Assignment, ...],
    seed: int,
    steps: int,
    reporter: _Reporter,
) -> tuple[tuple[Assignment, ...], float]:
    """Re-staff a few teams at a time, optimally, while the others keep their people.

    Each step draws ``_LNS_TEAMS`` teams (seeded), builds the model of just those teams
    and the people free to join them (``_Scope``), hints the current teams and solves it
    on CP-SAT's deterministic clock; a better team list (checked and re-scored from the
    teams, not trusted from the model) replaces the current one. It stops after
    ``_LNS_PATIENCE`` steps in a row without a gain or after ``steps`` steps, counts that
    do not depend on the machine, so the result is deterministic like the rest of
    ``solve``. Returns the teams and the deterministic units the steps used.

    Why: on the benchmark's thin pool the whole-problem search never improved the polished
    greedy teams (2,004, even in 240 units), while these steps reach 2,016 in about 1 s;
    on the main instance 2,082 in about 2 s against 2,076 after 60 units of search.
    """
    team_count = len(ctx.teams)
    current = assignments
    value = objective_value(ctx.instance, current)
    reporter.solution(value)
    spent = 0.0
    if team_count <= _LNS_TEAMS or not assignments:
        return current, spent  # a step would be the whole problem: left to the search
    rng = random.Random(seed)  # noqa: S311 - which teams to re-staff, not a secret
    stale = 0
    for step in range(steps):
        if stale >= _LNS_PATIENCE:
            break
        chosen = tuple(sorted(rng.sample(range(team_count), min(_LNS_TEAMS, team_count))))
        found, used = _restaff(ctx, current, chosen, seed + step, _LNS_UNITS)
        spent += used
        stale += 1
        if found is None:
            continue
        found_value = objective_value(ctx.instance, found)
        if found_value > value + 1e-9 and not validate(ctx.instance, found):
            current, value, stale = found, found_value, 0
            reporter.solution(value)
    return current, spent


def _restaff(
    ctx: _Context,
    current: Sequence[Assignment],
    chosen: Sequence[int],
    seed: int,
    units: float,
) -> tuple[tuple[Assignment, ...] | None, float]:
    """The best staffing of the teams at ``chosen`` with every other team kept as it is.

    Returns the whole team list (None when the solver found none within ``units``) and
    the deterministic units used.
    """
    team_pos = {team.index: ti for ti, team in enumerate(ctx.teams)}
    staffed = set(chosen)
    placed = {ctx.position[a.person_id]: team_pos[a.team_index] for a in current}
    fixed: Counter[int] = Counter(
        ti
        for ci, ti in placed.items()
        if ti not in staffed and ctx.candidates[ci].rounds_done >= EXPERIENCED_ROUNDS
    )
    people = tuple(
        ci
        for ci, cand in enumerate(ctx.candidates)
        if cand.available and (ci not in placed or placed[ci] in staffed)
    )
    others = {ti: fixed[ti] for ti in range(len(ctx.teams)) if ti not in staffed}
    built = _build_optimisation(ctx, _Scope(tuple(sorted(staffed)), people, others))
    _add_hint(ctx, built, current)
    solver = _make_solver(units, seed, 1, True)
    status = solver.solve(built.model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, solver.deterministic_time
    kept = [a for a in current if team_pos[a.team_index] not in staffed]
    found = _sorted_assignments(ctx, [*kept, *_read_solution(ctx, built, solver)])
    return found, solver.deterministic_time


# -- infeasibility explanation --------------------------------------------------------------


def _explain(
    ctx: _Context, budget: float, seed: int, workers: int, deterministic: bool
) -> tuple[Text, ...]:
    """Name rule groups that cannot hold together and describe them with counts.

    A team whose rules contradict each other whatever the pool (more experienced people
    than it has seats, an empty size or deputy range) is named at once: that is certain,
    and on a large instance the search for a core could run out of time before it finds
    it."""
    contradictions = _rule_contradictions(ctx)
    if contradictions:
        return tuple(contradictions)
    started = time.perf_counter()
    built = _build_diagnostic(ctx)
    by_index = {literal.index: (literal, group, ti) for literal, group, ti in built.groups}

    def infeasible_core(
        literals: Sequence[cp_model.IntVar], limit: float
    ) -> list[cp_model.IntVar] | None:
        built.model.clear_assumptions()
        built.model.add_assumptions(literals)
        solver = _make_solver(limit, seed, workers, deterministic)
        if solver.solve(built.model) != cp_model.INFEASIBLE:
            return None
        named = set(solver.sufficient_assumptions_for_infeasibility())
        return [literal for literal in literals if literal.index in named] or list(literals)

    core = infeasible_core([literal for literal, _, _ in built.groups], budget)
    if core is None:
        return (
            Text(
                gettext_noop(
                    "the rules cannot all hold, but the rule groups responsible could not be "
                    "isolated within the time limit"
                )
            ),
            *_static_checks(ctx),
        )
    # Deletion pass: drop every group whose removal keeps the rest impossible, so the
    # explanation names only groups that matter. Out of time, the core stays as it is.
    position = 0
    while position < len(core):
        left = budget - (time.perf_counter() - started)
        if left <= 0.05:
            break
        trial = core[:position] + core[position + 1 :]
        smaller = infeasible_core(trial, min(left, max(0.5, budget / 10))) if trial else None
        if smaller is None:
            position += 1
        else:
            core = smaller
    chosen = [by_index[literal.index] for literal in core]
    return _describe(ctx, [(group, ti) for _, group, ti in chosen])


def _rule_contradictions(ctx: _Context) -> list[Text]:
    """Teams whose own rules cannot hold together, whoever is in the pool."""
    lines: list[Text] = []
    for ti, team in enumerate(ctx.teams):
        broken = (
            (GROUP_DEPUTIES, team.deputies_min > team.deputies_max),
            (GROUP_SIZE, team.size_min > team.size_max),
            (
                GROUP_EXPERIENCE,
                ctx.experience_on and ctx.instance.rules.min_experienced > team.size_max,
            ),
        )
        for group, contradictory in broken:
            if contradictory:
                line = _describe_team_group(ctx, group, ti, only_if_alone_impossible=True)
                if line is not None:
                    lines.append(line)
    return lines


def _static_checks(ctx: _Context) -> list[Text]:
    """Groups that fail for one team on their own, found by counting alone (rules relaxed
    for the round are left out: they do not hold)."""
    off = {
        GROUP_SPECIALTIES: not ctx.specialties_on,
        GROUP_EXPERIENCE: not ctx.experience_on,
        GROUP_FIRST_TIMERS: not ctx.first_timers_on,
    }
    lines: list[Text] = []
    for ti in range(len(ctx.teams)):
        lines.extend(
            line
            for group in TEAM_GROUPS
            if not off.get(group, False)
            and (line := _describe_team_group(ctx, group, ti, only_if_alone_impossible=True))
        )
    return lines


def _describe(ctx: _Context, core: Sequence[tuple[str, int | None]]) -> tuple[Text, ...]:
    lines: list[Text] = []
    team_positions = sorted({ti for _, ti in core if ti is not None})
    order = {group: gi for gi, group in enumerate(TEAM_GROUPS + GLOBAL_GROUPS)}
    for group, ti in sorted(core, key=lambda item: (item[1] is None, item[1] or 0, order[item[0]])):
        if ti is not None:
            line = _describe_team_group(ctx, group, ti, only_if_alone_impossible=False)
            if line:
                lines.append(line)
        elif group == GROUP_FORBIDDEN:
            lines.append(_describe_forbidden(ctx, team_positions))
        elif group == GROUP_CROSS:
            lines.append(_describe_cross(ctx, team_positions))
    if len(team_positions) >= 2:
        lines.append(_describe_joint(ctx, core, team_positions))
    return tuple(lines)


def _people(n: int) -> Text:
    return Text(ngettext_noop("%(n)s person", "%(n)s people"), n=n)


def _distinct(n: int) -> Text:
    return Text(ngettext_noop("%(n)s distinct candidate", "%(n)s distinct candidates"), n=n)


def _team_name(team: TeamSpec) -> Text:
    return Text(gettext_noop("team %(index)s (%(label)s)"), index=team.index, label=team.label)


def _limited(items: list[Any], total: int, sep: str, limit: int = _LIST_LIMIT) -> Joined:
    """The first items of a list (``limit`` of ``total``), and "and N more" for the rest."""
    items = items[:limit]
    hidden = total - limit
    if hidden > 0:
        items = [*items, Text(gettext_noop("and %(n)s more"), n=hidden)]
    return Joined(tuple(items), sep)


def _names_with_rounds(people: Sequence[Candidate]) -> Joined:
    # Rounds served matter when the experience or first-timer rule is in the same set.
    shown = [
        Text(
            ngettext_noop("%(name)s (%(n)s round)", "%(name)s (%(n)s rounds)"),
            name=c.name,
            n=c.rounds_done,
        )
        for c in people[:_LIST_LIMIT]
    ]
    return _limited(shown, len(people), ", ")


def _exclusions(
    ctx: _Context, people: Sequence[Candidate], team: TeamSpec, role: str | None
) -> Joined:
    """Why each of ``people`` is out, person by person; beyond a few people, counted by
    reason with names (one reason repeated for each of 14 people reads as a wall)."""
    if len(people) > _DETAILED:
        return _grouped(ctx, people, team, role)
    parts: list[Any] = []
    for cand in people[:_LIST_LIMIT]:
        why = (
            ctx.reason_texts_any(cand, team) if role is None else ctx.reason_texts(cand, team, role)
        )
        parts.append(
            Text(gettext_noop("%(name)s (%(why)s)"), name=cand.name, why=Joined(tuple(why), "; "))
        )
    return _limited(parts, len(people), "; ")


def _describe_team_group(
    ctx: _Context, group: str, ti: int, *, only_if_alone_impossible: bool
) -> Text | None:
    team = ctx.teams[ti]
    name = _team_name(team)
    rules = ctx.instance.rules
    pool = ctx.candidates
    usable_people = [c for c in pool if ctx.usable_any(c, team)]
    if group == GROUP_LEADER:
        eligible = [c for c in pool if c.leader_eligible]
        usable = [c for c in eligible if ctx.usable(c, team, LEADER)]
        blocked = [c for c in eligible if not ctx.usable(c, team, LEADER)]
        if not eligible:
            return Text(
                gettext_noop(
                    "leader rule: no leader for %(team)s: the pool has no leader-eligible "
                    "candidates"
                ),
                team=name,
            )
        if not usable:
            return Text(
                ngettext_noop(
                    "leader rule: no leader for %(team)s: %(n)s leader-eligible candidate, "
                    "excluded: %(excluded)s",
                    "leader rule: no leader for %(team)s: %(n)s leader-eligible candidates, "
                    "all excluded: %(excluded)s",
                ),
                team=name,
                n=len(eligible),
                excluded=_exclusions(ctx, blocked, team, LEADER),
            )
        if only_if_alone_impossible:
            return None
        if blocked:
            return Text(
                gettext_noop(
                    "leader rule: %(team)s needs exactly 1 leader; leader-eligible candidates "
                    "usable: %(usable)s of %(n)s (%(names)s); excluded: %(excluded)s"
                ),
                team=name,
                usable=len(usable),
                n=len(eligible),
                names=_names_with_rounds(usable),
                excluded=_exclusions(ctx, blocked, team, LEADER),
            )
        return Text(
            gettext_noop(
                "leader rule: %(team)s needs exactly 1 leader; leader-eligible candidates "
                "usable: %(usable)s of %(n)s (%(names)s)"
            ),
            team=name,
            usable=len(usable),
            n=len(eligible),
            names=_names_with_rounds(usable),
        )
    if group == GROUP_DEPUTIES:
        usable = [c for c in pool if ctx.usable(c, team, DEPUTY)]
        impossible = team.deputies_min > team.deputies_max or len(usable) < team.deputies_min
        if only_if_alone_impossible and not impossible:
            return None
        if team.deputies_min > team.deputies_max:
            return Text(
                gettext_noop(
                    "deputy rule: %(team)s asks for %(low)s–%(high)s deputies, an empty range"
                ),
                team=name,
                low=team.deputies_min,
                high=team.deputies_max,
            )
        return Text(
            gettext_noop(
                "deputy rule: %(team)s needs %(low)s–%(high)s deputies; candidates usable as "
                "deputy: %(n)s%(others)s"
            ),
            team=name,
            low=team.deputies_min,
            high=team.deputies_max,
            n=len(usable),
            others=_breakdown(ctx, team, DEPUTY),
        )
    if group == GROUP_SIZE:
        impossible = team.size_min > team.size_max or len(usable_people) < team.size_min
        if only_if_alone_impossible and not impossible:
            return None
        if team.size_min > team.size_max:
            return Text(
                gettext_noop(
                    "size rule: %(team)s asks for %(low)s–%(high)s people, an empty range"
                ),
                team=name,
                low=team.size_min,
                high=team.size_max,
            )
        return Text(
            gettext_noop(
                "size rule: %(team)s needs %(low)s–%(high)s people (leader and deputies "
                "included); candidates usable: %(n)s%(others)s"
            ),
            team=name,
            low=team.size_min,
            high=team.size_max,
            n=len(usable_people),
            others=_breakdown(ctx, team, None),
        )
    if group == GROUP_SPECIALTIES:
        parts: list[Any] = []
        missing = False
        for specialty in sorted(team.required_specialties):
            holders = [c for c in pool if specialty in c.specialties]
            usable = [c for c in holders if ctx.usable_any(c, team)]
            if not usable:
                missing = True
            if not holders:
                parts.append(
                    Text(
                        gettext_noop("%(specialty)s: nobody in the pool holds it"),
                        specialty=specialty,
                        team_index=team.index,  # the app names the targets asking for it
                    )
                )
            elif not usable:
                parts.append(
                    Text(
                        gettext_noop(
                            "%(specialty)s: %(usable)s of %(n)s holders usable (excluded: "
                            "%(excluded)s)"
                        ),
                        specialty=specialty,
                        team_index=team.index,
                        usable=len(usable),
                        n=len(holders),
                        excluded=_exclusions(ctx, holders, team, None),
                    )
                )
            else:
                parts.append(
                    Text(
                        gettext_noop("%(specialty)s: %(usable)s of %(n)s holders usable"),
                        specialty=specialty,
                        team_index=team.index,
                        usable=len(usable),
                        n=len(holders),
                    )
                )
        if only_if_alone_impossible and not missing:
            return None
        return Text(
            gettext_noop("specialty rule: %(team)s requires %(required)s; %(parts)s"),
            team=name,
            required=Joined(tuple(sorted(team.required_specialties)), ", ", specialties=True),
            parts=Joined(tuple(parts), "; "),
        )
    if group == GROUP_EXPERIENCE:
        if rules.min_experienced > team.size_max:
            return Text(
                ngettext_noop(
                    "experience rule: %(team)s needs at least %(n)s person with %(rounds)s or "
                    "more rounds but its size is at most %(size)s",
                    "experience rule: %(team)s needs at least %(n)s people with %(rounds)s or "
                    "more rounds but its size is at most %(size)s",
                ),
                team=name,
                n=rules.min_experienced,
                rounds=EXPERIENCED_ROUNDS,
                size=team.size_max,
            )
        experienced = [c for c in pool if c.rounds_done >= EXPERIENCED_ROUNDS]
        usable = [c for c in experienced if ctx.usable_any(c, team)]
        short = len(usable) < rules.min_experienced
        if only_if_alone_impossible and not short:
            return None
        blocked = [c for c in experienced if not ctx.usable_any(c, team)] if short else []
        fields = {
            "team": name,
            "n": rules.min_experienced,
            "rounds": EXPERIENCED_ROUNDS,
            "usable": len(usable),
            "total": len(experienced),
        }
        if blocked:
            return Text(
                ngettext_noop(
                    "experience rule: %(team)s needs at least %(n)s person with %(rounds)s or "
                    "more rounds; experienced candidates usable: %(usable)s of %(total)s; "
                    "excluded: %(excluded)s",
                    "experience rule: %(team)s needs at least %(n)s people with %(rounds)s or "
                    "more rounds; experienced candidates usable: %(usable)s of %(total)s; "
                    "excluded: %(excluded)s",
                ),
                excluded=_exclusions(ctx, blocked, team, None),
                **fields,
            )
        return Text(
            ngettext_noop(
                "experience rule: %(team)s needs at least %(n)s person with %(rounds)s or more "
                "rounds; experienced candidates usable: %(usable)s of %(total)s",
                "experience rule: %(team)s needs at least %(n)s people with %(rounds)s or more "
                "rounds; experienced candidates usable: %(usable)s of %(total)s",
            ),
            **fields,
        )
    if group == GROUP_FIRST_TIMERS:
        seasoned = [c for c in usable_people if c.rounds_done > 0]
        needed = max(0, team.size_min - max(0, rules.max_first_timers))
        short = len(seasoned) < needed
        if only_if_alone_impossible and not short:
            return None
        return Text(
            gettext_noop(
                "first-timer rule: %(team)s may have no more than %(max)s without a previous "
                "round; at its smallest size of %(size)s it needs %(needed)s who served "
                "before; usable candidates who served before: %(usable)s"
            ),
            team=name,
            max=rules.max_first_timers,
            size=team.size_min,
            needed=needed,
            usable=len(seasoned),
        )
    return None


# Explanation templates of earlier versions, reworded since (plural forms, punctuation):
# runs stored with them (FormationRun.result) still read in the user's language. Not used
# for new explanations.
RETIRED_TEMPLATES: tuple[str, ...] = (
    gettext_noop("forbidden %(rule)s: %(evidence)s"),
    gettext_noop("forbidden as %(role)s %(rule)s: %(evidence)s"),
    gettext_noop("%(name)s (%(n)s rounds)"),
    gettext_noop(
        "leader rule: no leader for %(team)s: %(n)s leader-eligible candidates, all "
        "excluded: %(excluded)s"
    ),
    gettext_noop(
        "leader rule: %(team)s needs exactly 1 leader; %(usable)s of %(n)s leader-"
        "eligible candidates are usable (%(names)s); excluded: %(excluded)s"
    ),
    gettext_noop(
        "leader rule: %(team)s needs exactly 1 leader; %(usable)s of %(n)s leader-"
        "eligible candidates are usable (%(names)s)"
    ),
    gettext_noop(
        "deputy rule: %(team)s needs %(low)s–%(high)s deputies; %(n)s candidates are "
        "usable as deputy%(others)s"
    ),
    gettext_noop(
        "size rule: %(team)s needs %(low)s–%(high)s people (leader and deputies "
        "included); %(n)s candidates are usable%(others)s"
    ),
    gettext_noop(
        "experience rule: %(team)s needs at least %(n)s people with %(rounds)s or more "
        "rounds but has at most %(size)s seats"
    ),
    gettext_noop(
        "experience rule: %(team)s needs at least %(n)s people with %(rounds)s or more "
        "rounds; %(usable)s of %(total)s experienced candidates are usable; excluded: "
        "%(excluded)s"
    ),
    gettext_noop(
        "experience rule: %(team)s needs at least %(n)s people with %(rounds)s or more "
        "rounds; %(usable)s of %(total)s experienced candidates are usable"
    ),
    gettext_noop(
        "first-timer rule: %(team)s may have at most %(max)s people without a previous "
        "round, so with at least %(size)s people it needs %(needed)s who have served "
        "before; %(usable)s such candidates are usable"
    ),
    gettext_noop(
        "recusal rule (forbidden assignments): %(all)s entries in all, %(here)s for the "
        "teams named here"
    ),
    gettext_noop(
        "recusal rule (forbidden assignments): %(all)s entries in all, %(here)s for the "
        "teams named here (%(detail)s)"
    ),
    gettext_noop("%(team)s: %(n)s available candidates live in its target counties (%(counties)s)"),
    gettext_noop(
        "%(team)s: available candidates who live in its target counties (%(counties)s): %(n)s"
    ),
    gettext_noop(
        "together teams %(teams)s need at least %(people)s people and %(leaders)s "
        "leaders; %(usable)s distinct candidates and %(usable_leaders)s distinct leader-"
        "eligible candidates are usable for at least one of them"
    ),
    gettext_noop(
        "together teams %(teams)s need at least %(people)s people; %(usable)s distinct "
        "candidates are usable for at least one of them"
    ),
)


_BREAKDOWN_NAMES = 10  # names shown per group of "the others"
_BREAKDOWN = {
    "unavailable": gettext_noop("%(n)s unavailable"),
    "forbidden": gettext_noop("%(n)s forbidden by recusal"),
    "county": gettext_noop("%(n)s from a target county"),
    "leader": gettext_noop("%(n)s not in the leader pool"),
}


def _breakdown(ctx: _Context, team: TeamSpec, role: str | None) -> Text | str:
    """Why the rest of the pool is out, with the first names of each group, e.g.
    ' (of the others: 2 unavailable (张明, 李华))'; someone out for two reasons is in both.

    ``role`` None means "usable in no role at all".
    """
    roles = ROLES if role is None else (role,)
    out = [c for c in ctx.candidates if not any(ctx.usable(c, team, r) for r in roles)]
    if not out:
        return ""
    return Text(gettext_noop(" (of the others: %(counts)s)"), counts=_grouped(ctx, out, team, role))


def _grouped(
    ctx: _Context, people: Sequence[Candidate], team: TeamSpec, role: str | None
) -> Joined:
    """``people`` (each out of ``team`` in ``role``, or in every role for None) counted by
    why, with the first names of each group: '2 unavailable (张明, 李华), 7 from a target
    county (…)'; someone out for two reasons is in both."""
    groups: dict[str, list[str]] = {key: [] for key in _BREAKDOWN}
    roles = ROLES if role is None else (role,)
    for cand in people:
        if not cand.available:
            groups["unavailable"].append(cand.name)
        if any(ctx.forbidding(cand, team, r) for r in roles):
            groups["forbidden"].append(cand.name)
        if ctx.cross_blocked(cand, team):
            groups["county"].append(cand.name)
        if role == LEADER and not cand.leader_eligible:
            groups["leader"].append(cand.name)
    order = sorted((k for k in groups if groups[k]), key=lambda k: _BREAKDOWN[k] % {"n": ""})
    parts: list[Any] = [
        Text(
            gettext_noop("%(name)s (%(why)s)"),
            name=Text(_BREAKDOWN[k], n=len(groups[k])),
            why=_limited(groups[k], len(groups[k]), ", ", _BREAKDOWN_NAMES),
        )
        for k in order
    ]
    if sum(len(groups[k]) for k in order) > len(people):  # the counts add up to more
        parts.append(Text(gettext_noop("some for more than one reason")))
    return Joined(tuple(parts), ", ")


def _describe_forbidden(ctx: _Context, team_positions: Sequence[int]) -> Text:
    entries = ctx.instance.forbidden
    indexes = {ctx.teams[ti].index for ti in team_positions}
    relevant = [e for e in entries if e.team_index in indexes]
    by_rule = Counter(e.rule for e in relevant)
    fields = {"all": len(entries), "here": len(relevant)}
    if not by_rule:
        return Text(
            gettext_noop(
                "recusal rule (forbidden assignments): entries in all: %(all)s; for the teams "
                "named here: %(here)s"
            ),
            **fields,
        )
    return Text(
        gettext_noop(
            "recusal rule (forbidden assignments): entries in all: %(all)s; for the teams "
            "named here: %(here)s (%(detail)s)"
        ),
        detail=Joined(
            tuple(
                Text(gettext_noop("%(rule)s %(n)s"), rule=rule, n=n)
                for rule, n in sorted(by_rule.items())
            ),
            ", ",
        ),
        **fields,
    )


def _describe_cross(ctx: _Context, team_positions: Sequence[int]) -> Text:
    parts: list[Text] = []
    for ti in team_positions:
        team = ctx.teams[ti]
        local = [c for c in ctx.candidates if c.available and c.county in team.target_counties]
        parts.append(
            Text(
                gettext_noop(
                    "%(team)s: available candidates from the pools of its target counties "
                    "(%(counties)s): %(n)s"
                ),
                team=_team_name(team),
                n=len(local),
                counties=", ".join(sorted(team.target_counties)) or "—",
            )
        )
    return Text(
        gettext_noop("cross-round rule: nobody inspects their home county; %(teams)s"),
        teams=Joined(tuple(parts), "; "),
    )


def _describe_joint(
    ctx: _Context, core: Sequence[tuple[str, int | None]], team_positions: Sequence[int]
) -> Text:
    teams = [ctx.teams[ti] for ti in team_positions]
    people_needed = sum(max(t.size_min, 1 + t.deputies_min) for t in teams)
    leader_teams = sum(1 for group, ti in core if group == GROUP_LEADER and ti is not None)
    people = [c for c in ctx.candidates if any(ctx.usable_any(c, t) for t in teams)]
    leaders = [c for c in ctx.candidates if any(ctx.usable(c, t, LEADER) for t in teams)]
    names = ", ".join(str(t.index) for t in teams)
    if leader_teams:
        return Text(
            gettext_noop(
                "together teams %(teams)s need at least %(people)s and %(leaders)s; usable for "
                "at least one of them: %(usable)s, %(usable_leaders)s of them leader-eligible"
            ),
            teams=names,
            people=_people(people_needed),
            leaders=Text(
                ngettext_noop("%(n)s leader", "%(n)s leaders"),
                n=leader_teams,
            ),
            usable=_distinct(len(people)),
            usable_leaders=len(leaders),
        )
    return Text(
        gettext_noop(
            "together teams %(teams)s need at least %(people)s; usable for at least one of "
            "them: %(usable)s"
        ),
        teams=names,
        people=_people(people_needed),
        usable=_distinct(len(people)),
    )


# -- greedy baseline ------------------------------------------------------------------------


@dataclass
class _GreedyOutcome:
    assignments: tuple[Assignment, ...] | None
    reasons: tuple[str, ...] = ()


def _greedy_assign(ctx: _Context) -> _GreedyOutcome:
    """Fill teams rule by rule: leaders, deputies, specialties, experience, size, extras.

    Teams with the fewest usable leaders go first so a scarce leader is not spent on a
    team that had alternatives. Each pick takes the best immediate score; ties go to the
    lower person id, which makes the result deterministic.
    """
    rules = ctx.instance.rules
    team_count = len(ctx.teams)
    used: set[int] = set()
    rosters: list[list[tuple[int, str]]] = [[] for _ in range(team_count)]
    pair_set = set(ctx.pairs)

    def first_timers(ti: int) -> int:
        return sum(1 for ci, _ in rosters[ti] if ctx.candidates[ci].rounds_done == 0)

    def score(ci: int, ti: int) -> int:
        """What adding ``ci`` to team ``ti`` adds to the objective, balance aside."""
        cand = ctx.candidates[ci]
        team = ctx.teams[ti]
        repeats = sum(
            1
            for other, _ in rosters[ti]
            if _pair(cand.person_id, ctx.candidates[other].person_id) in pair_set
        )
        held = set().union(*(ctx.candidates[other].specialties for other, _ in rosters[ti]))
        cover = sum(_cover_bonus(team, s) for s in cand.specialties - held)
        return _gain(cand) + cover - REPEATED_PAIR_PENALTY * repeats

    def pick(
        ti: int, role: str, wanted: Callable[[Candidate], bool], min_score: int | None = None
    ) -> bool:
        team = ctx.teams[ti]
        if len(rosters[ti]) >= team.size_max:
            return False
        cap = ctx.first_timers_on and first_timers(ti) >= rules.max_first_timers
        best: tuple[int, int] | None = None
        best_ci = -1
        for ci, cand in enumerate(ctx.candidates):
            if ci in used or not wanted(cand) or not ctx.usable(cand, team, role):
                continue
            if cap and cand.rounds_done == 0:
                continue
            value = score(ci, ti)
            if min_score is not None and value < min_score:
                continue
            key = (value, -cand.person_id)
            if best is None or key > best:
                best, best_ci = key, ci
        if best is None:
            return False
        used.add(best_ci)
        rosters[ti].append((best_ci, role))
        return True

    def leader_supply(ti: int) -> tuple[int, int, int]:
        team = ctx.teams[ti]
        leaders = sum(1 for c in ctx.candidates if ctx.usable(c, team, LEADER))
        people = sum(1 for c in ctx.candidates if ctx.usable_any(c, team))
        return (leaders, people, team.index)

    order = sorted(range(team_count), key=leader_supply)
    failures: list[str] = []

    def anyone(_: Candidate) -> bool:
        return True

    for ti in order:
        if not pick(ti, LEADER, anyone):
            failures.append(f"greedy found no leader for {_team_name(ctx.teams[ti]).render()}")
    for ti in order:
        team = ctx.teams[ti]
        while sum(1 for _, role in rosters[ti] if role == DEPUTY) < team.deputies_min:
            if not pick(ti, DEPUTY, anyone):
                failures.append(f"greedy ran out of deputies for {_team_name(team).render()}")
                break
    if ctx.specialties_on:
        for ti in order:
            team = ctx.teams[ti]
            for specialty in sorted(team.required_specialties):
                held = any(specialty in ctx.candidates[ci].specialties for ci, _ in rosters[ti])
                if not held and not pick(ti, MEMBER, _holds(specialty)):
                    failures.append(
                        f"greedy found nobody with {specialty} for {_team_name(team).render()}"
                    )
    if ctx.experience_on:
        for ti in order:
            team = ctx.teams[ti]
            while (
                sum(
                    1
                    for ci, _ in rosters[ti]
                    if ctx.candidates[ci].rounds_done >= EXPERIENCED_ROUNDS
                )
                < rules.min_experienced
            ):
                if not pick(ti, MEMBER, lambda c: c.rounds_done >= EXPERIENCED_ROUNDS):
                    failures.append(
                        f"greedy ran out of experienced people for {_team_name(team).render()}"
                    )
                    break
    for ti in order:
        team = ctx.teams[ti]
        while len(rosters[ti]) < team.size_min:
            if not pick(ti, MEMBER, anyone):
                failures.append(
                    f"greedy could not fill {_team_name(team).render()} to {team.size_min}"
                )
                break
    # Extras only where they add to the score, one per team per pass so that no team
    # soaks up all the good candidates.
    added = True
    while added:
        added = False
        for ti in order:
            if pick(ti, MEMBER, anyone, min_score=1):
                added = True

    if failures:
        return _GreedyOutcome(None, tuple(failures))
    assignments = _sorted_assignments(
        ctx,
        (
            Assignment(ctx.teams[ti].index, ctx.candidates[ci].person_id, role)
            for ti in range(team_count)
            for ci, role in rosters[ti]
        ),
    )
    problems = validate(ctx.instance, assignments)
    if problems:
        return _GreedyOutcome(None, tuple(f"greedy result breaks a rule: {p}" for p in problems))
    return _GreedyOutcome(assignments)


# -- local improvement ----------------------------------------------------------------------


class _Polish:
    """First-improvement local search over a valid team list (used by ``solve`` only).

    Moves: add an unplaced person, drop one, replace one by an unplaced person, move one to
    another team, swap two people of different teams; roles stay with the seat (a deputy's
    replacement becomes deputy). A move is taken only if every rule still holds and the
    objective rises. The result seeds CP-SAT: measured on the benchmark, the single search thread
    needed 27 s for its first improvement on the greedy teams, while the slack the greedy
    leaves (experience piled up in the first teams, seats left empty) is what a few swaps
    remove. The number of passes is fixed, so the result does not depend on the machine.
    """

    def __init__(self, ctx: _Context, assignments: Sequence[Assignment]) -> None:
        self.ctx = ctx
        self.n = max(1, len(ctx.teams))
        team_pos = {team.index: ti for ti, team in enumerate(ctx.teams)}
        self.rosters: list[dict[int, str]] = [{} for _ in ctx.teams]
        for item in assignments:
            self.rosters[team_pos[item.team_index]][ctx.position[item.person_id]] = item.role
        self.pairs: dict[int, set[int]] = {}
        for a, b in ctx.pairs:
            ca, cb = ctx.position[a], ctx.position[b]
            self.pairs.setdefault(ca, set()).add(cb)
            self.pairs.setdefault(cb, set()).add(ca)
        self.seasoned = [c.rounds_done >= EXPERIENCED_ROUNDS for c in ctx.candidates]
        self.usable_cache: dict[tuple[int, int, str], bool] = {}
        self.scores = [self._score(ti, roster) for ti, roster in enumerate(self.rosters)]
        self.counts = [self._experienced(roster) for roster in self.rosters]

    def _experienced(self, roster: Mapping[int, str]) -> int:
        return sum(1 for ci in roster if self.seasoned[ci])

    def _score(self, ti: int, roster: Mapping[int, str]) -> int:
        """Team terms of the objective (all but the balance)."""
        team = self.ctx.teams[ti]
        people = self.ctx.candidates
        held: set[str] = set()
        value = 0
        repeats = 0
        for ci in roster:
            value += _gain(people[ci])
            held |= people[ci].specialties
            repeats += len(self.pairs.get(ci, set()) & roster.keys())
        value += sum(_cover_bonus(team, specialty) for specialty in held)
        return value - REPEATED_PAIR_PENALTY * (repeats // 2)

    def _valid(self, ti: int, roster: Mapping[int, str]) -> bool:
        ctx = self.ctx
        team = ctx.teams[ti]
        rules = ctx.instance.rules
        if not team.size_min <= len(roster) <= team.size_max:
            return False
        roles = Counter(roster.values())
        if roles[LEADER] != 1 or not team.deputies_min <= roles[DEPUTY] <= team.deputies_max:
            return False
        people = ctx.candidates
        if ctx.specialties_on:
            held = set().union(*(people[ci].specialties for ci in roster))
            if not team.required_specialties <= held:
                return False
        if ctx.experience_on and self._experienced(roster) < rules.min_experienced:
            return False
        if ctx.first_timers_on:
            first = sum(1 for ci in roster if people[ci].rounds_done == 0)
            if first > rules.max_first_timers:
                return False
        return True

    def _balance(self, counts: Sequence[int]) -> int:
        low, high = _even_spread(counts)
        outside = sum(_outside(e, low, high) for e in counts)
        return -EXPERIENCE_DEVIATION_PENALTY * outside

    def _change(
        self, changed: Mapping[int, dict[int, str]]
    ) -> tuple[int, dict[int, int], list[int]] | None:
        """What the new rosters of the teams in ``changed`` add to the score, with
        their team scores and the experienced counts after; None if a rule breaks."""
        if not all(self._valid(ti, roster) for ti, roster in changed.items()):
            return None
        scores = {ti: self._score(ti, roster) for ti, roster in changed.items()}
        counts = list(self.counts)
        for ti, roster in changed.items():
            counts[ti] = self._experienced(roster)
        delta = sum(scores[ti] - self.scores[ti] for ti in changed)
        if counts != self.counts and self.n >= 2:
            delta += self._balance(counts) - self._balance(self.counts)
        return delta, scores, counts

    def _apply(
        self, changed: Mapping[int, dict[int, str]], scores: dict[int, int], counts: list[int]
    ) -> None:
        for ti, roster in changed.items():
            self.rosters[ti] = roster
            self.scores[ti] = scores[ti]
        self.counts = counts

    def _try(self, changed: Mapping[int, dict[int, str]]) -> bool:
        """Apply the new rosters of the teams in ``changed`` if valid and better."""
        found = self._change(changed)
        if found is None or found[0] <= 0:
            return False
        self._apply(changed, found[1], found[2])
        return True

    def prefer_qualified(self) -> tuple[Assignment, ...]:
        """The teams with each person placed without a valid qualification replaced, in
        the same seat, by the free trained person who adds most to the score, if anyone
        can take the seat within the rules without lowering it (ties: the first in the
        instance). The qualification tie-break of ``solve``; a single pass."""
        people = self.ctx.candidates
        placed = {ci for roster in self.rosters for ci in roster}
        free = [
            ci for ci, c in enumerate(people) if ci not in placed and c.available and c.qualified
        ]
        for ti in range(len(self.rosters)):
            for old in sorted(ci for ci in self.rosters[ti] if not people[ci].qualified):
                roster = self.rosters[ti]
                role = roster[old]
                best: tuple[int, int, dict[int, str], dict[int, int], list[int]] | None = None
                for ci in free:
                    if not self._usable(ci, ti, role):
                        continue
                    swapped = {k: v for k, v in roster.items() if k != old}
                    swapped[ci] = role
                    found = self._change({ti: swapped})
                    if found is not None and found[0] >= 0 and (best is None or found[0] > best[0]):
                        best = (found[0], ci, swapped, found[1], found[2])
                if best is not None:
                    self._apply({ti: best[2]}, best[3], best[4])
                    free.remove(best[1])
        return self._assignments()

    def _usable(self, ci: int, ti: int, role: str) -> bool:
        key = (ci, ti, role)
        found = self.usable_cache.get(key)
        if found is None:
            found = self.ctx.usable(self.ctx.candidates[ci], self.ctx.teams[ti], role)
            self.usable_cache[key] = found
        return found

    def run(self, passes: int) -> tuple[Assignment, ...]:
        team_count = len(self.ctx.teams)
        for _ in range(passes):
            improved = False
            placed = {ci: ti for ti, roster in enumerate(self.rosters) for ci in roster}
            free = [
                ci
                for ci, cand in enumerate(self.ctx.candidates)
                if ci not in placed and cand.available
            ]
            # Add, drop and replace (the only moves that change who serves).
            for ci in free:
                for ti in range(team_count):
                    roster = self.rosters[ti]
                    if self._usable(ci, ti, MEMBER) and self._try({ti: {**roster, ci: MEMBER}}):
                        improved = True
                        break
                    added = False
                    for old, role in list(roster.items()):
                        if self._usable(ci, ti, role):
                            swapped = {k: v for k, v in roster.items() if k != old}
                            swapped[ci] = role
                            if self._try({ti: swapped}):
                                improved = added = True
                                break
                    if added:
                        break
            for ti in range(team_count):
                for old in [ci for ci, role in self.rosters[ti].items() if role != LEADER]:
                    roster = self.rosters[ti]
                    if old in roster and self._try(
                        {ti: {k: v for k, v in roster.items() if k != old}}
                    ):
                        improved = True
            # Move and swap between teams.
            for ta in range(team_count):
                for ci in list(self.rosters[ta]):
                    for tb in range(team_count):
                        if tb == ta or ci not in self.rosters[ta]:
                            continue
                        if self._exchange(ci, ta, tb):
                            improved = True
                            break
            if not improved:
                break
        return self._assignments()

    def _assignments(self) -> tuple[Assignment, ...]:
        return _sorted_assignments(
            self.ctx,
            (
                Assignment(self.ctx.teams[ti].index, self.ctx.candidates[ci].person_id, role)
                for ti, roster in enumerate(self.rosters)
                for ci, role in roster.items()
            ),
        )

    def _exchange(self, ci: int, ta: int, tb: int) -> bool:
        """Move ``ci`` from team ``ta`` to ``tb`` in its role, or swap it with someone there."""
        source, target = self.rosters[ta], self.rosters[tb]
        role = source[ci]
        rest = {k: v for k, v in source.items() if k != ci}
        movable = role != LEADER and self._usable(ci, tb, role)
        if movable and self._try({ta: rest, tb: {**target, ci: role}}):
            return True
        for other, other_role in list(target.items()):
            if not (self._usable(ci, tb, other_role) and self._usable(other, ta, role)):
                continue
            new_target = {k: v for k, v in target.items() if k != other}
            new_target[ci] = other_role
            if self._try({ta: {**rest, other: role}, tb: new_target}):
                return True
        return False


def _holds(specialty: str) -> Callable[[Candidate], bool]:
    return lambda cand: specialty in cand.specialties


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


# -- JSON helpers ---------------------------------------------------------------------------

_MISSING: Any = object()


def _rows(data: Mapping[str, Any], key: str, *, required: bool = True) -> list[Mapping[str, Any]]:
    rows = data.get(key, _MISSING)
    if rows is _MISSING:
        if required:
            raise ValueError(f"missing {key!r}")
        return []
    if not isinstance(rows, list) or not all(isinstance(row, Mapping) for row in rows):
        raise ValueError(f"{key!r} must be a list of objects")
    return rows


def _get(row: Mapping[str, Any], key: str, default: Any) -> Any:
    value = row.get(key, default)
    if value is _MISSING:
        raise ValueError(f"missing {key!r} in {dict(row)!r}")
    return value


def _as_int(value: Any, key: str) -> int:
    # bool is an int subclass; true/false where a number belongs is a data error. JSON has
    # one number type, so 3.0 is the integer 3 (as JSON Schema's "integer" has it).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key!r} must be an integer, got {value!r}")
    return int(value)


def _int(row: Mapping[str, Any], key: str, default: Any = _MISSING) -> int:
    return _as_int(_get(row, key, default), key)


def _str(row: Mapping[str, Any], key: str, default: Any = _MISSING) -> str:
    value = _get(row, key, default)
    if not isinstance(value, str):
        raise ValueError(f"{key!r} must be a string, got {value!r}")
    return value


def _bool(row: Mapping[str, Any], key: str, default: Any = _MISSING) -> bool:
    value = _get(row, key, default)
    if not isinstance(value, bool):
        raise ValueError(f"{key!r} must be true or false, got {value!r}")
    return value


def _int_list(row: Mapping[str, Any], key: str) -> list[int]:
    value = _get(row, key, [])
    if not isinstance(value, list):
        raise ValueError(f"{key!r} must be a list, got {value!r}")
    return [_as_int(item, key) for item in value]


def _str_set(row: Mapping[str, Any], key: str, default: frozenset[str]) -> frozenset[str]:
    value = row.get(key, _MISSING)
    if value is _MISSING:
        return default
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{key!r} must be a list of strings, got {value!r}")
    return frozenset(value)
