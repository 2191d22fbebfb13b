"""CP-SAT solver settings shared by the optimisation modules (team formation, interview
scheduling): reproducible on one thread, or racing on several."""

from __future__ import annotations

from ortools.sat.python import cp_model


def make_solver(
    time_limit: float, seed: int, workers: int, deterministic: bool, *, presolve: bool = True
) -> cp_model.CpSolver:
    """One deterministic search thread on CP-SAT's clock, or ``workers`` racing ones."""
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.random_seed = seed
    params.cp_model_presolve = presolve
    if deterministic:
        params.num_workers = 1
        params.max_deterministic_time = time_limit
        params.max_time_in_seconds = 2 * time_limit
    else:
        params.num_workers = max(1, workers)
        params.max_time_in_seconds = time_limit
    return solver
