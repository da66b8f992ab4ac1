"""The template's sheets and columns: written by the template and the export, read back by the importer.

The canonical header of each column is what the template writes; the importer also accepts the synonyms
listed in `app.uploads.header_names`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.workbooks.writer import Column
from models.enums import LockKind, OrganisationKind

# ReadMe rows of an export: the footprint's data version and when the workbook was made.
DATA_VERSION = "Data version"
EXPORTED_AT = "Exported at"

ORGANISATIONS = "Organisations"
COST_LINES = "CostLines"
ASSUMPTIONS = "Assumptions"
LOCKS = "Locks"
README = "ReadMe"
SHEET_ORDER = (README, ORGANISATIONS, COST_LINES, ASSUMPTIONS, LOCKS)

ORGANISATION_KINDS = [k.value for k in OrganisationKind]
LOCK_KINDS = [k.value for k in LockKind]

ASSUMPTION_PARAMETERS = [
    ("discount_rate", "ratio", "real discount rate, e.g. 0.035 (HM Treasury Green Book)"),
    ("horizon_years", "years", "planning horizon, e.g. 5"),
    ("optimism_bias_cost_uplift", "ratio", "uplift on set-up and transition costs, e.g. 0.2"),
    ("optimism_bias_savings_haircut", "ratio", "haircut on savings, e.g. 0.1"),
    ("savings_tier", "ratio", "per function: Value = saving rate, Year column unused, Threshold in Notes"),
    ("hub_fixed_cost", "£", "per function: yearly cost of running a hub"),
    ("set_up_cost", "£", "per function: one-off cost of opening a hub"),
    ("transition_cost_rate", "ratio", "per function: one-off cost of moving, as a share of the cost moved"),
    ("capacity_multiple", "ratio", "per function: a hub may serve up to this multiple of its host's cost"),
    ("budget", "£", "per year: transition budget"),
    ("pace", "moves", "per year: most organisation-function moves"),
    ("workforce_limit", "WTE", "per year: most WTE released"),
]


@dataclass(frozen=True)
class FunctionInfo:
    key: str
    label: str


def group_header(function: FunctionInfo) -> str:
    return f"{function.label} group"


def organisation_columns(functions: Sequence[FunctionInfo]) -> list[Column]:
    return [
        Column(
            "ODS code",
            width=12,
            description="The organisation's ODS code, upper case (e.g. RM3, 00T, E08000003).",
            example="RM3",
        ),
        Column("Name", width=40, description="The organisation's name.", example="Salford Royal NHS FT"),
        Column(
            "Kind",
            width=18,
            choices=ORGANISATION_KINDS,
            description="One of " + ", ".join(ORGANISATION_KINDS) + ".",
            example="PROVIDER",
        ),
        *[
            Column(
                group_header(f),
                width=max(14, len(group_header(f)) + 2),
                description=f"Compatibility group for {f.label} (e.g. the Local Digital Roadmap footprint "
                "for IT): organisations share this function only with others in the same group. "
                "Blank = no group.",
                example="LDR Greater Manchester" if f.key == "it" else "",
            )
            for f in functions
        ],
    ]


def cost_line_columns(functions: Sequence[FunctionInfo]) -> list[Column]:
    return [
        Column(
            "ODS code", width=12, description="ODS code of an organisation of this footprint.", example="RM3"
        ),
        Column(
            "Organisation name",
            width=36,
            description="For your reference only; the importer reads the ODS code.",
            example="Salford Royal NHS FT",
        ),
        Column(
            "Function",
            width=22,
            choices=[f.key for f in functions],
            description="Function key: " + ", ".join(f.key for f in functions) + " (labels also accepted).",
            example="payroll",
        ),
        Column(
            "Financial year",
            width=14,
            description="Written 2017/18 (April 2017 to March 2018).",
            example="2017/18",
        ),
        Column(
            "Pay (£)",
            kind="money",
            width=16,
            description="Pay costs in pounds, zero or more.",
            example="1234567.89",
        ),
        Column(
            "Non-pay (£)",
            kind="money",
            width=16,
            description="Non-pay costs in pounds, zero or more.",
            example="250000",
        ),
        Column(
            "WTE",
            kind="wte",
            width=10,
            description="Whole-time-equivalent staff, zero or more.",
            example="42.5",
        ),
    ]


def assumption_columns(functions: Sequence[FunctionInfo]) -> list[Column]:
    return [
        Column("Assumption set", width=20, description="Name of the assumption set.", example="Central case"),
        Column(
            "Function",
            width=22,
            choices=[f.key for f in functions],
            description="Function key for per-function parameters; blank for footprint-wide ones.",
            example="payroll",
        ),
        Column(
            "Parameter",
            width=30,
            choices=[p for p, _, _ in ASSUMPTION_PARAMETERS],
            description="; ".join(f"{p} ({unit}): {meaning}" for p, unit, meaning in ASSUMPTION_PARAMETERS),
            example="transition_cost_rate",
        ),
        Column(
            "Year",
            kind="integer",
            width=8,
            description="Plan year (1 = first) for per-year limits.",
            example="",
        ),
        Column("Value", width=14, description="The value, in the parameter's unit.", example="0.15"),
        Column(
            "Notes",
            width=40,
            description="Anything the reader should know (tier thresholds, sources).",
            example="",
        ),
    ]


def lock_columns(functions: Sequence[FunctionInfo]) -> list[Column]:
    return [
        Column(
            "ODS code",
            width=12,
            description="Organisation the lock is about; blank only for a not_before_year lock on everyone.",
            example="RM3",
        ),
        Column(
            "Function",
            width=22,
            choices=[f.key for f in functions],
            description="Function key.",
            example="payroll",
        ),
        Column(
            "Lock kind",
            width=18,
            choices=LOCK_KINDS,
            description="One of " + ", ".join(LOCK_KINDS) + ".",
            example="keep_in_house",
        ),
        Column(
            "Year",
            kind="integer",
            width=8,
            description="For not_before_year: the first year a move may happen.",
            example="",
        ),
        Column(
            "Reason",
            width=40,
            description="Why (shown to planners).",
            example="Payroll contract runs to 2020",
        ),
    ]
