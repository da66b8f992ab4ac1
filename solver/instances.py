"""Seeded generators of footprints for tests and benchmarks.

`generate_footprint` follows the defaults measured in ../shared/notes/optimiser-difficulty.md:
organisation sizes log-normal, cost per function £0.3m-£2.5m x size, four scale tiers at
£0/3m/8m/15m saving 0/10/18/25 %, hub fixed cost £250k/yr, set-up £400k, transition 50 % of the
moved cost, capacity 6 x host, transition budget £8m/yr, pace max(3, orgs x functions / (2 x years))
moves a year, WTE at about £45k each, a few integration costs, IT split into two compatibility groups
(Local Digital Roadmap footprints) and board acceptability on.

`generate_tiny` makes very small footprints (<= 4 organisations, 2 functions, 2 years) with every rule
switched on or off at random, small enough for the brute-force enumerator.
"""

from __future__ import annotations

import random

from solver.problem import BoardMode, FunctionAssumptions, Lock, LockKind, Problem, Tier

FUNCTION_NAMES = (
    "finance",
    "payroll",
    "hr",
    "procurement",
    "it",
    "estates",
    "legal",
    "communications",
    "governance",
    "business_intelligence",
    "payables",
)

DEFAULT_TIERS = (Tier(0.0, 0.0), Tier(3_000_000.0, 0.10), Tier(8_000_000.0, 0.18), Tier(15_000_000.0, 0.25))
POUNDS_PER_WTE = 45_000.0


def function_names(count: int) -> list[str]:
    names = list(FUNCTION_NAMES[:count])
    names += [f"function_{i}" for i in range(len(names), count)]
    return names


def generate_footprint(
    organisations: int,
    functions: int,
    years: int = 5,
    seed: int = 0,
    *,
    budget: float | None = 8_000_000.0,
    pace: int | None = None,
    workforce: float | None = None,
    board_acceptability: bool = True,
    board_mode: BoardMode = BoardMode.SHARED,
    integration_costs: int | None = None,
    it_groups: bool = True,
    discount_rate: float = 0.035,
    transition_rate: float = 0.5,
) -> Problem:
    """A footprint of `organisations` x `functions` over `years`, reproducible from `seed`."""
    rng = random.Random(seed)
    orgs = [f"ORG{i:03d}" for i in range(organisations)]
    names = function_names(functions)
    sizes = {o: rng.lognormvariate(0.0, 0.5) for o in orgs}
    cost: dict[str, dict[str, float]] = {}
    wte: dict[str, dict[str, float]] = {}
    for o in orgs:
        cost[o] = {}
        wte[o] = {}
        for f in names:
            # Whole pounds: finance returns are in pounds, and it keeps tier boundaries unambiguous.
            c = float(round(rng.uniform(300_000.0, 2_500_000.0) * sizes[o]))
            cost[o][f] = c
            wte[o][f] = round(c / POUNDS_PER_WTE * rng.uniform(0.8, 1.2), 1)
    assumptions = {
        f: FunctionAssumptions(
            tiers=DEFAULT_TIERS,
            fixed_cost=250_000.0,
            setup_cost=400_000.0,
            transition_rate=transition_rate,
            capacity_multiple=6.0,
        )
        for f in names
    }
    integration: dict[tuple[str, str, str], float] = {}
    count = max(1, organisations // 3) if integration_costs is None else integration_costs
    while len(integration) < count and organisations > 1:
        o, h = rng.sample(orgs, 2)
        integration[(o, h, rng.choice(names))] = float(rng.randrange(50_000, 300_000, 1_000))
    groups: dict[str, dict[str, str]] = {}
    if it_groups and "it" in names:
        for o in orgs:
            groups[o] = {"it": "ldr_north" if rng.random() < 0.5 else "ldr_south"}
    default_pace = max(3, (organisations * functions) // (2 * years))
    return Problem(
        organisations=orgs,
        functions=names,
        years=years,
        discount_rate=discount_rate,
        cost=cost,
        wte=wte,
        assumptions=assumptions,
        integration_cost=integration,
        budget=[budget] * years,
        pace=[default_pace if pace is None else pace] * years,
        workforce=[workforce] * years,
        groups=groups,
        board_acceptability=board_acceptability,
        board_mode=board_mode,
    )


def generate_tiny(seed: int) -> Problem:
    """A footprint of 2-4 organisations, 2 functions, 2 years with random limits, groups, locks and costs.

    Thresholds are drawn relative to the footprint's own costs so that tiers, capacity and the limits
    actually decide answers rather than always being slack.
    """
    rng = random.Random(seed)
    years = 2
    orgs = ["A", "B", "C", "D"][: rng.randint(2, 4)]
    names = ["finance", "payroll"]
    cost: dict[str, dict[str, float]] = {}
    wte: dict[str, dict[str, float]] = {}
    for o in orgs:
        cost[o] = {}
        wte[o] = {}
        for f in names:
            c = 0.0 if rng.random() < 0.12 else float(rng.randrange(200_000, 3_000_000, 1_000))
            cost[o][f] = c
            wte[o][f] = round(c / POUNDS_PER_WTE, 1)
    assumptions = {}
    for f in names:
        total = sum(cost[o][f] for o in orgs) or 1_000_000.0
        t1 = round(total * rng.uniform(0.25, 0.6), -3)
        t2 = round(total * rng.uniform(0.6, 1.0), -3)
        r1 = rng.choice([0.08, 0.1, 0.15])
        r2 = r1 + rng.choice([0.05, 0.1])
        tiers = (Tier(0.0, 0.0), Tier(t1, r1), Tier(max(t2, t1 + 1000.0), r2))
        assumptions[f] = FunctionAssumptions(
            tiers=tiers,
            fixed_cost=float(rng.randrange(10_000, 100_000, 1_000)),
            setup_cost=float(rng.randrange(20_000, 200_000, 1_000)),
            transition_rate=rng.choice([0.1, 0.25, 0.35, 0.5]),
            capacity_multiple=rng.choice([None, 2.0, 3.0, 5.0]),
        )
    integration: dict[tuple[str, str, str], float] = {}
    for _ in range(rng.randint(0, 2)):
        o, h = rng.choice(orgs), rng.choice(orgs)
        integration[(o, h, rng.choice(names))] = float(rng.randrange(10_000, 150_000, 1_000))
    host_capacity: dict[tuple[str, str], float] = {}
    if rng.random() < 0.2:
        host_capacity[(rng.choice(orgs), rng.choice(names))] = float(
            rng.randrange(1_000_000, 5_000_000, 1_000)
        )

    def limit(low: float, high: float, chance: float) -> float | None:
        return round(rng.uniform(low, high), -3) if rng.random() < chance else None

    budget = [limit(100_000, 1_500_000, 0.4) for _ in range(years)]
    pace = [rng.randint(0, 3) if rng.random() < 0.35 else None for _ in range(years)]
    workforce = [limit(3, 30, 0.25) for _ in range(years)]
    groups: dict[str, dict[str, str]] = {}
    if rng.random() < 0.4:
        f = rng.choice(names)
        for o in orgs:
            if rng.random() < 0.85:
                groups.setdefault(o, {})[f] = rng.choice(["north", "south"])
    locks: list[Lock] = []
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        kind = rng.choice(list(LockKind))
        f = rng.choice(names)
        if kind is LockKind.NOT_BEFORE_YEAR:
            locks.append(Lock(kind, rng.choice([None, *orgs]), f, 2))
        else:
            locks.append(Lock(kind, rng.choice(orgs), f))
    return Problem(
        organisations=orgs,
        functions=names,
        years=years,
        discount_rate=0.035,
        cost=cost,
        wte=wte,
        assumptions=assumptions,
        integration_cost=integration,
        host_capacity=host_capacity,
        budget=budget,
        pace=pace,
        workforce=workforce,
        groups=groups,
        locks=locks,
        board_acceptability=rng.random() < 0.6,
        theta=rng.choice([0.0, 0.0, 50_000.0]),
        # Drawn last, so every other figure of a seed is what it was before modes existed.
        board_mode=rng.choice([BoardMode.OWN, BoardMode.SHARED]),
    )
