"""The static core of the consolidation model: capacitated facility location (CFLP).

With one year, no scale tiers and no per-year limits, choosing hubs is exactly a CFLP: open hubs
(fixed cost), assign every organisation's volume to an open hub (assignment cost), never above a hub's
capacity. The same PuLP idioms and solver handling as the full model are used here, and the
OR-Library instances (Beasley 1988) with their published optima check them.

Beasley's optima are for the split-demand problem (0 <= x <= 1); `single_source=True` makes the
assignment binary, as organisations cannot be split between hubs in the consolidation model.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

import highspy
import pulp

from solver.cbc import cbc_solver
from solver.problem import SolveOptions, Status


@dataclass(frozen=True)
class FacilityLocation:
    capacity: list[float]  # per facility (hub)
    fixed_cost: list[float]  # per facility
    demand: list[float]  # per customer (organisation)
    assignment_cost: list[list[float]]  # [facility][customer]: cost of serving ALL of the customer's demand


@dataclass
class FacilityLocationResult:
    status: Status
    objective: float | None
    best_bound: float | None
    open_facilities: list[int]
    assignment: dict[tuple[int, int], float]  # (facility, customer) -> share of the customer's demand
    build_seconds: float
    solve_seconds: float


_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def read_orlib_cap(path: str | Path) -> FacilityLocation:
    """Read an OR-Library `cap*.txt` file as a stream of numbers (line breaks vary between copies)."""
    numbers = [float(x) for x in _NUMBER.findall(Path(path).read_text())]
    m, n = int(numbers[0]), int(numbers[1])
    pos = 2
    capacity, fixed = [], []
    for _ in range(m):
        capacity.append(numbers[pos])
        fixed.append(numbers[pos + 1])
        pos += 2
    demand = []
    cost = [[0.0] * n for _ in range(m)]
    for j in range(n):
        demand.append(numbers[pos])
        pos += 1
        for i in range(m):
            cost[i][j] = numbers[pos]
            pos += 1
    if pos != len(numbers):
        raise ValueError(
            f"{path}: {len(numbers) - pos} numbers left over after {m} facilities and {n} customers"
        )
    return FacilityLocation(capacity, fixed, demand, cost)


def read_orlib_optima(path: str | Path) -> dict[str, float]:
    """Published optimal values (`capopt.txt`): instance name -> optimum."""
    optima = {}
    for line in Path(path).read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith("cap"):
            optima[parts[0]] = float(parts[1])
    return optima


def solve_cflp(
    problem: FacilityLocation, options: SolveOptions = SolveOptions(), *, single_source: bool = False
) -> FacilityLocationResult:
    started = time.perf_counter()
    m, n = len(problem.capacity), len(problem.demand)
    prob = pulp.LpProblem("cflp", pulp.LpMinimize)
    cat = pulp.LpBinary if single_source else pulp.LpContinuous
    open_ = [prob.add_variable(f"y_{i}", cat=pulp.LpBinary) for i in range(m)]
    serve = [[prob.add_variable(f"x_{i}_{j}", 0.0, 1.0, cat=cat) for j in range(n)] for i in range(m)]
    prob.setObjective(
        pulp.LpAffineExpression(
            [(open_[i], problem.fixed_cost[i]) for i in range(m)]
            + [(serve[i][j], problem.assignment_cost[i][j]) for i in range(m) for j in range(n)]
        )
    )
    for j in range(n):
        prob.addConstraint(
            pulp.LpAffineExpression([(serve[i][j], 1.0) for i in range(m)]) == 1.0, f"serve_{j}"
        )
    for i in range(m):
        terms = [(serve[i][j], problem.demand[j]) for j in range(n)] + [(open_[i], -problem.capacity[i])]
        prob.addConstraint(pulp.LpAffineExpression(terms) <= 0.0, f"capacity_{i}")
        # x <= y: redundant given capacity, but it is what makes the LP bound strong
        for j in range(n):
            prob.addConstraint(
                pulp.LpAffineExpression([(serve[i][j], 1.0), (open_[i], -1.0)]) <= 0.0, f"link_{i}_{j}"
            )
    # Total capacity must cover total demand (a valid cut that tightens the LP).
    prob.addConstraint(
        pulp.LpAffineExpression([(open_[i], problem.capacity[i]) for i in range(m)]) >= sum(problem.demand),
        "cover",
    )
    build = time.perf_counter() - started
    started = time.perf_counter()
    if options.solver == "cbc":
        solver: pulp.LpSolver = cbc_solver(msg=options.msg, timeLimit=options.time_limit, gapRel=1e-9)
    else:
        solver = pulp.HiGHS(
            msg=options.msg,
            timeLimit=options.time_limit,
            gapRel=1e-9,
            threads=options.threads,
            presolve="off",
        )
    prob.solve(solver)
    seconds = time.perf_counter() - started
    objective: float | None = pulp.value(prob.objective)
    bound = objective
    if options.solver == "cbc":
        status = {
            pulp.LpSolutionOptimal: Status.OPTIMAL,
            pulp.LpSolutionIntegerFeasible: Status.FEASIBLE,
        }.get(prob.sol_status, Status.INFEASIBLE if prob.status == pulp.LpStatusInfeasible else Status.ERROR)
    else:
        highs = prob.solverModel
        model_status = highs.getModelStatus()
        info = highs.getInfo()
        bound = info.mip_dual_bound
        if model_status == highspy.HighsModelStatus.kOptimal:
            status = Status.OPTIMAL
        elif model_status == highspy.HighsModelStatus.kInfeasible:
            status = Status.INFEASIBLE
        elif info.primal_solution_status == 2:
            status = Status.FEASIBLE
        else:
            status = Status.ERROR
    if status in (Status.INFEASIBLE, Status.ERROR):
        objective = None
    return FacilityLocationResult(
        status=status,
        objective=objective,
        best_bound=bound,
        open_facilities=[i for i in range(m) if (open_[i].varValue or 0.0) > 0.5],
        assignment={
            (i, j): float(serve[i][j].varValue or 0.0)
            for i in range(m)
            for j in range(n)
            if (serve[i][j].varValue or 0.0) > 1e-9
        },
        build_seconds=build,
        solve_seconds=seconds,
    )
