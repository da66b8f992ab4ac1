"""The consolidation MILP, built with PuLP.

Formulation (per function f; see solver/README.md for why it is exact):

- `join[o,h,tau]` (binary): organisation o's f joins host h's hub in year tau (at most once).
  Membership in year t is the cumulative sum over tau <= t, so "never leave, never switch" holds by
  construction.
- `opens[h,tau]` (binary): h's hub opens in year tau; open in t = cumulative sum.
- `tier[h,k,t]` (binary): the hub is in tier k in year t; sum over k = open in t.
- `share[o,h,k,t]` (continuous, 0..1): member o is in the hub in year t AND the hub is in tier k
  ("multiple-choice" tier model: sum over k = membership, share <= tier). With `tier` integral,
  `share` is exactly membership x tier, so per-tier volumes and WTE are linear and tight.
- `volume[h,k,t]` (continuous): the hub's volume if it is in tier k in year t, else 0, bounded by the
  tier's interval [min_k, min_{k+1} - 0.01] and the host's capacity.

Every rule of SPEC section 3 is a linear constraint on these; the objective is the discounted net cash.
Candidate sets are reduced only by exact rules (zero-cost org-functions, compatibility groups,
keep_in_house / may_not_host / not_before_year locks, capacity, tiers no hub of that host can reach).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

import pulp

from solver.problem import Hub, LockKind, Move, Problem

FAMILIES = ("budget", "pace", "workforce", "capacity", "locks", "board")
# The top of each tier's volume interval is strict; costs are pounds (and pence), so a penny below the
# next tier's minimum is the largest volume still in the tier.
TIER_EPSILON = 0.01


def relaxed(problem: Problem, family: str) -> Problem:
    """`problem` without one constraint family (FAMILIES), for the infeasibility diagnosis."""
    none = [None] * problem.years
    if family == "budget":
        return replace(problem, budget=list(none))
    if family == "pace":
        return replace(problem, pace=list(none))
    if family == "workforce":
        return replace(problem, workforce=list(none))
    if family == "capacity":
        uncapped = {f: replace(a, capacity_multiple=None) for f, a in problem.assumptions.items()}
        return replace(problem, host_capacity={}, assumptions=uncapped)
    if family == "locks":
        return replace(problem, locks=[])
    if family == "board":
        return replace(problem, board_acceptability=False)
    raise ValueError(f"unknown constraint family {family!r}")


def discount_factors(problem: Problem) -> list[float]:
    """Index t (1..Y) -> (1+d)^-t; index 0 unused."""
    return [0.0] + [(1.0 + problem.discount_rate) ** -t for t in range(1, problem.years + 1)]


def lowest_nonzero_rate(problem: Problem, function: str) -> float:
    rates = [tier.rate for tier in problem.assumptions[function].tiers if tier.rate > 0]
    return min(rates) if rates else 0.0


@dataclass
class FunctionCandidates:
    """Who may host, who may join whom, and from which year, for one function."""

    function: str
    eligible: list[str]
    hosts: list[str]
    members_of: dict[str, list[str]]  # host -> organisations that may join it
    first_year: dict[str, int]  # organisation -> earliest year it may move
    capacity: dict[str, float]  # host -> largest volume (math.inf = unlimited)
    tiers: dict[str, list[tuple[int, float, float, float]]]  # host -> (k, min, max, rate) reachable
    must_join: set[str]
    must_host: set[str]
    impossible_locks: list[str]  # locks that no plan can satisfy (e.g. must_host on a zero-cost org)
    join_years: dict[tuple[str, str], list[int]] = field(default_factory=dict)  # (member, host) -> years
    open_years: dict[str, list[int]] = field(default_factory=dict)  # host -> years its hub may open
    closed_years: dict[str, set[int]] = field(default_factory=dict)  # host -> years it may not open in

    def refresh(self, problem: Problem) -> None:
        """Recompute hosts, opening years and reachable tiers after members or years were removed."""
        f = self.function
        for h in list(self.members_of):
            self.members_of[h] = [o for o in self.members_of[h] if self.join_years.get((o, h))]
            if not self.members_of[h]:
                del self.members_of[h]
        self.hosts = list(self.members_of)
        spec_tiers = problem.assumptions[f].tiers
        self.tiers = {}
        self.open_years = {}
        for h in self.hosts:
            closed = self.closed_years.get(h, set())
            years = sorted({y for o in self.members_of[h] for y in self.join_years[(o, h)]} - closed)
            self.open_years[h] = years
            c_h = problem.c(h, f)
            smallest = c_h + min(problem.c(o, f) for o in self.members_of[h])
            largest = min(self.capacity[h], c_h + sum(problem.c(o, f) for o in self.members_of[h]))
            reachable = []
            for k, tier in enumerate(spec_tiers):
                upper = spec_tiers[k + 1].min_volume - TIER_EPSILON if k + 1 < len(spec_tiers) else math.inf
                if tier.min_volume <= largest and upper >= smallest:
                    reachable.append((k, tier.min_volume, min(upper, largest), tier.rate))
            self.tiers[h] = reachable


def host_capacity(problem: Problem, host: str, function: str) -> float:
    if (host, function) in problem.host_capacity:
        return problem.host_capacity[(host, function)]
    multiple = problem.assumptions[function].capacity_multiple
    return math.inf if multiple is None else multiple * problem.c(host, function)


def compatible(problem: Problem, org: str, host: str, function: str) -> bool:
    return problem.group(org, function) == problem.group(host, function)


def function_candidates(problem: Problem, function: str) -> FunctionCandidates:
    f = function
    eligible = [o for o in problem.organisations if problem.c(o, f) > 0]
    keep_in_house: set[str] = set()
    may_not_host: set[str] = set()
    must_join: set[str] = set()
    must_host: set[str] = set()
    first_year = {o: 1 for o in eligible}
    impossible: list[str] = []
    for lock in problem.locks:
        if lock.function != f:
            continue
        org = lock.organisation
        if lock.kind is LockKind.KEEP_IN_HOUSE and org is not None:
            keep_in_house.add(org)
        elif lock.kind is LockKind.MAY_NOT_HOST and org is not None:
            may_not_host.add(org)
        elif lock.kind is LockKind.MUST_JOIN and org is not None:
            must_join.add(org)
        elif lock.kind is LockKind.MUST_HOST and org is not None:
            must_host.add(org)
        elif lock.kind is LockKind.NOT_BEFORE_YEAR and lock.year is not None:
            for o in eligible if org is None else [org]:
                if o in first_year:
                    first_year[o] = max(first_year[o], lock.year)
    for o in sorted(must_join | must_host):
        if problem.c(o, f) <= 0:
            impossible.append(f"{o} has no {f} cost, so it can neither join nor host")
    for o in sorted(must_host & may_not_host):
        impossible.append(f"{o} must host and may not host {f}")
    capacity = {}
    for h in eligible:
        capacity[h] = host_capacity(problem, h, f)
    members_of: dict[str, list[str]] = {}
    for h in eligible:
        if h in may_not_host:
            continue
        room = capacity[h] - problem.c(h, f)
        members = [
            o
            for o in eligible
            if o != h
            and o not in keep_in_house
            and first_year[o] <= problem.years
            and compatible(problem, o, h, f)
            and problem.c(o, f) <= room + 1e-9
        ]
        if members:
            members_of[h] = members
    cand = FunctionCandidates(
        function=f,
        eligible=eligible,
        hosts=[],
        members_of=members_of,
        first_year=first_year,
        capacity=capacity,
        tiers={},
        must_join=must_join,
        must_host=must_host,
        impossible_locks=impossible,
        join_years={
            (o, h): list(range(first_year[o], problem.years + 1)) for h, ms in members_of.items() for o in ms
        },
    )
    cand.refresh(problem)
    return cand


def reduce_for_board(problem: Problem, candidates: dict[str, FunctionCandidates]) -> None:
    """Remove moves and openings that board acceptability forbids whatever else the plan does.

    An organisation's attributed NPV is the sum over functions of what its role in each function earns
    it. A member's share is exact (r_min x its cost x years in the hub, less its own transition and
    integration cost); a host's share is bounded above by its scale bonus at the best tier it could
    reach. If a role's value plus the best every other function could possibly add is still below
    -theta, no feasible plan uses that role: dropping it is exact. Repeated until nothing changes,
    since removing members lowers the hosts' bounds.
    """
    df = discount_factors(problem)
    years = problem.years
    tail = [0.0] * (years + 2)
    for t in range(years, 0, -1):
        tail[t] = tail[t + 1] + df[t]
    theta = problem.theta
    margin = 1e-3  # prune only what breaks the rule by more than the appraisal's float slack
    for _ in range(10):
        member_value: dict[tuple[str, str, str, int], float] = {}
        host_value: dict[tuple[str, str, int], float] = {}
        best: dict[tuple[str, str], float] = defaultdict(float)  # (org, f) -> best role value, >= 0
        for f, cand in candidates.items():
            a = problem.assumptions[f]
            r_min = lowest_nonzero_rate(problem, f)
            for (o, h), ys in cand.join_years.items():
                if h not in cand.members_of:
                    continue
                c_o = problem.c(o, f)
                one_off = a.transition_rate * c_o + problem.integration_cost.get((o, h, f), 0.0)
                for tau in ys:
                    v = r_min * c_o * tail[tau] - one_off * df[tau]
                    member_value[(f, o, h, tau)] = v
                    best[(o, f)] = max(best[(o, f)], v)
            for h in cand.hosts:
                c_h = problem.c(h, f)
                bonus = max((rate - r_min) * high for _, _, high, rate in cand.tiers[h])
                for tau in cand.open_years[h]:
                    v = (r_min * c_h - a.fixed_cost) * tail[tau] - a.setup_cost * df[tau] + bonus * tail[tau]
                    host_value[(f, h, tau)] = v
                    best[(h, f)] = max(best[(h, f)], v)
        total: dict[str, float] = defaultdict(float)
        for (o, _), v in best.items():
            total[o] += v
        changed = False
        for f, cand in candidates.items():
            for (o, h), ys in cand.join_years.items():
                keep = [
                    tau
                    for tau in ys
                    if (f, o, h, tau) not in member_value
                    or member_value[(f, o, h, tau)] + total[o] - best[(o, f)] >= -theta - margin
                ]
                if len(keep) != len(ys):
                    cand.join_years[(o, h)] = keep
                    changed = True
            for h in cand.hosts:
                keep_open = [
                    tau
                    for tau in cand.open_years[h]
                    if host_value[(f, h, tau)] + total[h] - best[(h, f)] >= -theta - margin
                ]
                if len(keep_open) != len(cand.open_years[h]):
                    cand.closed_years.setdefault(h, set()).update(set(cand.open_years[h]) - set(keep_open))
                    # No member can join before the hub's first possible opening year.
                    for o in cand.members_of[h]:
                        first_allowed = min(keep_open) if keep_open else years + 1
                        cand.join_years[(o, h)] = [t for t in cand.join_years[(o, h)] if t >= first_allowed]
                    changed = True
            cand.refresh(problem)
        if not changed:
            return


def _expr(pairs: Iterable[tuple[pulp.LpVariable, float]]) -> pulp.LpAffineExpression:
    """One expression from (variable, coefficient) pairs, repeated variables summed first."""
    total: dict[pulp.LpVariable, float] = defaultdict(float)
    for var, coef in pairs:
        total[var] += coef
    return pulp.LpAffineExpression([(v, c) for v, c in total.items() if c != 0])


@dataclass
class ConsolidationModel:
    problem: Problem
    prob: pulp.LpProblem
    candidates: dict[str, FunctionCandidates]
    join: dict[tuple[str, str, str, int], pulp.LpVariable]  # (f, o, h, tau)
    opens: dict[tuple[str, str, int], pulp.LpVariable]  # (f, h, tau)
    tier: dict[tuple[str, str, int, int], pulp.LpVariable]  # (f, h, k, t)
    share: dict[tuple[str, str, str, int, int], pulp.LpVariable]  # (f, o, h, k, t)
    volume: dict[tuple[str, str, int, int], pulp.LpVariable]  # (f, h, k, t)
    function_value: dict[str, pulp.LpAffineExpression]  # f -> its discounted net cash
    infeasible_reasons: list[str]  # found while building: no plan can satisfy these
    build_seconds: float = 0.0
    # Every column, in a fixed order. PuLP's `prob.variables()` re-walks every row on each call (0.6 s
    # on 30 x 11 x 5, and a solve through PuLP calls it several times); the model knows its columns.
    variables: list[pulp.LpVariable] = field(default_factory=list)
    # (join key, its position in `variables`), made on first use: a solver's incumbents arrive as values
    # in column order, sometimes several a second.
    _join_positions: list[tuple[tuple[str, str, str, int], int]] | None = field(default=None, repr=False)

    @property
    def binaries(self) -> list[pulp.LpVariable]:
        return [*self.join.values(), *self.opens.values(), *self.tier.values()]

    def hubs_from_solution(self, values: Sequence[float] | None = None) -> list[Hub]:
        """The plan encoded by the variables' current values, or by `values` (one per column of
        `variables`, in that order, as a solver hands back an incumbent); binaries rounded."""
        if values is None:
            chosen = [key for key, var in self.join.items() if (var.varValue or 0.0) > 0.5]
        else:
            if self._join_positions is None:
                position = {var.name: i for i, var in enumerate(self.variables)}
                self._join_positions = [(key, position[var.name]) for key, var in self.join.items()]
            chosen = [key for key, i in self._join_positions if values[i] > 0.5]
        members: dict[tuple[str, str], list[Move]] = defaultdict(list)
        for f, o, h, tau in chosen:
            members[(f, h)].append(Move(o, f, h, tau))
        hubs = []
        for (f, h), moves in members.items():
            moves.sort(key=lambda m: (m.year, m.organisation))
            hubs.append(Hub(host=h, function=f, opening_year=min(m.year for m in moves), members=moves))
        order = {f: i for i, f in enumerate(self.problem.functions)}
        hubs.sort(key=lambda hub: (order[hub.function], hub.host))
        return hubs

    def set_values_from_hubs(self, hubs: list[Hub]) -> bool:
        """Give every variable the value the plan implies (for a warm start, or to evaluate it).

        Returns False when the plan uses a variable the model does not have (so it cannot be a start).
        """
        problem = self.problem
        for var in self.variables:
            var.varValue = 0.0
        for hub in hubs:
            f, h = hub.function, hub.host
            key = (f, h, hub.opening_year)
            if key not in self.opens:
                return False
            self.opens[key].varValue = 1.0
            joined = {m.organisation: m.year for m in hub.members}
            for m in hub.members:
                jkey = (f, m.organisation, h, m.year)
                if jkey not in self.join:
                    return False
                self.join[jkey].varValue = 1.0
            tiers = self.candidates[f].tiers[h]
            for t in range(hub.opening_year, problem.years + 1):
                in_hub = [o for o, y in joined.items() if y <= t]
                vol = problem.c(h, f) + sum(problem.c(o, f) for o in in_hub)
                chosen = [k for k, low, high, _ in tiers if low <= vol <= high]
                if len(chosen) != 1:
                    return False
                k = chosen[0]
                self.tier[(f, h, k, t)].varValue = 1.0
                self.volume[(f, h, k, t)].varValue = vol
                for o in in_hub:
                    self.share[(f, o, h, k, t)].varValue = 1.0
        return True


def _add_board_covers(
    problem: Problem,
    candidates: dict[str, FunctionCandidates],
    join: dict[tuple[str, str, str, int], pulp.LpVariable],
    opens: dict[tuple[str, str, int], pulp.LpVariable],
    add: Callable[[Iterable[tuple[pulp.LpVariable, float]], int, float], None],
) -> None:
    """Valid inequalities: an organisation that loses by every move it could make must host something.

    When every move open to organisation a (in any function) has a negative attributed value, a's
    attributed NPV can reach -theta only through hosting (a host's scale bonus is the only credit
    that can exceed its costs). So if a move in f alone already takes a below -theta, a can be a
    member for f only if it hosts another function: sum of a's moves for f <= number of other
    functions a hosts. The board constraint implies this for integral plans, but its LP relaxation is
    almost blind to it (a sliver of a hub's bonus pays for a sliver of a move); the cover is not.
    """
    df = discount_factors(problem)
    tail = [0.0] * (problem.years + 2)
    for t in range(problem.years, 0, -1):
        tail[t] = tail[t + 1] + df[t]
    moves_of: dict[tuple[str, str], list[pulp.LpVariable]] = defaultdict(list)
    best_move: dict[tuple[str, str], float] = defaultdict(lambda: -math.inf)  # (org, f) -> best move value
    for (f, o, h, tau), var in join.items():
        a = problem.assumptions[f]
        c_o = problem.c(o, f)
        one_off = a.transition_rate * c_o + problem.integration_cost.get((o, h, f), 0.0)
        value = lowest_nonzero_rate(problem, f) * c_o * tail[tau] - one_off * df[tau]
        moves_of[(o, f)].append(var)
        best_move[(o, f)] = max(best_move[(o, f)], value)
    any_gain = {o for (o, _), v in best_move.items() if v >= 0}
    hosting: dict[str, list[tuple[str, pulp.LpVariable]]] = defaultdict(list)
    for (f, h, _), var in opens.items():
        hosting[h].append((f, var))
    for (o, f), variables in moves_of.items():
        if o in any_gain or best_move[(o, f)] >= -problem.theta:
            continue
        others = [var for ff, var in hosting.get(o, []) if ff != f]
        add([*((v, 1.0) for v in variables), *((v, -1.0) for v in others)], pulp.LpConstraintLE, 0.0)


def build_model(
    problem: Problem,
    *,
    functions: list[str] | None = None,
    board: bool = True,
    function_bounds: dict[str, float] | None = None,
    hosts_only: dict[str, set[str]] | None = None,
    strengthen: bool = True,
    name: str = "consolidation",
) -> ConsolidationModel:
    """Build the MILP for `functions` (default all).

    `board=False` drops own mode's board acceptability rows, which couple the functions (a relaxation
    used by the per-function decomposition; shared mode's rows judge one hub each and stay; to drop a
    whole constraint family, build from `relaxed(problem, family)`). `function_bounds` adds the
    valid inequality "function f's discounted net cash <= bound" (bounds proven by solving f
    alone under the same per-year limits). `hosts_only` restricts the hosts per function (a heuristic
    for warm starts: its optimum is a feasible plan, not a bound). `strengthen=False` gives the plain
    (direct) formulation: no board reductions, no cover or tier-monotonicity inequalities; the tests
    compare the two.
    """
    started = time.perf_counter()
    functions = list(problem.functions if functions is None else functions)
    years = problem.years
    df = discount_factors(problem)
    tail = [0.0] * (years + 2)  # tail[t] = sum of df over t..Y
    for t in range(years, 0, -1):
        tail[t] = tail[t + 1] + df[t]
    prob = pulp.LpProblem(name, pulp.LpMaximize)
    constraints: list[pulp.LpConstraint] = []

    def add(pairs: Iterable[tuple[pulp.LpVariable, float]], sense: int, rhs: float) -> None:
        # Rows built here name each variable once (by construction), so the pairs go straight into
        # the expression; rows that can repeat a variable (attribution, bounds) go through _expr.
        constraints.append(pulp.LpConstraint(pulp.LpAffineExpression(list(pairs)), sense=sense, rhs=rhs))

    def add_summed(pairs: Iterable[tuple[pulp.LpVariable, float]], sense: int, rhs: float) -> None:
        constraints.append(pulp.LpConstraint(_expr(pairs), sense=sense, rhs=rhs))

    LE, GE, EQ = pulp.LpConstraintLE, pulp.LpConstraintGE, pulp.LpConstraintEQ
    join: dict[tuple[str, str, str, int], pulp.LpVariable] = {}
    opens: dict[tuple[str, str, int], pulp.LpVariable] = {}
    tier: dict[tuple[str, str, int, int], pulp.LpVariable] = {}
    share: dict[tuple[str, str, str, int, int], pulp.LpVariable] = {}
    volume: dict[tuple[str, str, int, int], pulp.LpVariable] = {}
    objective: list[tuple[pulp.LpVariable, float]] = []
    function_value: dict[str, pulp.LpAffineExpression] = {}
    spend: dict[int, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    moves: dict[int, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    wte_saved: dict[int, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    attributed: dict[str, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
    candidates: dict[str, FunctionCandidates] = {}
    reasons: list[str] = []

    for f in functions:
        candidates[f] = function_candidates(problem, f)
        if hosts_only is not None:
            # A restricted model (a heuristic): only these hosts may open hubs. Its plans are plans of
            # the full problem, never a bound on it.
            cand = candidates[f]
            allowed = hosts_only.get(f, set())
            cand.members_of = {h: ms for h, ms in cand.members_of.items() if h in allowed}
            cand.refresh(problem)
    if strengthen and board and problem.board_own and len(functions) == len(problem.functions):
        reduce_for_board(problem, candidates)
    for fi, f in enumerate(functions):
        cand = candidates[f]
        reasons += cand.impossible_locks
        a = problem.assumptions[f]
        r_min = lowest_nonzero_rate(problem, f)
        value: list[tuple[pulp.LpVariable, float]] = []
        role: dict[str, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
        host_index = {h: i for i, h in enumerate(problem.organisations)}
        for h in cand.hosts:
            hi = host_index[h]
            c_h = problem.c(h, f)
            open_years = cand.open_years[h]
            if not open_years:
                continue
            first_open = open_years[0]
            hub_value: list[tuple[pulp.LpVariable, float]] = []  # this hub's discounted net cash
            for tau in open_years:
                var = prob.add_variable(f"u_{fi}_{hi}_{tau}", cat=pulp.LpBinary)
                opens[(f, h, tau)] = var
                role[h].append((var, 1.0))
                # running cost every open year, set-up in the opening year
                cost = a.fixed_cost * tail[tau] + a.setup_cost * df[tau]
                value.append((var, -cost))
                hub_value.append((var, -cost))
                attributed[h].append((var, -cost))
                # the host is credited r_min on its own cost every year it is in the hub
                attributed[h].append((var, r_min * c_h * tail[tau]))
            arrivals: dict[int, list[tuple[pulp.LpVariable, float]]] = defaultdict(list)
            members = [o for o in cand.members_of[h] if cand.join_years[(o, h)]]
            for o in members:
                oi = host_index[o]
                c_o = problem.c(o, f)
                integration = problem.integration_cost.get((o, h, f), 0.0)
                one_off = a.transition_rate * c_o + integration
                for tau in cand.join_years[(o, h)]:
                    var = prob.add_variable(f"z_{fi}_{oi}_{hi}_{tau}", cat=pulp.LpBinary)
                    join[(f, o, h, tau)] = var
                    role[o].append((var, 1.0))
                    arrivals[tau].append((var, 1.0))
                    value.append((var, -one_off * df[tau]))
                    hub_value.append((var, -one_off * df[tau]))
                    attributed[o].append((var, r_min * c_o * tail[tau] - one_off * df[tau]))
                    spend[tau].append((var, one_off))
                    moves[tau].append((var, 1.0))
            # a hub opens in a year some member joins (rule 2: never before its first member)
            for tau in open_years:
                add([(opens[(f, h, tau)], 1.0), *((v, -1.0) for v, _ in arrivals[tau])], LE, 0.0)
            tiers_h = cand.tiers[h]
            for t in range(first_open, years + 1):
                open_t = [(opens[(f, h, tau)], -1.0) for tau in open_years if tau <= t]
                present = [o for o in members if cand.join_years[(o, h)][0] <= t]
                tier_vars = []
                for k, low, high, rate in tiers_h:
                    y = prob.add_variable(f"y_{fi}_{hi}_{k}_{t}", cat=pulp.LpBinary)
                    v = prob.add_variable(f"v_{fi}_{hi}_{k}_{t}", lowBound=0.0)
                    tier[(f, h, k, t)] = y
                    volume[(f, h, k, t)] = v
                    tier_vars.append(y)
                    volume_terms = [(v, 1.0), (y, -c_h)]
                    for o in present:
                        x = prob.add_variable(f"x_{fi}_{host_index[o]}_{hi}_{k}_{t}", 0.0, 1.0)
                        share[(f, o, h, k, t)] = x
                        volume_terms.append((x, -problem.c(o, f)))
                        add([(x, 1.0), (y, -1.0)], LE, 0.0)
                        wte_saved[t].append((x, rate * problem.w(o, f)))
                    add(volume_terms, EQ, 0.0)
                    if low > 0:
                        add([(v, 1.0), (y, -low)], GE, 0.0)
                    add([(v, 1.0), (y, -high)], LE, 0.0)
                    value.append((v, rate * df[t]))
                    hub_value.append((v, rate * df[t]))
                    attributed[h].append((v, (rate - r_min) * df[t]))
                    wte_saved[t].append((y, rate * problem.w(h, f)))
                add([*((y, 1.0) for y in tier_vars), *open_t], EQ, 0.0)
                # volume never falls, so the tier never falls (valid inequality)
                if strengthen and t > first_open:
                    for k, *_ in tiers_h:
                        higher_now = [(tier[(f, h, kk, t - 1)], 1.0) for kk, *_ in tiers_h if kk >= k]
                        higher_next = [(tier[(f, h, kk, t)], -1.0) for kk, *_ in tiers_h if kk >= k]
                        add([*higher_now, *higher_next], LE, 0.0)
                for o in present:
                    shares = [(share[(f, o, h, k, t)], 1.0) for k, *_ in tiers_h]
                    member = [(join[(f, o, h, tau)], -1.0) for tau in cand.join_years[(o, h)] if tau <= t]
                    add([*shares, *member], EQ, 0.0)
            if problem.board_shared:
                # Rule 10, shared mode: the hub's NPV >= -theta (a closed hub's is 0). Local to f, so it
                # stays in every model of f, the functions-alone ones included.
                add(hub_value, GE, -problem.theta)
        # each organisation has at most one role for f: host of one hub, or member of one hub
        for pairs in role.values():
            add(pairs, LE, 1.0)
        for o in sorted(cand.must_join):
            if role.get(o):
                add(role[o], GE, 1.0)
            elif problem.c(o, f) > 0:
                reasons.append(f"{o} must join a hub for {f} but no hub can take it")
        for h in sorted(cand.must_host):
            host_terms = [(opens[key], 1.0) for key in opens if key[0] == f and key[1] == h]
            if host_terms:
                add(host_terms, GE, 1.0)
            elif problem.c(h, f) > 0:
                reasons.append(f"{h} must host {f} but no organisation can join its hub")
        function_value[f] = _expr(value)
        objective += value
        if function_bounds is not None and f in function_bounds:
            # Loosened by a pound (and a millionth): the bound is often attained exactly, and a cut that
            # is tight to the last bit of a float can make a solver discard the optimum.
            bound = function_bounds[f]
            add_summed(value, LE, bound + 1.0 + 1e-6 * abs(bound))

    for t in range(1, years + 1):
        limit = problem.budget[t - 1]
        if limit is not None and spend[t]:
            add(spend[t], LE, limit)
        pace = problem.pace[t - 1]
        if pace is not None and moves[t]:
            add(moves[t], LE, float(pace))
        workforce = problem.workforce[t - 1]
        if workforce is not None and wte_saved[t]:
            released = [*wte_saved[t], *((v, -c) for v, c in wte_saved.get(t - 1, []))]
            add(released, LE, workforce)
    if board and problem.board_own:
        for org in problem.organisations:
            if attributed.get(org):
                add_summed(attributed[org], GE, -problem.theta)
        if strengthen:
            _add_board_covers(problem, candidates, join, opens, add)

    prob.setObjective(_expr(objective))
    for i, con in enumerate(constraints):
        prob.addConstraint(con, name=f"c{i}")
    model = ConsolidationModel(
        problem=problem,
        prob=prob,
        candidates=candidates,
        join=join,
        opens=opens,
        tier=tier,
        share=share,
        volume=volume,
        function_value=function_value,
        infeasible_reasons=reasons,
        variables=[*opens.values(), *join.values(), *tier.values(), *volume.values(), *share.values()],
    )
    model.build_seconds = time.perf_counter() - started
    return model
