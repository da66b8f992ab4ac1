"""A proven upper bound on the NPV of every feasible plan, from a small aggregated relaxation.

The joint MILP (model.py) is too big for HiGHS to solve even its root LP on the large footprints, so
its bound there is the "obvious" one (every org-function saving the top rate from year 1 at no cost).
This module maps every feasible plan to a feasible point of a much smaller LP whose objective is at
least the plan's NPV; the LP optimum is then a bound. Members are pooled per function and
compatibility group instead of per host, which is what makes it small (about 4 x orgs x functions x
years columns). solver/README.md, "Upper bound (solver/bounds.py)", argues each row's validity.

The LP is handed to HiGHS directly (highspy) so that the bound can be made safe against the solver's
tolerances: it is recomputed from HiGHS's row duals by weak duality (any multipliers give a valid
bound when every column is boxed), not read from the primal objective.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import highspy
import numpy as np

from solver.appraisal import lowest_non_zero_rate
from solver.problem import LockKind, Problem

# Money rows and the objective are in £m: coefficients near 1 keep HiGHS's tolerances meaningful.
SCALE = 1e-6


@dataclass
class _Lp:
    """A maximisation LP with boxed columns, rows as (index, coefficient) pairs."""

    cost: list[float] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[int] = field(default_factory=list)
    row_lower: list[float] = field(default_factory=list)
    row_upper: list[float] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    indices: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    constant: float = 0.0
    # (function, host) -> its hub's columns in the last year (open in some tier): which hosts the
    # relaxation favours, a hint for the plan search (never part of the bound)
    hosts: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    solution: list[float] = field(default_factory=list)

    def col(self, cost: float, upper: float = 1.0, *, integer: bool = False) -> int:
        self.cost.append(cost)
        self.lower.append(0.0)
        self.upper.append(upper)
        if integer:
            self.integer.append(len(self.cost) - 1)
        return len(self.cost) - 1

    def row(self, pairs: Iterable[tuple[int, float]], lower: float, upper: float) -> None:
        # A column may appear several times in the pairs (e.g. a host year in both the open and the
        # set-up terms): sum them, since HiGHS rejects repeated indices in a row.
        total: dict[int, float] = defaultdict(float)
        for j, a in pairs:
            total[j] += a
        entries = [(j, a) for j, a in total.items() if a != 0.0]
        if not entries:
            return
        self.starts.append(len(self.indices))
        for j, a in entries:
            self.indices.append(j)
            self.values.append(a)
        self.row_lower.append(lower)
        self.row_upper.append(upper)


def _safe_bound(lp: _Lp, y: np.ndarray) -> float:
    """max c.x over the LP's boxed columns and rows, bounded by weak duality from multipliers y.

    c.x = y.Ax + (c - A'y).x <= sum_i y_i * (U_i if y_i > 0 else L_i) + sum_j max(r_j l_j, r_j u_j).
    Holds for any y (a multiplier whose needed row side is infinite is set to 0), so the result does
    not depend on the LP having been solved to any tolerance: a poor y only gives a weaker bound.
    """
    low = np.array(lp.row_lower)
    up = np.array(lp.row_upper)
    y = np.where((y > 0) & ~np.isfinite(up), 0.0, y)
    y = np.where((y < 0) & ~np.isfinite(low), 0.0, y)
    row_term = np.where(
        y > 0, y * np.where(np.isfinite(up), up, 0.0), y * np.where(np.isfinite(low), low, 0.0)
    )
    reduced = np.array(lp.cost, dtype=np.float64)
    counts = np.diff(np.append(np.array(lp.starts, dtype=np.int64), len(lp.indices)))
    rows = np.repeat(np.arange(len(lp.starts)), counts)
    np.subtract.at(reduced, np.array(lp.indices, dtype=np.int64), y[rows] * np.array(lp.values))
    col_term = np.maximum(reduced * np.array(lp.lower), reduced * np.array(lp.upper))
    terms = np.concatenate([row_term, col_term])
    # Float error of the sums themselves: far below this margin (a millionth of a pound per £m term).
    return float(terms.sum() + 1e-9 * np.abs(terms).sum() + 1e-9)


def _solve(lp: _Lp, time_limit: float | None, mip: bool, stop_at: float | None = None) -> float | None:
    """The LP's (or with `mip`, the MILP's) proven bound in £m, or None when HiGHS proved nothing.

    `stop_at` (£m, MILP only): stop as soon as the proven bound is at most this (a plan worth it is in
    hand, so the bound can no longer beat it)."""
    if not lp.cost:
        return 0.0  # no organisation can host anything: the only plan is doing nothing
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    # Measured on 60 x 11 x 5: presolve off solves the LP in 0.4-0.7 s, on in 1.3-1.4 s.
    highs.setOptionValue("presolve", "off")
    if time_limit is not None:
        highs.setOptionValue("time_limit", max(0.01, float(time_limit)))
    n = len(lp.cost)
    highs.addCols(
        n,
        np.array(lp.cost),
        np.array(lp.lower),
        np.array(lp.upper),
        0,
        np.zeros(0, dtype=np.int32),
        np.zeros(0, dtype=np.int32),
        np.zeros(0, dtype=np.float64),
    )
    highs.addRows(
        len(lp.starts),
        np.array(lp.row_lower),
        np.array(lp.row_upper),
        len(lp.indices),
        np.array(lp.starts, dtype=np.int32),
        np.array(lp.indices, dtype=np.int32),
        np.array(lp.values, dtype=np.float64),
    )
    highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
    if mip and lp.integer:
        highs.changeColsIntegrality(
            len(lp.integer),
            np.array(lp.integer, dtype=np.int32),
            np.array([highspy.HighsVarType.kInteger] * len(lp.integer)),
        )
        highs.setOptionValue("mip_rel_gap", 1e-3)
        if stop_at is not None:

            def check(event: highspy.HighsCallbackEvent) -> None:
                bound = event.data_out.mip_dual_bound
                if math.isfinite(bound) and bound <= stop_at and event.data_in is not None:
                    event.data_in.user_interrupt = True

            highs.cbMipInterrupt += check
        highs.run()
        bound = highs.getInfo().mip_dual_bound
        status = highs.getModelStatus()
        ms = highspy.HighsModelStatus
        if status not in (ms.kOptimal, ms.kTimeLimit, ms.kInterrupt, ms.kIterationLimit, ms.kSolutionLimit):
            return None
        if not math.isfinite(bound) or abs(bound) >= highspy.kHighsInf:
            return None
        # The MIP dual bound is only as exact as HiGHS's tolerances: loosen it by a millionth.
        return float(bound) + 1e-6 * abs(float(bound)) + 1e-6
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    lp.solution = list(highs.getSolution().col_value)
    duals = np.array(highs.getSolution().row_dual, dtype=np.float64)
    # The sign convention of row duals under a maximisation is HiGHS's business: both signs give a
    # valid bound, so take the better.
    return min(_safe_bound(lp, duals), _safe_bound(lp, -duals))


@dataclass
class _Function:
    """Who may host and who may join for one function (exact rules only, independent of model.py)."""

    hosts: dict[str, list[str]]  # host -> organisations that may join it
    first_year: dict[str, int]  # member -> earliest year it may move
    capacity: dict[str, float]  # host -> largest volume its hub can reach


def _function_roles(problem: Problem, f: str) -> _Function:
    eligible = [o for o in problem.organisations if problem.c(o, f) > 0]
    keep: set[str] = set()
    no_host: set[str] = set()
    first_year = {o: 1 for o in eligible}
    for lock in problem.locks:
        if lock.function != f:
            continue
        if lock.kind is LockKind.KEEP_IN_HOUSE and lock.organisation is not None:
            keep.add(lock.organisation)
        elif lock.kind is LockKind.MAY_NOT_HOST and lock.organisation is not None:
            no_host.add(lock.organisation)
        elif lock.kind is LockKind.NOT_BEFORE_YEAR and lock.year is not None:
            for o in eligible if lock.organisation is None else [lock.organisation]:
                if o in first_year:
                    first_year[o] = max(first_year[o], lock.year)
    hosts: dict[str, list[str]] = {}
    capacity: dict[str, float] = {}
    multiple = problem.assumptions[f].capacity_multiple
    for h in eligible:
        if h in no_host:
            continue
        c_h = problem.c(h, f)
        if (h, f) in problem.host_capacity:
            cap = problem.host_capacity[(h, f)]
        else:
            cap = math.inf if multiple is None else multiple * c_h
        members = [
            o
            for o in eligible
            if o != h
            and o not in keep
            and first_year[o] <= problem.years
            and problem.group(o, f) == problem.group(h, f)
            and problem.c(o, f) <= cap - c_h + 1e-6
        ]
        if members:
            hosts[h] = members
            capacity[h] = min(cap, c_h + sum(problem.c(o, f) for o in members))
    return _Function(hosts=hosts, first_year=first_year, capacity=capacity)


def _never_falls(lp: _Lp, cols: dict[tuple[int, int], int], tiers: list[int], t: int) -> None:
    """Rows saying the weight at tier k or above in year t is at most that in year t + 1, for every k:
    a hub's tier (and a member's hub's tier) never falls."""
    for k0 in tiers:
        pairs = [(cols[(k, t)], 1.0) for k in tiers if k >= k0]
        pairs += [(cols[(k, t + 1)], -1.0) for k in tiers if k >= k0]
        lp.row(pairs, -math.inf, 0.0)


def build_relaxation(
    problem: Problem, *, covers: bool = True, integer_hosts: bool = False, integer_moves: bool = False
) -> _Lp:
    """The aggregated relaxation (see solver/README.md), money in £m.

    `covers=False` leaves out the board covers (to measure what they add); `integer_hosts` and
    `integer_moves` mark the host-tier and join-year columns integer, for the small-MILP variant.
    """
    years = problem.years
    Y = years
    df = [(1.0 + problem.discount_rate) ** -t for t in range(years + 2)]
    df[years + 1] = 0.0  # nothing counts after the horizon
    tail = [0.0] * (years + 2)
    for t in range(years, 0, -1):
        tail[t] = tail[t + 1] + df[t]
    # Own mode's rows only: shared mode's hub rows are dropped, which keeps the bound valid (a relaxation).
    board = problem.board_own
    lp = _Lp()
    spend: dict[int, list[tuple[int, float]]] = defaultdict(list)
    moves: dict[int, list[tuple[int, float]]] = defaultdict(list)
    attributed: dict[str, list[tuple[int, float]]] = defaultdict(list)
    host_final: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)  # (o, f) -> open in Y
    member_of: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)  # (o, f) -> joined
    best_move: dict[tuple[str, str], float] = {}

    for f in problem.functions:
        a = problem.assumptions[f]
        roles = _function_roles(problem, f)
        r_min = lowest_non_zero_rate(a.tiers)
        order = sorted(range(len(a.tiers)), key=lambda i: a.tiers[i].min_volume)
        mins = [a.tiers[i].min_volume for i in order]
        rates = [a.tiers[i].rate for i in order]
        tops = [*mins[1:], math.inf]
        n_tiers = len(order)
        # Tier indices below follow volume order, so "volume never falls" means "index never falls".
        group_of = {o: problem.group(o, f) for o in problem.organisations}
        # (group, k, t) -> hub rows' host terms and member terms
        need: dict[tuple[str | None, int, int], list[tuple[int, float]]] = defaultdict(list)
        room: dict[tuple[str | None, int, int], list[tuple[int, float]]] = defaultdict(list)
        openings: dict[tuple[str | None, int], list[tuple[int, float]]] = defaultdict(list)

        # ---- hosts: w[h,k,t] = the hub is open and in tier k in year t (exact host accounting) ----
        for h, members in roles.hosts.items():
            c_h = problem.c(h, f)
            g = group_of[h]
            smallest_member = min(problem.c(o, f) for o in members)
            largest = roles.capacity[h]
            smallest = c_h + smallest_member
            first = min(roles.first_year[o] for o in members)
            reachable = [k for k in range(n_tiers) if mins[k] <= largest and tops[k] > smallest]
            if not reachable:
                continue
            w: dict[tuple[int, int], int] = {}
            for t in range(first, Y + 1):
                for k in reachable:
                    # Running cost every open year; set-up S in the opening year, written on the open
                    # indicators as S * (df[t] - df[t+1]) per open year (open is monotone).
                    value = (rates[k] * c_h - a.fixed_cost) * df[t] - a.setup_cost * (df[t] - df[t + 1])
                    w[(k, t)] = lp.col(value * SCALE, integer=integer_hosts)
            for t in range(first, Y + 1):
                # one tier a year; open stays open; the tier never falls
                lp.row(((w[(k, t)], 1.0) for k in reachable), -math.inf, 1.0)
                if t < Y:
                    _never_falls(lp, w, reachable, t)
                for k in reachable:
                    col = w[(k, t)]
                    # Hubs in tier k need members worth at least min_k - c_h, and at least one member.
                    need[(g, k, t)].append((col, max(mins[k] - c_h, smallest_member) * SCALE))
                    room[(g, k, t)].append((col, max(0.0, min(tops[k], largest) - c_h) * SCALE))
                    openings[(g, t)].append((col, 1.0))
                    if t > first:
                        openings[(g, t)].append((w[(k, t - 1)], -1.0))
                    if board:
                        # Host's attribution: r_min on its own cost, the scale bonus (rate - r_min) x V
                        # at its largest (or, for a rate below r_min, smallest) volume in the tier,
                        # less running and set-up costs.
                        high = min(tops[k], largest)
                        low = max(mins[k], smallest)
                        bonus = (rates[k] - r_min) * (high if rates[k] >= r_min else low)
                        share = (r_min * c_h - a.fixed_cost + bonus) * df[t] - a.setup_cost * (
                            df[t] - df[t + 1]
                        )
                        attributed[h].append((col, share * SCALE))
            for k in reachable:
                host_final[(h, f)].append((w[(k, Y)], 1.0))
                lp.hosts.setdefault((f, h), []).append(w[(k, Y)])

        # ---- members: j[o,tau] = o joins (some hub) in year tau ----
        hosts_of: dict[str, list[str]] = defaultdict(list)
        for h, members in roles.hosts.items():
            for o in members:
                hosts_of[o].append(h)
        joined: dict[tuple[str | None, int], list[tuple[int, float]]] = defaultdict(list)
        pool: dict[str | None, float] = defaultdict(float)
        tiers_of_group: dict[str | None, set[int]] = defaultdict(set)
        for (g, k, _), _pairs in need.items():
            tiers_of_group[g].add(k)
        for o, hs in hosts_of.items():
            c_o = problem.c(o, f)
            g = group_of[o]
            ks = sorted(tiers_of_group.get(g, set()))
            if not ks:
                continue
            # The cheapest integration any of its hosts would charge: the move costs at least this.
            integration = min(problem.integration_cost.get((o, h, f), 0.0) for h in hs)
            one_off = a.transition_rate * c_o + integration
            first = roles.first_year[o]
            best_move[(o, f)] = max(
                r_min * c_o * tail[tau]
                - (a.transition_rate * c_o + problem.integration_cost.get((o, h, f), 0.0)) * df[tau]
                for h in hs
                for tau in range(first, Y + 1)
            )
            j = {
                tau: lp.col(-one_off * df[tau] * SCALE, integer=integer_moves) for tau in range(first, Y + 1)
            }
            for tau, col in j.items():
                spend[tau].append((col, one_off * SCALE))
                moves[tau].append((col, 1.0))
                member_of[(o, f)].append((col, 1.0))
                openings[(g, tau)].append((col, -1.0))
                if board:
                    attributed[o].append((col, (r_min * c_o * tail[tau] - one_off * df[tau]) * SCALE))
                # £m of the group's members in a hub in year t >= tau
                for t in range(tau, Y + 1):
                    joined[(g, t)].append((col, -c_o * SCALE))
            pool[g] += c_o * SCALE
        # Members pooled per group: Z[g,k,t] = £m of the group's members that are in a tier-k hub in
        # year t. A member's hub tier never falls, so neither does the pooled volume at tier >= k.
        for g, group_tiers in tiers_of_group.items():
            if pool[g] <= 0:
                continue
            ks_sorted = sorted(group_tiers)
            Z = {(k, t): lp.col(rates[k] * df[t], pool[g]) for k in ks_sorted for t in range(1, Y + 1)}
            for t in range(1, Y + 1):
                lp.row([*((Z[(k, t)], 1.0) for k in ks_sorted), *joined[(g, t)]], 0.0, 0.0)
                if t < Y:
                    _never_falls(lp, Z, ks_sorted, t)
                for k in ks_sorted:
                    need[(g, k, t)].append((Z[(k, t)], -1.0))
                    room[(g, k, t)].append((Z[(k, t)], -1.0))

        for pairs in need.values():
            lp.row(pairs, -math.inf, 0.0)
        for pairs in room.values():
            lp.row(pairs, 0.0, math.inf)
        # A hub opens in a year one of its members joins, and members are in one hub each.
        for pairs in openings.values():
            lp.row(pairs, -math.inf, 0.0)
        for o in problem.organisations:
            # one role for f: a host is not a member, a member joins once
            pairs = member_of.get((o, f), []) + host_final.get((o, f), [])
            if pairs:
                lp.row(pairs, -math.inf, 1.0)

    for t in range(1, Y + 1):
        limit = problem.budget[t - 1]
        if limit is not None and spend[t]:
            lp.row(spend[t], -math.inf, limit * SCALE)
        pace = problem.pace[t - 1]
        if pace is not None and moves[t]:
            lp.row(moves[t], -math.inf, float(pace))
    if board:
        for pairs in attributed.values():
            lp.row(pairs, -problem.theta * SCALE, math.inf)
        if covers:
            _add_covers(problem, lp, best_move, member_of, host_final)
    return lp


def _add_covers(
    problem: Problem,
    lp: _Lp,
    best_move: dict[tuple[str, str], float],
    member_of: dict[tuple[str, str], list[tuple[int, float]]],
    host_final: dict[tuple[str, str], list[tuple[int, float]]],
) -> None:
    """Organisation o may join for f only if it hosts another function, when joining cannot pay.

    If o's best move for f plus the best gain every other function's move could bring is still below
    -theta, an o that hosts nothing breaks rule 10 by joining for f (a member's share is exact, and
    only hosting can credit more than a move costs). So joined(o, f) <= number of functions o hosts.
    """
    for (o, f), best in best_move.items():
        others = sum(max(0.0, v) for (oo, ff), v in best_move.items() if oo == o and ff != f)
        if best + others >= -problem.theta - 1e-6:
            continue
        hosting = [
            (col, -1.0) for (h, ff), pairs in host_final.items() if h == o and ff != f for col, _ in pairs
        ]
        lp.row([*member_of[(o, f)], *hosting], -math.inf, 0.0)


def upper_bound(
    problem: Problem, time_limit: float | None = None, *, mip_seconds: float = 0.0
) -> float | None:
    """A proven upper bound (£) on the NPV of every feasible plan, or None if the LP was not solved.

    `mip_seconds` > 0 also solves the relaxation with integral host columns for that long and keeps
    HiGHS's proven MIP dual bound when it is lower (never its incumbent).
    """
    return upper_bound_and_hosts(problem, time_limit, mip_seconds=mip_seconds)[0]


def upper_bound_and_hosts(
    problem: Problem, time_limit: float | None = None, *, mip_seconds: float = 0.0
) -> tuple[float | None, dict[str, dict[str, float]]]:
    """`upper_bound`, and how much each (function, host) is open in the last year in the LP's optimum
    ({function: {host: weight}}, weights > 0.01 only): a hint for the plan search, never a bound."""
    started = time.perf_counter()
    lp = build_relaxation(problem)
    left = None if time_limit is None else time_limit - (time.perf_counter() - started)
    if left is not None and left <= 0:
        return None, {}
    bound = _solve(lp, left, mip=False)
    if bound is None:
        return None, {}
    hosts: dict[str, dict[str, float]] = {}
    for (f, h), cols in lp.hosts.items():
        weight = sum(lp.solution[j] for j in cols) if lp.solution else 0.0
        if weight > 0.01:
            hosts.setdefault(f, {})[h] = weight
    if mip_seconds > 0:
        mip_lp = build_relaxation(problem, integer_hosts=True, integer_moves=True)
        mip_bound = _solve(mip_lp, mip_seconds, mip=True)
        if mip_bound is not None:
            bound = min(bound, mip_bound)
    # Doing nothing (NPV 0) is LP-feasible, so the optimum is >= 0 up to float noise.
    return max(bound / SCALE, 0.0), hosts


def integral_bound(
    problem: Problem, time_limit: float | None, *, stop_at: float | None = None
) -> float | None:
    """The relaxation with integral host and join-year columns, solved by HiGHS for up to
    `time_limit` seconds: its proven MIP dual bound (£), or None when it proved nothing. Stopped early
    once that bound is at most `stop_at` (£, the best plan in hand), when it can no longer beat it."""
    lp = build_relaxation(problem, integer_hosts=True, integer_moves=True)
    bound = _solve(lp, time_limit, mip=True, stop_at=None if stop_at is None else stop_at * SCALE)
    return None if bound is None else max(bound / SCALE, 0.0)
