"""Solving a built model once, with HiGHS (through highspy, with a warm start, a progress callback and an
interrupt) or CBC, and reading the outcome, bound and gap from the solver itself: PuLP 3.x calls an
answer stopped at a time limit "Optimal". `solve` (solver/solve.py) decides which models to run and when.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import highspy
import numpy as np
import pulp

from solver.cbc import cbc_solver
from solver.model import ConsolidationModel
from solver.problem import (
    Hub,
    SolveOptions,
)

# A plan's NPV and the model objective must agree to the penny.
PENNY = 0.01

# HiGHS 1.15.1 with presolve on returned wrong "optimal" and "infeasible" answers on an earlier form of
# this model (../shared/notes/optimiser-difficulty.md); off is what the enumeration tests prove right.
HIGHS_PRESOLVE = False

# What a running solver hands its progress hook: the column values of a new incumbent (None when it only
# reports its bound) and its dual bound in NPV terms (None while it has none).
SolverProgress = Callable[[list[float] | None, float | None], None]


@dataclass
class RunResult:
    """One solver run, read from the solver itself (never from PuLP's status word)."""

    outcome: str  # optimal | feasible | infeasible | no_solution | error
    hubs: list[Hub] = field(default_factory=list)
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    nodes: int | None = None
    seconds: float = 0.0
    message: str = ""
    # Stopped by its time limit (the caller's deadline), not by its work limit or a proof: nothing that
    # follows it in `solve` may run, so that a longer limit only ever runs the same steps further.
    timed_out: bool = False


class HighsWithStart(pulp.HiGHS):
    """PuLP's HiGHS interface, handing the variables' current values to HiGHS as a starting plan."""

    def __init__(
        self,
        *args: object,
        start: bool = False,
        progress: SolverProgress | None = None,
        variables: list[pulp.LpVariable] | None = None,
        deadline: float | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.start = start
        self.progress = progress
        self.columns = variables
        # perf_counter() time by which HiGHS must stop (its time limit is set from it just before it
        # runs): the time spent handing the model over counts against the caller's limit.
        self.deadline = deadline

    def actualSolve(self, lp: pulp.LpProblem) -> int:
        """PuLP's sequence (configure, build, solve, read back) without its per-call `lp.variables()`
        walks and per-row read-back, which cost more than HiGHS itself on the large footprints."""
        if self.columns is None:
            self.columns = lp.variables()
        self.createAndConfigureSolver(lp)
        self.buildSolverModel(lp)
        self.callSolver(lp)
        highs = lp.solverModel
        status = highs.getModelStatus()
        ms = highspy.HighsModelStatus
        has_solution = highs.getInfo().primal_solution_status == 2  # kSolutionStatusFeasible
        if has_solution:
            for var, value in zip(self.columns, highs.getSolution().col_value, strict=True):
                var.varValue = value
        # Only for PuLP's own status word, which this package never trusts (see _run_highs).
        if status == ms.kOptimal:
            lp.assignStatus(pulp.LpStatusOptimal, pulp.LpSolutionOptimal)
        elif status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
            lp.assignStatus(pulp.LpStatusInfeasible, pulp.LpSolutionInfeasible)
        elif has_solution:
            lp.assignStatus(pulp.LpStatusOptimal, pulp.LpSolutionIntegerFeasible)
        else:
            lp.assignStatus(pulp.LpStatusNotSolved, pulp.LpSolutionNoSolutionFound)
        return int(lp.status)

    def buildSolverModel(self, lp: pulp.LpProblem) -> None:
        """Hand the whole model to HiGHS in three bulk calls (PuLP adds one column and one row per call,
        which costs seconds on the large footprints). Indices are set exactly as PuLP's version does."""
        inf = highspy.kHighsInf
        highs = lp.solverModel
        sign = -1.0 if lp.sense == pulp.LpMaximize else 1.0
        variables = self.columns
        assert variables is not None  # set by actualSolve
        costs, lower, upper, integers = [], [], [], []
        for i, var in enumerate(variables):
            var.index = i
            costs.append(sign * lp.objective.get(var, 0.0))
            lower.append(-inf if var.lowBound is None else var.lowBound)
            upper.append(inf if var.upBound is None else var.upBound)
            if var.cat == pulp.LpInteger and self.mip:
                integers.append(i)
        count = len(variables)
        none_i = np.zeros(0, dtype=np.int32)
        none_f = np.zeros(0, dtype=np.float64)
        highs.addCols(
            count,
            np.array(costs),
            np.array(lower),
            np.array(upper),
            0,
            np.zeros(count, dtype=np.int32),
            none_i,
            none_f,
        )
        if integers:
            highs.changeColsIntegrality(
                len(integers),
                np.array(integers, dtype=np.int32),
                np.array([highspy.HighsVarType.kInteger] * len(integers)),
            )
        row_lower: list[float] = []
        row_upper: list[float] = []
        starts: list[int] = []
        indices: list[int] = []
        values: list[float] = []
        for i, constraint in enumerate(lp._constraints.values()):
            constraint.index = i
            starts.append(len(indices))
            for var, coefficient in constraint.items():
                if coefficient != 0:
                    indices.append(var.index)
                    values.append(coefficient)
            low, up = constraint.getLb(), constraint.getUb()
            row_lower.append(-inf if low is None else low)
            row_upper.append(inf if up is None else up)
        if starts:
            highs.addRows(
                len(starts),
                np.array(row_lower),
                np.array(row_upper),
                len(indices),
                np.array(starts, dtype=np.int32),
                np.array(indices, dtype=np.int32),
                np.array(values, dtype=np.float64),
            )

    def callSolver(self, lp: pulp.LpProblem) -> None:
        if self.start:
            solution = highspy.HighsSolution()
            assert self.columns is not None  # set by actualSolve
            solution.col_value = [float(v.varValue or 0.0) for v in self.columns]
            solution.value_valid = True
            lp.solverModel.setSolution(solution)
        if self.deadline is not None:
            lp.solverModel.setOptionValue("time_limit", max(0.5, self.deadline - time.perf_counter()))
        if self.progress is not None:
            self._report_progress(lp)
        lp.solverModel.run()

    def _report_progress(self, lp: pulp.LpProblem) -> None:
        """Pass HiGHS's new incumbent (its column values) and its dual bound, as NPV (HiGHS minimises the
        negated objective of a maximisation), to the progress hook on each improving plan; on HiGHS's
        periodic interrupt check, the bound alone."""
        hook = self.progress
        assert hook is not None
        sign = -1.0 if lp.sense == pulp.LpMaximize else 1.0

        def npv(value: float) -> float | None:
            return sign * value if math.isfinite(value) and abs(value) < highspy.kHighsInf else None

        def on_improving(event: highspy.HighsCallbackEvent) -> None:
            hook(list(event.data_out.mip_solution), npv(event.data_out.mip_dual_bound))

        def on_interrupt(event: highspy.HighsCallbackEvent) -> None:
            hook(None, npv(event.data_out.mip_dual_bound))

        lp.solverModel.cbMipImprovingSolution += on_improving
        lp.solverModel.cbMipInterrupt += on_interrupt


def _run_highs(
    model: ConsolidationModel,
    options: SolveOptions,
    time_limit: float | None,
    presolve: bool,
    start: bool,
    progress: SolverProgress | None = None,
    node_limit: int | None = None,
) -> RunResult:
    started = time.perf_counter()
    params: dict[str, object] = {"random_seed": options.seed}
    if not presolve:
        params["presolve"] = "off"
    if node_limit is not None:
        params["mip_max_nodes"] = node_limit
    solver = HighsWithStart(
        msg=options.msg,
        gapRel=options.relative_gap,
        threads=options.threads,
        start=start,
        progress=progress,
        variables=model.variables,
        deadline=None if time_limit is None else started + time_limit,
        **params,
    )
    model.prob.solve(solver)
    highs = model.prob.solverModel
    status = highs.getModelStatus()
    info = highs.getInfo()
    seconds = time.perf_counter() - started
    ms = highspy.HighsModelStatus
    has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
    # PuLP hands HiGHS the negated objective of a maximisation: HiGHS minimises -NPV.
    objective = -info.objective_function_value if has_solution else None
    bound = -info.mip_dual_bound if math.isfinite(info.mip_dual_bound) else None
    nodes = int(info.mip_node_count)
    text = highs.modelStatusToString(status)
    timed_out = status in (ms.kTimeLimit, ms.kInterrupt)
    if status == ms.kModelEmpty:
        return RunResult("optimal", [], 0.0, 0.0, 0.0, 0, seconds, text)
    if status == ms.kOptimal:
        # A model HiGHS solved as an LP (no branching: node count -1) has no MIP gap to report.
        gap = float(info.mip_gap) if nodes >= 0 and math.isfinite(info.mip_gap) else 0.0
        if objective is not None and bound is not None:
            gap = min(gap, relative_gap(objective, bound))
        if gap <= options.relative_gap + 1e-9:
            return RunResult(
                "optimal", model.hubs_from_solution(), objective, bound, gap, nodes, seconds, text
            )
        return RunResult("feasible", model.hubs_from_solution(), objective, bound, gap, nodes, seconds, text)
    if status in (ms.kInfeasible, ms.kUnboundedOrInfeasible):
        return RunResult("infeasible", seconds=seconds, nodes=nodes, message=text)
    if has_solution:
        return RunResult(
            "feasible",
            model.hubs_from_solution(),
            objective,
            bound,
            float(info.mip_gap),
            nodes,
            seconds,
            text,
            timed_out,
        )
    if status in (ms.kTimeLimit, ms.kInterrupt, ms.kIterationLimit, ms.kSolutionLimit):
        return RunResult(
            "no_solution", bound=bound, nodes=nodes, seconds=seconds, message=text, timed_out=timed_out
        )
    return RunResult("error", seconds=seconds, message=f"HiGHS: {text}")


_CBC_BOUND = re.compile(r"(?:Lower|Upper) bound:\s*(-?[\d.eE+-]+)")
_CBC_NODES = re.compile(r"Enumerated nodes:\s*(\d+)")


def _run_cbc(
    model: ConsolidationModel, options: SolveOptions, time_limit: float | None, start: bool
) -> RunResult:
    started = time.perf_counter()
    handle, log_path = tempfile.mkstemp(suffix=".log", prefix="cbc-")
    os.close(handle)
    try:
        solver = cbc_solver(
            msg=False,
            timeLimit=time_limit,
            gapRel=options.relative_gap,
            threads=options.threads,
            warmStart=start,
            logPath=log_path,
            options=[f"randomCbcSeed {options.seed + 1}"],
        )
        model.prob.solve(solver)
        with open(log_path) as fh:
            log = fh.read()
    finally:
        os.unlink(log_path)
    seconds = time.perf_counter() - started
    # PuLP's status says "Optimal" for a time-limited CBC run too; sol_status tells them apart:
    # LpSolutionOptimal only when CBC printed "Optimal", LpSolutionIntegerFeasible when it stopped.
    sol_status = model.prob.sol_status
    bound_match = _CBC_BOUND.search(log)
    nodes_match = _CBC_NODES.search(log)
    nodes = int(nodes_match.group(1)) if nodes_match else None
    if model.prob.status == pulp.LpStatusInfeasible:
        # CBC's "Integer infeasible" leaves sol_status at "no solution found"; the status word is right.
        return RunResult("infeasible", seconds=seconds, message="Infeasible")
    if sol_status == pulp.LpSolutionOptimal:
        objective = pulp.value(model.prob.objective) or 0.0
        return RunResult(
            "optimal", model.hubs_from_solution(), objective, objective, 0.0, nodes, seconds, "Optimal"
        )
    if sol_status == pulp.LpSolutionIntegerFeasible:
        objective = pulp.value(model.prob.objective) or 0.0
        bound = float(bound_match.group(1)) if bound_match else None
        # CBC prints a signed, rounded gap for maximisation; the relative gap is recomputed from its bound.
        gap = relative_gap(objective, bound) if bound is not None else None
        return RunResult(
            "feasible", model.hubs_from_solution(), objective, bound, gap, nodes, seconds, "Stopped"
        )
    if sol_status == pulp.LpSolutionInfeasible:
        return RunResult("infeasible", seconds=seconds, message="Infeasible")
    if sol_status == pulp.LpSolutionNoSolutionFound:
        return RunResult("no_solution", seconds=seconds, message="Stopped without a solution")
    return RunResult("error", seconds=seconds, message=f"CBC status {pulp.LpStatus[model.prob.status]}")


def run_model(
    model: ConsolidationModel,
    options: SolveOptions,
    time_limit: float | None,
    *,
    start: list[Hub] | None = None,
    solver: str | None = None,
    presolve: bool | None = None,
    progress: SolverProgress | None = None,
    node_limit: int | None = None,
) -> RunResult:
    """Solve a built model once with the chosen solver, reporting the solver's own outcome.

    `node_limit` (HiGHS only) bounds the branch-and-bound work, so that the same call gives the same
    answer however busy the machine; `time_limit` is then only the caller's deadline."""
    use_start = bool(start) and model.set_values_from_hubs(start or [])
    if time_limit is not None:
        time_limit = max(time_limit, 0.5)
    name = solver or options.solver
    try:
        if name == "highs":
            return _run_highs(
                model,
                options,
                time_limit,
                HIGHS_PRESOLVE if presolve is None else presolve,
                use_start,
                progress,
                node_limit,
            )
        if name == "cbc":
            # No warm start for CBC: the bundled CBC 2.10.3 returned a given start as "Optimal" although
            # better plans existed (tiny footprint seed 157, tests/solver/test_vs_enumeration.py).
            return _run_cbc(model, options, time_limit, False)
    except pulp.PulpSolverError as exc:
        return RunResult("error", message=f"{name}: {exc}")
    return RunResult("error", message=f"unknown solver {name!r} (use 'highs' or 'cbc')")


def relative_gap(objective: float, bound: float) -> float:
    """How far the bound is above a plan's objective, relative to it (0 within a penny)."""
    if abs(bound - objective) <= PENNY:
        return 0.0
    return abs(bound - objective) / max(abs(objective), 1.0)
