"""`solve` is anytime and monotone (issue 11, item 2): more time never gives a worse plan or a weaker
bound, the same seed gives the same plan, and a problem with a rule family removed never gets a worse
plan than the original when it starts from the original's plan.

These hold by construction (solver/README.md, "Algorithm"): the steps run in a fixed order, each
limited by HiGHS nodes rather than seconds, and the time limit only decides how far along that
sequence a run gets. So they hold on a loaded machine too; the limits below are short to keep the
tests quick, not because the properties need a quiet machine."""

from __future__ import annotations

import pytest

from solver.appraisal import appraise, check_feasible
from solver.bounds import integral_bound, upper_bound
from solver.greedy import greedy_plan
from solver.instances import generate_footprint
from solver.model import relaxed
from solver.problem import Hub, Move, Plan, Problem, SolveOptions, Status
from solver.solve import solve


def _figures(plan: Plan) -> tuple[float, float]:
    assert plan.status in (Status.OPTIMAL, Status.FEASIBLE), plan.stats
    assert plan.npv is not None and plan.stats is not None and plan.stats.best_bound is not None
    return plan.npv, plan.stats.best_bound


def _signature(plan: Plan) -> list[tuple[str, str, list[tuple[str, int]]]]:
    return [
        (hub.function, hub.host, [(m.organisation, m.year) for m in hub.members])
        for hub in sorted(plan.hubs, key=lambda h: (h.function, h.host))
    ]


def _footprint(orgs: int, functions: int, seed: int) -> Problem:
    # Board acceptability off: the default `shared` mode without must_* locks has the same optimum.
    return generate_footprint(orgs, functions, 5, seed=seed, board_acceptability=False)


@pytest.mark.parametrize(("orgs", "functions", "limit"), [(10, 6, 3.0), (20, 11, 4.0)])
def test_twice_the_time_never_gives_a_worse_plan_or_a_weaker_bound(
    orgs: int, functions: int, limit: float
) -> None:
    problem = _footprint(orgs, functions, 0)
    npv_short, bound_short = _figures(solve(problem, SolveOptions(time_limit=limit)))
    npv_long, bound_long = _figures(solve(problem, SolveOptions(time_limit=2 * limit)))
    assert npv_long >= npv_short - 0.01, (npv_short, npv_long)
    assert bound_long <= bound_short + 0.01, (bound_short, bound_long)
    # Both are honest: every bound is above every plan found.
    assert bound_long >= max(npv_short, npv_long) - 0.01


def test_the_same_seed_gives_the_same_plan() -> None:
    """A run that finishes its whole sequence of steps before the limit is the same run with no limit:
    same plan, hub for hub and year for year."""
    problem = generate_footprint(6, 2, 3, seed=2, board_acceptability=False)
    plans = [solve(problem, SolveOptions(time_limit=limit, seed=4)) for limit in (None, None, 600.0)]
    assert plans[0].status is Status.OPTIMAL, plans[0].stats
    first = _signature(plans[0])
    assert first and all(_signature(plan) == first for plan in plans[1:])
    assert len({plan.npv for plan in plans}) == 1


def test_a_relaxed_problem_started_from_the_original_plan_is_never_worse() -> None:
    """Every plan of a problem is a plan of the problem without one of its rule families; started from
    the original's plan, the relaxed problem's plan is never worse within the same limit (30 x 11 x 5
    seed 2 once gave £46.2m with board acceptability and £32.2m without)."""
    original = generate_footprint(10, 6, 5, seed=2)  # board acceptability on
    plan = solve(original, SolveOptions(time_limit=4.0))
    npv, _ = _figures(plan)
    for family in ("board", "budget", "pace"):
        easier = relaxed(original, family)
        found = solve(easier, SolveOptions(time_limit=4.0, warm_start=plan.hubs))
        found_npv, found_bound = _figures(found)
        assert check_feasible(easier, found.hubs) == []
        assert found_npv >= npv - 0.01, (family, npv, found_npv)
        assert found_bound >= found_npv - 0.01


def test_a_warm_start_that_breaks_a_rule_is_not_used() -> None:
    problem = _footprint(6, 2, 1)
    f = problem.functions[0]
    host, member = problem.organisations[0], problem.organisations[1]
    # A member in year 9 of a 5-year horizon: no plan of this problem.
    broken = [Hub(host, f, 9, [Move(member, f, host, 9)])]
    plan = solve(problem, SolveOptions(time_limit=10.0, warm_start=broken))
    assert plan.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert check_feasible(problem, plan.hubs) == []
    assert plan.stats is not None and "warm start breaks a rule" in plan.stats.message


def test_a_warm_start_is_never_lost() -> None:
    """The greedy plan handed over as a warm start: the answer is at least as good even when the limit
    leaves no time for anything else."""
    problem = _footprint(20, 11, 1)
    start = greedy_plan(problem)
    assert start is not None
    plan = solve(problem, SolveOptions(time_limit=0.01, warm_start=start))
    assert plan.npv is not None and plan.npv >= appraise(problem, start).npv - 0.01


def test_the_integral_bound_stops_once_it_cannot_beat_the_plan_in_hand() -> None:
    problem = generate_footprint(6, 2, 3, seed=2, board_acceptability=False)
    best = solve(problem, SolveOptions(time_limit=None))
    assert best.status is Status.OPTIMAL and best.npv is not None
    bound = integral_bound(problem, 60.0, stop_at=best.npv)
    assert bound is not None and bound >= best.npv - 0.01
    # Without the stop it may only get tighter, never looser, and never below the optimum.
    full = integral_bound(problem, 60.0)
    assert full is not None and best.npv - 0.01 <= full <= bound + 0.01
    lp = upper_bound(problem)
    assert lp is not None and full <= lp + 0.01
