"""Honest outcomes: optimal only when proven, feasible at a limit with the solver's own bound and gap,
infeasible only after re-checking and with the conflicting families named, error with a message."""

from __future__ import annotations

import pulp
import pytest

from solver import backends
from solver.appraisal import appraise, check_feasible
from solver.backends import RunResult, run_model
from solver.instances import generate_footprint
from solver.model import build_model
from solver.problem import Lock, LockKind, SolveOptions, Status
from solver.solve import solve
from tests.solver.conftest import BEST_PAIR, D1, D2, F, pair


def test_time_limited_run_is_feasible_with_a_gap() -> None:
    problem = generate_footprint(15, 6, 5, seed=2)
    plan = solve(problem, SolveOptions(time_limit=1.0))
    assert plan.status is Status.FEASIBLE
    assert plan.stats is not None and plan.appraisal is not None
    assert plan.stats.relative_gap is not None and plan.stats.relative_gap > 0
    assert plan.stats.best_bound is not None and plan.stats.best_bound > plan.appraisal.npv
    assert check_feasible(problem, plan.hubs) == []
    assert plan.stats.objective == pytest.approx(plan.appraisal.npv, abs=0.01)


def test_highs_time_limit_is_read_from_highs_not_from_pulp() -> None:
    model = build_model(generate_footprint(12, 5, 5, seed=4, board_acceptability=False))
    run = run_model(model, SolveOptions(), 0.5)
    # PuLP calls a time-limited HiGHS run "Optimal"; the model status says otherwise.
    assert pulp.LpStatus[model.prob.status] in ("Optimal", "Not Solved")
    assert run.outcome in ("feasible", "no_solution")
    assert run.message == "Time limit reached"
    if run.outcome == "feasible":
        assert run.gap is not None and run.gap > 0
        assert run.bound is not None and run.objective is not None and run.bound > run.objective


def test_cbc_time_limit_is_feasible_not_optimal() -> None:
    model = build_model(generate_footprint(10, 4, 5, seed=4, board_acceptability=False))
    run = run_model(model, SolveOptions(solver="cbc"), 1.0)
    assert run.outcome in ("feasible", "no_solution"), run
    if run.outcome == "feasible":
        assert pulp.LpStatus[model.prob.status] == "Optimal"  # what PuLP says
        assert model.prob.sol_status == pulp.LpSolutionIntegerFeasible  # what CBC said
        assert run.bound is not None and run.objective is not None and run.bound > run.objective
        assert run.gap is not None and run.gap > 0


def test_cbc_optimal_is_optimal() -> None:
    plan = solve(pair(), SolveOptions(solver="cbc"))
    assert plan.status is Status.OPTIMAL
    assert plan.npv == pytest.approx(BEST_PAIR, abs=0.01)


def test_infeasible_names_the_conflicting_families() -> None:
    # B must host, so someone must move; a zero budget allows no move. Relaxing either fixes it.
    problem = pair(locks=[Lock(LockKind.MUST_HOST, "B", F)], budget=[0.0, 0.0])
    plan = solve(problem)
    assert plan.status is Status.INFEASIBLE
    assert plan.conflicts == ["budget", "locks"]
    assert plan.hubs == [] and plan.appraisal is None


def test_must_host_on_an_org_that_can_never_host_is_a_lock_conflict() -> None:
    # A may not join anyone (keep in house), so B's hub can have no member.
    problem = pair(locks=[Lock(LockKind.MUST_HOST, "B", F), Lock(LockKind.KEEP_IN_HOUSE, "A", F)])
    plan = solve(problem)
    assert plan.status is Status.INFEASIBLE
    assert plan.conflicts == ["locks"]
    zero = pair(locks=[Lock(LockKind.MUST_HOST, "C", F)])
    zero.organisations.append("C")  # C has no finance cost
    plan = solve(zero)
    assert plan.status is Status.INFEASIBLE and plan.conflicts == ["locks"]


def test_board_and_capacity_conflicts() -> None:
    # must_join B with board on: B's move loses £103k, more than theta allows.
    board = pair(locks=[Lock(LockKind.MUST_JOIN, "B", F)], board_acceptability=True)
    assert sorted(solve(board).conflicts) == ["board", "locks"]
    # must_join B into a hub that capacity forbids (A can take only £0.5m more; B cannot host A either).
    capped = pair(
        locks=[Lock(LockKind.MUST_JOIN, "B", F)], host_capacity={("A", F): 2_500_000.0, ("B", F): 1_000_000.0}
    )
    assert sorted(solve(capped).conflicts) == ["capacity", "locks"]


def test_solver_infeasible_is_not_believed_when_doing_nothing_is_feasible(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def always_infeasible(*args: object, **kwargs: object) -> RunResult:
        return RunResult("infeasible", message="Infeasible (simulated fault)")

    monkeypatch.setattr(backends, "_run_highs", always_infeasible)
    plan = solve(pair())
    assert plan.status is not Status.INFEASIBLE
    # The re-solve with CBC finds the true optimum.
    assert plan.status is Status.OPTIMAL
    assert plan.npv == pytest.approx(BEST_PAIR, abs=0.01)
    assert plan.stats is not None and "re-checked with cbc" in plan.stats.message


def test_an_optimal_worse_than_greedy_is_not_believed(monkeypatch: pytest.MonkeyPatch) -> None:
    def lazy_optimal(*args: object, **kwargs: object) -> RunResult:
        return RunResult(
            "optimal", hubs=[], objective=0.0, bound=0.0, gap=0.0, message="Optimal (simulated fault)"
        )

    monkeypatch.setattr(backends, "_run_highs", lazy_optimal)
    problem = pair()
    plan = solve(problem)
    assert plan.status is Status.OPTIMAL
    assert plan.npv == pytest.approx(BEST_PAIR, abs=0.01)
    assert plan.npv == pytest.approx(appraise(problem, plan.hubs).npv)


def test_unknown_solver_is_an_error_with_a_message() -> None:
    plan = solve(pair(), SolveOptions(solver="gurobi"))
    assert plan.status is Status.ERROR
    assert plan.stats is not None and "unknown solver" in plan.stats.message


def test_solver_infeasible_is_re_checked_when_a_lock_forces_a_move(monkeypatch: pytest.MonkeyPatch) -> None:
    def always_infeasible(*args: object, **kwargs: object) -> RunResult:
        return RunResult("infeasible", message="Infeasible (simulated fault)")

    monkeypatch.setattr(backends, "_run_highs", always_infeasible)
    # must_host B: A joins B (600k a year, £1m of transition). Feasible, so never "infeasible".
    plan = solve(pair(locks=[Lock(LockKind.MUST_HOST, "B", F)]))
    assert plan.status is Status.OPTIMAL
    assert plan.npv == pytest.approx(600_000 * (D1 + D2) - 1_000_000 * D1, abs=0.01)
