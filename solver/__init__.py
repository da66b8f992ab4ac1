"""The consolidation optimiser: pure Python over dataclasses (no database, web or spreadsheet imports)."""

from solver.greedy import greedy_plan
from solver.problem import (
    Appraisal,
    BindingConstraint,
    FunctionAssumptions,
    Hub,
    Lock,
    LockKind,
    Move,
    OrganisationFigures,
    Plan,
    Problem,
    Progress,
    SolveOptions,
    SolverStats,
    Status,
    Tier,
    YearFigures,
)
from solver.solve import solve

__all__ = [
    "Appraisal",
    "BindingConstraint",
    "FunctionAssumptions",
    "Hub",
    "Lock",
    "LockKind",
    "Move",
    "OrganisationFigures",
    "Plan",
    "Problem",
    "Progress",
    "SolveOptions",
    "SolverStats",
    "Status",
    "Tier",
    "YearFigures",
    "greedy_plan",
    "solve",
]
