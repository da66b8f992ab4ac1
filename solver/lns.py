"""Large-neighbourhood search: the primal improvement phase of `solve` (solver/README.md, step 6).

A neighbourhood of a plan frees one function (or a pair): every organisation may host it, while every
other function keeps the plan's hosts (its members and join years stay free). That is the joint model
restricted to a few thousand columns, so HiGHS solves it quickly, and it can move a year's budget or
pace between functions, which is what the greedy plan gets most wrong (with the plan of the other
functions fixed instead, under what they leave of each year's limits, 20 x 11 x 5 seed 0 gained only
£0.07m in 30 s). Solving it from the current plan never makes the plan worse; a pass over all
functions that improves nothing is a local optimum, and pairs of functions come next.

Every sub-MIP is limited by HiGHS branch-and-bound nodes, never by seconds, so the search takes the
same steps on a busy machine as on a quiet one: the caller's time limit only decides how far along
this fixed sequence it gets (which is what makes `solve` anytime and monotone).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

from solver.appraisal import appraise, check_feasible
from solver.problem import Hub, Problem

# Branch-and-bound nodes for each sub-MIP: enough for HiGHS to prove most single functions of
# 30 x 11 x 5 optimal (measured: 0.2-1.5 s each), few enough that one stubborn pair cannot eat the time.
SUB_MIP_NODES = 300
# Passes over the pairs of functions after the single functions stopped improving.
PAIR_PASSES = 2


def function_neighbourhoods(problem: Problem) -> list[tuple[str, ...]]:
    """Single functions, in the problem's order (the pairs come later, see `search`)."""
    return [(f,) for f in problem.functions]


def function_pairs(problem: Problem) -> list[tuple[str, ...]]:
    return list(itertools.combinations(problem.functions, 2))


# (hosts allowed per function, start plan) -> the best plan of the model restricted to those hosts, or
# None; and whether the sub-MIP was stopped by the caller's deadline (then the search must stop).
SubSolver = Callable[[dict[str, set[str]], list[Hub]], tuple[list[Hub] | None, bool]]


def neighbourhood_hosts(problem: Problem, plan: list[Hub], free: tuple[str, ...]) -> dict[str, set[str]]:
    """Who may host in the neighbourhood of `plan` that frees the functions `free`: anyone with a cost
    for them; for every other function, the plan's own hosts (whose members may still change)."""
    hosts: dict[str, set[str]] = {}
    for hub in plan:
        hosts.setdefault(hub.function, set()).add(hub.host)
    for f in free:
        hosts[f] = {o for o in problem.organisations if problem.c(o, f) > 0}
    return hosts


def search(
    problem: Problem,
    plan: list[Hub],
    npv: float,
    solve_sub: SubSolver,
    on_improved: Callable[[list[Hub], float], None],
    out_of_time: Callable[[], bool],
    *,
    single_passes: float = math.inf,
    pair_passes: int = PAIR_PASSES,
) -> tuple[list[Hub], float, bool]:
    """Improve `plan` by re-solving one function at a time (until a pass improves nothing, at most
    `single_passes` passes), then pairs (at most `pair_passes` passes). Returns the best plan, its NPV,
    and whether it stopped for time."""
    penny = 0.01

    def attempt(free: tuple[str, ...]) -> tuple[bool, bool]:
        nonlocal plan, npv
        found, stopped = solve_sub(neighbourhood_hosts(problem, plan, free), plan)
        if found is not None:
            candidate = list(found)
            if not check_feasible(problem, candidate):
                value = appraise(problem, candidate).npv
                if value > npv + penny:
                    order = {f: i for i, f in enumerate(problem.functions)}
                    candidate.sort(key=lambda hub: (order[hub.function], hub.host))
                    plan, npv = candidate, value
                    on_improved(plan, npv)
                    return True, stopped
        return False, stopped

    rounds = ((function_neighbourhoods(problem), single_passes), (function_pairs(problem), pair_passes))
    for neighbourhoods, passes in rounds:
        done = 0
        while done < passes:
            done += 1
            improved_any = False
            for free in neighbourhoods:
                if out_of_time():
                    return plan, npv, True
                improved, stopped = attempt(free)
                if stopped:
                    return plan, npv, True
                improved_any = improved_any or improved
            if not improved_any:
                break
    return plan, npv, False
