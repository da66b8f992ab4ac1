"""The referee: figures and rule checks recomputed from a plan alone.

Nothing here looks at a model objective or a solver variable. `appraise` turns a list of
hubs into the per-year figures, the NPV, the payback year and every organisation's
attributed NPV; `check_feasible` lists, in plain English, every rule of SPEC.md section 3
the hubs break. Both follow the semantics written down in solver/README.md; the MILP, the
greedy baseline and the brute-force enumerator are all judged against them, so the code
favours being easy to check by eye over being fast.

Money is plain floats and nothing is rounded here: callers round to the penny for display.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from solver.problem import (
    Appraisal,
    Hub,
    LockKind,
    Move,
    OrganisationFigures,
    Problem,
    Tier,
    YearFigures,
)
from solver.sharing import BOARD_BINDING_TOLERANCE, hub_agreements

# Limits (budget, WTE, capacity, board) are compared with this slack: the quantities are sums of
# floats, and a plan that meets a limit exactly must not be reported as breaking it because of the
# last bit of a float. A millionth of a pound (or of a WTE) is far below anything a user sees.
LIMIT_TOLERANCE = 1e-6

# Rule families whose check for function f depends only on the hubs of f. The others (per-year
# budget, pace and workforce limits, board acceptability in own mode) add up over functions; in shared
# mode board acceptability judges each hub alone, and its violations name their function. The enumerator
# relies on this split to filter each function's assignments before taking the cross product.
COUPLING_FAMILIES = frozenset({"budget", "pace", "workforce", "board"})

Assignment = Mapping[
    str, Mapping[str, "tuple[str, int] | Sequence[Any]"]
]  # function -> member -> (host, year)


# ---- plan <-> assignment ----------------------------------------------------------------


def hubs_from_assignment(problem: Problem, assignment: Assignment) -> list[Hub]:
    """Build hubs from {function: {member: (host, year it joins)}}.

    A hub opens in the earliest year any of its members joins. Hubs come out in the problem's
    function order then host order, members by (year, organisation), so equal plans compare equal.
    No validity check is made here: pass the result to `check_feasible`.
    """
    order = {o: i for i, o in enumerate(problem.organisations)}
    function_order = {f: i for i, f in enumerate(problem.functions)}
    members: dict[tuple[str, str], list[Move]] = {}
    for function, joins in assignment.items():
        for member, (host, year) in joins.items():
            move = Move(organisation=member, function=function, host=str(host), year=int(year))
            members.setdefault((move.host, function), []).append(move)
    hubs = []
    for (host, function), moves in members.items():
        moves.sort(key=lambda m: (m.year, order.get(m.organisation, len(order)), m.organisation))
        hubs.append(Hub(host=host, function=function, opening_year=moves[0].year, members=moves))
    hubs.sort(
        key=lambda h: (
            function_order.get(h.function, len(function_order)),
            h.function,
            order.get(h.host, len(order)),
            h.host,
        )
    )
    return hubs


def assignment_from_hubs(
    hubs: Sequence[Hub], functions: Sequence[str] = ()
) -> dict[str, dict[str, tuple[str, int]]]:
    """The reverse of `hubs_from_assignment`; `functions` adds empty entries for functions without hubs."""
    assignment: dict[str, dict[str, tuple[str, int]]] = {f: {} for f in functions}
    for hub in hubs:
        joins = assignment.setdefault(hub.function, {})
        for move in hub.members:
            joins[move.organisation] = (move.host, move.year)
    return assignment


# ---- the accounting -----------------------------------------------------------------------


def tier_for_volume(tiers: Sequence[Tier], volume: float) -> Tier | None:
    """The tier with the largest minimum <= volume (None when the volume is below every tier)."""
    chosen = None
    for tier in tiers:
        if tier.min_volume <= volume and (chosen is None or tier.min_volume > chosen.min_volume):
            chosen = tier
    return chosen


def lowest_non_zero_rate(tiers: Sequence[Tier]) -> float:
    """r_min(f) of rule 10: members are credited their own cost at this rate (0 if no tier saves)."""
    rates = [t.rate for t in tiers if t.rate != 0]
    return min(rates) if rates else 0.0


@dataclass(frozen=True)
class _HubYear:
    """One hub in one year it is open."""

    volume: float
    rate: float
    savings: float
    wte_saved: float


def _hub_year(problem: Problem, hub: Hub, year: int) -> _HubYear | None:
    """The hub's figures in `year`, or None before it opens.

    A volume below every tier (only possible when the first tier does not start at 0, which
    check_feasible reports as breaking rule 3) saves nothing.
    """
    if year < hub.opening_year:
        return None
    f = hub.function
    joined = [m.organisation for m in hub.members if m.year <= year]
    volume = problem.c(hub.host, f) + sum(problem.c(o, f) for o in joined)
    wte = problem.w(hub.host, f) + sum(problem.w(o, f) for o in joined)
    tier = tier_for_volume(problem.assumptions[f].tiers, volume)
    rate = 0.0 if tier is None else tier.rate
    return _HubYear(volume=volume, rate=rate, savings=rate * volume, wte_saved=rate * wte)


def _integration(problem: Problem, move: Move) -> float:
    # Only members move, so an (h, h, f) entry is never charged: the host does not move.
    return problem.integration_cost.get((move.organisation, move.host, move.function), 0.0)


def _transition(problem: Problem, move: Move) -> float:
    return problem.assumptions[move.function].transition_rate * problem.c(move.organisation, move.function)


def appraise(problem: Problem, hubs: Sequence[Hub]) -> Appraisal:
    """Per-year figures, NPV, payback year and attribution of a plan, from the plan alone.

    Does not check feasibility (use `check_feasible`); it assumes only that every hub's function
    is one of the problem's and that member years lie in 1..Y.
    """
    years = range(1, problem.years + 1)
    discount = {t: (1.0 + problem.discount_rate) ** -t for t in years}
    # Each organisation's attributed net cash, undiscounted, year t at t - 1; its attributed NPV discounts it.
    cash = {o: [0.0] * problem.years for o in problem.organisations}
    in_a_hub: set[str] = set()
    # (function, host) -> organisation -> its attributed NPV from that hub alone (shared mode's basis)
    by_hub: dict[tuple[str, str], dict[str, float]] = {}

    def credit(hub: Hub, org: str, amount: float, year: int) -> None:
        cash.setdefault(org, [0.0] * problem.years)[year - 1] += amount
        part = by_hub.setdefault((hub.function, hub.host), {})
        part[org] = part.get(org, 0.0) + amount * discount[year]

    rows = []
    cumulative = 0.0
    wte_saved_before = 0.0
    for t in years:
        savings = running = setup = transition = integration = wte_saved = 0.0
        moves = 0
        for hub in hubs:
            figures = _hub_year(problem, hub, t)
            if figures is None:
                continue
            f = hub.function
            assumptions = problem.assumptions[f]
            r_min = lowest_non_zero_rate(assumptions.tiers)
            savings += figures.savings
            wte_saved += figures.wte_saved
            running += assumptions.fixed_cost
            hub_setup = assumptions.setup_cost if t == hub.opening_year else 0.0
            setup += hub_setup

            # Rule 10: host's share = own cost at r_min + scale bonus - running - set-up.
            in_a_hub.add(hub.host)
            scale_bonus = figures.savings - r_min * figures.volume
            credit(
                hub,
                hub.host,
                r_min * problem.c(hub.host, f) + scale_bonus - assumptions.fixed_cost - hub_setup,
                t,
            )
            for move in hub.members:
                if move.year > t:
                    continue
                in_a_hub.add(move.organisation)
                member_share = r_min * problem.c(move.organisation, f)
                if move.year == t:
                    moves += 1
                    move_transition = _transition(problem, move)
                    move_integration = _integration(problem, move)
                    transition += move_transition
                    integration += move_integration
                    member_share -= move_transition + move_integration
                credit(hub, move.organisation, member_share, t)

        net_cash = savings - running - setup - transition - integration
        cumulative += net_cash
        rows.append(
            YearFigures(
                year=t,
                savings=savings,
                running_costs=running,
                setup_costs=setup,
                transition_costs=transition,
                integration_costs=integration,
                net_cash=net_cash,
                cumulative_net_cash=cumulative,
                discount_factor=discount[t],
                discounted_net_cash=net_cash * discount[t],
                wte_released=wte_saved - wte_saved_before,
                moves=moves,
            )
        )
        wte_saved_before = wte_saved

    npv = sum(row.discounted_net_cash for row in rows)
    # Payback is looked for from the first year money moves: before it cumulative net cash is 0, and
    # calling that "paid back" would be the same nonsense as a payback year for a plan with no moves
    # (see solver/README.md). The tolerance only absorbs float noise in a sum that is exactly 0.
    first_spend = min((hub.opening_year for hub in hubs if hub.members), default=None)
    payback = None
    if first_spend is not None:
        payback = next(
            (
                row.year
                for row in rows
                if row.year >= first_spend and row.cumulative_net_cash >= -LIMIT_TOLERANCE
            ),
            None,
        )
    agreements = hub_agreements(problem, hubs, by_hub) if problem.board_shared else []
    shares: dict[str, float] = {}
    recharges: dict[str, float] = {}
    for agreement in agreements:
        for p in agreement.participants:
            shares[p.organisation] = shares.get(p.organisation, 0.0) + p.share
            recharges[p.organisation] = recharges.get(p.organisation, 0.0) + p.recharge
    attributed = {o: sum(a * discount[t] for t, a in enumerate(flows, start=1)) for o, flows in cash.items()}
    organisations = [
        OrganisationFigures(
            organisation=o,
            attributed_npv=value,
            binds_board=(
                problem.board_own and o in in_a_hub and abs(value + problem.theta) <= BOARD_BINDING_TOLERANCE
            ),
            share=shares.get(o, 0.0) if problem.board_shared else None,
            recharge=recharges.get(o, 0.0) if problem.board_shared else None,
            net_cash=cash[o],
        )
        for o, value in attributed.items()
    ]
    return Appraisal(
        years=rows,
        organisations=organisations,
        npv=npv,
        payback_year=payback,
        agreements=agreements,
    )


# ---- the rules ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """One broken rule. `family` is a BindingConstraint family where one fits (budget, pace,
    workforce, capacity, board, lock) or one of structure, membership, zero_cost, tier,
    compatibility. `function` is None for rules that add up over functions."""

    family: str
    function: str | None
    message: str


def violations(problem: Problem, hubs: Sequence[Hub]) -> list[Violation]:
    """Every rule the plan breaks, tagged with its family (see `check_feasible`)."""
    found: list[Violation] = []

    def broken(family: str, function: str | None, message: str) -> None:
        found.append(Violation(family, function, message))

    orgs = set(problem.organisations)
    years = range(1, problem.years + 1)

    # Shape of the plan: without these the accounting below has no meaning, so stop if any fail.
    for hub in hubs:
        f = hub.function
        where = f"hub of {hub.host} for {f}"
        if f not in problem.assumptions or f not in problem.functions:
            broken("structure", f, f"{where}: {f} is not a function of this footprint")
        if hub.host not in orgs:
            broken("structure", f, f"{where}: {hub.host} is not an organisation of this footprint")
        for move in hub.members:
            if move.organisation not in orgs:
                broken("structure", f, f"{where}: member {move.organisation} is not an organisation")
            if move.function != f or move.host != hub.host:
                broken(
                    "structure",
                    f,
                    f"{where}: member {move.organisation} is recorded as joining "
                    f"{move.host} for {move.function}",
                )
            if move.year not in years:
                broken(
                    "structure",
                    f,
                    f"{where}: {move.organisation} joins in year {move.year}, "
                    f"outside years 1..{problem.years}",
                )
        if hub.members and hub.opening_year != min(m.year for m in hub.members):
            broken(
                "structure",
                f,
                f"{where}: opens in year {hub.opening_year} but its first member joins in year "
                f"{min(m.year for m in hub.members)}",
            )
    if found:
        return found

    # Rules 1 and 2: one hub per host and function; every org-function in at most one hub, as
    # host or as member; a hub has a member besides its host.
    hosts: dict[str, list[str]] = {f: [] for f in problem.functions}
    member_of: dict[tuple[str, str], list[str]] = {}
    for hub in hubs:
        hosts[hub.function].append(hub.host)
        if not hub.members:
            broken("membership", hub.function, f"hub of {hub.host} for {hub.function} has no member (rule 2)")
        for move in hub.members:
            member_of.setdefault((move.organisation, hub.function), []).append(hub.host)
    for f, host_list in hosts.items():
        for h in sorted(set(host_list)):
            if host_list.count(h) > 1:
                broken("membership", f, f"{h} hosts more than one hub for {f} (rule 1)")
    for (o, f), joined in sorted(member_of.items()):
        if len(joined) > 1:
            broken("membership", f, f"{o} joins more than one hub for {f}: {', '.join(joined)} (rule 1)")
        if o in hosts[f]:
            if o in joined:
                broken("membership", f, f"{o} is listed as a member of its own hub for {f} (rule 2)")
            else:
                broken("membership", f, f"{o} hosts a hub for {f} and also joins {joined[0]}'s hub (rule 1)")

    # An org-function with no baseline cost has nothing to share (see solver/README.md).
    for hub in hubs:
        f = hub.function
        if problem.c(hub.host, f) <= 0:
            broken("zero_cost", f, f"{hub.host} hosts {f} but has no baseline cost for it")
        for move in hub.members:
            if problem.c(move.organisation, f) <= 0:
                broken(
                    "zero_cost", f, f"{move.organisation} joins a hub for {f} but has no baseline cost for it"
                )

    # Rules 3 and 4, per hub and open year.
    for hub in hubs:
        f = hub.function
        tiers = problem.assumptions[f].tiers
        capacity = hub_capacity(problem, hub.host, f)
        for t in years:
            figures = _hub_year(problem, hub, t)
            if figures is None:
                continue
            if tier_for_volume(tiers, figures.volume) is None:
                broken(
                    "tier",
                    f,
                    f"hub of {hub.host} for {f} in year {t}: volume £{figures.volume:,.2f} is below "
                    f"the lowest tier (rule 3)",
                )
            if capacity is not None and figures.volume > capacity + LIMIT_TOLERANCE:
                broken(
                    "capacity",
                    f,
                    f"hub of {hub.host} for {f} in year {t}: volume £{figures.volume:,.2f} exceeds its "
                    f"capacity £{capacity:,.2f} (rule 4)",
                )

    # Rule 7, per year over all functions.
    appraisal = appraise(problem, hubs)
    for row in appraisal.years:
        t = row.year
        budget = problem.budget[t - 1]
        spend = row.transition_costs + row.integration_costs
        if budget is not None and spend > budget + LIMIT_TOLERANCE:
            broken(
                "budget",
                None,
                f"year {t}: transition and integration spend £{spend:,.2f} exceeds the budget "
                f"£{budget:,.2f} (rule 7)",
            )
        pace = problem.pace[t - 1]
        if pace is not None and row.moves > pace:
            broken("pace", None, f"year {t}: {row.moves} moves exceed the pace limit of {pace} (rule 7)")
        workforce = problem.workforce[t - 1]
        if workforce is not None and row.wte_released > workforce + LIMIT_TOLERANCE:
            broken(
                "workforce",
                None,
                f"year {t}: {row.wte_released:,.2f} WTE released exceeds the workforce limit of "
                f"{workforce:,.2f} (rule 7)",
            )

    # Rule 8.
    for hub in hubs:
        f = hub.function
        for move in hub.members:
            if problem.group(move.organisation, f) != problem.group(hub.host, f):
                broken(
                    "compatibility",
                    f,
                    f"{move.organisation} ({_group_name(problem, move.organisation, f)}) joins "
                    f"{hub.host} ({_group_name(problem, hub.host, f)}) for {f}: "
                    f"incompatible groups (rule 8)",
                )

    # Rule 9. Every hub in a plan is open by the last year, so "by the last year" means "in the plan".
    hosting = {(hub.host, hub.function) for hub in hubs}
    moves = [m for hub in hubs for m in hub.members]
    joining = {(m.organisation, m.function) for m in moves}
    for lock in problem.locks:
        who, what = lock.organisation, lock.function
        if lock.kind is LockKind.KEEP_IN_HOUSE and (who, what) in joining:
            broken("lock", what, f"{who} is locked to keep {what} in house but joins another hub")
        elif lock.kind is LockKind.MUST_JOIN and (who, what) not in joining and (who, what) not in hosting:
            broken("lock", what, f"{who} is locked to be in a hub for {what} but is in none")
        elif lock.kind is LockKind.MAY_NOT_HOST and (who, what) in hosting:
            broken("lock", what, f"{who} may not host {what} but hosts a hub for it")
        elif lock.kind is LockKind.MUST_HOST and (who, what) not in hosting:
            broken("lock", what, f"{who} is locked to host {what} but hosts no hub for it")
        elif lock.kind is LockKind.NOT_BEFORE_YEAR:
            assert lock.year is not None, "a not_before_year lock needs a year"
            for m in moves:
                if m.function == what and (who is None or m.organisation == who) and m.year < lock.year:
                    anyone = "any organisation" if who is None else who
                    broken(
                        "lock",
                        what,
                        f"{m.organisation} moves {what} in year {m.year}, but {what} may not move before "
                        f"year {lock.year} for {anyone}",
                    )

    # Rule 10. Shared mode judges each hub (a rule local to its function), own mode each organisation
    # over all functions.
    for agreement in appraisal.agreements:
        if agreement.npv < -problem.theta - LIMIT_TOLERANCE:
            broken(
                "board",
                agreement.function,
                f"hub of {agreement.host} for {agreement.function}: NPV £{agreement.npv:,.2f} is below "
                f"-£{problem.theta:,.2f}, so its cost-sharing agreement leaves every organisation in it "
                f"worse off (rule 10, shared)",
            )
    if problem.board_own:
        for org in appraisal.organisations:
            if org.attributed_npv < -problem.theta - LIMIT_TOLERANCE:
                broken(
                    "board",
                    None,
                    f"{org.organisation}'s attributed NPV £{org.attributed_npv:,.2f} is below "
                    f"-£{problem.theta:,.2f} (rule 10)",
                )
    return found


def check_feasible(problem: Problem, hubs: Sequence[Hub]) -> list[str]:
    """Every rule the plan breaks, in plain English; empty when the plan is feasible."""
    return [v.message for v in violations(problem, hubs)]


def hub_capacity(problem: Problem, host: str, function: str) -> float | None:
    """Rule 4: an absolute capacity given for the host wins, else the multiple of its own cost."""
    if (host, function) in problem.host_capacity:
        return problem.host_capacity[(host, function)]
    multiple = problem.assumptions[function].capacity_multiple
    return None if multiple is None else multiple * problem.c(host, function)


def _group_name(problem: Problem, org: str, function: str) -> str:
    group = problem.group(org, function)
    return "no group" if group is None else f"group {group}"
