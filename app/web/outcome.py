"""The solver's outcome in words a finance director understands (until runs carry their own wording)."""

from __future__ import annotations

from typing import Any

from app.runs.schemas import RunRead

# What each constraint family means, and what relaxing it would mean, in plain words.
FAMILY_WORDS = {
    "budget": ("the transition budget", "raise the transition budget, or allow more years to spend it"),
    "pace": ("the pace of change", "allow more moves per year"),
    "workforce": ("the workforce limits", "allow more posts to be released per year"),
    "capacity": ("hub capacity", "allow larger hubs (more members per hub)"),
    "locks": ("the locks", "remove or loosen a lock (must join, must host, not before a year)"),
    "board": (
        "board acceptability (no organisation left worse off)",
        "accept that some organisation's attributed NPV may fall below its threshold",
    ),
}


def outcome_text(run: RunRead) -> str:
    """One sentence on what the solver proved about this run's plan."""
    status = run.status.value
    stats: dict[str, Any] = run.solver_statistics or {}
    gap = stats.get("relative_gap")
    if gap is None and run.progress is not None:
        gap = run.progress.relative_gap
    if status == "optimal":
        return "Optimal: no plan within these assumptions has a higher NPV (proven by the solver)."
    if status == "feasible":
        if gap is None:
            return (
                "Feasible: the solver stopped before it could say how far this plan is from the best "
                "possible plan; treat the NPV as a plan that works, not the best one."
            )
        return (
            f"Feasible: this plan is proven to be within {float(gap) * 100:.1f} % of the best possible plan "
            "(the solver stopped at its time limit before proving it the best)."
        )
    if status == "infeasible":
        conflicts = [c for c in stats.get("conflicts") or [] if isinstance(c, str)]
        if not conflicts:
            return (
                "Infeasible: no plan meets every constraint; the conflicting constraints were not identified."
            )
        named = "; ".join(FAMILY_WORDS.get(c, (c, ""))[0] for c in conflicts)
        relax = "; or ".join(FAMILY_WORDS[c][1] for c in conflicts if c in FAMILY_WORDS)
        return (
            f"Infeasible: no plan meets every constraint. These conflict: {named}. To find a plan, {relax}."
        )
    if status == "error":
        return f"The run failed: {run.error_message or 'no message'}."
    if status == "cancelled":
        return "The run was cancelled before it finished."
    if status == "running":
        return "Running: the figures below are the best plan found so far and may still improve."
    return "Queued: waiting for a free worker."
