"""The optimiser against brute force (tiny footprints) and against the plain formulation (small ones).

Every solved plan is also checked the independent way: `check_feasible` finds nothing wrong, the model
objective equals `appraise(...).npv` to the penny, and the plan is never worse than the greedy plan.
"""

from __future__ import annotations

import pytest

from solver.appraisal import appraise, check_feasible
from solver.backends import run_model
from solver.enumerate import enumerate_optimum
from solver.greedy import greedy_plan
from solver.instances import generate_footprint, generate_tiny
from solver.model import build_model
from solver.problem import Plan, Problem, SolveOptions, Status
from solver.solve import solve
from tests.solver.conftest import SPEC_OPTIMA, load_spec_instance

PENNY = 0.01


def assert_honest_plan(problem: Problem, plan: Plan) -> None:
    assert plan.appraisal is not None and plan.stats is not None
    assert check_feasible(problem, plan.hubs) == []
    assert plan.npv == pytest.approx(appraise(problem, plan.hubs).npv, abs=1e-9)
    assert plan.stats.objective == pytest.approx(plan.npv, abs=PENNY)
    greedy = greedy_plan(problem)
    if greedy is not None:
        assert plan.npv >= appraise(problem, greedy).npv - PENNY


def assert_matches_enumeration(problem: Problem, options: SolveOptions) -> None:
    best = enumerate_optimum(problem)
    plan = solve(problem, options)
    if best is None:
        assert plan.status is Status.INFEASIBLE, plan.stats
        assert plan.conflicts
        return
    assert plan.status is Status.OPTIMAL, plan.stats
    assert plan.npv == pytest.approx(best.npv, abs=PENNY)
    assert_honest_plan(problem, plan)


@pytest.mark.parametrize("seed", range(60))
def test_highs_matches_enumeration_on_tiny_footprints(seed: int) -> None:
    assert_matches_enumeration(generate_tiny(seed), SolveOptions(solver="highs"))


@pytest.mark.parametrize("seed", [*range(60, 85), 157])  # 157: CBC took its warm start for the optimum
def test_cbc_matches_enumeration_on_tiny_footprints(seed: int) -> None:
    assert_matches_enumeration(generate_tiny(seed), SolveOptions(solver="cbc"))


def test_tiny_generator_covers_every_rule() -> None:
    # The 60 HiGHS seeds must exercise the rules, or matching enumeration would prove little.
    problems = [generate_tiny(seed) for seed in range(60)]
    assert sum(p.board_acceptability for p in problems) >= 20
    assert sum(not p.board_acceptability for p in problems) >= 10
    assert sum(any(b is not None for b in p.budget) for p in problems) >= 15
    assert sum(any(v is not None for v in p.pace) for p in problems) >= 15
    assert sum(any(v is not None for v in p.workforce) for p in problems) >= 10
    assert sum(bool(p.groups) for p in problems) >= 15
    assert sum(bool(p.integration_cost) for p in problems) >= 20
    assert sum(bool(p.locks) for p in problems) >= 20
    assert len({lock.kind for p in problems for lock in p.locks}) == 5
    infeasible = sum(enumerate_optimum(p) is None for p in problems[:12])
    assert 1 <= infeasible <= 6


@pytest.mark.parametrize("name", sorted(SPEC_OPTIMA))
@pytest.mark.parametrize("solver", ["highs", "cbc"])
def test_spec_instances_give_their_listed_optimum(name: str, solver: str) -> None:
    problem = load_spec_instance(name)
    plan = solve(problem, SolveOptions(solver=solver))
    assert plan.status is Status.OPTIMAL
    assert plan.npv == pytest.approx(SPEC_OPTIMA[name][0], abs=PENNY)
    assert_honest_plan(problem, plan)


def small_footprint(seed: int) -> Problem:
    # A low transition rate keeps members' own attribution positive, so hubs form even with board
    # acceptability on, and the per-year budget binds.
    return generate_footprint(
        5, 2, 3, seed=seed, board_acceptability=seed % 2 == 0, budget=3_000_000.0, transition_rate=0.2
    )


@pytest.mark.parametrize("seed", range(8))
def test_strengthened_decomposed_solve_equals_plain_formulation(seed: int) -> None:
    problem = small_footprint(seed)
    plain = build_model(problem, strengthen=False)
    direct = run_model(plain, SolveOptions(), None)
    assert direct.outcome == "optimal"
    plan = solve(problem, SolveOptions(time_limit=None))
    assert plan.status is Status.OPTIMAL
    assert plan.npv == pytest.approx(direct.objective, abs=PENNY)
    assert_honest_plan(problem, plan)


def test_small_footprints_are_not_trivial() -> None:
    npvs = [solve(small_footprint(seed)).npv or 0.0 for seed in range(4)]
    assert sum(npv > 1_000_000 for npv in npvs) >= 3
