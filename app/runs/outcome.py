"""A run's outcome in words a finance director understands (`outcome_text`): how good the plan is known to
be and why the solver stopped; for an infeasible run, the rules that conflict and what to relax; for an
empty plan, what keeps each organisation out (solver/explain.py). One function, so the API, the workbook
and the web pages say the same thing.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from app.runs.schemas import RunRead
from solver.explain import why_out
from solver.problem import Problem

FAMILY_WORDS = {
    "budget": "the transition budget per year",
    "pace": "the pace of change (moves per year)",
    "workforce": "the workforce limit (WTE released per year)",
    "capacity": "hub capacity",
    "locks": "the locks (must join, must host, keep in house, may not host, not before year)",
    "board": "board acceptability (rule 10)",
}
# Organisations named one by one in an empty plan's explanation; the rest are counted.
MAX_NAMED = 40


def money(pounds: float) -> str:
    """£105.8m, £376,265, -£1.2m: the precision a reader needs, not more."""
    sign = "-" if pounds < 0 else ""
    value = abs(pounds)
    if value >= 1e6:
        return f"{sign}£{value / 1e6:,.1f}m"
    return f"{sign}£{value:,.0f}"


def percent(fraction: float) -> str:
    value = fraction * 100
    if value >= 0.1:
        return f"{value:.1f} %"
    return f"{value:.2f} %"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def describe(
    status: str,
    npv: float | None,
    stats: dict[str, Any],
    time_limit: float | None,
    hubs: int,
    error_message: str = "",
    problem: Problem | None = None,
) -> str:
    """The outcome of a finished run in a few sentences (see the module docstring).

    `stats` is the run's stored solver statistics (best_bound, relative_gap, wall_seconds, conflicts);
    `problem` is needed only to explain an empty plan (None: the explanation is left out).
    """
    if status == "cancelled":
        return "Cancelled before the optimiser finished: there is no plan."
    if status == "error":
        detail = error_message or str(stats.get("message", ""))
        return f"The optimiser failed and there is no plan. {detail}".strip()
    if status == "infeasible":
        conflicts = [FAMILY_WORDS.get(f, f) for f in stats.get("conflicts", [])]
        if not conflicts:
            return "No plan meets every rule, and no single rule was found to be the cause."
        return (
            "No plan meets every rule. The rules that conflict: "
            + _and(conflicts)
            + ". Relaxing any one of them (raise a limit, remove or change a lock, or change the board "
            "acceptability setting) makes a plan possible."
        )
    if status not in ("optimal", "feasible") or npv is None:
        return f"The run is {status}."
    bound = stats.get("best_bound")
    gap = stats.get("relative_gap")
    sentences = []
    if hubs == 0:
        sentences.append("The best plan found changes nothing: no hub, NPV £0.")
    else:
        sentences.append(f"Best plan found: NPV {money(npv)}.")
    if status == "optimal":
        sentences.append(
            "Proven to be the best possible plan" + (f" (within {percent(gap)})." if gap else ".")
        )
    elif gap is not None and bound is not None:
        sentences.append(
            f"Proven to be within {percent(gap)} of the best possible plan (bound {money(bound)})."
        )
        if gap > 0.05:
            sentences.append(
                "That is not close: treat the NPV as a floor, and give the optimiser more time for a "
                "better plan."
            )
    else:
        sentences.append(
            "Not proven: no bound on the best possible plan was found, so it may be far from it."
        )
    if status == "feasible":
        sentences.append(
            f"Stopped at the {time_limit:g} s limit."
            if time_limit is not None
            else "Stopped before proving it."
        )
    if hubs == 0 and problem is not None:
        sentences.append(_why_empty(problem))
    return " ".join(sentences)


def _why_empty(problem: Problem) -> str:
    reasons: dict[str, list[str]] = defaultdict(list)
    kept = why_out(problem, problem.organisations[:MAX_NAMED])
    for k in kept:
        reasons[k.reason].append(k.organisation)
    parts = [f"{_and(orgs)}: {reason}" for reason, orgs in reasons.items()]
    text = "Why each organisation stays out. " + "; ".join(parts) + "."
    rest = len(problem.organisations) - len(kept)
    if rest > 0:
        text += f" ({rest} more organisations not listed.)"
    return text


def in_words(run: RunRead) -> str:
    """What a person reads about a run, on a page or at the command line: the stored outcome once it has
    finished (`outcome_text`, the same words as the API and the workbook); while it waits or solves, where
    it has got to, saying that the figures may still improve."""
    if run.outcome_text:
        return run.outcome_text
    progress = run.progress
    if run.status.value == "queued":
        return "Queued: waiting for a worker to start it."
    if run.status.value == "running":
        if progress is None or progress.incumbent is None:
            return "Solving: no plan found yet."
        best = money(float(progress.incumbent))
        text = f"Solving for {progress.seconds:.0f} s: best plan so far NPV {best}"
        if progress.relative_gap is not None and progress.best_bound is not None:
            text += (
                f", proven within {percent(progress.relative_gap)} of the best possible plan "
                f"(bound {money(float(progress.best_bound))})"
            )
        return text + ". It may still improve."
    return f"The run is {run.status.value}."
