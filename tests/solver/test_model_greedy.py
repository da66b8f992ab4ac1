"""The greedy plan: always feasible, the quality floor the optimiser never reports below."""

from __future__ import annotations

import pytest

from solver.appraisal import appraise, check_feasible
from solver.enumerate import enumerate_optimum
from solver.greedy import greedy_plan
from solver.instances import generate_footprint, generate_tiny
from solver.problem import BoardMode


@pytest.mark.parametrize("seed", range(40))
def test_greedy_is_feasible_and_never_beats_the_optimum_on_tiny_footprints(seed: int) -> None:
    problem = generate_tiny(seed)
    plan = greedy_plan(problem)
    best = enumerate_optimum(problem)
    if plan is None:
        # Only allowed when a lock forces a move (doing nothing is otherwise feasible).
        assert any(lock.kind.value in ("must_join", "must_host") for lock in problem.locks)
        return
    assert check_feasible(problem, plan) == []
    assert best is not None
    assert appraise(problem, plan).npv <= best.npv + 0.01


@pytest.mark.parametrize("board", [True, False])
def test_greedy_finds_savings_on_a_default_footprint(board: bool) -> None:
    # With board acceptability on every member's own share is negative (10 % a year for five years
    # against a 50 % transition), so only the club recipe, where members are also hosts, finds hubs.
    problem = generate_footprint(12, 6, 5, seed=3, board_acceptability=board, board_mode=BoardMode.OWN)
    plan = greedy_plan(problem)
    assert plan is not None and check_feasible(problem, plan) == []
    assert appraise(problem, plan).npv > 1_000_000
    if board:
        hosts = {hub.host for hub in plan}
        assert all(m.organisation in hosts for hub in plan for m in hub.members)
