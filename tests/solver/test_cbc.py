"""CBC through PuLP's supported `COIN_CMD`: the same answers as before, and no deprecation warning (PuLP 3
warns on every `PULP_CBC_CMD`, which filled the test run's warnings summary with 140 of them)."""

from __future__ import annotations

import os
import warnings

import pulp
import pytest

from solver.cbc import cbc_path, cbc_solver
from solver.cflp import FacilityLocation, solve_cflp
from solver.problem import SolveOptions, Status
from solver.solve import solve
from tests.solver.conftest import BEST_PAIR, pair


def test_cbc_is_a_coin_cmd_on_an_executable_binary() -> None:
    assert os.access(cbc_path(), os.X_OK)
    solver = cbc_solver(msg=False)
    assert type(solver) is pulp.COIN_CMD and solver.available()


def test_solving_with_cbc_raises_no_deprecation_warning() -> None:
    problem = pair()
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
    assert plan.npv == pytest.approx(BEST_PAIR, abs=0.01)
    assert located.status is Status.OPTIMAL and located.objective == pytest.approx(21.0)
