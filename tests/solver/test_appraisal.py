"""The referee checked by hand: every figure below is worked out in the test from the plan."""

from __future__ import annotations

import dataclasses

import pytest

from solver.appraisal import (
    appraise,
    assignment_from_hubs,
    check_feasible,
    hubs_from_assignment,
    violations,
)
from solver.problem import BoardMode, FunctionAssumptions, Hub, Lock, LockKind, Move, Problem, Tier
from tests.solver.conftest import SPEC_OPTIMA, load_spec_instance

FINANCE = FunctionAssumptions(
    tiers=(Tier(0, 0.0), Tier(1_400_000, 0.10), Tier(2_000_000, 0.20)),
    fixed_cost=50_000,
    setup_cost=100_000,
    transition_rate=0.2,
    capacity_multiple=None,
)


def two_year_footprint(**changes: object) -> Problem:
    """Host H (£1.0m finance), members M1 (£0.5m) and M2 (£0.6m), bystander X; d = 5 %."""
    problem = Problem(
        organisations=["H", "M1", "M2", "X"],
        functions=["finance"],
        years=2,
        discount_rate=0.05,
        cost={
            "H": {"finance": 1_000_000},
            "M1": {"finance": 500_000},
            "M2": {"finance": 600_000},
            "X": {"finance": 700_000},
        },
        wte={"H": {"finance": 20}, "M1": {"finance": 10}, "M2": {"finance": 12}, "X": {"finance": 14}},
        assumptions={"finance": FINANCE},
        integration_cost={("M2", "H", "finance"): 30_000, ("H", "H", "finance"): 999_999},
        board_acceptability=False,
        board_mode=BoardMode.OWN,  # these tests are about own mode's per-organisation rule
    )
    return dataclasses.replace(problem, **changes)  # type: ignore[arg-type]


# M1 joins in year 1 (volume £1.5m: 10 % tier), M2 in year 2 (volume £2.1m: 20 % tier).
GROWING_HUB = {"finance": {"M1": ("H", 1), "M2": ("H", 2)}}


def test_growing_hub_year_by_year() -> None:
    problem = two_year_footprint()
    appraisal = appraise(problem, hubs_from_assignment(problem, GROWING_HUB))
    year1, year2 = appraisal.years

    assert year1.savings == pytest.approx(0.10 * 1_500_000)
    assert year1.running_costs == pytest.approx(50_000)
    assert year1.setup_costs == pytest.approx(100_000)
    assert year1.transition_costs == pytest.approx(0.2 * 500_000)
    assert year1.integration_costs == 0  # the (H, H) entry is ignored: the host does not move
    assert year1.net_cash == pytest.approx(150_000 - 50_000 - 100_000 - 100_000)  # -100,000
    assert year1.cumulative_net_cash == pytest.approx(-100_000)
    assert year1.discount_factor == pytest.approx(1 / 1.05)
    assert year1.discounted_net_cash == pytest.approx(-100_000 / 1.05)
    assert year1.moves == 1

    assert year2.savings == pytest.approx(0.20 * 2_100_000)  # tier change
    assert year2.running_costs == pytest.approx(50_000)
    assert year2.setup_costs == 0
    assert year2.transition_costs == pytest.approx(0.2 * 600_000)
    assert year2.integration_costs == pytest.approx(30_000)
    assert year2.net_cash == pytest.approx(420_000 - 50_000 - 120_000 - 30_000)  # 220,000
    assert year2.cumulative_net_cash == pytest.approx(120_000)
    assert year2.discount_factor == pytest.approx(1 / 1.05**2)
    assert year2.moves == 1

    assert appraisal.npv == pytest.approx(-100_000 / 1.05 + 220_000 / 1.05**2)  # £104,308.39
    assert round(appraisal.npv, 2) == 104_308.39
    assert appraisal.payback_year == 2


def test_wte_released_is_the_change_in_wte_saved() -> None:
    problem = two_year_footprint()
    appraisal = appraise(problem, hubs_from_assignment(problem, GROWING_HUB))
    saved_year1 = 0.10 * (20 + 10)  # host and M1 at the 10 % tier
    saved_year2 = 0.20 * (20 + 10 + 12)  # all three at the 20 % tier
    assert [y.wte_released for y in appraisal.years] == pytest.approx(
        [saved_year1, saved_year2 - saved_year1]
    )


def test_attribution_by_hand_and_sums_to_npv() -> None:
    problem = two_year_footprint()
    appraisal = appraise(problem, hubs_from_assignment(problem, GROWING_HUB))
    attributed = {o.organisation: o.attributed_npv for o in appraisal.organisations}
    r_min = 0.10
    # Host: own cost at r_min + scale bonus - running - set-up (year 1 bonus is 0: the hub is at r_min).
    host_year1 = r_min * 1_000_000 + (150_000 - r_min * 1_500_000) - 50_000 - 100_000  # -50,000
    host_year2 = r_min * 1_000_000 + (420_000 - r_min * 2_100_000) - 50_000  # 260,000
    m1_year1 = r_min * 500_000 - 0.2 * 500_000  # -50,000
    m1_year2 = r_min * 500_000
    m2_year2 = r_min * 600_000 - 0.2 * 600_000 - 30_000  # -90,000
    assert attributed["H"] == pytest.approx(host_year1 / 1.05 + host_year2 / 1.05**2)
    assert attributed["M1"] == pytest.approx(m1_year1 / 1.05 + m1_year2 / 1.05**2)
    assert attributed["M2"] == pytest.approx(m2_year2 / 1.05**2)
    assert attributed["X"] == 0
    assert list(attributed) == problem.organisations  # every organisation, in order
    assert sum(attributed.values()) == pytest.approx(appraisal.npv, abs=1e-6)


def test_each_organisations_net_cash_by_year_by_hand() -> None:
    """The undiscounted figures the attribution discounts (the workbook's Cash by organisation sheet)."""
    problem = two_year_footprint()
    appraisal = appraise(problem, hubs_from_assignment(problem, GROWING_HUB))
    cash = {o.organisation: o.net_cash for o in appraisal.organisations}
    r_min = 0.10
    assert cash["H"] == pytest.approx(
        [
            r_min * 1_000_000 + (150_000 - r_min * 1_500_000) - 50_000 - 100_000,  # -50,000
            r_min * 1_000_000 + (420_000 - r_min * 2_100_000) - 50_000,  # 260,000
        ]
    )
    assert cash["M1"] == pytest.approx([r_min * 500_000 - 0.2 * 500_000, r_min * 500_000])  # -50,000; 50,000
    assert cash["M2"] == pytest.approx([0, r_min * 600_000 - 0.2 * 600_000 - 30_000])  # 0; -90,000
    assert cash["X"] == [0, 0]
    for index, year in enumerate(appraisal.years):  # -100,000 and 220,000
        assert sum(c[index] for c in cash.values()) == pytest.approx(year.net_cash)
    for o in appraisal.organisations:
        discounted = sum(amount / 1.05 ** (t + 1) for t, amount in enumerate(o.net_cash))
        assert discounted == pytest.approx(o.attributed_npv)


def test_binds_board_only_for_hub_organisations_at_minus_theta() -> None:
    m2_attributed = -90_000 / 1.05**2
    problem = two_year_footprint(board_acceptability=True, theta=-m2_attributed)
    appraisal = appraise(problem, hubs_from_assignment(problem, GROWING_HUB))
    binds = {o.organisation: o.binds_board for o in appraisal.organisations}
    assert binds == {"H": False, "M1": False, "M2": True, "X": False}

    # X is at 0 = -theta but is in no hub, so it never binds.
    problem = two_year_footprint(board_acceptability=True, theta=0.0)
    plan = hubs_from_assignment(problem, {"finance": {"M1": ("H", 2)}})
    binds = {o.organisation: o.binds_board for o in appraise(problem, plan).organisations}
    assert binds["X"] is False

    # With the board rule off nobody binds, whatever the figures.
    problem = two_year_footprint(board_acceptability=False, theta=-m2_attributed)
    appraisal = appraise(problem, hubs_from_assignment(problem, GROWING_HUB))
    assert not any(o.binds_board for o in appraisal.organisations)


def test_member_attributed_exactly_zero_binds_at_theta_zero() -> None:
    # M1 joins in year 2, the last year: credited r_min x cost = 50,000, debited tau x cost = 100,000... so
    # use a transition rate equal to r_min, making its share exactly 0.
    finance = dataclasses.replace(FINANCE, transition_rate=0.10)
    problem = two_year_footprint(assumptions={"finance": finance}, board_acceptability=True, theta=0.0)
    appraisal = appraise(problem, hubs_from_assignment(problem, {"finance": {"M1": ("H", 2)}}))
    by_org = {o.organisation: o for o in appraisal.organisations}
    assert by_org["M1"].attributed_npv == pytest.approx(0, abs=1e-9)
    assert by_org["M1"].binds_board is True


def test_volume_exactly_at_a_tier_minimum_is_in_that_tier() -> None:
    # H £1.0m + M1 £0.4m = £1.4m, the 10 % tier's minimum: savings 140,000, not 0.
    problem = two_year_footprint(cost={"H": {"finance": 1_000_000}, "M1": {"finance": 400_000}})
    appraisal = appraise(problem, hubs_from_assignment(problem, {"finance": {"M1": ("H", 1)}}))
    assert appraisal.years[0].savings == pytest.approx(140_000)
    # One pound less and the hub is in the 0 % tier.
    problem = two_year_footprint(cost={"H": {"finance": 1_000_000}, "M1": {"finance": 399_999}})
    appraisal = appraise(problem, hubs_from_assignment(problem, {"finance": {"M1": ("H", 1)}}))
    assert appraisal.years[0].savings == 0


def test_no_moves() -> None:
    problem = two_year_footprint()
    appraisal = appraise(problem, [])
    assert appraisal.npv == 0
    assert appraisal.payback_year is None
    assert [y.net_cash for y in appraisal.years] == [0, 0]
    assert [y.wte_released for y in appraisal.years] == [0, 0]
    assert all(o.attributed_npv == 0 and not o.binds_board for o in appraisal.organisations)
    assert check_feasible(problem, []) == []


def test_payback_none_when_never_recovered() -> None:
    # M1 alone in year 2: volume £1.5m saves 150,000 against 50,000 + 100,000 + 100,000 of costs.
    # Year 1's cumulative net cash is 0, but nothing has been spent yet: that is not a payback.
    problem = two_year_footprint()
    appraisal = appraise(problem, hubs_from_assignment(problem, {"finance": {"M1": ("H", 2)}}))
    assert appraisal.years[0].cumulative_net_cash == 0
    assert appraisal.years[1].net_cash == pytest.approx(150_000 - 250_000)
    assert appraisal.payback_year is None


def test_payback_counted_from_the_first_move() -> None:
    # M1 and M2 both join in year 2 (net 20,000, see below): payback in year 2, not in the empty year 1.
    problem = two_year_footprint()
    appraisal = appraise(
        problem, hubs_from_assignment(problem, {"finance": {"M1": ("H", 2), "M2": ("H", 2)}})
    )
    assert appraisal.years[1].net_cash == pytest.approx(20_000)
    assert appraisal.payback_year == 2


def test_payback_year_1_when_first_year_pays() -> None:
    problem = two_year_footprint()
    appraisal = appraise(
        problem, hubs_from_assignment(problem, {"finance": {"M1": ("H", 1), "M2": ("H", 1)}})
    )
    # Year 1: 0.2 x 2.1m - 50,000 - 100,000 - 0.2 x 1.1m - 30,000 = 20,000.
    assert appraisal.years[0].net_cash == pytest.approx(20_000)
    assert appraisal.payback_year == 1


def test_assignment_round_trip() -> None:
    problem = two_year_footprint()
    hubs = hubs_from_assignment(problem, {"finance": {"M2": ["H", 2], "M1": ["H", 1]}})  # lists, as in JSON
    assert hubs == [
        Hub(
            host="H",
            function="finance",
            opening_year=1,
            members=[Move("M1", "finance", "H", 1), Move("M2", "finance", "H", 2)],
        )
    ]
    assert assignment_from_hubs(hubs) == GROWING_HUB
    assert assignment_from_hubs([], ["finance"]) == {"finance": {}}


# ---- the spec instances -------------------------------------------------------------------


def test_listed_optimal_plans(
    spec_instance: tuple[Problem, float, dict[str, dict[str, tuple[str, int]]]],
) -> None:
    problem, listed_npv, plan = spec_instance
    hubs = hubs_from_assignment(problem, plan)
    assert check_feasible(problem, hubs) == []
    appraisal = appraise(problem, hubs)
    assert appraisal.npv == pytest.approx(listed_npv, abs=0.01)
    assert sum(o.attributed_npv for o in appraisal.organisations) == pytest.approx(appraisal.npv, abs=1e-6)


def test_zero_cost_member_is_not_allowed() -> None:
    # In tiny-seed5, C has no finance cost. Letting it "join" A would give A a one-member hub of its own
    # £2.87m, saving 15 % on it: the rule in solver/README.md forbids that phantom hub.
    problem = load_spec_instance("tiny-seed5.json")
    hubs = hubs_from_assignment(problem, {"finance": {"C": ("A", 1)}})
    assert check_feasible(problem, hubs) == ["C joins a hub for finance but has no baseline cost for it"]
    assert appraise(problem, hubs).npv > 0  # it would look profitable if allowed
    assert SPEC_OPTIMA["tiny-seed5.json"][0] > appraise(problem, hubs).npv


# ---- each rule broken on purpose ----------------------------------------------------------


def families(problem: Problem, hubs: list[Hub]) -> list[str]:
    return [v.family for v in violations(problem, hubs)]


def one_hub(host: str, *members: tuple[str, int], function: str = "finance") -> Hub:
    moves = [Move(o, function, host, year) for o, year in members]
    return Hub(host=host, function=function, opening_year=min(m.year for m in moves), members=moves)


def test_base_plan_is_feasible() -> None:
    # The plans below each break one rule of this feasible starting point.
    problem = two_year_footprint()
    assert check_feasible(problem, [one_hub("H", ("M1", 1))]) == []


def test_rule_1_member_in_two_hubs() -> None:
    problem = two_year_footprint()
    hubs = [one_hub("H", ("M1", 1)), one_hub("X", ("M1", 2))]
    assert check_feasible(problem, hubs) == ["M1 joins more than one hub for finance: H, X (rule 1)"]


def test_rule_1_host_also_joins_another_hub() -> None:
    problem = two_year_footprint()
    hubs = [one_hub("H", ("M1", 1)), one_hub("X", ("H", 2))]
    assert check_feasible(problem, hubs) == ["H hosts a hub for finance and also joins X's hub (rule 1)"]


def test_rule_1_two_hubs_at_one_host() -> None:
    problem = two_year_footprint()
    hubs = [one_hub("H", ("M1", 1)), one_hub("H", ("M2", 1))]
    assert check_feasible(problem, hubs) == ["H hosts more than one hub for finance (rule 1)"]


def test_rule_2_hub_without_member() -> None:
    problem = two_year_footprint()
    hubs = [Hub(host="H", function="finance", opening_year=1, members=[])]
    assert check_feasible(problem, hubs) == ["hub of H for finance has no member (rule 2)"]


def test_rule_2_host_as_its_own_member() -> None:
    problem = two_year_footprint()
    hubs = [one_hub("H", ("H", 1), ("M1", 1))]
    assert check_feasible(problem, hubs) == ["H is listed as a member of its own hub for finance (rule 2)"]


def test_rule_3_volume_below_every_tier() -> None:
    # Only possible when the first tier does not start at 0: the volume then lies in no tier.
    finance = dataclasses.replace(FINANCE, tiers=(Tier(2_000_000, 0.2),))
    problem = two_year_footprint(assumptions={"finance": finance})
    assert families(problem, [one_hub("H", ("M1", 1))]) == ["tier", "tier"]  # years 1 and 2
    assert check_feasible(problem, [one_hub("H", ("M1", 1), ("M2", 1))]) == []  # £2.1m is in the tier


def test_rule_4_capacity_multiple() -> None:
    finance = dataclasses.replace(FINANCE, capacity_multiple=2.0)  # H may serve up to £2.0m
    problem = two_year_footprint(assumptions={"finance": finance})
    assert check_feasible(problem, [one_hub("H", ("M1", 1))]) == []
    assert check_feasible(problem, [one_hub("H", ("M1", 1), ("M2", 2))]) == [
        "hub of H for finance in year 2: volume £2,100,000.00 exceeds its capacity £2,000,000.00 (rule 4)"
    ]


def test_rule_4_absolute_capacity_overrides_multiple() -> None:
    finance = dataclasses.replace(FINANCE, capacity_multiple=2.0)
    problem = two_year_footprint(
        assumptions={"finance": finance}, host_capacity={("H", "finance"): 1_400_000}
    )
    assert families(problem, [one_hub("H", ("M1", 1))]) == ["capacity", "capacity"]
    problem = two_year_footprint(
        assumptions={"finance": finance}, host_capacity={("H", "finance"): 3_000_000}
    )
    assert check_feasible(problem, [one_hub("H", ("M1", 1), ("M2", 2))]) == []


def test_rule_4_capacity_met_exactly_is_feasible() -> None:
    problem = two_year_footprint(host_capacity={("H", "finance"): 1_500_000})
    assert check_feasible(problem, [one_hub("H", ("M1", 1))]) == []


def test_rule_7_budget() -> None:
    # Year 2 spend: M2's transition 120,000 + integration 30,000 = 150,000.
    problem = two_year_footprint(budget=[None, 149_999.0])
    assert check_feasible(problem, [one_hub("H", ("M2", 2))]) == [
        "year 2: transition and integration spend £150,000.00 exceeds the budget £149,999.00 (rule 7)"
    ]
    problem = two_year_footprint(budget=[None, 150_000.0])
    assert check_feasible(problem, [one_hub("H", ("M2", 2))]) == []


def test_rule_7_budget_excludes_setup() -> None:
    # M1's transition is 100,000; the hub's 100,000 set-up in the same year does not count.
    problem = two_year_footprint(budget=[100_000.0, None])
    assert check_feasible(problem, [one_hub("H", ("M1", 1))]) == []


def test_rule_7_pace() -> None:
    problem = two_year_footprint(pace=[1, None])
    assert check_feasible(problem, [one_hub("H", ("M1", 1), ("M2", 1))]) == [
        "year 1: 2 moves exceed the pace limit of 1 (rule 7)"
    ]
    assert check_feasible(problem, [one_hub("H", ("M1", 1), ("M2", 2))]) == []


def test_rule_7_workforce() -> None:
    # Year 1 WTE released: 0.10 x (20 + 10) = 3.0.
    problem = two_year_footprint(workforce=[2.9, None])
    assert families(problem, [one_hub("H", ("M1", 1))]) == ["workforce"]
    problem = two_year_footprint(workforce=[3.0, None])
    assert check_feasible(problem, [one_hub("H", ("M1", 1))]) == []


def test_rule_8_different_groups() -> None:
    problem = two_year_footprint(groups={"H": {"finance": "north"}, "M1": {"finance": "south"}})
    assert check_feasible(problem, [one_hub("H", ("M1", 1))]) == [
        "M1 (group south) joins H (group north) for finance: incompatible groups (rule 8)"
    ]


def test_rule_8_group_and_no_group() -> None:
    problem = two_year_footprint(groups={"H": {"finance": "north"}})
    assert families(problem, [one_hub("H", ("M1", 1))]) == ["compatibility"]
    problem = two_year_footprint(groups={"H": {"finance": "north"}, "M1": {"finance": "north"}})
    assert check_feasible(problem, [one_hub("H", ("M1", 1))]) == []


@pytest.mark.parametrize(
    ("lock", "message"),
    [
        (
            Lock(LockKind.KEEP_IN_HOUSE, "M1", "finance"),
            "M1 is locked to keep finance in house but joins another hub",
        ),
        (Lock(LockKind.MUST_JOIN, "M2", "finance"), "M2 is locked to be in a hub for finance but is in none"),
        (Lock(LockKind.MAY_NOT_HOST, "H", "finance"), "H may not host finance but hosts a hub for it"),
        (Lock(LockKind.MUST_HOST, "X", "finance"), "X is locked to host finance but hosts no hub for it"),
        (
            Lock(LockKind.NOT_BEFORE_YEAR, "M1", "finance", year=2),
            "M1 moves finance in year 1, but finance may not move before year 2 for M1",
        ),
        (
            Lock(LockKind.NOT_BEFORE_YEAR, None, "finance", year=2),
            "M1 moves finance in year 1, but finance may not move before year 2 for any organisation",
        ),
    ],
)
def test_rule_9_each_lock_kind(lock: Lock, message: str) -> None:
    problem = two_year_footprint(locks=[lock])
    assert check_feasible(problem, [one_hub("H", ("M1", 1))]) == [message]


@pytest.mark.parametrize(
    "lock",
    [
        Lock(LockKind.KEEP_IN_HOUSE, "H", "finance"),  # a host keeps its function in house
        Lock(LockKind.MUST_JOIN, "H", "finance"),  # hosting counts as being in a hub
        Lock(LockKind.MUST_JOIN, "M1", "finance"),
        Lock(LockKind.MAY_NOT_HOST, "M1", "finance"),
        Lock(LockKind.MUST_HOST, "H", "finance"),
        Lock(LockKind.NOT_BEFORE_YEAR, "M2", "finance", year=2),  # another organisation's lock
        Lock(LockKind.NOT_BEFORE_YEAR, None, "finance", year=1),
    ],
)
def test_rule_9_locks_the_plan_keeps(lock: Lock) -> None:
    problem = two_year_footprint(locks=[lock])
    assert check_feasible(problem, [one_hub("H", ("M1", 1))]) == []


def test_rule_9_must_join_and_must_host_break_doing_nothing() -> None:
    problem = two_year_footprint(locks=[Lock(LockKind.MUST_JOIN, "X", "finance")])
    assert families(problem, []) == ["lock"]
    problem = two_year_footprint(locks=[Lock(LockKind.MUST_HOST, "X", "finance")])
    assert families(problem, []) == ["lock"]


def test_rule_10_board() -> None:
    # From test_attribution_by_hand: M1 is at -50,000/1.05 + 50,000/1.05^2 = -£2,267.57 and
    # M2 at -90,000/1.05^2 = -£81,632.65.
    problem = two_year_footprint(board_acceptability=True, theta=0.0)
    assert check_feasible(problem, hubs_from_assignment(problem, GROWING_HUB)) == [
        "M1's attributed NPV £-2,267.57 is below -£0.00 (rule 10)",
        "M2's attributed NPV £-81,632.65 is below -£0.00 (rule 10)",
    ]
    problem = two_year_footprint(board_acceptability=True, theta=2_300.0)
    assert families(problem, hubs_from_assignment(problem, GROWING_HUB)) == ["board"]  # M2 only
    problem = two_year_footprint(board_acceptability=False)
    assert check_feasible(problem, hubs_from_assignment(problem, GROWING_HUB)) == []


def test_zero_cost_host_and_member() -> None:
    problem = two_year_footprint(cost={"H": {"finance": 1_000_000}, "M1": {"finance": 500_000}, "M2": {}})
    assert check_feasible(problem, [one_hub("H", ("M2", 1), ("M1", 1))]) == [
        "M2 joins a hub for finance but has no baseline cost for it"
    ]
    assert families(problem, [one_hub("M2", ("M1", 1))]) == ["zero_cost"]


@pytest.mark.parametrize(
    ("hub", "message"),
    [
        (
            Hub("H", "finance", 3, [Move("M1", "finance", "H", 3)]),
            "hub of H for finance: M1 joins in year 3, outside years 1..2",
        ),
        (
            Hub("H", "finance", 1, [Move("M1", "finance", "H", 2)]),
            "hub of H for finance: opens in year 1 but its first member joins in year 2",
        ),
        (
            Hub("H", "finance", 1, [Move("M1", "finance", "X", 1)]),
            "hub of H for finance: member M1 is recorded as joining X for finance",
        ),
        (
            Hub("H", "payroll", 1, [Move("M1", "payroll", "H", 1)]),
            "hub of H for payroll: payroll is not a function of this footprint",
        ),
        (
            Hub("Q", "finance", 1, [Move("M1", "finance", "Q", 1)]),
            "hub of Q for finance: Q is not an organisation of this footprint",
        ),
    ],
)
def test_malformed_plans(hub: Hub, message: str) -> None:
    assert check_feasible(two_year_footprint(), [hub]) == [message]
