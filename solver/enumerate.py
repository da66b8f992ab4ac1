"""Brute-force optimum of a tiny footprint, to check the optimiser against.

Every plan is written as, per function, a choice for each organisation: stay in house, or join
host h in year t (h any other organisation). Hosts and opening years follow from the choices.
Every such plan is judged by `check_feasible` and scored by `appraise`, nothing else.

The only pruning is exact: a function's choices are first filtered by the rules that look at that
function alone (rules 1-4, 8, the zero-cost rule, and the locks on that function), since a plan
breaking one of them is infeasible whatever the other functions do; the cross product of what is
left is then checked in full, which adds the rules that couple functions (per-year budget, pace and
workforce limits, and board acceptability in `own` mode; in `shared` mode it judges each hub alone,
so it is one of the local rules). Choices naming a host that is itself a member are dropped
before any check, as they break rule 1 by construction.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from solver.appraisal import (
    COUPLING_FAMILIES,
    appraise,
    check_feasible,
    hubs_from_assignment,
    violations,
)
from solver.problem import Hub, Problem

# Per function, the raw choices number (1 + (orgs - 1) x years) ** orgs: 2,401 for 4 orgs over
# 2 years, 10,000 over 3 years. Beyond these limits the enumeration takes minutes, not seconds.
MAX_CHOICES_PER_FUNCTION = 20_000
MAX_PLANS = 1_000_000

Choice = tuple[str, int] | None  # (host, year it joins), or None for staying in house


@dataclass
class EnumerationResult:
    npv: float
    hubs: list[Hub]
    plans_checked: int  # full plans (all functions) judged by check_feasible


def raw_choice_count(problem: Problem) -> int:
    """How many choices one function has before any filtering."""
    per_org = 1 + (len(problem.organisations) - 1) * problem.years
    return int(per_org ** len(problem.organisations))


def feasible_function_assignments(problem: Problem, function: str) -> list[dict[str, tuple[str, int]]]:
    """Every {member: (host, year)} for `function` that breaks no rule local to that function."""
    if raw_choice_count(problem) > MAX_CHOICES_PER_FUNCTION:
        raise ValueError(
            f"{len(problem.organisations)} organisations over {problem.years} years give "
            f"{raw_choice_count(problem):,} choices per function; too many to enumerate"
        )
    orgs = problem.organisations
    options: list[list[Choice]] = [
        [None] + [(h, t) for h in orgs if h != o for t in range(1, problem.years + 1)] for o in orgs
    ]
    kept = []
    for choices in itertools.product(*options):
        assignment = {o: choice for o, choice in zip(orgs, choices, strict=True) if choice is not None}
        if any(host in assignment for host, _ in assignment.values()):
            continue
        hubs = hubs_from_assignment(problem, {function: assignment})
        # Shared mode's board rule judges each hub alone, so it is local to its function too.
        local = [
            v
            for v in violations(problem, hubs)
            if (v.family not in COUPLING_FAMILIES or (v.family == "board" and problem.board_shared))
            and v.function == function
        ]
        if not local:
            kept.append(assignment)
    return kept


def enumerate_optimum(problem: Problem) -> EnumerationResult | None:
    """The feasible plan with the highest NPV (the first found among equals), or None if none is feasible.

    Raises ValueError when the footprint is too large to enumerate in seconds.
    """
    per_function = [feasible_function_assignments(problem, f) for f in problem.functions]
    plans = 1
    for assignments in per_function:
        plans *= len(assignments)
    if plans > MAX_PLANS:
        raise ValueError(f"{plans:,} plans left after filtering each function; too many to enumerate")

    best: EnumerationResult | None = None
    checked = 0
    for combination in itertools.product(*per_function):
        hubs = hubs_from_assignment(problem, dict(zip(problem.functions, combination, strict=True)))
        checked += 1
        if check_feasible(problem, hubs):
            continue
        npv = appraise(problem, hubs).npv
        if best is None or npv > best.npv:
            best = EnumerationResult(npv=npv, hubs=hubs, plans_checked=0)
    if best is not None:
        best.plans_checked = checked
    return best
