from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from app.auth.access import requires
from app.auth.rules import Caller, Need
from app.core.db import request_session
from app.core.pagination import Cursor, Limit
from app.cost_lines import service
from app.cost_lines.schemas import (
    BulkUpsertRequest,
    CostLineCreate,
    CostLinePage,
    CostLineRead,
    CostLineUpdate,
    CostSummary,
    UpsertReport,
)
from app.footprints.service import get_footprint

router = APIRouter(tags=["cost lines"])


@router.get("/cost-lines", response_model=CostLinePage)
def list_all_cost_lines(
    footprint: Annotated[list[str] | None, Query(description="footprint code(s)")] = None,
    organisation: str | None = None,
    function: str | None = None,
    financial_year: str | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
    session: Session = request_session,
    caller: Caller = requires(Need.DATA_READ),
) -> CostLinePage:
    return service.list_cost_lines(
        session,
        footprints=caller.visible(footprint),
        organisation=organisation,
        function=function,
        financial_year=financial_year,
        limit=limit,
        cursor=cursor,
    )


@router.get(
    "/footprints/{code}/cost-lines", response_model=CostLinePage, dependencies=[requires(Need.DATA_READ)]
)
def list_cost_lines(
    code: str,
    organisation: str | None = None,
    function: str | None = None,
    financial_year: str | None = None,
    limit: Limit = 100,
    cursor: Cursor = None,
    session: Session = request_session,
) -> CostLinePage:
    get_footprint(session, code)
    return service.list_cost_lines(
        session,
        footprints=[code],
        organisation=organisation,
        function=function,
        financial_year=financial_year,
        limit=limit,
        cursor=cursor,
    )


@router.post(
    "/footprints/{code}/cost-lines",
    response_model=CostLineRead,
    status_code=status.HTTP_201_CREATED,
    dependencies=[requires(Need.DATA_WRITE)],
)
def create_cost_line(
    code: str,
    data: CostLineCreate,
    response: Response,
    session: Session = request_session,
) -> CostLineRead:
    created = service.create_cost_line(session, get_footprint(session, code), data)
    response.headers["Location"] = f"/footprints/{code}/cost-lines/{created.id}"
    return created


@router.post(
    "/footprints/{code}/cost-lines/bulk",
    response_model=UpsertReport,
    dependencies=[requires(Need.DATA_WRITE)],
)
def bulk_upsert_cost_lines(
    code: str, data: BulkUpsertRequest, session: Session = request_session
) -> UpsertReport:
    """Insert or update many cost lines at once: every line is valid and saved, or nothing is."""
    footprint = get_footprint(session, code)
    lines = [
        service.CostLineInput.from_schema(line, location={"loc": ["body", "lines", i]})
        for i, line in enumerate(data.lines)
    ]
    counts = service.bulk_upsert(session, footprint, lines)
    return UpsertReport(
        rows_read=len(lines), inserted=counts.inserted, updated=counts.updated, unchanged=counts.unchanged
    )


@router.get(
    "/footprints/{code}/cost-lines/summary",
    response_model=CostSummary,
    dependencies=[requires(Need.DATA_READ)],
)
def summarise_cost_lines(code: str, session: Session = request_session) -> CostSummary:
    """Totals of pay, non-pay and WTE by function and financial year (exact to the penny)."""
    return service.summarise(session, get_footprint(session, code))


@router.get(
    "/footprints/{code}/cost-lines/{line_id}",
    response_model=CostLineRead,
    dependencies=[requires(Need.DATA_READ)],
)
def get_cost_line(code: str, line_id: int, session: Session = request_session) -> CostLineRead:
    return service.get_cost_line(session, get_footprint(session, code), line_id)


@router.patch(
    "/footprints/{code}/cost-lines/{line_id}",
    response_model=CostLineRead,
    dependencies=[requires(Need.DATA_WRITE)],
)
def update_cost_line(
    code: str, line_id: int, data: CostLineUpdate, session: Session = request_session
) -> CostLineRead:
    return service.update_cost_line(session, get_footprint(session, code), line_id, data)


@router.delete(
    "/footprints/{code}/cost-lines/{line_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[requires(Need.DATA_WRITE)],
)
def delete_cost_line(code: str, line_id: int, session: Session = request_session) -> None:
    service.delete_cost_line(session, get_footprint(session, code), line_id)
