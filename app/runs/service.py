"""Optimisation runs: creation with a snapshot of their inputs, the life cycle a worker drives
(claim, heartbeat, outcome), the reaper for dead workers, results, reviews and comparison.

Never commits: the request, or the worker task, owns the transaction.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Update

from app.assumption_sets.schemas import AssumptionSetWrite
from app.assumption_sets.service import get_assumption_set, to_write
from app.auth.rules import Caller
from app.core.errors import Conflict, NotFound
from app.core.money import to_pounds
from app.core.pagination import Page, keyset_page
from app.footprints.service import get_footprint
from app.runs.outcome import describe
from app.runs.problem_builder import baseline_warnings, build_problem, take_snapshot
from app.runs.schemas import (
    FunctionDifference,
    HubAgreementResult,
    HubParticipantResult,
    OrganisationResult,
    OrganisationYear,
    PlanHub,
    PlanMove,
    ReviewCreate,
    RunComparison,
    RunCreate,
    RunOrganisations,
    RunPlan,
    RunRead,
    RunYears,
    YearDifference,
    YearRead,
)
from models import (
    Footprint,
    Role,
    Run,
    RunBindingConstraint,
    RunHubShare,
    RunOrganisation,
    RunPlanRow,
    RunReview,
    RunStatus,
    RunYear,
)
from models.base import utcnow
from solver.problem import Hub, Move, Plan, Progress
from solver.sharing import pence, settle_in_pence

ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
FINISHED = (RunStatus.OPTIMAL, RunStatus.FEASIBLE, RunStatus.INFEASIBLE, RunStatus.ERROR, RunStatus.CANCELLED)
REVIEWABLE = (RunStatus.OPTIMAL, RunStatus.FEASIBLE, RunStatus.INFEASIBLE)
# A run is started at most this many times: a worker that dies once is retried, twice is an error.
MAX_ATTEMPTS = 2


def _changed(session: Session, statement: Update) -> int:
    """Rows changed by a conditional update (the compare-and-set every state change goes through)."""
    result = session.execute(statement.execution_options(synchronize_session=False))
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def note(run: Run, event: str, at: datetime | None = None, **details: Any) -> None:
    """Add an event to the run's history (kept in time order: a queue's receipt can be written after the
    claim it led to). Call it only while holding the run's row (after a conditional update of it)."""
    entry = {"event": event, "at": (at or utcnow()).isoformat(), **details}
    history = list(run.history or [])
    position = len(history)
    while position and history[position - 1].get("at", "") > entry["at"]:
        position -= 1
    history.insert(position, entry)
    run.history = history


def this_worker() -> dict[str, Any]:
    return {"host": socket.gethostname(), "pid": os.getpid()}


# ---- creation ------------------------------------------------------------------------------------


def create_run(
    session: Session,
    code: str,
    data: RunCreate,
    created_by: str,
    sweep_id: int | None = None,
    assumptions_override: AssumptionSetWrite | None = None,
) -> Run:
    """A queued run with its snapshot: the inputs it will be solved with, whatever changes later."""
    footprint = get_footprint(session, code)
    assumption_set_id = None
    assumption_set_name = None
    if data.assumption_set is not None:
        stored = get_assumption_set(session, code, data.assumption_set)
        assumptions = to_write(stored)
        assumption_set_id, assumption_set_name = stored.id, stored.name
    else:
        assumptions = data.assumptions or AssumptionSetWrite()
    if assumptions_override is not None:
        assumptions = assumptions_override
    snapshot = take_snapshot(session, footprint, assumptions)
    snapshot["assumption_set"] = assumption_set_name
    run = Run(
        footprint_id=footprint.id,
        assumption_set_id=assumption_set_id,
        status=RunStatus.QUEUED,
        snapshot=snapshot,
        options=data.options.model_dump(),
        solver_statistics={},
        created_by=created_by,
        label=data.label,
        sweep_id=sweep_id,
        attempts=0,
        error_message="",
    )
    session.add(run)
    session.flush()
    return run


def get_run(session: Session, code: str, run_id: int) -> Run:
    footprint = get_footprint(session, code)
    run = session.scalar(select(Run).where(Run.id == run_id, Run.footprint_id == footprint.id))
    if run is None:
        raise NotFound("Run", run_id)
    return run


def locate_run(session: Session, run_id: int) -> tuple[Run, str]:
    """A run by its id alone, with its footprint's code (the command line names runs by id)."""
    found = session.execute(
        select(Run, Footprint.code).join(Footprint, Footprint.id == Run.footprint_id).where(Run.id == run_id)
    ).first()
    if found is None:
        raise NotFound("Run", run_id)
    return found[0], found[1]


def list_runs(
    session: Session,
    code: str,
    status: RunStatus | None = None,
    *,
    limit: int = 100,
    cursor: str | None = None,
) -> Page[RunRead]:
    """The footprint's runs, newest first."""
    footprint = get_footprint(session, code)
    query = select(Run).where(Run.footprint_id == footprint.id)
    if status is not None:
        query = query.where(Run.status == status)
    return keyset_page(
        session,
        query,
        Run.id,
        limit=limit,
        cursor=cursor,
        item=lambda run: read(session, run, code),
        descending=True,
    )


def latest_review(session: Session, run_id: int) -> RunReview | None:
    return session.scalar(
        select(RunReview).where(RunReview.run_id == run_id).order_by(RunReview.id.desc()).limit(1)
    )


def read(session: Session, run: Run, footprint_code: str) -> RunRead:
    review = latest_review(session, run.id)
    return RunRead(
        id=run.id,
        footprint=footprint_code,
        label=run.label,
        status=run.status,
        assumption_set=(run.snapshot or {}).get("assumption_set"),
        options=run.options or {},
        created_by=run.created_by,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        heartbeat_at=run.heartbeat_at,
        attempts=run.attempts,
        error_message=run.error_message,
        npv=None if run.npv_pence is None else to_pounds(run.npv_pence),
        payback_year=run.payback_year,
        solver_statistics=run.solver_statistics or {},
        progress=(run.solver_statistics or {}).get("progress"),
        sweep_id=run.sweep_id,
        review=None if review is None else review.decision,
        outcome_text=outcome_text(session, run),
        history=list(run.history or []),
        warnings=baseline_warnings(run.snapshot or {}),
    )


def cancel_run(session: Session, code: str, run_id: int) -> Run:
    run = get_run(session, code, run_id)
    # Conditional, so a worker finishing at the same moment either wins (409 here) or sees the cancel.
    changed = _changed(
        session,
        update(Run)
        .where(Run.id == run.id, Run.status.in_(ACTIVE))
        .values(status=RunStatus.CANCELLED, finished_at=utcnow(), error_message="cancelled on request"),
    )
    session.refresh(run)
    if not changed:
        raise Conflict(f"Run {run_id} has already finished ({run.status.value}); it cannot be cancelled")
    note(run, "cancelled")
    session.flush()
    return run


# ---- the worker's side ---------------------------------------------------------------------------


def claim_run(session: Session, run_id: int, delivery: dict[str, Any] | None = None) -> Run | None:
    """Mark a queued run running for this worker; None when it is not queued (cancelled, taken).
    `delivery`: how a task queue delivered it (e.g. redelivered), kept in the run's history."""
    now = utcnow()
    worker = this_worker()
    changed = _changed(
        session,
        update(Run)
        .where(Run.id == run_id, Run.status == RunStatus.QUEUED)
        .values(
            status=RunStatus.RUNNING,
            attempts=Run.attempts + 1,
            started_at=now,
            heartbeat_at=now,
            solver_statistics={"worker": worker},
        ),
    )
    if not changed:
        return None
    run = session.get(Run, run_id, populate_existing=True)
    assert run is not None
    note(
        run,
        "claimed",
        at=now,
        worker=worker,
        attempt=run.attempts,
        **({"delivery": delivery} if delivery else {}),
    )
    session.flush()
    return run


def progress_record(progress: Progress) -> dict[str, Any]:
    """How a run stores the solver's progress: `solver_statistics["progress"]`, read as `RunRead.progress`."""
    # To the penny by the same rule as the run's stored NPV, so a finished run's two figures agree.
    return {
        "phase": progress.phase,
        "incumbent": None if progress.incumbent is None else pence(progress.incumbent) / 100,
        "best_bound": None if progress.bound is None else pence(progress.bound) / 100,
        "relative_gap": progress.gap,
        "seconds": round(progress.seconds, 3),
    }


def beat(session: Session, run_id: int, progress: dict[str, Any] | None = None) -> bool:
    """Record that the worker is alive (and the solver's progress); False when the run is no longer
    running here (cancelled, or reaped as stale), so the worker should give up."""
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if progress is not None:
        run = session.get(Run, run_id)
        values["solver_statistics"] = {
            **((run.solver_statistics if run else None) or {}),
            "progress": progress,
        }
    changed = _changed(
        session,
        update(Run).where(Run.id == run_id, Run.status == RunStatus.RUNNING).values(**values),
    )
    return bool(changed)


def store_outcome(session: Session, run_id: int, plan: Plan, seconds: float) -> bool:
    """Store the plan and its appraisal; False (nothing stored) if the run stopped being ours."""
    # The conditional write comes first: it takes SQLite's write lock (waiting its turn) before any read,
    # so a concurrent commit cannot invalidate this transaction's snapshot half-way.
    now = utcnow()
    if not _changed(
        session,
        update(Run)
        .where(Run.id == run_id, Run.status == RunStatus.RUNNING)
        .values(status=RunStatus(plan.status.value), finished_at=now, heartbeat_at=now),
    ):
        return False
    run = session.get(Run, run_id, populate_existing=True)
    assert run is not None
    note(run, "finished", at=now, status=plan.status.value, worker=this_worker())
    stats = asdict(plan.stats) if plan.stats is not None else {}
    run.solver_statistics = {
        **(run.solver_statistics or {}),
        **stats,
        "wall_seconds": round(seconds, 3),
        "conflicts": list(plan.conflicts),
    }
    if plan.appraisal is not None and plan.stats is not None:
        # The final word replaces the last heartbeat's, which may predate the solver's last improvement.
        run.solver_statistics["progress"] = progress_record(
            Progress("finished", plan.appraisal.npv, plan.stats.best_bound, plan.stats.relative_gap, seconds)
        )
    if plan.status.value == "error":
        run.error_message = plan.stats.message if plan.stats else "the solver failed"
    elif plan.status.value == "infeasible":
        run.error_message = "infeasible: " + ", ".join(plan.conflicts or ["no conflicting family found"])
    for table in (RunPlanRow, RunYear, RunOrganisation, RunBindingConstraint, RunHubShare):
        session.execute(delete(table).where(table.run_id == run_id))
    for hub in plan.hubs:
        for move in hub.members:
            session.add(
                RunPlanRow(
                    run_id=run_id,
                    function_key=hub.function,
                    host=hub.host,
                    member=move.organisation,
                    year=move.year,
                    hub_opening_year=hub.opening_year,
                )
            )
    if plan.appraisal is not None:
        run.npv_pence = pence(plan.appraisal.npv)
        run.payback_year = plan.appraisal.payback_year
        for y in plan.appraisal.years:
            session.add(
                RunYear(
                    run_id=run_id,
                    year=y.year,
                    savings_pence=pence(y.savings),
                    running_costs_pence=pence(y.running_costs),
                    setup_costs_pence=pence(y.setup_costs),
                    transition_costs_pence=pence(y.transition_costs),
                    integration_costs_pence=pence(y.integration_costs),
                    net_cash_pence=pence(y.net_cash),
                    cumulative_net_cash_pence=pence(y.cumulative_net_cash),
                    discount_factor=y.discount_factor,
                    discounted_net_cash_pence=pence(y.discounted_net_cash),
                    wte_released=Decimal(repr(y.wte_released)).quantize(
                        Decimal("0.01"), rounding=ROUND_HALF_UP
                    ),
                    moves=y.moves,
                )
            )
        # To the penny so that they add up exactly: attributed NPVs (and shares) to the NPV, each hub's
        # shares to its NPV and its recharges to zero (solver/sharing.py).
        shared = any(o.share is not None for o in plan.appraisal.organisations)
        settled = settle_in_pence(plan.appraisal, shared)
        binds = {o.organisation: o.binds_board for o in plan.appraisal.organisations}
        for o in settled.organisations:
            session.add(
                RunOrganisation(
                    run_id=run_id,
                    organisation=o.organisation,
                    attributed_npv_pence=o.attributed,
                    binds_board=binds[o.organisation],
                    share_pence=o.share,
                    recharge_pence=o.recharge,
                    net_cash_by_year_pence=o.net_cash_by_year,
                )
            )
        for agreement in settled.hubs:
            for p in agreement.participants:
                session.add(
                    RunHubShare(
                        run_id=run_id,
                        function_key=agreement.function,
                        host=agreement.host,
                        hub_npv_pence=agreement.npv,
                        hub_binds_board=agreement.binds_board,
                        organisation=p.organisation,
                        role=p.role,
                        first_year=p.first_year,
                        attributed_npv_pence=p.attributed,
                        share_pence=p.share,
                        recharge_pence=p.recharge,
                        annual_share_pence=p.annual_share,
                        annual_recharge_pence=p.annual_recharge,
                    )
                )
    run.solver_statistics = {
        **run.solver_statistics,
        "outcome_text": _describe(run, plan.status.value, len(plan.hubs), plan.appraisal is not None),
    }
    for b in plan.binding:
        session.add(
            RunBindingConstraint(
                run_id=run_id,
                family=b.family,
                year=b.year,
                organisation=b.organisation,
                function_key=b.function,
                detail=b.detail,
            )
        )
    session.flush()
    return True


def _describe(run: Run, status: str, hubs: int, has_plan: bool) -> str:
    # Only an empty plan needs the problem (to say what keeps each organisation out).
    problem = build_problem(run.snapshot) if has_plan and hubs == 0 and run.snapshot else None
    return describe(
        status,
        None if run.npv_pence is None else run.npv_pence / 100,
        run.solver_statistics or {},
        (run.options or {}).get("time_limit"),
        hubs,
        run.error_message,
        problem,
    )


def outcome_text(session: Session, run: Run) -> str | None:
    """The run's outcome in words (app/runs/outcome.py), for the API, the workbook and the web pages:
    stored when the run finished; made now for a run finished before it was stored; None while it runs."""
    if run.status in ACTIVE:
        return None
    stored = (run.solver_statistics or {}).get("outcome_text")
    if stored:
        return str(stored)
    hubs = len(
        {
            (r.function_key, r.host)
            for r in session.scalars(select(RunPlanRow).where(RunPlanRow.run_id == run.id))
        }
    )
    return _describe(run, run.status.value, hubs, run.npv_pence is not None)


def fail_run(session: Session, run_id: int, message: str) -> None:
    if _changed(
        session,
        update(Run)
        .where(Run.id == run_id, Run.status == RunStatus.RUNNING)
        .values(status=RunStatus.ERROR, finished_at=utcnow(), error_message=message[:5000])
        .execution_options(synchronize_session=False),
    ):
        run = session.get(Run, run_id, populate_existing=True)
        assert run is not None
        note(run, "failed", message=message[:500], worker=this_worker())
        session.flush()


def reap_stale_runs(
    session: Session,
    stale_after: timedelta,
    now: datetime | None = None,
    run_ids: Sequence[int] | None = None,
) -> tuple[list[int], list[int]]:
    """Runs whose worker stopped beating: re-queued if they have an attempt left, else marked error.
    Returns (re-queued ids, failed ids); the caller hands the re-queued ones to the executor.
    `run_ids` limits the pass to those runs (a task queue's redelivery of one run)."""
    now = now or utcnow()
    requeued: list[int] = []
    failed: list[int] = []
    query = select(Run).where(Run.status == RunStatus.RUNNING, Run.heartbeat_at < now - stale_after)
    if run_ids is not None:
        query = query.where(Run.id.in_(run_ids))
    stale = session.scalars(query).all()
    for run in stale:
        last = run.heartbeat_at
        if run.attempts < MAX_ATTEMPTS:
            values: dict[str, Any] = {
                "status": RunStatus.QUEUED,
                "error_message": f"worker stopped responding (last heartbeat {last}); re-queued",
            }
            target = requeued
        else:
            values = {
                "status": RunStatus.ERROR,
                "finished_at": now,
                "error_message": f"worker stopped responding {run.attempts} times (last heartbeat {last})",
            }
            target = failed
        # Only if nothing (a late heartbeat, a cancel) changed it since it was read.
        # (Counted by rows changed: a Result object is always truthy.)
        changed = _changed(
            session,
            update(Run)
            .where(Run.id == run.id, Run.status == RunStatus.RUNNING, Run.heartbeat_at == last)
            .values(**values),
        )
        if changed:
            target.append(run.id)
            session.refresh(run)
            note(
                run,
                "re-queued" if target is requeued else "failed",
                at=now,
                reason=f"worker {(run.solver_statistics or {}).get('worker')} stopped responding",
                last_heartbeat=None if last is None else last.isoformat(),
            )
    session.flush()
    return requeued, failed


def queued_run_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Run.id).where(Run.status == RunStatus.QUEUED).order_by(Run.id)))


def runs_no_queue_holds(session: Session, unsent_after: timedelta, lost_after: timedelta) -> list[int]:
    """Queued runs a task queue should be given: never handed to one (for longer than `unsent_after`,
    so a send in flight is not doubled), or handed over longer ago than `lost_after` (the broker lost
    them, e.g. restarted without persistence). A duplicate costs nothing: claims are conditional."""
    now = utcnow()
    return list(
        session.scalars(
            select(Run.id)
            .where(
                Run.status == RunStatus.QUEUED,
                ((Run.enqueued_at.is_(None)) & (Run.created_at < now - unsent_after))
                | (Run.enqueued_at < now - lost_after),
            )
            .order_by(Run.id)
        )
    )


def mark_enqueued(session: Session, run_id: int, at: datetime, queue: str, attempt: int) -> None:
    """Record that a task queue was given the run at `at` (the receipt may follow the claim)."""
    if _changed(session, update(Run).where(Run.id == run_id).values(enqueued_at=at)):
        run = session.get(Run, run_id, populate_existing=True)
        assert run is not None
        note(run, "enqueued", at=at, queue=queue, send=attempt)
        session.flush()


# ---- results -------------------------------------------------------------------------------------


def finished_run(session: Session, code: str, run_id: int) -> Run:
    """A run whose results may be read: 409 with its status while it has none (queued, running,
    cancelled or failed), so empty figures are never served as if they were a plan."""
    run = get_run(session, code, run_id)
    if run.status in REVIEWABLE:
        return run
    if run.status in ACTIVE:
        why = (
            "it has not finished, so it has no results yet; ask again when its status is optimal, "
            "feasible or infeasible"
        )
    else:
        why = "it has no results" + (f" ({run.error_message})" if run.error_message else "")
    raise Conflict(f"Run {run_id} is {run.status.value}: {why}.", run_status=run.status.value)


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


# ---- review and comparison -----------------------------------------------------------------------


def reviews_own_run(created_by: str, caller: Caller) -> bool:
    """A run's creator may not review it (four eyes on every plan), unless the caller is an admin."""
    return created_by == caller.name and caller.role is not Role.ADMIN


def review_run(session: Session, code: str, run_id: int, data: ReviewCreate, caller: Caller) -> RunReview:
    """Record an approval or rejection by the caller (refused to the run's creator: `reviews_own_run`)."""
    reviewer = caller.name
    run = get_run(session, code, run_id)
    if run.status not in REVIEWABLE:
        raise Conflict(
            f"Run {run_id} is {run.status.value}: only a finished run (optimal, feasible or infeasible) "
            "can be reviewed",
            run_status=run.status.value,
        )
    if reviews_own_run(run.created_by, caller):
        raise Conflict(
            f"Run {run_id} was launched by {reviewer}, who cannot also review it: ask another planner "
            "of the footprint (or an admin) to approve or reject it"
        )
    review = RunReview(run_id=run.id, decision=data.decision, comment=data.comment, reviewer=reviewer)
    session.add(review)
    session.flush()
    return review


def reviews(session: Session, code: str, run_id: int) -> Sequence[RunReview]:
    run = get_run(session, code, run_id)
    return session.scalars(select(RunReview).where(RunReview.run_id == run.id).order_by(RunReview.id)).all()


def _memberships(session: Session, run_id: int) -> dict[str, dict[str, tuple[str, int]]]:
    """function -> member -> (host, year)."""
    result: dict[str, dict[str, tuple[str, int]]] = {}
    for row in session.scalars(select(RunPlanRow).where(RunPlanRow.run_id == run_id)):
        result.setdefault(row.function_key, {})[row.member] = (row.host, row.year)
    return result


def compare(session: Session, code: str, a_id: int, b_id: int) -> RunComparison:
    a, b = get_run(session, code, a_id), get_run(session, code, b_id)
    for run in (a, b):
        if run.status not in REVIEWABLE:
            raise Conflict(
                f"Run {run.id} is {run.status.value}: only finished runs can be compared",
                run_status=run.status.value,
            )
    years_a = {y.year: y.net_cash_pence for y in year_rows(session, a.id)}
    years_b = {y.year: y.net_cash_pence for y in year_rows(session, b.id)}
    year_diffs = [
        YearDifference(
            year=t,
            net_cash_a=to_pounds(years_a.get(t, 0)),
            net_cash_b=to_pounds(years_b.get(t, 0)),
            difference=to_pounds(years_b.get(t, 0) - years_a.get(t, 0)),
        )
        for t in sorted(set(years_a) | set(years_b))
    ]
    plan_a, plan_b = _memberships(session, a.id), _memberships(session, b.id)
    functions = []
    for f in sorted(set(plan_a) | set(plan_b)):
        in_a, in_b = plan_a.get(f, {}), plan_b.get(f, {})
        hosts_a = {h for h, _ in in_a.values()}
        hosts_b = {h for h, _ in in_b.values()}
        moved = []
        changed_years = []
        for member in sorted(set(in_a) | set(in_b)):
            host_a = in_a.get(member, (None, None))[0]
            host_b = in_b.get(member, (None, None))[0]
            if host_a != host_b:
                moved.append({"organisation": member, "host_a": host_a, "host_b": host_b})
            elif in_a[member][1] != in_b[member][1]:
                changed_years.append(
                    {"organisation": member, "year_a": in_a[member][1], "year_b": in_b[member][1]}
                )
        if hosts_a != hosts_b or moved or changed_years:
            functions.append(
                FunctionDifference(
                    function=f,
                    hubs_opened=sorted(hosts_b - hosts_a),
                    hubs_closed=sorted(hosts_a - hosts_b),
                    organisations_moved=moved,
                    years_changed=changed_years,
                )
            )
    npv_a = None if a.npv_pence is None else to_pounds(a.npv_pence)
    npv_b = None if b.npv_pence is None else to_pounds(b.npv_pence)
    return RunComparison(
        a=a.id,
        b=b.id,
        npv_a=npv_a,
        npv_b=npv_b,
        npv_difference=None if npv_a is None or npv_b is None else npv_b - npv_a,
        years=year_diffs,
        functions=functions,
    )


def footprint_of(session: Session, run: Run) -> Footprint:
    footprint = session.get(Footprint, run.footprint_id)
    assert footprint is not None
    return footprint
