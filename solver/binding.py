"""The limits a plan is pressed up against: what to relax to do more (a run's binding constraints)."""

from __future__ import annotations

import math

from solver.appraisal import appraise
from solver.model import function_candidates
from solver.problem import BindingConstraint, Hub, Problem


def binding_constraints(problem: Problem, hubs: list[Hub]) -> list[BindingConstraint]:
    """Which limits stop the plan from doing more.

    A year's budget binds when what is left of it is less than the cheapest move still open that year
    (or nothing is left); pace binds when the year's moves equal the limit; workforce binds when the
    WTE released is within 1 % of the limit; a hub's capacity binds when no organisation not yet in
    it that could join it would fit; an organisation (own mode) or a hub (shared mode) binds on board
    acceptability when its attributed NPV or its NPV is within a penny of -theta (as `appraise` marks it).
    """
    found: list[BindingConstraint] = []
    appraisal = appraise(problem, hubs)
    for figures in appraisal.years:
        t = figures.year
        budget = problem.budget[t - 1]
        if budget is not None:
            spent = figures.transition_costs + figures.integration_costs
            cheapest = _cheapest_open_move(problem, hubs, t)
            if cheapest < math.inf and budget - spent < cheapest - 1e-6:
                found.append(
                    BindingConstraint("budget", year=t, detail=f"£{spent:,.0f} of £{budget:,.0f} spent")
                )
        pace = problem.pace[t - 1]
        if pace is not None and figures.moves >= pace:
            found.append(BindingConstraint("pace", year=t, detail=f"{figures.moves} of {pace} moves"))
        workforce = problem.workforce[t - 1]
        if workforce is not None and figures.wte_released >= 0.99 * workforce:
            found.append(
                BindingConstraint(
                    "workforce", year=t, detail=f"{figures.wte_released:.1f} of {workforce:.1f} WTE released"
                )
            )
    for hub in hubs:
        f, h = hub.function, hub.host
        cand = function_candidates(problem, f)
        if not math.isfinite(cand.capacity.get(h, math.inf)):
            continue
        volume = problem.c(h, f) + sum(problem.c(m.organisation, f) for m in hub.members)
        room = cand.capacity[h] - volume
        outsiders = [
            problem.c(o, f)
            for o in cand.members_of.get(h, [])
            if o not in {m.organisation for m in hub.members}
            and (f, o) not in {(hb.function, hb.host) for hb in hubs}
        ]
        if outsiders and min(outsiders) > room + 1e-6:
            found.append(
                BindingConstraint(
                    "capacity",
                    organisation=h,
                    function=f,
                    detail=f"volume £{volume:,.0f} of capacity £{cand.capacity[h]:,.0f}",
                )
            )
    for agreement in appraisal.agreements:
        if agreement.binds_board:
            found.append(
                BindingConstraint(
                    "board",
                    organisation=agreement.host,
                    function=agreement.function,
                    detail=f"hub NPV £{agreement.npv:,.2f} (shared agreement)",
                )
            )
    if problem.board_own:
        for org in appraisal.organisations:
            if org.binds_board:
                found.append(
                    BindingConstraint(
                        "board",
                        organisation=org.organisation,
                        detail=f"attributed NPV £{org.attributed_npv:,.2f}",
                    )
                )
    return found


def _cheapest_open_move(problem: Problem, hubs: list[Hub], year: int) -> float:
    """The cheapest move (transition + integration) that could still be made in `year` but is not:
    an organisation in no hub joining one, or a move the plan makes later brought forward."""
    placed = {(m.function, m.organisation) for h in hubs for m in h.members} | {
        (h.function, h.host) for h in hubs
    }
    cheapest = math.inf
    for hub in hubs:
        rate = problem.assumptions[hub.function].transition_rate
        for m in hub.members:
            if m.year > year and function_candidates(problem, m.function).first_year[m.organisation] <= year:
                cost = rate * problem.c(m.organisation, m.function)
                cheapest = min(
                    cheapest, cost + problem.integration_cost.get((m.organisation, m.host, m.function), 0.0)
                )
    for f in problem.functions:
        cand = function_candidates(problem, f)
        rate = problem.assumptions[f].transition_rate
        for h, members in cand.members_of.items():
            for o in members:
                if (f, o) in placed or cand.first_year[o] > year:
                    continue
                cost = rate * problem.c(o, f) + problem.integration_cost.get((o, h, f), 0.0)
                cheapest = min(cheapest, cost)
    return cheapest
