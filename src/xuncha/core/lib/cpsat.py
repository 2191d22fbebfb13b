"""CP-SAT solver settings shared by the optimisation modules (team formation, interview
scheduling): reproducible on one thread, or racing on several."""

from __future__ import annotations

from ortools.sat.python import cp_model


def make_solver(
    time_limit: float, seed: int, workers: int, deterministic: bool, *, presolve: bool = True
) -> cp_model.CpSolver:
    """One deterministic search thread on CP-SAT's clock, or ``workers`` racing ones.

    In deterministic mode the wall-clock limit is only a safety net, set well above the
    deterministic one: a loaded machine must not cut the search short, or the same seed
    would give another result."""
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.random_seed = seed
    params.cp_model_presolve = presolve
    if deterministic:
        params.num_workers = 1
        params.max_deterministic_time = time_limit
        params.max_time_in_seconds = 4 * time_limit + 10
    else:
        params.num_workers = max(1, workers)
        params.max_time_in_seconds = time_limit
    return solver
