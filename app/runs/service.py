"""Optimisation runs: creation with a snapshot of their inputs, reading and cancelling them, and their
outcome in words. The worker's side (claim, heartbeat, outcome, the reaper) is app/runs/execution.py, the
results app/runs/results.py, reviews and comparison app/runs/review.py.

Never commits: the request, or the worker task, owns the transaction.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Update

from app.assumption_sets.schemas import AssumptionSetWrite
from app.assumption_sets.service import get_assumption_set, to_write
from app.auth.rules import Caller
from app.core.errors import Conflict, NotFound
from app.core.money import to_pounds
from app.core.pagination import Page, keyset_page
from app.footprints.service import get_footprint
from app.runs import quota
from app.runs.outcome import describe
from app.runs.problem_builder import baseline_warnings, build_problem, take_snapshot
from app.runs.schemas import RunCreate, RunRead
from models import Footprint, Run, RunPlanRow, RunReview, RunStatus
from models.base import utcnow

ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)
FINISHED = (RunStatus.OPTIMAL, RunStatus.FEASIBLE, RunStatus.INFEASIBLE, RunStatus.ERROR, RunStatus.CANCELLED)
REVIEWABLE = (RunStatus.OPTIMAL, RunStatus.FEASIBLE, RunStatus.INFEASIBLE)
# A run is started at most this many times: a worker that dies once is retried, twice is an error.
MAX_ATTEMPTS = 2


def conditional_update(session: Session, statement: Update) -> int:
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


def launch_run(session: Session, code: str, data: RunCreate, caller: Caller) -> Run:
    """A run started by a token, through the API or the pages: refused (429) past the queue limits
    (app/runs/quota.py), then created and recorded against the token, which the limits count."""
    quota.check_run(session, get_footprint(session, code), caller.token_id)
    run = create_run(session, code, data, created_by=caller.name)
    quota.mark_runs(session, [run.id], caller.token_id)
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
    changed = conditional_update(
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


# ---- outcome and state ----------------------------------------------------------------------------


def describe_outcome(run: Run, status: str, hubs: int, has_plan: bool) -> str:
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
    return describe_outcome(run, run.status.value, hubs, run.npv_pence is not None)


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


def footprint_of(session: Session, run: Run) -> Footprint:
    footprint = session.get(Footprint, run.footprint_id)
    assert footprint is not None
    return footprint
