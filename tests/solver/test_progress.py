"""Progress reports while solving: the incumbent only rises, the bound only falls, the last report
matches the returned plan, and a failing progress hook never costs the solve."""

from __future__ import annotations

import importlib

import pytest

from solver.appraisal import appraise, check_feasible
from solver.backends import run_model
from solver.greedy import greedy_plan
from solver.instances import generate_footprint
from solver.model import build_model
from solver.problem import Progress, SolveOptions, Status
from solver.solve import solve

solve_module = importlib.import_module("solver.solve")  # the package re-exports the function as solver.solve


def test_progress_reports_improve_monotonically_and_end_at_the_plan() -> None:
    problem = generate_footprint(10, 6, 5, seed=0)
    reports: list[Progress] = []
    plan = solve(problem, SolveOptions(time_limit=5.0, on_progress=reports.append))
    assert plan.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert plan.npv is not None and plan.stats is not None
    assert reports[0].phase == "greedy"
    for earlier, later in zip(reports, reports[1:], strict=False):
        assert later.seconds >= earlier.seconds
        assert later.incumbent is not None and earlier.incumbent is not None
        assert later.incumbent >= earlier.incumbent
        assert later.bound is not None and earlier.bound is not None
        assert later.bound <= earlier.bound
        assert (later.incumbent, later.bound) != (earlier.incumbent, earlier.bound)
    for report in reports:
        assert report.bound is not None and report.incumbent is not None and report.gap is not None
        assert report.bound >= report.incumbent
        assert report.gap == pytest.approx((report.bound - report.incumbent) / abs(report.incumbent))
    # No plan better than the returned one was ever announced, and the returned one was.
    assert reports[-1].incumbent == pytest.approx(plan.npv, abs=0.01)
    assert plan.stats.best_bound is not None
    assert reports[-1].bound == pytest.approx(plan.stats.best_bound, rel=1e-6) or (
        reports[-1].bound > plan.stats.best_bound
    )


def test_a_failing_progress_hook_does_not_cost_the_solve() -> None:
    problem = generate_footprint(6, 3, 3, seed=1)
    calls: list[Progress] = []

    def broken(report: Progress) -> None:
        calls.append(report)
        raise RuntimeError("progress store is down")

    with_hook = solve(problem, SolveOptions(time_limit=20.0, on_progress=broken))
    without = solve(problem, SolveOptions(time_limit=20.0))
    assert calls, "the hook was called"
    assert with_hook.status is without.status
    assert with_hook.npv == pytest.approx(without.npv, abs=0.01)


def test_highs_reports_its_incumbents_plans_and_bound_while_it_runs() -> None:
    problem = generate_footprint(10, 6, 5, seed=0)
    model = build_model(problem)
    seen: list[tuple[float | None, float | None]] = []
    broken: list[list[str]] = []  # asserted after the run: an exception inside HiGHS's callback stops it

    def hook(values: list[float] | None, bound: float | None) -> None:
        # An incumbent arrives as column values; the plan they encode is checked and appraised here.
        if values is None:
            seen.append((None, bound))
            return
        hubs = model.hubs_from_solution(values)
        broken.append(check_feasible(problem, hubs))
        seen.append((appraise(problem, hubs).npv, bound))

    run = run_model(model, SolveOptions(), 3.0, start=greedy_plan(problem), progress=hook)
    assert run.outcome in ("optimal", "feasible")
    assert seen, "HiGHS never called back"
    assert all(problems == [] for problems in broken), broken
    # In NPV terms (HiGHS minimises the negated NPV): the bound is above every incumbent it reports.
    bounds = [b for _, b in seen if b is not None]
    incumbents = [o for o, _ in seen if o is not None]
    assert bounds and incumbents
    assert min(bounds) >= max(incumbents) - 0.01
    # The last incumbent reported is the plan HiGHS returns.
    assert max(incumbents) == pytest.approx(appraise(problem, run.hubs).npv, abs=0.01)


def test_a_solver_incumbent_is_reported_only_as_a_checked_appraised_plan() -> None:
    """HiGHS's objective for an incumbent can sit above the appraisal of its rounded binaries, and a
    plan within its tolerances can break a rule: a report must never promise more than `solve` returns."""
    problem = generate_footprint(10, 6, 5, seed=0)
    model = build_model(problem)
    reports: list[Progress] = []
    reporter = solve_module._Reporter(SolveOptions(on_progress=reports.append))
    checked = solve_module._CheckedIncumbents(problem, model)
    hook = reporter.solver_event("joint", checked)
    plan = greedy_plan(problem)
    assert plan and model.set_values_from_hubs(plan)
    values = [var.varValue or 0.0 for var in model.variables]

    hook(values, 1e9)
    plan_hubs = model.hubs_from_solution(values)
    assert reports[-1].phase == "joint"
    assert reports[-1].incumbent == pytest.approx(appraise(problem, plan).npv, abs=1e-6)

    # The same plan with one member also joining a second hub for the same function: rule 1 is broken,
    # so nothing is announced, whatever its objective would be.
    member = plan[0].members[0]
    other = next(
        var
        for (f, o, h, _), var in model.join.items()
        if f == member.function and o == member.organisation and h != member.host
    )
    values[next(i for i, var in enumerate(model.variables) if var is other)] = 1.0  # `==` builds a row
    assert check_feasible(problem, model.hubs_from_solution(values))
    count = len(reports)
    hook(values, 1e9)
    assert len(reports) == count
    reporter.INTERVAL = 0.0  # no throttling in this test
    hook(None, 5e8)  # HiGHS's periodic report: a better bound alone, the incumbent unchanged
    assert reports[-1].bound == 5e8
    assert reports[-1].incumbent == pytest.approx(appraise(problem, plan).npv, abs=1e-6)
    # The best checked plan is kept for `solve` to return, not the rule-breaking one announced after it.
    assert checked.hubs == plan_hubs and checked.npv == pytest.approx(appraise(problem, plan).npv, abs=1e-6)

    # A check that fails (here: values too short for the model) is not reported and does not raise into
    # the solver, whose callback it runs in.
    hook(values[:3], 1e9)
    assert len(reports) == count + 1
