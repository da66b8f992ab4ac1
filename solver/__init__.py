"""The consolidation optimiser: pure Python over dataclasses (no database, web or spreadsheet imports)."""

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
    SolveOptions,
    SolverStats,
    Status,
    Tier,
    YearFigures,
)

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
    "SolveOptions",
    "SolverStats",
    "Status",
    "Tier",
    "YearFigures",
]
