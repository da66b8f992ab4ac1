from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.orm import Session

from app.auth.access import requires
from app.auth.rules import Caller, Need
from app.core.db import request_session
from app.core.pagination import Cursor, Limit, Page
from app.runs.router import TOO_MANY, executor, hand_to_workers
from app.sweeps import service
from app.sweeps.schemas import SweepCancellation, SweepCreate, SweepRead, SweepSummary

router = APIRouter(tags=["sweeps"])


@router.post(
    "/footprints/{code}/sweeps",
    response_model=SweepRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses=TOO_MANY,
)
def create_sweep(
    code: str,
    body: SweepCreate,
    response: Response,
    request: Request,
    session: Session = request_session,
    caller: Caller = requires(Need.RUNS_CREATE),
) -> SweepRead:
    sweep, run_ids = service.launch_sweep(session, code, body, caller)
    caller.note(sweep_id=sweep.id, runs=len(run_ids))
    read = service.read(session, code, sweep.id)
    hand_to_workers(request, session, run_ids)
    response.headers["Location"] = f"/footprints/{code}/sweeps/{sweep.id}"
    return read


@router.get(
    "/footprints/{code}/sweeps/{sweep_id}", response_model=SweepRead, dependencies=[requires(Need.RUNS_READ)]
)
def get_sweep(code: str, sweep_id: int, session: Session = request_session) -> SweepRead:
    return service.read(session, code, sweep_id)


@router.get(
    "/footprints/{code}/sweeps",
    response_model=Page[SweepSummary],
    dependencies=[requires(Need.RUNS_READ)],
)
def list_sweeps(
    code: str,
    limit: Limit = 100,
    cursor: Cursor = None,
    session: Session = request_session,
) -> Page[SweepSummary]:
    """The footprint's sweeps, newest first, with how far their scenarios have got."""
    return service.list_sweeps(session, code, limit=limit, cursor=cursor)


@router.post(
    "/footprints/{code}/sweeps/{sweep_id}/cancel",
    response_model=SweepCancellation,
    dependencies=[requires(Need.RUNS_CREATE)],
)
def cancel_sweep(
    code: str, sweep_id: int, request: Request, session: Session = request_session
) -> SweepCancellation:
    """Cancel the sweep's queued and running scenarios (finished ones keep their results); 409 when
    none is left to cancel."""
    cancelled = service.cancel_sweep(session, code, sweep_id)
    read = service.read(session, code, sweep_id)
    session.commit()
    for run_id in cancelled:
        executor(request).cancel(run_id)
    return SweepCancellation(sweep=read, cancelled_run_ids=cancelled)
