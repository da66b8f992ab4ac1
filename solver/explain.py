"""Why an organisation is in no hub: for each organisation, the rule or limit that keeps it out.

Used to explain an empty plan in words. For each organisation, every hub it could be part of (as host,
or as member of each host that may take it) is built at its largest (the biggest compatible members
that fit the host's capacity, everyone moving in the first year they may) and judged alone by the
referee (`appraise`, `violations`). The best of them says why: none exists (locks, groups, capacity,
no cost), none pays for itself within the horizon, or the best one breaks a named rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from solver.appraisal import appraise, violations
from solver.model import function_candidates
from solver.problem import Hub, LockKind, Move, Problem

# Hosts tried per organisation and function when it would be a member: the biggest ones.
HOSTS_TRIED = 3

FAMILY_WORDS = {
    "budget": "the transition budget",
    "pace": "the pace of change (moves a year)",
    "workforce": "the workforce limit (WTE released a year)",
    "capacity": "hub capacity",
    "board": "board acceptability (rule 10)",
    "lock": "a lock",
    "tier": "the saving tiers",
    "compatibility": "compatibility groups",
}


@dataclass(frozen=True)
class KeptOut:
    organisation: str
    family: str  # no_cost | no_hub | loses_money | a rule family (budget, board, ...) | not_found
    reason: str  # one sentence, without the organisation's name


def _money(pounds: float) -> str:
    sign = "-" if pounds < 0 else ""
    value = abs(pounds)
    return f"{sign}£{value / 1e6:,.1f}m" if value >= 1e6 else f"{sign}£{value:,.0f}"


def _largest_hub(problem: Problem, function: str, host: str, must_include: str | None) -> Hub | None:
    cand = function_candidates(problem, function)
    if host not in cand.members_of:
        return None
    room = cand.capacity[host] - problem.c(host, function)
    members: list[str] = []
    pool = sorted(cand.members_of[host], key=lambda o: (o != must_include, -problem.c(o, function), o))
    for o in pool:
        if problem.c(o, function) <= room + 1e-9:
            members.append(o)
            room -= problem.c(o, function)
    if not members or (must_include is not None and must_include != host and must_include not in members):
        return None
    moves = [Move(o, function, host, max(1, cand.first_year[o])) for o in members]
    moves.sort(key=lambda m: (m.year, m.organisation))
    return Hub(host, function, min(m.year for m in moves), moves)


def why_out(problem: Problem, organisations: list[str] | None = None) -> list[KeptOut]:
    """For each organisation (default all), the reason it is in no hub of an empty plan."""
    found = []
    for org in problem.organisations if organisations is None else organisations:
        found.append(_why(problem, org))
    return found


def _why(problem: Problem, org: str) -> KeptOut:
    functions = [f for f in problem.functions if problem.c(org, f) > 0]
    if not functions:
        return KeptOut(org, "no_cost", "has no costs recorded for any function, so it has nothing to share")
    trials: list[tuple[float, Hub]] = []
    for f in functions:
        cand = function_candidates(problem, f)
        hosts = [org] + sorted(
            (h for h in cand.members_of if org in cand.members_of[h]), key=lambda h: (-problem.c(h, f), h)
        )[:HOSTS_TRIED]
        for h in hosts:
            hub = _largest_hub(problem, f, h, org)
            if hub is not None:
                trials.append((appraise(problem, [hub]).npv, hub))
    if not trials:
        locked = {lock.function for lock in problem.locks if lock.organisation == org}
        if locked and any(
            lock.kind is LockKind.KEEP_IN_HOUSE for lock in problem.locks if lock.organisation == org
        ):
            return KeptOut(
                org, "lock", "is locked to keep its functions in house and no organisation can join it"
            )
        return KeptOut(
            org,
            "no_hub",
            "has no hub it could be part of: no compatible organisation, with room in its capacity and "
            "not locked out, could host it or join it",
        )
    trials.sort(key=lambda t: -t[0])
    best_npv, best = trials[0]
    where = f"{best.function} hosted by {best.host}"
    if best_npv <= 0:
        return KeptOut(
            org,
            "loses_money",
            f"the best hub it could be part of ({where}, everyone moving as early as allowed) would lose "
            f"{_money(-best_npv)} over the {problem.years}-year horizon: its savings do not cover its "
            f"running, set-up and transition costs",
        )
    for npv, hub in trials:
        if npv <= 0:
            break
        broken = violations(problem, [hub])
        if not broken:
            return KeptOut(
                org,
                "not_found",
                f"a hub with it ({hub.function} hosted by {hub.host}, NPV {_money(npv)}) breaks no rule, "
                f"but the solver did not find it in the time allowed",
            )
    broken = violations(problem, [best])
    family = broken[0].family
    return KeptOut(
        org,
        family,
        f"the best hub it could be part of ({where}, NPV {_money(best_npv)}) breaks "
        f"{FAMILY_WORDS.get(family, family)}: {broken[0].message}",
    )
