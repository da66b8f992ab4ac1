"""Progress reports while solving: the incumbent only rises, the bound only falls, the last report
matches the returned plan, and a failing progress hook never costs the solve."""

from __future__ import annotations

import pytest

from solver.greedy import greedy_plan
from solver.instances import generate_footprint
from solver.model import build_model
from solver.problem import Progress, SolveOptions, Status
from solver.solve import run_model, solve


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


def test_highs_reports_its_incumbent_and_bound_while_it_runs() -> None:
    problem = generate_footprint(10, 6, 5, seed=0)
    model = build_model(problem)
    seen: list[tuple[float | None, float | None]] = []
    run = run_model(
        model,
        SolveOptions(),
        3.0,
        start=greedy_plan(problem),
        progress=lambda objective, bound: seen.append((objective, bound)),
    )
    assert run.outcome in ("optimal", "feasible")
    assert seen, "HiGHS never called back"
    # In NPV terms (HiGHS minimises the negated NPV): the bound is above every incumbent it reports.
    bounds = [b for _, b in seen if b is not None]
    incumbents = [o for o, _ in seen if o is not None]
    assert bounds and incumbents
    assert min(bounds) >= max(incumbents) - 0.01
    assert run.objective is not None and max(incumbents) == pytest.approx(run.objective, abs=0.01)
