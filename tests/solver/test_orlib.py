"""OR-Library capacitated warehouse location: the static core reproduces Beasley's published optima."""

from __future__ import annotations

from pathlib import Path

import pytest

from solver.cflp import FacilityLocation, read_orlib_cap, read_orlib_optima, solve_cflp
from solver.problem import SolveOptions, Status

# The shared folder sits beside the repository (`../shared`, as in CI). Without it these tests fail
# rather than skip: a run that silently checked nothing would look like a pass.
ORLIB = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "orlib-cap"
INSTANCES = [f"cap{n}" for n in (41, 42, 43, 44, 51, 61, 62, 63, 64, 71, 72, 73, 74, 101, 102, 103, 104)]


@pytest.fixture(scope="module")
def optima() -> dict[str, float]:
    assert (ORLIB / "capopt.txt").is_file(), (
        f"the OR-Library instances are missing: expected {ORLIB} (../shared/data/orlib-cap beside the "
        "repository); link the shared folder there"
    )
    return read_orlib_optima(ORLIB / "capopt.txt")


def test_reader_sees_every_instance_with_its_published_optimum(optima: dict[str, float]) -> None:
    assert sorted(optima) == sorted(INSTANCES)
    assert optima["cap41"] == 1040444.375
    cap41 = read_orlib_cap(ORLIB / "cap41.txt")
    assert len(cap41.capacity) == 16 and len(cap41.demand) == 50
    assert cap41.capacity[0] == 5000 and cap41.fixed_cost[10] == 0.0
    assert cap41.demand[0] == 146 and cap41.assignment_cost[0][0] == 6739.725


@pytest.mark.parametrize("name", INSTANCES)
def test_split_demand_optimum_matches_published_value(name: str, optima: dict[str, float]) -> None:
    result = solve_cflp(read_orlib_cap(ORLIB / f"{name}.txt"))
    assert result.status is Status.OPTIMAL
    assert result.objective is not None
    assert abs(result.objective - optima[name]) / optima[name] < 1e-6


@pytest.mark.parametrize("name", ["cap41", "cap71", "cap101"])
def test_cbc_agrees(name: str, optima: dict[str, float]) -> None:
    result = solve_cflp(read_orlib_cap(ORLIB / f"{name}.txt"), SolveOptions(solver="cbc"))
    assert result.status is Status.OPTIMAL
    assert result.objective == pytest.approx(optima[name], rel=1e-6)


def test_single_sourcing_is_infeasible_where_a_demand_exceeds_every_capacity(
    optima: dict[str, float],
) -> None:
    # cap41-44: customers with demand 5495 and 12912 against warehouses of 5000 (see SOURCE.md).
    result = solve_cflp(read_orlib_cap(ORLIB / "cap41.txt"), single_source=True)
    assert result.status is Status.INFEASIBLE


def test_hand_solved_instance() -> None:
    # Two sites, three customers. Opening only site 0 (fixed 10) cannot hold 6 units of demand
    # (capacity 5); site 1 alone (fixed 12, capacity 10) costs 12 + 3 + 3 + 3 = 21; both cost
    # 10 + 12 + cheapest feasible split = more. So the optimum is 21 with site 1 alone.
    problem = FacilityLocation(
        capacity=[5.0, 10.0],
        fixed_cost=[10.0, 12.0],
        demand=[2.0, 2.0, 2.0],
        assignment_cost=[[1.0, 1.0, 1.0], [3.0, 3.0, 3.0]],
    )
    result = solve_cflp(problem)
    assert result.status is Status.OPTIMAL
    assert result.objective == pytest.approx(21.0)
    assert result.open_facilities == [1]
