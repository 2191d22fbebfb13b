"""Interview scheduling for one round: CP-SAT against the greedy rule of thumb.

The instance comes from ``schedule_gen.generate`` (3 teams, 120 talks, 15 working days:
5-7 members and 2-3 talk rooms per team, main leaders talked to first and near the end,
fixed public talks, members away, interviewees with limited availability, recusal
conflicts). Both schedules are checked by ``scheduling.validate``, which re-implements the
rules with plain loops and shares nothing with the model, and scored by
``scheduling.objective_value``; the workload balance (talks per member within each team:
spread and coefficient of variation) is computed here.

The solver runs with two racing workers under a wall-clock limit of 60 s (the machine has
two cores); the default deterministic mode (one thread on CP-SAT's own clock) is for
reproducible runs in the app and the tests.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from _common import write
from xuncha.fieldwork.lib import schedule_gen, scheduling
from xuncha.talent.lib.formation import Text

SEED = 2026
TIME_LIMIT = 60.0
WORKERS = 2


def balance(instance: scheduling.Instance, slots: tuple[scheduling.Slot, ...]) -> dict[str, Any]:
    """Talks per member by team: counts, spread (most - fewest), coefficient of variation."""
    teams: dict[str, Any] = {}
    for team_id, counts in sorted(scheduling.workload(instance, slots).items()):
        values = sorted(counts.values())
        mean = statistics.fmean(values)
        teams[str(team_id)] = {
            "talks_per_member": values,
            "spread": max(values) - min(values),
            "cv": round(statistics.pstdev(values) / mean, 4) if mean else 0.0,
        }
    return {
        "teams": teams,
        "mean_spread": round(statistics.fmean(t["spread"] for t in teams.values()), 3),
        "max_spread": max(t["spread"] for t in teams.values()),
        "mean_cv": round(statistics.fmean(t["cv"] for t in teams.values()), 4),
    }


def summary(instance: scheduling.Instance, result: scheduling.Result) -> dict[str, Any]:
    violations = scheduling.validate(instance, result.slots)
    by_id = {iv.interview_id: iv for iv in instance.interviews}
    priority_days = sum(by_id[s.interview_id].priority * s.day for s in result.slots)
    return {
        "seconds": round(result.seconds, 3),
        "status": result.status,
        "objective": round(result.objective or 0.0, 3),
        "placed": len(result.slots),
        "left_out": [item.interview_id for item in result.unscheduled],
        "violations": len(violations),
        "violations_listed": [f"{v.kind}: {v.message}" for v in violations[:10]],
        "objective_recomputed_agrees": abs(
            scheduling.objective_value(instance, result.slots) - (result.objective or 0.0)
        )
        < 1e-6,
        "priority_weighted_days": priority_days,
        "last_day_used": max((s.day for s in result.slots), default=None),
        "balance": balance(instance, result.slots),
        "explanation": list(result.explanation),
    }


# -- the run -------------------------------------------------------------------------------

started = time.perf_counter()
generated = schedule_gen.generate(teams=3, interviews=120, days=15, seed=SEED)
generate_seconds = time.perf_counter() - started
instance = generated.instance

baseline = scheduling.greedy(instance)

timeline: list[dict[str, Any]] = []


def progress(fraction: float, message: Text) -> None:
    since_call = time.perf_counter() - wall
    timeline.append(
        {"seconds": round(since_call, 2), "fraction": round(fraction, 3), **dict(message.params)}
    )
    print(f"  {since_call:6.1f} s  {fraction:4.2f}  {message.render()}")


wall = time.perf_counter()
result = scheduling.solve(
    instance,
    time_limit=TIME_LIMIT,
    seed=0,
    workers=WORKERS,
    deterministic=False,
    progress=progress,
)
solve_wall = time.perf_counter() - wall

greedy_summary = summary(instance, baseline)
solve_summary = summary(instance, result)
greedy_balance = greedy_summary["balance"]
solve_balance = solve_summary["balance"]


def ratio(a: float, b: float) -> float | None:
    return None if b == 0 else round(a / b, 4)


write(
    "interview_schedule",
    {
        "seed": SEED,
        "instance": {**generated.stats, "generate_seconds": round(generate_seconds, 3)},
        "time_limit_seconds": TIME_LIMIT,
        "workers": WORKERS,
        "greedy": greedy_summary,
        "solve": {
            **solve_summary,
            "wall_seconds": round(solve_wall, 1),
            "bound": None if result.bound is None else round(result.bound, 3),
            "gap": None if result.gap is None else round(result.gap, 5),
            "seconds_to_best": next(
                (
                    point["seconds"]
                    for point in timeline
                    if point.get("objective") == round(result.objective or 0.0, 2)
                ),
                None,
            ),
            "improving_solutions": timeline,
        },
        "solver_over_greedy": {
            "objective": ratio(result.objective or 0.0, baseline.objective or 0.0),
            "mean_spread": ratio(solve_balance["mean_spread"], greedy_balance["mean_spread"]),
            "mean_cv": ratio(solve_balance["mean_cv"], greedy_balance["mean_cv"]),
        },
        "targets": {
            "every_rule_held_solver": solve_summary["violations"] == 0,
            "every_rule_held_greedy": greedy_summary["violations"] == 0,
            "every_talk_placed": result.complete,
            "solver_not_worse_than_greedy": (result.objective or 0.0)
            <= (baseline.objective or 0.0),
        },
    },
)
