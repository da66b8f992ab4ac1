"""Every rule of SPEC section 3 deciding the answer on a footprint small enough to solve by hand.

One function ("finance") unless said, two years, discount 3.5 % (so D1 = 1/1.035, D2 = D1^2), no
running or set-up cost, transition 50 % of the moved cost, board acceptability off unless the test is
about it. Each test states the hand calculation, and checks that the optimiser's objective, the
independent appraisal and the hand figure agree to the penny.
"""

from __future__ import annotations

import pytest

from solver.appraisal import appraise, assignment_from_hubs, check_feasible
from solver.problem import BoardMode, FunctionAssumptions, Lock, LockKind, Plan, Problem, Status, Tier
from solver.solve import solve

D1 = 1 / 1.035
D2 = D1 * D1
PENNY = 0.01
F = "finance"


def footprint(
    costs: dict[str, float],
    *,
    tiers: tuple[tuple[float, float], ...] = ((0.0, 0.0), (2_500_000.0, 0.2)),
    fixed: float = 0.0,
    setup: float = 0.0,
    capacity_multiple: float | None = None,
    board: bool = False,
    **extra: object,
) -> Problem:
    return Problem(
        organisations=list(costs),
        functions=[F],
        years=2,
        discount_rate=0.035,
        cost={o: {F: c} for o, c in costs.items()},
        wte={o: {F: c / 50_000} for o, c in costs.items()},
        assumptions={
            F: FunctionAssumptions(
                tiers=tuple(Tier(m, r) for m, r in tiers),
                fixed_cost=fixed,
                setup_cost=setup,
                transition_rate=0.5,
                capacity_multiple=capacity_multiple,
            )
        },
        board_acceptability=board,
        **{"board_mode": BoardMode.OWN, **extra},  # type: ignore[arg-type]
    )


def solved(problem: Problem, expected_npv: float, expected: dict[str, tuple[str, int]]) -> Plan:
    plan = solve(problem)
    assert plan.status is Status.OPTIMAL, plan.stats
    assert check_feasible(problem, plan.hubs) == []
    assert plan.npv == pytest.approx(expected_npv, abs=PENNY)
    assert plan.stats is not None and plan.stats.objective == pytest.approx(
        appraise(problem, plan.hubs).npv, abs=PENNY
    )
    assert {m: tuple(v) for m, v in assignment_from_hubs(plan.hubs).get(F, {}).items()} == expected
    return plan


def test_unconstrained_pair_moves_in_year_one() -> None:
    # Hub A+B = £3m >= £2.5m saves 20 %: £600k a year; B's transition £500k in year 1.
    solved(footprint({"A": 2e6, "B": 1e6}), 600_000 * (D1 + D2) - 500_000 * D1, {"B": ("A", 1)})


def test_budget_pushes_the_move_into_year_two() -> None:
    # £400k in year 1 cannot pay B's £500k transition: B joins in year 2, 600k - 500k in year 2.
    problem = footprint({"A": 2e6, "B": 1e6}, budget=[400_000.0, None])
    plan = solved(problem, 100_000 * D2, {"B": ("A", 2)})
    assert any(b.family == "budget" and b.year == 1 for b in plan.binding)


def test_pace_limit_moves_both_members_to_year_two() -> None:
    # Only A+B+C (£4.1m) reaches the 30 % tier. One move in year 1 saves nothing that year, so both
    # in year 2 (transition discounted once more) beats one in each year:
    # both in year 2: (1.23m - 1.05m) D2 = 180k D2; B in 1, C in 2: -500k D1 + 680k D2 (less).
    problem = footprint({"A": 2e6, "B": 1.0e6, "C": 1.1e6}, tiers=((0.0, 0.0), (4e6, 0.3)), pace=[1, None])
    solved(problem, 180_000 * D2, {"B": ("A", 2), "C": ("A", 2)})
    unlimited = footprint({"A": 2e6, "B": 1.0e6, "C": 1.1e6}, tiers=((0.0, 0.0), (4e6, 0.3)))
    solved(unlimited, 1_230_000 * (D1 + D2) - 1_050_000 * D1, {"B": ("A", 1), "C": ("A", 1)})


def test_workforce_limit_delays_the_move() -> None:
    # WTE 40 + 20 at 20 % releases 12 WTE in the hub's first year: above year 1's limit of 10.
    problem = footprint({"A": 2e6, "B": 1e6}, workforce=[10.0, None])
    plan = solved(problem, 100_000 * D2, {"B": ("A", 2)})
    assert plan.appraisal is not None and plan.appraisal.years[1].wte_released == pytest.approx(12.0)


# A, B (£1.2m), C (£1.0m) with the tier at £2.9m: A+C = 0.1m D1 + 0.6m D2 is best, then
# A+B = 0.04m D1 + 0.64m D2 (A+B+C pays 1.1m of transition for 0.84m a year: less).
A_C = 100_000 * D1 + 600_000 * D2
A_B = 40_000 * D1 + 640_000 * D2
THREE = {"A": 2e6, "B": 1.2e6, "C": 1.0e6}
TIER_29 = ((0.0, 0.0), (2_900_000.0, 0.2))


def test_without_locks_a_hosts_c() -> None:
    assert A_C > A_B
    solved(footprint(THREE, tiers=TIER_29), A_C, {"C": ("A", 1)})


def test_keep_in_house_forbids_the_best_member() -> None:
    problem = footprint(THREE, tiers=TIER_29, locks=[Lock(LockKind.KEEP_IN_HOUSE, "C", F)])
    solved(problem, A_B, {"B": ("A", 1)})


def test_incompatible_group_forbids_the_best_member() -> None:
    groups = {"A": {F: "north"}, "B": {F: "north"}, "C": {F: "south"}}
    solved(footprint(THREE, tiers=TIER_29, groups=groups), A_B, {"B": ("A", 1)})


def test_group_and_no_group_are_incompatible() -> None:
    groups = {"A": {F: "north"}, "B": {F: "north"}}  # C has none
    solved(footprint(THREE, tiers=TIER_29, groups=groups), A_B, {"B": ("A", 1)})


def test_integration_cost_tips_the_choice_between_equal_members() -> None:
    # B and C cost the same; £50k of integration for B into A makes C the member.
    problem = footprint({"A": 2e6, "B": 1e6, "C": 1e6}, integration_cost={("B", "A", F): 50_000.0})
    solved(problem, 600_000 * (D1 + D2) - 500_000 * D1, {"C": ("A", 1)})
    # ... and it is paid when nothing else will do.
    only_b = footprint({"A": 2e6, "B": 1e6}, integration_cost={("B", "A", F): 50_000.0})
    solved(only_b, 600_000 * (D1 + D2) - 550_000 * D1, {"B": ("A", 1)})


def test_must_join_forces_a_losing_move() -> None:
    # A+B = £2.4m stays in the 0 % tier: B's £200k transition is pure loss, paid as late as possible.
    problem = footprint({"A": 2e6, "B": 0.4e6}, locks=[Lock(LockKind.MUST_JOIN, "B", F)])
    solved(problem, -200_000 * D2, {"B": ("A", 2)})
    assert solve(footprint({"A": 2e6, "B": 0.4e6})).hubs == []


@pytest.mark.parametrize(
    "lock",
    [Lock(LockKind.MUST_HOST, "B", F), Lock(LockKind.MAY_NOT_HOST, "A", F)],
    ids=["must_host", "may_not_host"],
)
def test_host_locks_force_the_worse_host(lock: Lock) -> None:
    # B hosts and A moves: same savings, but £1m of transition instead of £500k.
    problem = footprint({"A": 2e6, "B": 1e6}, locks=[lock])
    solved(problem, 600_000 * (D1 + D2) - 1_000_000 * D1, {"A": ("B", 1)})


def test_not_before_year_for_everyone() -> None:
    problem = footprint({"A": 2e6, "B": 1e6}, locks=[Lock(LockKind.NOT_BEFORE_YEAR, None, F, 2)])
    solved(problem, 100_000 * D2, {"B": ("A", 2)})


def test_not_before_year_for_one_organisation() -> None:
    # B may not move before year 2, but A may: A joining B in year 1 (£1m transition) earns
    # 600k (D1 + D2) - 1m D1 = £173,633, more than B joining A in year 2 (100k D2 = £93,351).
    problem = footprint({"A": 2e6, "B": 1e6}, locks=[Lock(LockKind.NOT_BEFORE_YEAR, "B", F, 2)])
    solved(problem, 600_000 * (D1 + D2) - 1_000_000 * D1, {"A": ("B", 1)})


def test_tier_boundary_is_inclusive() -> None:
    # £2.5m exactly is in the 20 % tier; a pound less is not, and the hub is not worth opening.
    solved(footprint({"A": 2e6, "B": 500_000.0}), 500_000 * (D1 + D2) - 250_000 * D1, {"B": ("A", 1)})
    solved(footprint({"A": 2e6, "B": 499_999.0}), 0.0, {})


def test_capacity_stops_the_best_host() -> None:
    # Only all three (£4.2m) reach the 25 % tier: 1.05m a year. A hosting costs 1.1m of transition,
    # B hosting 1.5m; A's capacity of £4.1m forces B to host.
    costs = {"A": 2e6, "B": 1.2e6, "C": 1.0e6}
    tiers = ((0.0, 0.0), (4e6, 0.25))
    solved(
        footprint(costs, tiers=tiers), 1_050_000 * (D1 + D2) - 1_100_000 * D1, {"B": ("A", 1), "C": ("A", 1)}
    )
    capped = footprint(costs, tiers=tiers, host_capacity={("A", F): 4_100_000.0})
    solved(capped, 1_050_000 * (D1 + D2) - 1_500_000 * D1, {"A": ("B", 1), "C": ("B", 1)})
    # A capacity multiple of 2.05 caps every host below £4.2m (A at £4.1m): no hub reaches the tier.
    solved(footprint(costs, tiers=tiers, capacity_multiple=2.05), 0.0, {})


def test_running_and_set_up_costs() -> None:
    # £100k a year to run, £50k to set up in the opening year.
    problem = footprint({"A": 2e6, "B": 1e6}, fixed=100_000.0, setup=50_000.0)
    solved(problem, 500_000 * (D1 + D2) - 550_000 * D1, {"B": ("A", 1)})


def test_board_acceptability_keeps_a_losing_member_out() -> None:
    # B as member: credited 20 % x £1m in both years, debited £500k: 200k (D1 + D2) - 500k D1 < 0.
    b_share = 200_000 * (D1 + D2) - 500_000 * D1
    assert b_share == pytest.approx(-103_152.93, abs=0.01)
    solved(footprint({"A": 2e6, "B": 1e6}, board=True), 0.0, {})
    # With theta = £110k B's loss is acceptable and the hub forms; B sits at its attributed share.
    plan = solved(
        footprint({"A": 2e6, "B": 1e6}, board=True, theta=110_000.0),
        600_000 * (D1 + D2) - 500_000 * D1,
        {"B": ("A", 1)},
    )
    assert plan.appraisal is not None
    attributed = {o.organisation: o.attributed_npv for o in plan.appraisal.organisations}
    assert attributed["B"] == pytest.approx(b_share, abs=PENNY)


def test_board_acceptability_prefers_a_reciprocal_plan() -> None:
    # Two functions. Alone, each member loses; A hosting finance and B hosting payroll, each joining
    # the other's hub, lets each host's scale bonus pay for its own move.
    costs = {"A": {F: 2e6, "payroll": 1e6}, "B": {F: 1e6, "payroll": 2e6}}
    tier = FunctionAssumptions(
        tiers=(Tier(0.0, 0.0), Tier(2_500_000.0, 0.1), Tier(2_900_000.0, 0.3)),
        fixed_cost=0.0,
        setup_cost=0.0,
        transition_rate=0.5,
        capacity_multiple=None,
    )
    problem = Problem(
        organisations=["A", "B"],
        functions=[F, "payroll"],
        years=2,
        discount_rate=0.035,
        cost=costs,
        wte={},
        assumptions={F: tier, "payroll": tier},
        board_acceptability=True,
    )
    # Each hub: £3m at 30 % = 900k a year, one £500k move. Member share: 100k (D1+D2) - 500k D1;
    # host share: 200k (D1+D2) + bonus 600k (D1+D2). Each org: 900k (D1+D2) - 500k D1 > 0.
    plan = solve(problem)
    assert plan.status is Status.OPTIMAL
    assert assignment_from_hubs(plan.hubs) == {F: {"B": ("A", 1)}, "payroll": {"A": ("B", 1)}}
    assert plan.npv == pytest.approx(2 * (900_000 * (D1 + D2) - 500_000 * D1), abs=PENNY)


def test_binding_pace_and_capacity_are_reported() -> None:
    # A's capacity of £3.2m takes one of B (£1.0m) or C (£1.1m). B alone: 600k (D1+D2) - 500k D1 =
    # £656,701; C alone: 620k (D1+D2) - 550k D1 = £646,374. So B joins in year 1, which uses year 1's
    # pace of one move, and the hub is left with £0.2m of room: C cannot fit.
    problem = footprint(
        {"A": 2e6, "B": 1.0e6, "C": 1.1e6}, pace=[1, 1], host_capacity={("A", F): 3_200_000.0}
    )
    plan = solve(problem)
    assert plan.status is Status.OPTIMAL
    assert assignment_from_hubs(plan.hubs) == {F: {"B": ("A", 1)}}
    assert plan.npv == pytest.approx(600_000 * (D1 + D2) - 500_000 * D1, abs=PENNY)
    binding = {(b.family, b.year, b.organisation) for b in plan.binding}
    assert ("pace", 1, None) in binding
    assert ("pace", 2, None) not in binding
    assert ("capacity", None, "A") in binding
