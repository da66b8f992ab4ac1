"""The brute-force enumerator against the spec instances and against footprints solved by hand."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from solver.appraisal import appraise, assignment_from_hubs, check_feasible, hubs_from_assignment
from solver.enumerate import enumerate_optimum
from solver.problem import BoardMode, FunctionAssumptions, Lock, LockKind, Problem, Tier
from tests.solver.conftest import load_spec_instance

# One tier saving 10 % from £1.2m: the host's share in rule 10 has no scale bonus, which keeps the sums short.
FINANCE = FunctionAssumptions(
    tiers=(Tier(0, 0.0), Tier(1_200_000, 0.10)),
    fixed_cost=10_000,
    setup_cost=20_000,
    transition_rate=0.10,
    capacity_multiple=None,
)


def footprint(cost: dict[str, float], years: int = 2, **changes: object) -> Problem:
    """A finance-only footprint with no discounting (d = 0), so the NPV is the sum of net cash."""
    fields: dict[str, object] = {
        "organisations": list(cost),
        "functions": ["finance"],
        "years": years,
        "discount_rate": 0.0,
        "cost": {o: {"finance": c} for o, c in cost.items()},
        "wte": {},
        "assumptions": {"finance": FINANCE},
        "board_acceptability": False,
        "board_mode": BoardMode.OWN,  # the board tests here are about own mode's per-organisation rule
    }
    fields.update(changes)
    return Problem(**fields)  # type: ignore[arg-type]


def optimum(problem: Problem) -> tuple[float, dict[str, dict[str, tuple[str, int]]]]:
    result = enumerate_optimum(problem)
    assert result is not None
    # The enumerator's answer must be what the referee says of its plan.
    assert check_feasible(problem, result.hubs) == []
    assert appraise(problem, result.hubs).npv == result.npv
    return result.npv, assignment_from_hubs(result.hubs)


# A (£1.0m) and B (£0.5m). Hub at A with B joining in year 1: volume £1.5m saves 150,000 a year;
#   year 1: 150,000 - 10,000 running - 20,000 set-up - 50,000 transition (10 % of 0.5m) =  70,000
#   year 2: 150,000 - 10,000                                                             = 140,000  -> 210,000
# B joining in year 2 instead: year 2 alone, 150,000 - 10,000 - 20,000 - 50,000          =  70,000
# Hub at B with A joining in year 1: transition is 10 % of 1.0m: 20,000 + 140,000        = 160,000
# Hub at B with A joining in year 2: 150,000 - 30,000 - 100,000                          =  20,000
PAIR = {"A": 1_000_000.0, "B": 500_000.0}


def test_pair_hosts_at_the_larger() -> None:
    assert optimum(footprint(PAIR)) == (pytest.approx(210_000), {"finance": {"B": ("A", 1)}})


def test_lock_forces_the_worse_host() -> None:
    problem = footprint(PAIR, locks=[Lock(LockKind.MAY_NOT_HOST, "A", "finance")])
    assert optimum(problem) == (pytest.approx(160_000), {"finance": {"A": ("B", 1)}})


def test_keep_in_house_also_forces_the_worse_host() -> None:
    # B may not join, but may host.
    problem = footprint(PAIR, locks=[Lock(LockKind.KEEP_IN_HOUSE, "B", "finance")])
    assert optimum(problem) == (pytest.approx(160_000), {"finance": {"A": ("B", 1)}})


def test_budget_pushes_the_move_to_year_2() -> None:
    # Year 1 budget of £40,000 is below either move's transition cost (50,000 or 100,000).
    problem = footprint(PAIR, budget=[40_000.0, None])
    assert optimum(problem) == (pytest.approx(70_000), {"finance": {"B": ("A", 2)}})


def test_not_before_year_pushes_the_move_to_year_2() -> None:
    problem = footprint(PAIR, locks=[Lock(LockKind.NOT_BEFORE_YEAR, None, "finance", year=2)])
    assert optimum(problem) == (pytest.approx(70_000), {"finance": {"B": ("A", 2)}})


def test_board_rule_leaves_only_doing_nothing() -> None:
    # With a 30 % transition rate, B joining A in year 1 nets -30,000 then 140,000 = 110,000 overall,
    # but B's own share is 10 % x 0.5m - 150,000 in year 1 and 50,000 in year 2 = -50,000 < 0; joining
    # in year 2 gives B -100,000; and A joining B gives A 100,000 - 300,000 + 100,000 = -100,000.
    expensive_move = FunctionAssumptions(
        tiers=FINANCE.tiers,
        fixed_cost=10_000,
        setup_cost=20_000,
        transition_rate=0.30,
        capacity_multiple=None,
    )
    problem = footprint(PAIR, assumptions={"finance": expensive_move})
    assert optimum(problem) == (pytest.approx(110_000), {"finance": {"B": ("A", 1)}})
    problem = footprint(PAIR, assumptions={"finance": expensive_move}, board_acceptability=True)
    assert optimum(problem) == (0.0, {})


def test_incompatible_group_keeps_c_out() -> None:
    # Tiers 10 % from £1.2m and 20 % from £2.0m. All three at A in year 1: volume £2.3m saves 460,000;
    #   year 1: 460,000 - 10,000 - 20,000 - 50,000 (B) - 80,000 (C) = 300,000; year 2: 450,000 -> 750,000.
    # (Hosting at C costs 150,000 of transitions instead of 130,000; at B, 180,000.)
    # With C in another group, only the A-B pair remains: 210,000 as in test_pair_hosts_at_the_larger.
    two_tiers = FunctionAssumptions(
        tiers=(Tier(0, 0.0), Tier(1_200_000, 0.10), Tier(2_000_000, 0.20)),
        fixed_cost=10_000,
        setup_cost=20_000,
        transition_rate=0.10,
        capacity_multiple=None,
    )
    trio = {"A": 1_000_000.0, "B": 500_000.0, "C": 800_000.0}
    problem = footprint(trio, assumptions={"finance": two_tiers})
    assert optimum(problem) == (pytest.approx(750_000), {"finance": {"B": ("A", 1), "C": ("A", 1)}})
    groups = {"A": {"finance": "north"}, "B": {"finance": "north"}, "C": {"finance": "south"}}
    problem = footprint(trio, assumptions={"finance": two_tiers}, groups=groups)
    assert optimum(problem) == (pytest.approx(210_000), {"finance": {"B": ("A", 1)}})


def test_pace_shared_across_functions() -> None:
    # Payroll: A £2.0m, B £1.0m, 10 % from £2.4m. B joining A in year 1: 300,000 - 30,000 - 100,000 = 170,000,
    # then 290,000 -> 460,000; in year 2 only: 170,000. Finance as in PAIR: 210,000, or 70,000 in year 2.
    # One move allowed in year 1: payroll first (460,000 + 70,000 = 530,000) beats finance first
    # (210,000 + 170,000 = 380,000). Without the limit both move in year 1: 670,000.
    payroll = FunctionAssumptions(
        tiers=(Tier(0, 0.0), Tier(2_400_000, 0.10)),
        fixed_cost=10_000,
        setup_cost=20_000,
        transition_rate=0.10,
        capacity_multiple=None,
    )
    problem = dataclasses.replace(
        footprint(PAIR),
        functions=["finance", "payroll"],
        cost={
            "A": {"finance": 1_000_000, "payroll": 2_000_000},
            "B": {"finance": 500_000, "payroll": 1_000_000},
        },
        assumptions={"finance": FINANCE, "payroll": payroll},
    )
    assert optimum(problem) == (
        pytest.approx(670_000),
        {"finance": {"B": ("A", 1)}, "payroll": {"B": ("A", 1)}},
    )
    problem.pace = [1, None]
    assert optimum(problem) == (
        pytest.approx(530_000),
        {"finance": {"B": ("A", 2)}, "payroll": {"B": ("A", 1)}},
    )


def test_board_rule_is_judged_over_all_functions() -> None:
    # Finance: B (£0.5m) joins A (£1.0m) in year 1 with a 30 % transition rate: 110,000 overall, but B's
    # own share is 50,000 - 150,000 + 50,000 = -50,000 (test_board_rule_leaves_only_doing_nothing).
    # Payroll: A (£0.5m) joins B (£1.0m) in year 1 at 10 %: 210,000 overall, of which B as host gets
    # (100,000 - 30,000) + (100,000 - 10,000) = 160,000. Together B is at +110,000, so both hubs pass
    # the board rule: 320,000. Judging finance on its own would wrongly rule its hub out (210,000).
    expensive_move = dataclasses.replace(FINANCE, transition_rate=0.30)
    problem = dataclasses.replace(
        footprint(PAIR, board_acceptability=True),
        functions=["finance", "payroll"],
        cost={
            "A": {"finance": 1_000_000, "payroll": 500_000},
            "B": {"finance": 500_000, "payroll": 1_000_000},
        },
        assumptions={"finance": expensive_move, "payroll": FINANCE},
    )
    assert optimum(problem) == (
        pytest.approx(320_000),
        {"finance": {"B": ("A", 1)}, "payroll": {"A": ("B", 1)}},
    )


def test_a_lock_on_one_function_does_not_restrict_another() -> None:
    # Both functions are the PAIR footprint; B must join a payroll hub, which the optimum does anyway.
    problem = dataclasses.replace(
        footprint(PAIR, locks=[Lock(LockKind.MUST_JOIN, "B", "payroll")]),
        functions=["finance", "payroll"],
        cost={
            "A": {"finance": 1_000_000, "payroll": 1_000_000},
            "B": {"finance": 500_000, "payroll": 500_000},
        },
        assumptions={"finance": FINANCE, "payroll": FINANCE},
    )
    assert optimum(problem) == (
        pytest.approx(420_000),
        {"finance": {"B": ("A", 1)}, "payroll": {"B": ("A", 1)}},
    )


def test_zero_cost_partner_cannot_make_a_hub() -> None:
    # Z has no finance cost. If it could join A, A's hub of its own £1.5m would save 150,000 a year
    # (150,000 - 30,000 + 140,000 = 260,000). It cannot: doing nothing is the only plan.
    result = enumerate_optimum(footprint({"A": 1_500_000.0, "Z": 0.0}))
    assert result is not None
    assert (result.npv, result.hubs, result.plans_checked) == (0.0, [], 1)


def test_infeasible_lock_gives_none() -> None:
    problem = footprint({"A": 1_500_000.0, "Z": 0.0}, locks=[Lock(LockKind.MUST_JOIN, "Z", "finance")])
    assert enumerate_optimum(problem) is None


def test_refuses_footprints_too_large() -> None:
    costs = {o: 1_000_000.0 for o in "ABCDE"}
    with pytest.raises(ValueError, match="too many to enumerate"):
        enumerate_optimum(footprint(costs))


def test_four_organisations_over_three_years_is_allowed() -> None:
    # The largest size the brief asks for; one function keeps it quick. Every hub here loses money
    # (no tier saves anything), so doing nothing is optimal.
    no_savings = FunctionAssumptions(
        tiers=(Tier(0, 0.0),), fixed_cost=1.0, setup_cost=0.0, transition_rate=0.0, capacity_multiple=None
    )
    problem = footprint({o: 1_000_000.0 for o in "ABCD"}, years=3, assumptions={"finance": no_savings})
    result = enumerate_optimum(problem)
    assert result is not None
    assert (result.npv, result.hubs) == (0.0, [])


# ---- the spec instances -------------------------------------------------------------------


def test_spec_instance_optimum(
    spec_instance: tuple[Problem, float, dict[str, dict[str, tuple[str, int]]]],
) -> None:
    problem, listed_npv, _ = spec_instance
    npv, _ = optimum(problem)
    assert npv == pytest.approx(listed_npv, abs=0.01)


def test_filtering_by_function_loses_no_plan() -> None:
    # Against the plainest possible search: every choice of every organisation for every function at
    # once, each plan judged in full (15,625 plans for tiny-seed14's 3 organisations over 2 years).
    problem = load_spec_instance("tiny-seed14.json")
    orgs, years = problem.organisations, range(1, problem.years + 1)
    slots = list(itertools.product(problem.functions, orgs))
    # Joining one's own hub is not a choice (rule 2), so each organisation has 1 + 2 x 2 options.
    options = [[None] + [(h, t) for h in orgs if h != o for t in years] for _, o in slots]
    best = None
    for picks in itertools.product(*options):
        assignment: dict[str, dict[str, tuple[str, int]]] = {f: {} for f in problem.functions}
        for (f, o), pick in zip(slots, picks, strict=True):
            if pick is not None:
                assignment[f][o] = pick
        hubs = hubs_from_assignment(problem, assignment)
        if not check_feasible(problem, hubs):
            npv = appraise(problem, hubs).npv
            best = npv if best is None else max(best, npv)
    result = enumerate_optimum(problem)
    assert result is not None and best is not None
    assert result.npv == pytest.approx(best, abs=1e-6)
