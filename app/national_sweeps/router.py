from __future__ import annotations

import io

from fastapi import APIRouter, Path, Request, Response, status
from sqlalchemy.orm import Session

from app.auth.access import requires
from app.auth.rules import Caller, Need
from app.core.db import request_session
from app.core.errors import ProblemError
from app.national_sweeps import service
from app.national_sweeps.schemas import NationalSweepCreate, NationalSweepRead
from app.national_sweeps.workbook import write_national_workbook
from app.runs.router import hand_to_workers
from app.workbooks.writer import XLSX_MEDIA_TYPE

router = APIRouter(tags=["national sweeps"])

NATIONAL_ID = Path(description="the national sweep's id (from the Location of its creation)")


def national_scope(caller: Caller) -> None:
    """England's totals read and run every footprint: only a token granted every footprint may."""
    if caller.footprints is not None:
        raise ProblemError(
            403,
            "A national sweep covers every footprint: it needs an admin or analyst token with national "
            "scope (granted all footprints), not one limited to " + ", ".join(sorted(caller.footprints)),
        )


@router.post("/sweeps", response_model=NationalSweepRead, status_code=status.HTTP_202_ACCEPTED)
def create_national_sweep(
    body: NationalSweepCreate,
    response: Response,
    request: Request,
    session: Session = request_session,
    caller: Caller = requires(Need.RUNS_CREATE),
) -> NationalSweepRead:
    """Run the scenarios over every footprint (or `footprints`): one footprint sweep each, one run per
    footprint and scenario. Poll `Location` for England's totals."""
    national_scope(caller)
    national, run_ids = service.create_national_sweep(session, body, created_by=caller.name)
    caller.note(national_sweep_id=national.id, runs=len(run_ids))
    read = service.read(session, national.id)
    hand_to_workers(request, session, run_ids)
    response.headers["Location"] = f"/sweeps/{national.id}"
    return read


@router.get("/sweeps/{national_id}", response_model=NationalSweepRead)
def get_national_sweep(
    national_id: int = NATIONAL_ID,
    session: Session = request_session,
    caller: Caller = requires(Need.RUNS_READ),
) -> NationalSweepRead:
    """England's totals (NPV, £ to patient care per year, WTE released) per scenario, and per footprint."""
    service.get_national_sweep(session, national_id)  # 404 first, as for every route keyed by an id
    national_scope(caller)
    return service.read(session, national_id)


@router.get(
    "/sweeps/{national_id}/export.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}},
)
def export_national_sweep(
    national_id: int = NATIONAL_ID,
    session: Session = request_session,
    caller: Caller = requires(Need.RUNS_READ),
) -> Response:
    """The national sweep as a workbook: ReadMe, England, England by year, Footprints."""
    service.get_national_sweep(session, national_id)
    national_scope(caller)
    out = io.BytesIO()
    write_national_workbook(session, national_id, out)
    return Response(
        out.getvalue(),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="national-sweep-{national_id}.xlsx"'},
    )
