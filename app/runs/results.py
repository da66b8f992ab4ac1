"""A finished run's results as the API, the pages and the workbook read them: plan, years, organisations
(with each hub's cost-sharing agreement).

Never commits: the request, or the worker task, owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.money import to_pounds
from app.runs.schemas import (
    HubAgreementResult,
    HubParticipantResult,
    OrganisationResult,
    OrganisationYear,
    PlanHub,
    PlanMove,
    RunOrganisations,
    RunPlan,
    RunYears,
    YearRead,
)
from app.runs.service import finished_run
from models import Run, RunBindingConstraint, RunHubShare, RunOrganisation, RunPlanRow, RunYear
from solver.problem import Hub, Move


def plan(session: Session, code: str, run_id: int) -> RunPlan:
    run = finished_run(session, code, run_id)
    rows = session.scalars(
        select(RunPlanRow)
        .where(RunPlanRow.run_id == run.id)
        .order_by(RunPlanRow.function_key, RunPlanRow.host, RunPlanRow.year, RunPlanRow.member)
    ).all()
    hubs: dict[tuple[str, str], PlanHub] = {}
    for row in rows:
        hub = hubs.setdefault(
            (row.function_key, row.host),
            PlanHub(function=row.function_key, host=row.host, opening_year=row.hub_opening_year, members=[]),
        )
        hub.members.append(
            PlanMove(
                function=row.function_key,
                host=row.host,
                member=row.member,
                year=row.year,
                hub_opening_year=row.hub_opening_year,
            )
        )
    binding = [
        {
            "family": b.family,
            "year": b.year,
            "organisation": b.organisation,
            "function": b.function_key,
            "detail": b.detail,
        }
        for b in session.scalars(
            select(RunBindingConstraint)
            .where(RunBindingConstraint.run_id == run.id)
            .order_by(RunBindingConstraint.id)
        )
    ]
    return RunPlan(run_id=run.id, status=run.status, hubs=list(hubs.values()), binding=binding)


def plan_hubs(session: Session, run_id: int) -> list[Hub]:
    """A stored run's plan as the solver's hubs (to start another run from it)."""
    hubs: dict[tuple[str, str], Hub] = {}
    for row in session.scalars(
        select(RunPlanRow).where(RunPlanRow.run_id == run_id).order_by(RunPlanRow.year, RunPlanRow.member)
    ):
        hub = hubs.setdefault(
            (row.function_key, row.host), Hub(row.host, row.function_key, row.hub_opening_year, [])
        )
        hub.members.append(Move(row.member, row.function_key, row.host, row.year))
    return list(hubs.values())


def year_rows(session: Session, run_id: int) -> Sequence[RunYear]:
    return session.scalars(select(RunYear).where(RunYear.run_id == run_id).order_by(RunYear.year)).all()


def years(session: Session, code: str, run_id: int) -> RunYears:
    run = finished_run(session, code, run_id)
    return RunYears(
        run_id=run.id,
        npv=None if run.npv_pence is None else to_pounds(run.npv_pence),
        payback_year=run.payback_year,
        years=[
            YearRead(
                year=y.year,
                savings=to_pounds(y.savings_pence),
                running_costs=to_pounds(y.running_costs_pence),
                setup_costs=to_pounds(y.setup_costs_pence),
                transition_costs=to_pounds(y.transition_costs_pence),
                integration_costs=to_pounds(y.integration_costs_pence),
                net_cash=to_pounds(y.net_cash_pence),
                cumulative_net_cash=to_pounds(y.cumulative_net_cash_pence),
                discount_factor=y.discount_factor,
                discounted_net_cash=to_pounds(y.discounted_net_cash_pence),
                wte_released=y.wte_released,
                moves=y.moves,
            )
            for y in year_rows(session, run.id)
        ],
    )


def board_mode(run: Run) -> str:
    """How rule 10 judged the run: shared, own or off (snapshots from before modes meant own)."""
    a = (run.snapshot or {}).get("assumptions", {})
    if not a.get("board_acceptability", True):
        return "off"
    return str(a.get("board_mode", "own"))


def hub_share_rows(session: Session, run_id: int) -> Sequence[RunHubShare]:
    return session.scalars(
        select(RunHubShare)
        .where(RunHubShare.run_id == run_id)
        .order_by(RunHubShare.function_key, RunHubShare.host, RunHubShare.id)
    ).all()


def organisations(session: Session, code: str, run_id: int) -> RunOrganisations:
    run = finished_run(session, code, run_id)
    rows = session.scalars(
        select(RunOrganisation).where(RunOrganisation.run_id == run.id).order_by(RunOrganisation.organisation)
    ).all()
    hubs: dict[tuple[str, str], HubAgreementResult] = {}
    for r in hub_share_rows(session, run.id):
        hub = hubs.setdefault(
            (r.function_key, r.host),
            HubAgreementResult(
                function=r.function_key,
                host=r.host,
                npv=to_pounds(r.hub_npv_pence),
                binds_board=r.hub_binds_board,
                participants=[],
            ),
        )
        hub.participants.append(
            HubParticipantResult(
                organisation=r.organisation,
                role=r.role,
                first_year=r.first_year,
                attributed_npv=to_pounds(r.attributed_npv_pence),
                share=to_pounds(r.share_pence),
                recharge=to_pounds(r.recharge_pence),
                annual_share=to_pounds(r.annual_share_pence),
                annual_recharge=to_pounds(r.annual_recharge_pence),
            )
        )
    return RunOrganisations(
        run_id=run.id,
        board_mode=board_mode(run),
        organisations=[
            OrganisationResult(
                organisation=r.organisation,
                attributed_npv=to_pounds(r.attributed_npv_pence),
                binds_board=r.binds_board,
                share=None if r.share_pence is None else to_pounds(r.share_pence),
                recharge=None if r.recharge_pence is None else to_pounds(r.recharge_pence),
                net_cash_by_year=None
                if r.net_cash_by_year_pence is None
                else [
                    OrganisationYear(year=year, net_cash=to_pounds(amount))
                    for year, amount in enumerate(r.net_cash_by_year_pence, start=1)
                ],
            )
            for r in rows
        ],
        hubs=list(hubs.values()),
    )
