"""The coverage proposer on a county term and on a prefecture-sized input.

Baseline, same run: a naive round-robin that deals targets to rounds in input order with
no priorities, bundles or capacity checks. The ratio is what priority ordering, 巡镇带村
bundling and capacity packing cost on top of merely listing the targets."""

from __future__ import annotations

import random
import time

from _common import write
from xuncha.rounds.lib import planner


def request(
    units: int, townships: int, villages_per: int, slots: int, teams: int
) -> planner.PlanRequest:
    rng = random.Random(2026)
    targets = [
        planner.Target(id=i, name=f"u{i}", kind="unit", priority=rng.choice([1, 1, 2, 5]))
        for i in range(units)
    ]
    next_id = units
    for t in range(townships):
        town = next_id
        targets.append(planner.Target(id=town, name=f"t{t}", kind="township"))
        next_id += 1
        for _ in range(villages_per):
            targets.append(
                planner.Target(id=next_id, name=f"v{next_id}", kind="village", township_id=town)
            )
            next_id += 1
    return planner.PlanRequest(
        targets=targets,
        slots=[
            planner.RoundSlot(index=i, label=str(i), teams=teams, team_capacity=3.0)
            for i in range(slots)
        ],
        kind_weight={"unit": 1.0, "township": 1.0, "village": 0.25},
        township_with_villages=True,
    )


def naive(req: planner.PlanRequest) -> dict[int, list[int]]:
    plan: dict[int, list[int]] = {s.index: [] for s in req.slots}
    for n, target in enumerate(req.targets):
        plan[n % len(req.slots)].append(target.id)
    return plan


def best_of(fn, arg, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - start)
    return min(times)


results = {}
for label, req in (
    ("county", request(200, 20, 15, 12, 9)),
    ("prefecture", request(2400, 240, 15, 12, 90)),
):
    proposal = planner.propose(req)
    seconds = best_of(planner.propose, req)
    baseline = best_of(naive, req)
    results[label] = {
        "targets": len(req.targets),
        "rounds": len(req.slots),
        "placed": sum(len(t.target_ids) for s in proposal.slots for t in s.teams),
        "unplaced": len(proposal.unplaced),
        "propose_seconds": round(seconds, 4),
        "baseline_round_robin_seconds": round(baseline, 5),
        "ratio_to_baseline": round(seconds / baseline, 1),
    }
write("planner", results)
