"""A run's result workbook: Summary (headline figures, the board mode, the outcome in words, review,
warnings and a chart of savings by year), Plan, Organisations (attributed NPV and, in shared mode, agreed
share and recharge), Hub agreements (shared mode: each hub's shares and recharges, as NPV and as equal
annual amounts), Years, Baseline, Assumptions, Function assumptions, Solver, Binding constraints and
Glossary, through the shared writer (formats, frozen header rows, filters, widths, and user text that
Excel can never run as a formula). Headline money is in whole pounds; rates are percentages; numbers
are stored as numbers; functions are shown by their labels.

Every figure is read from the stored results (pence, shown in pounds), so the workbook and the API agree.
"""

from __future__ import annotations

from decimal import Decimal
from typing import IO, Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.money import to_pounds
from app.runs import results, service
from app.runs.problem_builder import baseline_warnings
from app.runs.result_sheets import (
    Setting,
    baseline_sheet,
    cash_by_organisation_sheet,
    function_labels,
    glossary_sheet,
    settings_sheet,
)
from app.workbooks.writer import POUNDS_FORMAT, Column, SheetWriter, new_workbook
from models import RunBindingConstraint, RunOrganisation, RunPlanRow

SUMMARY, PLAN, ORGANISATIONS, AGREEMENTS, YEARS = (
    "Summary",
    "Plan",
    "Organisations",
    "Hub agreements",
    "Years",
)
ASSUMPTIONS, FUNCTION_ASSUMPTIONS = "Assumptions", "Function assumptions"
SOLVER, BINDING = "Solver", "Binding constraints"
BOARD_MODE_WORDS = {
    "shared": "shared: every hub's NPV ≥ −θ, shared by a cost-sharing agreement with recharges",
    "own": "own: every organisation's own attributed NPV ≥ −θ, no recharges",
    "off": "off",
}


def _cell(writer: SheetWriter, value: Any, style: str | None = None) -> WriteOnlyCell | None:
    if value is None:
        return None
    if isinstance(value, str):
        return writer.text_cell(value, key=f"summary-{id(value)}")
    cell = WriteOnlyCell(writer.sheet, value=value)
    if style:
        cell.style = style
    return cell


def _number(value: Any) -> float | None:
    return None if value is None or value == "" else float(Decimal(str(value)))


def _review_rows(review: Any) -> list[tuple[str, Any, str | None]]:
    if review is None:
        return [("Review", "not reviewed yet", None)]
    return [
        ("Review", {"approve": "approved", "reject": "rejected"}.get(review.decision.value, ""), None),
        ("Reviewed by", review.reviewer, None),
        ("Reviewed on", review.created_at.strftime("%d %B %Y %H:%M UTC"), None),
        ("Review comment", review.comment or "", None),
    ]


def _summary(
    workbook: Any,
    run: Any,
    footprint: Any,
    years: list[Any],
    hubs: int,
    moves: int,
    review: Any,
    outcome: str,
) -> None:
    writer = SheetWriter(workbook, SUMMARY, widths=[34, 20, 20, 20, 20])
    writer.append_labels([f"Optimisation run {run.id}: {footprint.code} {footprint.name}"], style="stp_title")
    snapshot = run.snapshot or {}
    headline: list[tuple[str, Any, str | None]] = [
        ("Status", run.status.value, None),
        (
            "Net present value (NPV)",
            None if run.npv_pence is None else to_pounds(run.npv_pence),
            "stp_pounds",
        ),
        (
            "Payback year",
            run.payback_year if run.payback_year is not None else "none in the horizon",
            "stp_integer",
        ),
        (
            "£ redeployed to patient care (undiscounted, all years)",
            to_pounds(sum(y.net_cash_pence for y in years)),
            "stp_pounds",
        ),
        ("WTE released (all years)", sum((y.wte_released for y in years), Decimal(0)), "stp_wte"),
        ("Hubs", hubs, "stp_integer"),
        ("Moves", moves, "stp_integer"),
        ("Assumption set", snapshot.get("assumption_set") or "inline / defaults", None),
        (
            "Discount rate",
            float(Decimal(snapshot.get("assumptions", {}).get("discount_rate", "0"))),
            "stp_percent",
        ),
        ("Label", run.label or "", None),
        ("Run created", run.created_at.strftime("%d %B %Y %H:%M UTC"), None),
        ("Run by", run.created_by, None),
        ("Board acceptability (rule 10)", BOARD_MODE_WORDS.get(results.board_mode(run), ""), None),
        ("Outcome", outcome, None),
        *_review_rows(review),
        *(("Warning", warning, None) for warning in baseline_warnings(snapshot)),
    ]
    for label, value, style in headline:
        writer.sheet.append([writer.text_cell(label, key="label"), _cell(writer, value, style)])
    writer.sheet.append([])
    header_row = len(headline) + 3
    writer.append_labels(
        ["Year", "Savings", "Net cash (£ redeployed)", "Cumulative net cash"], style="stp_header"
    )
    for y in years:
        writer.sheet.append(
            [
                _cell(writer, y.year, "stp_integer"),
                _cell(writer, to_pounds(y.savings_pence), "stp_money"),
                _cell(writer, to_pounds(y.net_cash_pence), "stp_money"),
                _cell(writer, to_pounds(y.cumulative_net_cash_pence), "stp_money"),
            ]
        )
    if years:
        chart = BarChart()
        chart.title = "Savings and £ redeployed to patient care by year"
        chart.y_axis.title = "£ per year"
        chart.x_axis.title = "Year of the plan"
        # openpyxl 3.1 writes <c:delete val="1"/> unless told, and Excel then hides both axes
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.y_axis.number_format = POUNDS_FORMAT
        chart.x_axis.axPos = "b"
        data = Reference(
            writer.sheet, min_col=2, max_col=3, min_row=header_row, max_row=header_row + len(years)
        )
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(
            Reference(writer.sheet, min_col=1, min_row=header_row + 1, max_row=header_row + len(years))
        )
        chart.width, chart.height = 18, 9
        writer.sheet.add_chart(chart, "F2")


def write_run_workbook(session: Session, code: str, run_id: int, out: IO[bytes]) -> None:
    run = service.finished_run(session, code, run_id)
    footprint = service.footprint_of(session, run)
    snapshot = run.snapshot or {}
    names = {o["code"]: o for o in snapshot.get("organisations", [])}
    years = list(results.year_rows(session, run.id))
    plan_rows = session.scalars(
        select(RunPlanRow)
        .where(RunPlanRow.run_id == run.id)
        .order_by(RunPlanRow.function_key, RunPlanRow.host, RunPlanRow.year, RunPlanRow.member)
    ).all()
    labels = function_labels(session)
    workbook = new_workbook()
    outcome = service.outcome_text(session, run) or ""
    _summary(
        workbook,
        run,
        footprint,
        years,
        len({(r.function_key, r.host) for r in plan_rows}),
        len(plan_rows),
        service.latest_review(session, run.id),
        outcome,
    )

    plan = SheetWriter(
        workbook,
        PLAN,
        [
            Column("Function", width=22),
            Column("Host", width=12),
            Column("Host name", width=40),
            Column("Member", width=12),
            Column("Member name", width=40),
            Column("Year it joins", "integer", width=14),
            Column("Hub opens in year", "integer", width=16),
        ],
    )
    for r in plan_rows:
        plan.append(
            [
                labels.get(r.function_key, r.function_key),
                r.host,
                names.get(r.host, {}).get("name", ""),
                r.member,
                names.get(r.member, {}).get("name", ""),
                r.year,
                r.hub_opening_year,
            ]
        )
    plan.finish()

    organisations = SheetWriter(
        workbook,
        ORGANISATIONS,
        [
            Column("Organisation", width=14),
            Column("Name", width=44),
            Column("Kind", width=18),
            Column("Attributed NPV", "money", width=20),
            Column("Binds board rule", width=16),
            Column("Agreed share (NPV)", "money", width=20),
            Column("Recharge (NPV, + received)", "money", width=24),
        ],
    )
    organisation_rows = session.scalars(
        select(RunOrganisation).where(RunOrganisation.run_id == run.id).order_by(RunOrganisation.organisation)
    ).all()
    for o in organisation_rows:
        known = names.get(o.organisation, {})
        organisations.append(
            [
                o.organisation,
                known.get("name", ""),
                known.get("kind", ""),
                to_pounds(o.attributed_npv_pence),
                "yes" if o.binds_board else "no",
                None if o.share_pence is None else to_pounds(o.share_pence),
                None if o.recharge_pence is None else to_pounds(o.recharge_pence),
            ]
        )
    organisations.finish()
    _agreements_sheet(workbook, session, run.id, names, labels)
    cash_by_organisation_sheet(workbook, organisation_rows, len(years), names)

    money = [
        ("Savings", "savings_pence"),
        ("Running costs", "running_costs_pence"),
        ("Set-up costs", "setup_costs_pence"),
        ("Transition costs", "transition_costs_pence"),
        ("Integration costs", "integration_costs_pence"),
        ("Net cash (£ redeployed)", "net_cash_pence"),
        ("Cumulative net cash", "cumulative_net_cash_pence"),
    ]
    year_sheet = SheetWriter(
        workbook,
        YEARS,
        [
            Column("Year", "integer", width=8),
            *(Column(label, "money", width=20) for label, _ in money),
            Column("Discount factor", "wte", width=16),
            Column("Discounted net cash", "money", width=20),
            Column("WTE released", "wte", width=14),
            Column("Moves", "integer", width=10),
        ],
    )
    for y in years:
        year_sheet.append(
            [
                y.year,
                *(to_pounds(getattr(y, attribute)) for _, attribute in money),
                y.discount_factor,
                to_pounds(y.discounted_net_cash_pence),
                y.wte_released,
                y.moves,
            ]
        )
    year_sheet.finish()
    baseline_sheet(workbook, snapshot, labels)

    a = snapshot.get("assumptions", {})
    settings_sheet(workbook, ASSUMPTIONS, _assumption_settings(a))
    assumptions = SheetWriter(
        workbook,
        FUNCTION_ASSUMPTIONS,
        [
            Column("Function", width=26),
            Column("Saving tiers (from £ volume: rate)", width=60),
            Column("Hub running cost per year", "money", width=20),
            Column("Hub set-up cost", "money", width=18),
            Column("Transition cost rate", "percent", width=16),
            Column("Capacity multiple", "wte", width=16),
            Column("Default figures", width=14),
        ],
    )
    for key, f in sorted(a.get("functions", {}).items()):
        tiers = "; ".join(f"£{Decimal(m):,.0f}: {Decimal(r) * 100:g}%" for m, r in f["tiers"])
        assumptions.append(
            [
                labels.get(key, key),
                tiers,
                Decimal(f["fixed_cost"]),
                Decimal(f["setup_cost"]),
                Decimal(f["transition_rate"]),
                None if f["capacity_multiple"] is None else Decimal(f["capacity_multiple"]),
                "yes" if f.get("defaulted") else "no",
            ]
        )
    assumptions.finish()

    stats = run.solver_statistics or {}
    settings_sheet(workbook, SOLVER, _solver_settings(run, stats, outcome), header="Figure")
    solver = SheetWriter(
        workbook,
        BINDING,
        [
            Column("Binding constraint", width=16),
            Column("Year", "integer", width=8),
            Column("Organisation", width=14),
            Column("Function", width=26),
            Column("Detail", width=80),
        ],
    )
    for b in session.scalars(
        select(RunBindingConstraint)
        .where(RunBindingConstraint.run_id == run.id)
        .order_by(RunBindingConstraint.id)
    ):
        function = None if b.function_key is None else labels.get(b.function_key, b.function_key)
        solver.append([b.family, b.year, b.organisation, function, b.detail])
    solver.finish()
    glossary_sheet(workbook)
    workbook.save(out)


def _board_mode(a: dict[str, Any]) -> str:
    if not a.get("board_acceptability", True):
        return "off"
    return str(a.get("board_mode", "own"))


def _agreements_sheet(
    workbook: Any, session: Session, run_id: int, names: dict[str, Any], labels: dict[str, str]
) -> None:
    agreements = SheetWriter(
        workbook,
        AGREEMENTS,
        [
            Column("Function", width=22),
            Column("Host", width=12),
            Column("Hub NPV", "money", width=18),
            Column("Hub binds board rule", width=18),
            Column("Organisation", width=14),
            Column("Name", width=40),
            Column("Role", width=10),
            Column("In the hub from year", "integer", width=18),
            Column("Attributed NPV", "money", width=18),
            Column("Agreed share (NPV)", "money", width=18),
            Column("Recharge (NPV, + received)", "money", width=22),
            Column("Share a year", "money", width=16),
            Column("Recharge a year", "money", width=16),
        ],
    )
    for h in results.hub_share_rows(session, run_id):
        agreements.append(
            [
                labels.get(h.function_key, h.function_key),
                h.host,
                to_pounds(h.hub_npv_pence),
                "yes" if h.hub_binds_board else "no",
                h.organisation,
                names.get(h.organisation, {}).get("name", ""),
                h.role,
                h.first_year,
                to_pounds(h.attributed_npv_pence),
                to_pounds(h.share_pence),
                to_pounds(h.recharge_pence),
                to_pounds(h.annual_share_pence),
                to_pounds(h.annual_recharge_pence),
            ]
        )
    agreements.finish()


def _limits(values: list[Any]) -> str:
    return ", ".join("no limit" if v is None else f"{Decimal(str(v)):,}" for v in values)


def _assumption_settings(a: dict[str, Any]) -> list[Setting]:
    tolerance = a.get("board_tolerance")
    return [
        ("Discount rate", _number(a.get("discount_rate")), "percent"),
        ("Horizon (years)", a.get("horizon_years"), "integer"),
        (
            "Optimism bias: uplift on set-up and transition costs",
            _number(a.get("optimism_bias_cost_uplift")),
            "percent",
        ),
        (
            "Optimism bias: haircut on saving rates",
            _number(a.get("optimism_bias_savings_haircut")),
            "percent",
        ),
        ("Board acceptability", BOARD_MODE_WORDS.get(_board_mode(a), ""), None),
        ("Board tolerance θ (£)", None if tolerance is None else Decimal(str(tolerance)), "pounds"),
        ("Pace (moves per year, by year)", _limits(a.get("pace", [])), None),
        ("Pace source", a.get("pace_source", ""), None),
        ("Transition budget per year (£, by year)", _limits(a.get("budget", [])), None),
        ("Workforce limit per year (WTE, by year)", _limits(a.get("workforce", [])), None),
    ]


def _solver_settings(run: Any, stats: dict[str, Any], outcome: str) -> list[Setting]:
    return [
        ("Outcome", run.status.value, None),
        ("Outcome in words", outcome, None),
        ("Solver", str(stats.get("solver", "")), None),
        ("Objective (£)", _number(stats.get("objective")), "pounds"),
        ("Best bound (£)", _number(stats.get("best_bound")), "pounds"),
        ("Relative gap", _number(stats.get("relative_gap")), "percent"),
        ("Solve time", _number(stats.get("solve_seconds")), "seconds"),
        ("Wall time", _number(stats.get("wall_seconds")), "seconds"),
        ("Conflicting constraint families", ", ".join(stats.get("conflicts", [])), None),
        ("Message", str(stats.get("message", "")) or run.error_message, None),
        ("Time limit", _number((run.options or {}).get("time_limit")), "seconds"),
    ]
