from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.orm import Session

from app.auth.access import requires
from app.auth.rules import Caller, Need
from app.core.db import request_session
from app.runs.router import executor
from app.sweeps import service
from app.sweeps.schemas import SweepCreate, SweepRead

router = APIRouter(tags=["sweeps"])


@router.post("/footprints/{code}/sweeps", response_model=SweepRead, status_code=status.HTTP_202_ACCEPTED)
def create_sweep(
    code: str,
    body: SweepCreate,
    response: Response,
    request: Request,
    session: Session = request_session,
    caller: Caller = requires(Need.RUNS_CREATE),
) -> SweepRead:
    sweep, run_ids = service.create_sweep(session, code, body, created_by=caller.name)
    caller.note(sweep_id=sweep.id, runs=len(run_ids))
    read = service.read(session, code, sweep.id)
    # Committed before the children are handed to workers, which must see them.
    session.commit()
    for run_id in run_ids:
        executor(request).submit(run_id)
    response.headers["Location"] = f"/footprints/{code}/sweeps/{sweep.id}"
    return read


@router.get(
    "/footprints/{code}/sweeps/{sweep_id}", response_model=SweepRead, dependencies=[requires(Need.RUNS_READ)]
)
def get_sweep(code: str, sweep_id: int, session: Session = request_session) -> SweepRead:
    return service.read(session, code, sweep_id)
