"""Known optima solved by the MILP solvers alone, with none of solve()'s safety nets.

`solve` re-checks a solver's answer against greedy plans and re-solves what it does not believe, which
would hide a new HiGHS or CBC release that answers this model differently. Here the formulation goes
straight to each solver with the settings `solve` uses, so a version that changes a known optimum fails
this test (the installed versions come from requirements-dev.lock: tests/test_lock.py).
"""

from __future__ import annotations

import highspy
import pulp
import pytest

from solver.backends import run_model
from solver.model import build_model
from solver.problem import SolveOptions
from tests.solver.conftest import SPEC_OPTIMA, load_spec_instance

PENNY = 0.01


@pytest.mark.parametrize("name", sorted(SPEC_OPTIMA))
@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("strengthen", [True, False])
def test_each_solver_alone_finds_the_known_optimum(name: str, solver: str, strengthen: bool) -> None:
    problem = load_spec_instance(name)
    model = build_model(problem, strengthen=strengthen)
    result = run_model(model, SolveOptions(solver=solver), None)
    assert result.outcome == "optimal", (highspy.Highs().version(), pulp.__version__, result.message)
    assert result.objective == pytest.approx(SPEC_OPTIMA[name][0], abs=PENNY)
