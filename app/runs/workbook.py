"""A run's result workbook: Summary (headline figures, the outcome in words and a chart of savings by
year), Plan, Organisations (attributed NPV and, in shared mode, agreed share and recharge), Hub agreements
(shared mode: each hub's shares and recharges, as NPV and as equal annual amounts), Years, Assumptions and
Solver, through the shared writer (formats, frozen headers,
filters, widths, and user text that Excel can never run as a formula).

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
from app.runs import service
from app.workbooks.writer import Column, SheetWriter, new_workbook
from models import RunBindingConstraint, RunOrganisation, RunPlanRow

SUMMARY, PLAN, ORGANISATIONS, AGREEMENTS, YEARS, ASSUMPTIONS, SOLVER = (
    "Summary",
    "Plan",
    "Organisations",
    "Hub agreements",
    "Years",
    "Assumptions",
    "Solver",
)
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


def _summary(
    workbook: Any, run: Any, footprint: Any, years: list[Any], hubs: int, moves: int, outcome: str
) -> None:
    writer = SheetWriter(workbook, SUMMARY, widths=[34, 20, 20, 20, 20])
    writer.append_labels([f"Optimisation run {run.id}: {footprint.code} {footprint.name}"], style="stp_title")
    snapshot = run.snapshot or {}
    headline: list[tuple[str, Any, str | None]] = [
        ("Status", run.status.value, None),
        ("Net present value (NPV)", None if run.npv_pence is None else to_pounds(run.npv_pence), "stp_money"),
        (
            "Payback year",
            run.payback_year if run.payback_year is not None else "none in the horizon",
            "stp_integer",
        ),
        (
            "£ redeployed to patient care (undiscounted, all years)",
            to_pounds(sum(y.net_cash_pence for y in years)),
            "stp_money",
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
        ("Board acceptability (rule 10)", BOARD_MODE_WORDS.get(service.board_mode(run), ""), None),
        ("Outcome", outcome, None),
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
        chart.y_axis.title = "£"
        chart.x_axis.title = "Year"
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
    run = service.get_run(session, code, run_id)
    footprint = service.footprint_of(session, run)
    snapshot = run.snapshot or {}
    names = {o["code"]: o for o in snapshot.get("organisations", [])}
    years = list(service.year_rows(session, run.id))
    plan_rows = session.scalars(
        select(RunPlanRow)
        .where(RunPlanRow.run_id == run.id)
        .order_by(RunPlanRow.function_key, RunPlanRow.host, RunPlanRow.year, RunPlanRow.member)
    ).all()
    workbook = new_workbook()
    outcome = service.outcome_text(session, run) or ""
    _summary(
        workbook,
        run,
        footprint,
        years,
        len({(r.function_key, r.host) for r in plan_rows}),
        len(plan_rows),
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
                r.function_key,
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
    for o in session.scalars(
        select(RunOrganisation).where(RunOrganisation.run_id == run.id).order_by(RunOrganisation.organisation)
    ):
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
        title_rows=[
            [
                "Shared mode: each organisation's share of its hub's NPV is in proportion to its discounted "
                "cost-years in the hub; the recharge is share − attributed NPV (shares sum to the hub's "
                "NPV, recharges to zero). 'A year' = the equal amount each year it is in the hub with the "
                "same present value. Empty unless the run used shared mode."
            ],
            [],
        ],
    )
    for h in service.hub_share_rows(session, run.id):
        agreements.append(
            [
                h.function_key,
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

    a = snapshot.get("assumptions", {})
    settings = [
        ["Discount rate", a.get("discount_rate")],
        ["Horizon (years)", a.get("horizon_years")],
        ["Optimism bias: uplift on set-up and transition costs", a.get("optimism_bias_cost_uplift")],
        ["Optimism bias: haircut on saving rates", a.get("optimism_bias_savings_haircut")],
        ["Board acceptability", BOARD_MODE_WORDS.get(service.board_mode(run), "")],
        ["Board tolerance θ (£)", a.get("board_tolerance")],
        ["Pace (moves per year)", ", ".join("no limit" if v is None else str(v) for v in a.get("pace", []))],
        ["Pace source", a.get("pace_source", "")],
        [
            "Transition budget per year (£)",
            ", ".join("no limit" if v is None else v for v in a.get("budget", [])),
        ],
        [
            "Workforce limit per year (WTE)",
            ", ".join("no limit" if v is None else v for v in a.get("workforce", [])),
        ],
        [],
    ]
    assumptions = SheetWriter(
        workbook,
        ASSUMPTIONS,
        [
            Column("Function", width=22),
            Column("Saving tiers (from £ volume: rate)", width=60),
            Column("Hub running cost per year", "money", width=20),
            Column("Hub set-up cost", "money", width=18),
            Column("Transition cost rate", "percent", width=16),
            Column("Capacity multiple", "wte", width=16),
            Column("Default figures", width=14),
        ],
        title_rows=[
            [str(label), None if value is None else str(value)] if label else []
            for label, value in (s or ["", None] for s in settings)
        ],
    )
    for key, f in sorted(a.get("functions", {}).items()):
        tiers = "; ".join(f"£{Decimal(m):,.0f}: {Decimal(r) * 100:g}%" for m, r in f["tiers"])
        assumptions.append(
            [
                key,
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
    solver = SheetWriter(
        workbook,
        SOLVER,
        [
            Column("Binding constraint", width=16),
            Column("Year", "integer", width=8),
            Column("Organisation", width=14),
            Column("Function", width=22),
            Column("Detail", width=80),
        ],
        title_rows=[
            ["Outcome", run.status.value],
            ["Outcome in words", outcome],
            ["Solver", str(stats.get("solver", ""))],
            ["Objective (£)", stats.get("objective")],
            ["Best bound (£)", stats.get("best_bound")],
            ["Relative gap", stats.get("relative_gap")],
            ["Solve seconds", stats.get("solve_seconds")],
            ["Wall seconds", stats.get("wall_seconds")],
            ["Conflicting constraint families", ", ".join(stats.get("conflicts", []))],
            ["Message", str(stats.get("message", "")) or run.error_message],
            ["Time limit (s)", (run.options or {}).get("time_limit")],
            [],
        ],
    )
    for b in session.scalars(
        select(RunBindingConstraint)
        .where(RunBindingConstraint.run_id == run.id)
        .order_by(RunBindingConstraint.id)
    ):
        solver.append([b.family, b.year, b.organisation, b.function_key, b.detail])
    solver.finish()
    workbook.save(out)
