from __future__ import annotations

import io
from typing import Any

from fastapi import APIRouter, Request, Response, status
from sqlalchemy.orm import Session

from app.auth.access import requires
from app.auth.rules import Caller, Need
from app.core.db import request_session
from app.core.pagination import Cursor, Limit, Page
from app.runs import results, service
from app.runs import review as run_review
from app.runs.executor import RunExecutor
from app.runs.schemas import (
    ReviewCreate,
    ReviewRead,
    RunComparison,
    RunCreate,
    RunOrganisations,
    RunPlan,
    RunRead,
    RunYears,
)
from app.runs.workbook import write_run_workbook
from app.workbooks.writer import XLSX_MEDIA_TYPE
from models import RunStatus

router = APIRouter(tags=["runs"])

RUN = "/footprints/{code}/runs/{run_id}"
_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
# documented so that clients (and the schemathesis test) expect them
NO_RESULTS: dict[int | str, dict[str, Any]] = {
    409: {"description": "The run has no results (yet); `run_status` says why", "content": _PROBLEM}
}
TOO_MANY: dict[int | str, dict[str, Any]] = {
    429: {
        "description": "Too many runs waiting already (docs/operators/limits.md); "
        "retry after `Retry-After` seconds",
        "content": _PROBLEM,
    }
}


def executor(request: Request) -> RunExecutor:
    found: RunExecutor = request.app.state.run_executor
    return found


def hand_to_workers(request: Request, session: Session, run_ids: list[int]) -> None:
    """Commit the request's work, then hand the new runs to the executor. The unit of work ends here
    rather than after the response: a worker process must be able to see the runs it is handed."""
    session.commit()
    for run_id in run_ids:
        executor(request).submit(run_id)


@router.post(
    "/footprints/{code}/runs",
    response_model=RunRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses={202: {"description": "Queued; poll the run at `Location`"}, **TOO_MANY},
)
def create_run(
    code: str,
    body: RunCreate,
    response: Response,
    request: Request,
    session: Session = request_session,
    caller: Caller = requires(Need.RUNS_CREATE),
) -> RunRead:
    run = service.launch_run(session, code, body, caller)
    caller.note(run_id=run.id)
    read = service.read(session, run, code)
    hand_to_workers(request, session, [run.id])
    response.headers["Location"] = f"/footprints/{code}/runs/{run.id}"
    return read


@router.get("/footprints/{code}/runs", response_model=Page[RunRead], dependencies=[requires(Need.RUNS_READ)])
def list_runs(
    code: str,
    status: RunStatus | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
    session: Session = request_session,
) -> Page[RunRead]:
    """The footprint's runs, newest first, a page at a time; `status` keeps only runs in that state."""
    return service.list_runs(session, code, status, limit=limit, cursor=cursor)


@router.get(RUN, response_model=RunRead, dependencies=[requires(Need.RUNS_READ)])
def get_run(code: str, run_id: int, session: Session = request_session) -> RunRead:
    return service.read(session, service.get_run(session, code, run_id), code)


@router.post(f"{RUN}/cancel", response_model=RunRead, dependencies=[requires(Need.RUNS_CREATE)])
def cancel_run(code: str, run_id: int, request: Request, session: Session = request_session) -> RunRead:
    run = service.cancel_run(session, code, run_id)
    read = service.read(session, run, code)
    session.commit()
    executor(request).cancel(run.id)
    return read


@router.get(
    f"{RUN}/plan", response_model=RunPlan, dependencies=[requires(Need.RUNS_READ)], responses=NO_RESULTS
)
def get_plan(code: str, run_id: int, session: Session = request_session) -> RunPlan:
    return results.plan(session, code, run_id)


@router.get(
    f"{RUN}/years", response_model=RunYears, dependencies=[requires(Need.RUNS_READ)], responses=NO_RESULTS
)
def get_years(code: str, run_id: int, session: Session = request_session) -> RunYears:
    return results.years(session, code, run_id)


@router.get(
    f"{RUN}/organisations",
    response_model=RunOrganisations,
    dependencies=[requires(Need.RUNS_READ)],
    responses=NO_RESULTS,
)
def get_organisations(code: str, run_id: int, session: Session = request_session) -> RunOrganisations:
    return results.organisations(session, code, run_id)


@router.get(
    f"{RUN}/export.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}, **NO_RESULTS},
    dependencies=[requires(Need.RUNS_READ)],
)
def export_run(code: str, run_id: int, session: Session = request_session) -> Response:
    """The result workbook: Summary (with a chart of savings by year), Plan, Organisations, Years,
    Assumptions, Solver."""
    out = io.BytesIO()
    write_run_workbook(session, code, run_id, out)
    return Response(
        out.getvalue(),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{code}-run-{run_id}.xlsx"'},
    )


@router.get(
    f"{RUN}/compare/{{other_id}}",
    response_model=RunComparison,
    dependencies=[requires(Need.RUNS_READ)],
    responses=NO_RESULTS,
)
def compare_runs(code: str, run_id: int, other_id: int, session: Session = request_session) -> RunComparison:
    return run_review.compare(session, code, run_id, other_id)


@router.post(f"{RUN}/reviews", response_model=ReviewRead, status_code=status.HTTP_201_CREATED)
def review_run(
    code: str,
    run_id: int,
    body: ReviewCreate,
    session: Session = request_session,
    caller: Caller = requires(Need.RUNS_REVIEW),
) -> ReviewRead:
    review = run_review.review_run(session, code, run_id, body, caller)
    return _review(review)


@router.get(f"{RUN}/reviews", response_model=list[ReviewRead], dependencies=[requires(Need.RUNS_READ)])
def list_reviews(code: str, run_id: int, session: Session = request_session) -> list[ReviewRead]:
    return [_review(r) for r in run_review.reviews(session, code, run_id)]


def _review(review: object) -> ReviewRead:
    return ReviewRead.model_validate(review, from_attributes=True)
