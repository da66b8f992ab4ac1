"""Shared fixtures for solver tests: the spec instances with their known optima."""

from __future__ import annotations

from pathlib import Path

import pytest

from solver.problem import BoardMode, FunctionAssumptions, Problem, Tier

# Copies of ../shared/data/spec-instances/*.json (beside the repository), so the suite does not depend
# on files outside the repo.
SPEC_INSTANCES_DIR = Path(__file__).parent / "spec_instances"

# Transcribed from that directory's README: optimal NPV (£, found there by enumeration and by two MILP
# solvers) and one optimal plan, function -> {member: (host, year it joins)}.
SPEC_OPTIMA: dict[str, tuple[float, dict[str, dict[str, tuple[str, int]]]]] = {
    "tiny1.json": (364_757.64, {"finance": {}, "payroll": {"B": ("A", 1), "C": ("A", 1)}}),
    "tiny-seed5.json": (1_245_417.40, {"finance": {"B": ("A", 2), "D": ("A", 1)}, "payroll": {}}),
    "tiny-seed14.json": (147_213.24, {"finance": {"B": ("C", 1)}, "payroll": {}}),
    "tiny-seed27.json": (1_229_066.72, {"finance": {}, "payroll": {"A": ("B", 2), "C": ("B", 1)}}),
}


# Two organisations and one function, solved by hand: B joins A in year 1 (savings 20 % of £3m in years 1
# and 2, transition 50 % of B's £1m in year 1), worth BEST_PAIR.
F = "finance"
D1 = 1 / 1.035
D2 = D1 * D1
BEST_PAIR = 600_000 * (D1 + D2) - 500_000 * D1


def pair(board_acceptability: bool = False, **extra: object) -> Problem:
    return Problem(
        organisations=["A", "B"],
        functions=[F],
        years=2,
        discount_rate=0.035,
        cost={"A": {F: 2e6}, "B": {F: 1e6}},
        wte={},
        assumptions={F: FunctionAssumptions((Tier(0.0, 0.0), Tier(2_500_000.0, 0.2)), 0.0, 0.0, 0.5, None)},
        board_acceptability=board_acceptability,
        **{"board_mode": BoardMode.OWN, **extra},  # type: ignore[arg-type]
    )


def load_spec_instance(name: str) -> Problem:
    return Problem.from_spec_json(SPEC_INSTANCES_DIR / name)


@pytest.fixture(params=sorted(SPEC_OPTIMA))
def spec_instance(
    request: pytest.FixtureRequest,
) -> tuple[Problem, float, dict[str, dict[str, tuple[str, int]]]]:
    """(problem, listed optimal NPV, listed optimal plan) for each spec instance."""
    npv, plan = SPEC_OPTIMA[request.param]
    return load_spec_instance(request.param), npv, plan
