"""The worker's side of a run: claim it, beat while solving, store its outcome (or its failure), and
the reaper that re-queues or fails the runs of workers that died.

Never commits: the request, or the worker task, owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.runs.service import MAX_ATTEMPTS, conditional_update, describe_outcome, note, this_worker
from models import Run, RunBindingConstraint, RunHubShare, RunOrganisation, RunPlanRow, RunStatus, RunYear
from models.base import utcnow
from solver.problem import Plan, Progress
from solver.sharing import pence, settle_in_pence


def claim_run(session: Session, run_id: int, delivery: dict[str, Any] | None = None) -> Run | None:
    """Mark a queued run running for this worker; None when it is not queued (cancelled, taken).
    `delivery`: how a task queue delivered it (e.g. redelivered), kept in the run's history."""
    now = utcnow()
    worker = this_worker()
    changed = conditional_update(
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
    changed = conditional_update(
        session, update(Run).where(Run.id == run_id, Run.status == RunStatus.RUNNING).values(**values)
    )
    return bool(changed)


def store_outcome(session: Session, run_id: int, plan: Plan, seconds: float) -> bool:
    """Store the plan and its appraisal; False (nothing stored) if the run stopped being ours."""
    # The conditional write comes first: it takes SQLite's write lock (waiting its turn) before any read,
    # so a concurrent commit cannot invalidate this transaction's snapshot half-way.
    now = utcnow()
    if not conditional_update(
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
        "outcome_text": describe_outcome(run, plan.status.value, len(plan.hubs), plan.appraisal is not None),
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


def fail_run(session: Session, run_id: int, message: str) -> None:
    if conditional_update(
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
        changed = conditional_update(
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
    if conditional_update(session, update(Run).where(Run.id == run_id).values(enqueued_at=at)):
        run = session.get(Run, run_id, populate_existing=True)
        assert run is not None
        note(run, "enqueued", at=at, queue=queue, send=attempt)
        session.flush()
