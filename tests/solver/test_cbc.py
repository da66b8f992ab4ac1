"""CBC through PuLP's supported `COIN_CMD`: the same answers as before, and no deprecation warning (PuLP 3
warns on every `PULP_CBC_CMD`, which filled the test run's warnings summary with 140 of them)."""

from __future__ import annotations

import os
import warnings

import pulp
import pytest

from solver.cbc import cbc_path, cbc_solver
from solver.cflp import FacilityLocation, solve_cflp
from solver.problem import FunctionAssumptions, Problem, SolveOptions, Status, Tier
from solver.solve import solve

F = "finance"
D1 = 1 / 1.035
D2 = D1 * D1


def test_cbc_is_a_coin_cmd_on_an_executable_binary() -> None:
    assert os.access(cbc_path(), os.X_OK)
    solver = cbc_solver(msg=False)
    assert type(solver) is pulp.COIN_CMD and solver.available()


def test_solving_with_cbc_raises_no_deprecation_warning() -> None:
    # B joins A in year 1: savings 20 % of £3m in years 1 and 2, transition 50 % of B's £1m in year 1.
    problem = Problem(
        organisations=["A", "B"],
        functions=[F],
        years=2,
        discount_rate=0.035,
        cost={"A": {F: 2e6}, "B": {F: 1e6}},
        wte={},
        assumptions={F: FunctionAssumptions((Tier(0.0, 0.0), Tier(2_500_000.0, 0.2)), 0.0, 0.0, 0.5, None)},
        board_acceptability=False,
    )
    facilities = FacilityLocation(
        capacity=[5.0, 10.0],
        fixed_cost=[10.0, 12.0],
        demand=[2.0, 2.0, 2.0],
        assignment_cost=[[1.0] * 3, [3.0] * 3],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plan = solve(problem, SolveOptions(solver="cbc"))
        located = solve_cflp(facilities, SolveOptions(solver="cbc"))
    assert plan.status is Status.OPTIMAL
    assert plan.npv == pytest.approx(600_000 * (D1 + D2) - 500_000 * D1, abs=0.01)
    assert located.status is Status.OPTIMAL and located.objective == pytest.approx(21.0)
