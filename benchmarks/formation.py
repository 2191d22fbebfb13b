"""Team formation on a prefecture: CP-SAT against the greedy rule of thumb.

The instance comes from ``instance_gen.prefecture`` (12 counties, 600 inspectors, 40 teams
of 5 targets, cross round, recusal from generated careers and kinship). Both team lists are
checked by a validator written here from docs/formats/team-instance.md, sharing no code
with ``formation``; ``formation.validate`` and ``formation.objective_value`` must agree
with it. Targets (issue): no rule broken, gap <= 1% within 60 s, objective >= 10% above
the greedy baseline.

The solver runs with its defaults (neighbourhood steps, then one deterministic search
thread over the whole problem): ``time_limit`` is in CP-SAT's deterministic units, which
track seconds only roughly, so the wall-clock time is reported next to them, as is the
first moment the gap was 1% or less (the solver reports every better team list and every
better proven bound as it finds them).

The same is measured on the same prefecture with a thin pool (``thin_pool``: fewer leader
candidates, fewer people free), and both report two figures that do not depend on the
score's zero point: how far above greedy the bound lies, and the share of that distance
the solver closed (docs/formats/team-instance.md, Performance).

``other_seeds`` repeats the measurement, in short, on prefectures generated with other
seeds, so the gap target is shown to hold beyond the one instance the issue names.
"""

from __future__ import annotations

import time
from collections import Counter

from _common import write
from xuncha.talent.lib import formation, instance_gen

SEED = 2026
TIME_LIMIT = 60.0
GAP_TARGET = 0.01
IMPROVEMENT_TARGET = 0.10
THIN_LEADER_SHARE = (0.04, 0.04)  # leader eligibility: base + step per round, up to four
THIN_AVAILABILITY = 0.75
OTHER_SEEDS = (7, 11, 13)


# -- an independent check, written from the format description ---------------------------


def hard_rule_violations(
    instance: formation.Instance, assignments: tuple[formation.Assignment, ...]
) -> list[str]:
    """The hard rules of docs/formats/team-instance.md, re-implemented."""
    people = {c.person_id: c for c in instance.candidates}
    teams = {t.index: t for t in instance.teams}
    relaxed = instance.rules.relaxed
    banned = {(f.person_id, f.team_index, f.role) for f in instance.forbidden}
    found: list[str] = []
    seen: Counter[int] = Counter(a.person_id for a in assignments)
    found += [f"person {pid} placed {n} times" for pid, n in seen.items() if n > 1]
    roster: dict[int, list[tuple[formation.Candidate, str]]] = {i: [] for i in teams}
    for a in assignments:
        who, team = people.get(a.person_id), teams.get(a.team_index)
        if who is None or team is None or a.role not in ("leader", "deputy", "member"):
            found.append(f"bad assignment {a}")
            continue
        roster[a.team_index].append((who, a.role))
        if not who.available:
            found.append(f"{a.person_id} unavailable")
        if a.role == "leader" and not who.leader_eligible:
            found.append(f"{a.person_id} leads without being in the leader pool")
        if (a.person_id, a.team_index, a.role) in banned or (
            a.person_id,
            a.team_index,
            "any",
        ) in banned:
            found.append(f"{a.person_id} forbidden as {a.role} in team {a.team_index}")
        if instance.rules.cross and "cross" not in relaxed and who.county in team.target_counties:
            found.append(f"{a.person_id} inspects home county in team {a.team_index}")
    for index, team in teams.items():
        members = roster[index]
        roles = Counter(role for _, role in members)
        if roles["leader"] != 1:
            found.append(f"team {index}: {roles['leader']} leaders")
        if not team.deputies_min <= roles["deputy"] <= team.deputies_max:
            found.append(f"team {index}: {roles['deputy']} deputies")
        if not team.size_min <= len(members) <= team.size_max:
            found.append(f"team {index}: {len(members)} people")
        held = set().union(*(p.specialties for p, _ in members)) if members else set()
        if "specialties" not in relaxed and not team.required_specialties <= held:
            found.append(f"team {index}: missing {sorted(team.required_specialties - held)}")
        seasoned = sum(p.rounds_done >= 2 for p, _ in members)
        if "min_experienced" not in relaxed and seasoned < instance.rules.min_experienced:
            found.append(f"team {index}: {seasoned} experienced")
        novices = sum(p.rounds_done == 0 for p, _ in members)
        if "max_first_timers" not in relaxed and novices > instance.rules.max_first_timers:
            found.append(f"team {index}: {novices} first-timers")
    return found


def objective_terms(
    instance: formation.Instance, assignments: tuple[formation.Assignment, ...]
) -> dict[str, float]:
    """The objective of the format description, term by term, recomputed here."""
    people = {c.person_id: c for c in instance.candidates}
    teams = {t.index: t for t in instance.teams}
    members: dict[int, list[formation.Candidate]] = {i: [] for i in teams}
    for a in assignments:
        members[a.team_index].append(people[a.person_id])
    required = breadth = 0
    for index, team in teams.items():
        held = set().union(*(p.specialties for p in members[index])) if members[index] else set()
        required += len(held & team.required_specialties)
        breadth += len(held - team.required_specialties)
    experienced = {i: sum(p.rounds_done >= 2 for p in m) for i, m in members.items()}
    # Beyond the most even spread: below floor(average) or above ceil(average).
    floor = sum(experienced.values()) // len(teams)
    ceil = floor + (sum(experienced.values()) % len(teams) > 0)
    deviation = sum(max(0, floor - n, n - ceil) for n in experienced.values())
    pairs = sum(
        1
        for m in members.values()
        for a, b in instance.previous_pairs
        if a in {p.person_id for p in m} and b in {p.person_id for p in m}
    )
    workload = sum(p.workload for m in members.values() for p in m)
    terms = {
        "required_specialties_held": 10 * required,
        "other_specialties_held": 4 * breadth,
        "experienced_people": 3 * sum(experienced.values()),
        "experience_deviation": -2 * deviation,
        "repeated_pairs": -5 * pairs,
        "workload": -2 * workload,
    }
    return {**terms, "total": sum(terms.values())}


def counts(instance: formation.Instance, result: formation.Result) -> dict[str, object]:
    people = {c.person_id: c for c in instance.candidates}
    placed = [people[a.person_id] for a in result.assignments]
    return {
        "people_placed": len(placed),
        "experienced_placed": sum(p.rounds_done >= 2 for p in placed),
        "with_workload_placed": sum(p.workload > 0 for p in placed),
        "unqualified_placed": sum(not p.qualified for p in placed),
    }


# -- the run -------------------------------------------------------------------------------


def measure(generated: instance_gen.Generated) -> dict[str, object]:
    """Greedy and solve on one instance, both checked here, with the targets' figures."""
    instance = generated.instance
    baseline = formation.greedy(instance)
    assert baseline.objective is not None, baseline.explanation

    timeline: list[dict[str, float | None]] = []
    wall = time.perf_counter()

    def progress(objective: float, bound: float | None, seconds: float | None) -> None:
        # "seconds" counts from the call to solve, by the benchmark's clock.
        since_call = time.perf_counter() - wall
        gap = formation.relative_gap(objective, bound)
        timeline.append({"seconds": since_call, "objective": objective, "bound": bound, "gap": gap})
        print(f"  {since_call:6.1f} s  objective {objective:.1f}  bound {bound}  gap {gap}")

    result = formation.solve(instance, time_limit=TIME_LIMIT, seed=0, progress=progress)
    solve_wall = time.perf_counter() - wall
    assert result.objective is not None, result.explanation

    checks = {}
    for label, outcome in (("greedy", baseline), ("solve", result)):
        mine = hard_rule_violations(instance, outcome.assignments)
        theirs = formation.validate(instance, outcome.assignments)
        terms = objective_terms(instance, outcome.assignments)
        checks[label] = {
            "violations": len(mine),
            "violations_listed": mine[:10],
            "formation_validate_agrees": bool(mine) == bool(theirs),
            "objective_recomputed": terms["total"],
            "objective_agrees": abs(terms["total"] - (outcome.objective or 0.0)) < 1e-6,
            "terms": terms,
            **counts(instance, outcome),
        }

    within = [p for p in timeline if p["gap"] is not None and p["gap"] <= GAP_TARGET]
    first_within = within[0]["seconds"] if within else None
    improvement = (result.objective - baseline.objective) / abs(baseline.objective)
    bound = result.bound if result.bound is not None else result.objective
    # Ratios of the score itself depend on its zero point: adding the same number to every
    # team list's score (a bonus per team, say) changes them but not which list is best.
    # These do not: the share of greedy's distance to the proven bound the solver closed,
    # and the most any method could add to greedy's score on this instance.
    headroom = bound - baseline.objective
    closed = None if headroom <= 0 else (result.objective - baseline.objective) / headroom
    return {
        "seed": generated.seed,
        "instance": dict(generated.stats),
        "greedy": {
            "seconds": round(baseline.seconds, 3),
            "objective": baseline.objective,
            **checks["greedy"],
        },
        "solve": {
            "status": result.status,
            "seconds": round(result.seconds, 1),
            "wall_seconds": round(solve_wall, 1),
            "objective": result.objective,
            "bound": result.bound,
            "gap": None if result.gap is None else round(result.gap, 5),
            "seconds_to_gap_1pct": None if first_within is None else round(first_within, 1),
            "progress": [
                {k: (None if v is None else round(v, 4)) for k, v in point.items()}
                for point in timeline
            ],
            **checks["solve"],
        },
        "improvement_over_greedy": round(improvement, 5),
        "improvement_over_greedy_absolute": round(result.objective - baseline.objective, 2),
        "most_any_method_could_improve": round(headroom / abs(baseline.objective), 5),
        "share_of_greedy_headroom_closed": None if closed is None else round(closed, 4),
        "targets": {
            "no_rule_broken": checks["greedy"]["violations"] == 0
            and checks["solve"]["violations"] == 0,
            "gap_at_most_1pct": result.gap is not None and result.gap <= GAP_TARGET,
            "gap_1pct_within_60_wall_seconds": first_within is not None and first_within <= 60,
            "at_least_10pct_over_greedy": improvement >= IMPROVEMENT_TARGET,
        },
    }


started = time.perf_counter()
generated = instance_gen.prefecture(SEED)
generate_seconds = time.perf_counter() - started
main = measure(generated)
main["instance"] = {**generated.stats, "generate_seconds": round(generate_seconds, 2)}

# The same prefecture with a pool as thin as the essay describes it (few willing leader
# candidates, many members still tied to their home job): 58 leader candidates for 40
# teams instead of 200, and three in four available instead of nine in ten. It shows whether
# the 10% is a matter of the pool being generous.
print("thin pool")
thin = measure(
    instance_gen.prefecture(SEED, leader_share=THIN_LEADER_SHARE, availability=THIN_AVAILABILITY)
)
thin["generator"] = {"leader_share": THIN_LEADER_SHARE, "availability": THIN_AVAILABILITY}

others = {}
for other_seed in OTHER_SEEDS:
    print(f"seed {other_seed}")
    full = measure(instance_gen.prefecture(other_seed))
    others[str(other_seed)] = {
        "greedy_objective": full["greedy"]["objective"],
        **{
            key: full["solve"][key]
            for key in ("status", "objective", "bound", "gap", "seconds_to_gap_1pct")
        },
        "wall_seconds": full["solve"]["wall_seconds"],
        "experienced_placed": full["solve"]["experienced_placed"],
        "most_any_method_could_improve": full["most_any_method_could_improve"],
        "share_of_greedy_headroom_closed": full["share_of_greedy_headroom_closed"],
        "targets": full["targets"],
    }

write(
    "formation",
    {
        "time_limit_deterministic_units": TIME_LIMIT,
        **main,
        "thin_pool": thin,
        "other_seeds": others,
    },
)
