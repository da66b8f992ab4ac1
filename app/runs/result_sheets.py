"""Sheets of the result workbook that explain its figures: settings as a two-column table of real
numbers, the baseline each organisation's savings come from, each organisation's net cash by year, and a
glossary of the words the workbook uses. (app/runs/workbook.py assembles the workbook.)"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from openpyxl.cell import WriteOnlyCell
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.money import to_pounds
from app.workbooks.writer import Column, SheetWriter
from models import Function, RunOrganisation

BASELINE, GLOSSARY, CASH_BY_ORGANISATION = "Baseline", "Glossary", "Cash by organisation"

# (label, value, kind): kind is a writer cell kind ("pounds", "percent", "seconds", ...) or None for text
Setting = tuple[str, Any, str | None]

GLOSSARY_TERMS: list[tuple[str, str]] = [
    (
        "Optimal",
        "The solver proved that no plan within the rules is worth more: the NPV shown is the best there is.",
    ),
    (
        "Feasible",
        "The plan keeps every rule, but the solver stopped (usually at its time limit) before proving it "
        "is the best. The gap says how much better a plan could at most be.",
    ),
    (
        "Gap",
        "How far the plan's NPV could be below the best possible one, as a share of it: a gap of 2% on "
        "£10m means no plan is worth more than about £10.2m. 0% means proven best.",
    ),
    (
        "Infeasible",
        "No plan keeps every rule at once (for example locks that contradict each other, or a budget too "
        "small for a forced move); the Solver sheet names the rules that clash.",
    ),
    (
        "NPV (net present value)",
        "Savings minus running, set-up, transition and integration costs over the horizon, each year "
        "discounted at the discount rate (HM Treasury Green Book: 3.5%) so later pounds count for less.",
    ),
    (
        "Attributed NPV",
        "The part of the plan's NPV that falls to one organisation: its own cost at the lowest saving rate, "
        "plus for a host the economies of scale less the hub's running and set-up costs, less its own "
        "transition and integration costs.",
    ),
    (
        "Board acceptability",
        "The rule that no organisation is left worse off than minus the board tolerance (θ). In shared "
        "mode (the default) every hub's NPV must be at least −θ, and the hub's cost-sharing agreement "
        "shares it out; in own mode every organisation's attributed NPV must be at least −θ on its own.",
    ),
    (
        "Agreed share and recharge",
        "Shared mode: each organisation's share of its hub's NPV, in proportion to its discounted "
        "cost-years in the hub (its own cost, discounted, for each year it is in). The recharge is share "
        "minus attributed NPV (positive: received); a hub's recharges add up to zero. 'A year' is the same "
        "present value as an equal amount each year the organisation is in the hub.",
    ),
    (
        "Binding constraint",
        "A rule the plan is pressed up against (a full budget, the pace limit, an organisation at the "
        "board tolerance): loosening it could make the plan worth more.",
    ),
    (
        "Payback year",
        "The first year in which the cumulative net cash is no longer negative: the plan has paid back "
        "what it spent. None in the horizon means it has not paid back by the last year.",
    ),
    (
        "WTE released",
        "Whole-time-equivalent posts no longer needed because a function is shared; redeployed or released "
        "through turnover, not necessarily redundancies.",
    ),
    (
        "£ redeployed to patient care",
        "The undiscounted net cash of the plan: what the savings leave once every cost of sharing is paid.",
    ),
    (
        "Baseline",
        "An organisation's annual cost of a function in its latest financial year with data: the figure "
        "savings are computed from (see the Baseline sheet to reconcile with the upload).",
    ),
]


def function_labels(session: Session) -> dict[str, str]:
    """Function key -> the label people know it by ("hr" -> "Human resources")."""
    return {key: label for key, label in session.execute(select(Function.key, Function.label))}


def typed_cell(writer: SheetWriter, value: Any, kind: str | None = None) -> WriteOnlyCell | None:
    """A cell holding a number as a number (with the kind's format) or text as text."""
    if value is None:
        return None
    if isinstance(value, str):
        return writer.text_cell(value, key="value")
    cell = WriteOnlyCell(writer.sheet, value=value)
    if kind:
        cell.style = f"stp_{kind}"
    return cell


def settings_sheet(workbook: Any, title: str, settings: Sequence[Setting], header: str = "Setting") -> None:
    """A two-column table, one setting a row, its value a real number in its own format."""
    writer = SheetWriter(workbook, title, [Column(header, width=52), Column("Value", width=40)])
    for label, value, kind in settings:
        writer.sheet.append([writer.text_cell(label, key="label"), typed_cell(writer, value, kind)])
    writer.finish()


def baseline_sheet(workbook: Any, snapshot: dict[str, Any], labels: dict[str, str]) -> None:
    """The cost each saving is computed from, per organisation and function, as the run took it."""
    names = {o["code"]: o.get("name", "") for o in snapshot.get("organisations", [])}
    writer = SheetWriter(
        workbook,
        BASELINE,
        [
            Column("Organisation", width=14),
            Column("Name", width=44),
            Column("Function", width=26),
            Column("Financial year", width=14),
            Column("Pay", "money", width=18),
            Column("Non-pay", "money", width=18),
            Column("Total", "money", width=18),
            Column("WTE", "wte", width=12),
        ],
    )
    for line in sorted(snapshot.get("cost_lines", []), key=lambda c: (c["organisation"], c["function"])):
        writer.append(
            [
                line["organisation"],
                names.get(line["organisation"], ""),
                labels.get(line["function"], line["function"]),
                line["financial_year"],
                to_pounds(line["pay_pence"]),
                to_pounds(line["non_pay_pence"]),
                to_pounds(line["pay_pence"] + line["non_pay_pence"]),
                Decimal(line["wte"]),
            ]
        )
    writer.finish()


def glossary_sheet(workbook: Any) -> None:
    writer = SheetWriter(workbook, GLOSSARY, [Column("Term", width=30), Column("Meaning", width=110)])
    for term, meaning in GLOSSARY_TERMS:
        writer.append([term, meaning])
    writer.finish()


def cash_by_organisation_sheet(
    workbook: Any, rows: Sequence[RunOrganisation], horizon: int, names: dict[str, dict[str, Any]]
) -> None:
    """Each organisation's attributed net cash in each year (before any recharge), its total over the
    horizon and its attributed NPV, with a last row for all organisations that equals the Years sheet's
    net cash year by year (the run stores the split settled to the penny, solver/sharing.py)."""
    recorded = all(r.net_cash_by_year_pence is not None for r in rows)
    note = (
        "Each organisation's own net cash each year: its savings less its share of the costs of sharing, "
        "before any cost-sharing recharge (see Hub agreements). Undiscounted; the NPV column discounts it."
        if recorded
        else "This run was stored before the planner recorded each organisation's net cash by year: run "
        "the footprint again to see it. The attributed NPVs are on the Organisations sheet."
    )
    writer = SheetWriter(
        workbook,
        CASH_BY_ORGANISATION,
        [
            Column("Organisation", width=14),
            Column("Name", width=40),
            *(Column(f"Year {year}", "money", width=16) for year in range(1, horizon + 1)),
            Column("Total over the horizon", "money", width=20),
            Column("Attributed NPV", "money", width=18),
        ],
    )
    if recorded:
        totals = [0] * horizon
        for r in rows:
            cash = list(r.net_cash_by_year_pence or [])
            totals = [a + b for a, b in zip(totals, cash, strict=True)]
            writer.append(
                [
                    r.organisation,
                    names.get(r.organisation, {}).get("name", ""),
                    *(to_pounds(amount) for amount in cash),
                    to_pounds(sum(cash)),
                    to_pounds(r.attributed_npv_pence),
                ]
            )
        writer.append(
            [
                "All",
                "All organisations (= net cash on the Years sheet)",
                *(to_pounds(amount) for amount in totals),
                to_pounds(sum(totals)),
                to_pounds(sum(r.attributed_npv_pence for r in rows)),
            ]
        )
    # Below the table, not above it: the header stays the first row, the one frozen.
    writer.sheet.append([])
    writer.append_labels([note])
    writer.finish()
