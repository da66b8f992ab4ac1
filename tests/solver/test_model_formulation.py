"""The model's objective and constraints, checked against the independent appraisal without solving.

A feasible plan (the greedy one, and hand-made ones) is written into the model's variables; the
objective must then equal `appraise(...).npv` to the penny and every constraint must hold. This
checks the formulation on instances far too large for enumeration.
"""

from __future__ import annotations

import pulp
import pytest

from solver.appraisal import appraise, check_feasible, hubs_from_assignment
from solver.greedy import greedy_plan
from solver.instances import generate_footprint, generate_tiny
from solver.model import build_model
from solver.problem import Hub

TOLERANCE = 1e-5  # on constraint rows, in £ or WTE


def assert_model_accepts(problem, hubs: list[Hub], **build) -> float:
    model = build_model(problem, **build)
    assert model.set_values_from_hubs(hubs), "the model has no variable for a move of a feasible plan"
    broken = []
    for constraint in model.prob.constraints():
        name = constraint.name
        value = constraint.value()  # lhs - rhs
        scale = 1.0 + abs(constraint.constant)
        excess = {
            pulp.LpConstraintLE: value,
            pulp.LpConstraintGE: -value,
            pulp.LpConstraintEQ: abs(value),
        }[constraint.sense]
        if excess > TOLERANCE * scale:
            broken.append((name, value))
    assert not broken, broken[:5]
    return float(pulp.value(model.prob.objective) or 0.0)


@pytest.mark.parametrize("seed", range(4))
def test_objective_of_greedy_plan_equals_appraisal_on_generated_footprints(seed: int) -> None:
    problem = generate_footprint(12, 5, 5, seed=seed, board_acceptability=False)
    hubs = greedy_plan(problem)
    assert hubs is not None and hubs, "greedy should find hubs when board acceptability is off"
    assert check_feasible(problem, hubs) == []
    objective = assert_model_accepts(problem, hubs)
    assert objective == pytest.approx(appraise(problem, hubs).npv, abs=0.01)


def test_objective_of_a_multi_year_plan_with_tier_changes_equals_appraisal() -> None:
    problem = generate_footprint(8, 2, 5, seed=3, budget=None, board_acceptability=False)
    orgs = problem.organisations
    # Members arriving in different years move the hub through tiers; every year's tier must match.
    plan = {
        "finance": {orgs[1]: (orgs[0], 1), orgs[2]: (orgs[0], 2), orgs[3]: (orgs[0], 4)},
        "payroll": {orgs[5]: (orgs[4], 3), orgs[6]: (orgs[4], 3)},
    }
    hubs = hubs_from_assignment(problem, plan)
    assert check_feasible(problem, hubs) == [], check_feasible(problem, hubs)
    objective = assert_model_accepts(problem, hubs, strengthen=False)
    assert objective == pytest.approx(appraise(problem, hubs).npv, abs=0.01)


@pytest.mark.parametrize("seed", range(30))
def test_model_accepts_every_enumerated_optimum_of_tiny_footprints(seed: int) -> None:
    from solver.enumerate import enumerate_optimum

    problem = generate_tiny(seed)
    best = enumerate_optimum(problem)
    if best is None:
        pytest.skip("infeasible footprint")
    # The strengthened model (board reductions, covers) must not cut off the true optimum.
    objective = assert_model_accepts(problem, best.hubs)
    assert objective == pytest.approx(best.npv, abs=0.01)
