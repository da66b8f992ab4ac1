"""A greedy plan: what a spreadsheet analyst would do.

1. Per function, the biggest organisation that may host becomes a host, and takes the biggest
   compatible organisations that fit its capacity for as long as each one raises the hub's NPV
   (everyone moving in year 1, limits ignored). The next biggest organisation left over hosts the
   next hub, and so on. Hubs that do not pay for themselves are dropped.
2. Hubs are ranked by NPV per pound of transition spend, then put into the plan one at a time, in the
   earliest year the whole hub can move without breaking any rule (per-year budget, pace, workforce,
   board acceptability, locks: all judged by `check_feasible`), and kept only if the plan's NPV rises.
   A hub that cannot move whole is tried member by member, biggest first, each in its earliest
   feasible year.
3. Locks that force a move (`must_host`, `must_join`) are served first with the cheapest hub that
   satisfies them.
4. With board acceptability on in `own` mode, a member's own share of a move is usually negative (10 % a year
   against a 50 % one-off transition), so recipe 1 finds little. The analyst then forms a "club" of the
   biggest organisations that host one function each and join each other's hubs (see `_club_plan`),
   trying clubs of 2 to 8 and keeping the best.

Every plan it keeps has passed `check_feasible`, so the result is always feasible; it returns None
only when it cannot satisfy the locks that force moves (the problem may then be infeasible). The MILP
uses it as a warm start and as a quality floor.
"""

from __future__ import annotations

from solver.appraisal import appraise, check_feasible, violations
from solver.model import discount_factors, function_candidates
from solver.problem import Hub, LockKind, Move, Problem


def _standalone_npv(problem: Problem, function: str, host: str, members: list[str]) -> float:
    """NPV of one hub with everyone moving in year 1, ignoring every limit."""
    a = problem.assumptions[function]
    df = discount_factors(problem)
    volume = problem.c(host, function) + sum(problem.c(o, function) for o in members)
    rate = 0.0
    for tier in a.tiers:
        if tier.min_volume <= volume:
            rate = tier.rate
    one_off = sum(
        a.transition_rate * problem.c(o, function) + problem.integration_cost.get((o, host, function), 0.0)
        for o in members
    )
    return sum(df[1:]) * (rate * volume - a.fixed_cost) - df[1] * (a.setup_cost + one_off)


def _proposed_hubs(problem: Problem, function: str) -> list[tuple[str, list[str], float]]:
    cand = function_candidates(problem, function)
    by_size = sorted(cand.eligible, key=lambda o: (-problem.c(o, function), o))
    taken: set[str] = set()
    proposals = []
    for host in by_size:
        if host in taken or host not in cand.members_of:
            continue
        room = cand.capacity[host] - problem.c(host, function)
        members: list[str] = []
        best = -float("inf")
        for o in sorted(cand.members_of[host], key=lambda o: (-problem.c(o, function), o)):
            if o in taken or problem.c(o, function) > room + 1e-9:
                continue
            value = _standalone_npv(problem, function, host, [*members, o])
            if value > best or not members:
                members.append(o)
                room -= problem.c(o, function)
                best = value
        if members and best > 0:
            taken.add(host)
            taken.update(members)
            proposals.append((host, members, best))
    return proposals


def _with(hubs: list[Hub], host: str, function: str, moves: list[Move]) -> list[Hub]:
    """The plan with `moves` added to (host, function)'s hub, opening it if needed."""
    result = []
    found = False
    for hub in hubs:
        if hub.host == host and hub.function == function:
            members = sorted([*hub.members, *moves], key=lambda m: (m.year, m.organisation))
            result.append(Hub(host, function, min(m.year for m in members), members))
            found = True
        else:
            result.append(hub)
    if not found:
        members = sorted(moves, key=lambda m: (m.year, m.organisation))
        result.append(Hub(host, function, min(m.year for m in members), members))
    return result


def _forced_moves(problem: Problem, hubs: list[Hub]) -> list[Hub] | None:
    """Serve must_host and must_join locks with the cheapest feasible move; None if impossible."""
    for lock in problem.locks:
        f, org = lock.function, lock.organisation
        if org is None or not lock.forces_a_move:
            continue
        in_a_hub = any(
            hub.function == f and (hub.host == org or any(m.organisation == org for m in hub.members))
            for hub in hubs
        )
        if lock.kind is LockKind.MUST_HOST and any(h.function == f and h.host == org for h in hubs):
            continue
        if lock.kind is LockKind.MUST_JOIN and in_a_hub:
            continue
        cand = function_candidates(problem, f)
        options: list[tuple[str, str]] = []  # (member, host)
        if org in cand.members_of:
            options += [(o, org) for o in cand.members_of[org]]
        if lock.kind is LockKind.MUST_JOIN:
            options += [(org, h) for h in cand.hosts if org in cand.members_of[h]]
            existing = {hub.host for hub in hubs if hub.function == f}
            options.sort(key=lambda mh: (mh[1] not in existing, problem.c(mh[0], f)))
        else:
            options.sort(key=lambda mh: problem.c(mh[0], f))
        chosen = None
        for member, host in options:
            for year in range(cand.first_year[member], problem.years + 1):
                trial = _with(hubs, host, f, [Move(member, f, host, year)])
                if not _breaks_non_lock_rules(problem, trial):
                    chosen = trial
                    break
            if chosen is not None:
                break
        if chosen is None:
            return None
        hubs = chosen
    return hubs if not check_feasible(problem, hubs) else None


def _breaks_non_lock_rules(problem: Problem, hubs: list[Hub]) -> bool:
    # While forced moves are added one at a time, the must_* locks not yet served are still broken.
    unserved = ("but is in none", "but hosts no hub")
    return any(
        not (v.family == "lock" and any(phrase in v.message for phrase in unserved))
        for v in violations(problem, hubs)
    )


def greedy_plan(problem: Problem) -> list[Hub] | None:
    """A feasible plan built greedily (see module docstring), or None if forced moves are impossible.

    The better of two analyst's recipes: hubs by size (below), and the "club" recipe (`_club_plan`).
    """
    forced = _forced_moves(problem, [])
    if forced is None:
        return None
    best = _by_size_plan(problem, forced)
    best_npv = appraise(problem, best).npv
    if problem.board_own:
        for size in range(2, min(len(problem.organisations), 8) + 1):
            club = _club_plan(problem, forced, size)
            if club is not None and not check_feasible(problem, club):
                value = appraise(problem, club).npv
                if value > best_npv + 1e-6:
                    best, best_npv = club, value
    return best


def _club_plan(problem: Problem, forced: list[Hub], size: int) -> list[Hub] | None:
    """Board acceptability with members who lose by moving: a club of the `size` biggest organisations
    share out the hosting (each hosts the functions where it is biggest, fewest hubs first) and join
    each other's hubs, so every host's scale bonus pays for its own moves. Moves are placed in their
    earliest year within the per-year limits; rule breaches are repaired by dropping moves (the
    biggest loser's costliest move for board acceptability, the year's last move for a limit)."""
    used = {(h.function, h.host) for h in forced} | {
        (m.function, m.organisation) for h in forced for m in h.members
    }
    total = {o: sum(problem.c(o, f) for f in problem.functions) for o in problem.organisations}
    club = sorted(problem.organisations, key=lambda o: (-total[o], o))[:size]
    hosted: dict[str, int] = dict.fromkeys(club, 0)
    wanted: list[tuple[float, str, str, list[str]]] = []
    for f in problem.functions:
        cand = function_candidates(problem, f)
        if any(hub.function == f for hub in forced):
            continue
        options = [h for h in club if h in cand.members_of and (f, h) not in used]
        if not options:
            continue
        host = min(options, key=lambda h: (hosted[h], -problem.c(h, f), h))
        room = cand.capacity[host] - problem.c(host, f)
        members = []
        for o in sorted(cand.members_of[host], key=lambda o: (-problem.c(o, f), o)):
            if o in club and (f, o) not in used and problem.c(o, f) <= room + 1e-9:
                members.append(o)
                room -= problem.c(o, f)
        if members:
            hosted[host] += 1
            wanted.append((_standalone_npv(problem, f, host, members), f, host, members))
    wanted.sort(key=lambda w: (-w[0], w[1]))
    spend = [0.0] * (problem.years + 1)
    moves = [0] * (problem.years + 1)
    plan = list(forced)
    for value, f, host, members in wanted:
        if value <= 0:
            continue
        cand = function_candidates(problem, f)
        a = problem.assumptions[f]
        new_moves = []
        for o in members:
            cost = a.transition_rate * problem.c(o, f) + problem.integration_cost.get((o, host, f), 0.0)
            for year in range(cand.first_year[o], problem.years + 1):
                budget, pace = problem.budget[year - 1], problem.pace[year - 1]
                if (budget is None or spend[year] + cost <= budget + 1e-6) and (
                    pace is None or moves[year] < pace
                ):
                    spend[year] += cost
                    moves[year] += 1
                    new_moves.append(Move(o, f, host, year))
                    break
        if new_moves:
            plan = _with(plan, host, f, new_moves)
    for _ in range(4 * len(problem.organisations) * len(problem.functions)):
        broken = violations(problem, plan)
        if not broken:
            return plan
        smaller = _drop_one_move(problem, plan, broken[0].family)
        if smaller is None:
            return None
        plan = smaller
    return None


def _drop_one_move(problem: Problem, hubs: list[Hub], family: str) -> list[Hub] | None:
    forced = {(lock.organisation, lock.function) for lock in problem.locks if lock.kind is LockKind.MUST_JOIN}
    candidates = [m for hub in hubs for m in hub.members if (m.organisation, m.function) not in forced]
    if not candidates:
        return None
    if family == "board" and problem.board_shared:
        # Shared mode judges hubs: the worst hub loses its costliest member.
        worst_hub = min(appraise(problem, hubs).agreements, key=lambda a: a.npv)
        mine = [m for m in candidates if (m.host, m.function) == (worst_hub.host, worst_hub.function)]
        victim = max(mine or candidates, key=lambda m: problem.c(m.organisation, m.function))
    elif family == "board":
        attributed = {o.organisation: o.attributed_npv for o in appraise(problem, hubs).organisations}
        worst = min(attributed, key=lambda o: attributed[o])
        mine = [m for m in candidates if m.organisation == worst]
        victim = max(mine or candidates, key=lambda m: problem.c(m.organisation, m.function))
    else:
        victim = max(candidates, key=lambda m: (m.year, problem.c(m.organisation, m.function)))
    result = []
    for hub in hubs:
        members = [m for m in hub.members if m != victim]
        if members:
            result.append(Hub(hub.host, hub.function, min(m.year for m in members), members))
    return result


def _by_size_plan(problem: Problem, hubs: list[Hub]) -> list[Hub]:
    npv = appraise(problem, hubs).npv
    proposals = []
    for f in problem.functions:
        for host, members, value in _proposed_hubs(problem, f):
            a = problem.assumptions[f]
            spend = sum(a.transition_rate * problem.c(o, f) for o in members) or 1.0
            proposals.append((value / spend, f, host, members))
    proposals.sort(key=lambda p: (-p[0], p[1], p[2]))
    used = {(h.function, h.host) for h in hubs} | {
        (m.function, m.organisation) for h in hubs for m in h.members
    }
    for _, f, host, members in proposals:
        if any((f, o) in used for o in [host, *members]):
            continue
        cand = function_candidates(problem, f)
        start = max(cand.first_year[o] for o in members)
        placed = False
        for year in range(start, problem.years + 1):
            trial = _with(hubs, host, f, [Move(o, f, host, year) for o in members])
            if not check_feasible(problem, trial):
                value = appraise(problem, trial).npv
                if value > npv:
                    hubs, npv, placed = trial, value, True
                break
        if placed:
            used.update((f, o) for o in [host, *members])
            continue
        for o in members:
            for year in range(cand.first_year[o], problem.years + 1):
                trial = _with(hubs, host, f, [Move(o, f, host, year)])
                if not check_feasible(problem, trial):
                    value = appraise(problem, trial).npv
                    if value > npv:
                        hubs, npv = trial, value
                        used.update([(f, o), (f, host)])
                        break
    return hubs
