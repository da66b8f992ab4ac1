"""Spreadsheets over HTTP: the template, uploads (multipart) and the cost-line export."""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.types import Message

from app.auth.access import requires
from app.auth.rules import Caller, Need
from app.core.db import request_session
from app.core.errors import ProblemError, error_response, is_concurrency_failure
from app.core.pagination import Cursor, Limit, Page
from app.core.text import one_line
from app.footprints.service import get_footprint
from app.settings import get_settings
from app.uploads import guards, service
from app.uploads.schemas import UploadRead, UploadReport
from app.workbooks.writer import XLSX_MEDIA_TYPE

router = APIRouter(tags=["spreadsheets"])

_MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the file
_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


def _xlsx(content: bytes, file_name: str) -> Response:
    return Response(
        content,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )


@router.get(
    "/template.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}},
    dependencies=[requires(Need.DATA_READ)],
)
def template(session: Session = request_session) -> Response:
    """The blank template workbook: ReadMe, Organisations, CostLines, Assumptions, Locks."""
    out = io.BytesIO()
    service.write_template(session, out)
    return _xlsx(out.getvalue(), "stp-planner-template.xlsx")


@router.get(
    "/footprints/{code}/template.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}},
    dependencies=[requires(Need.DATA_READ)],
)
def footprint_template(code: str, session: Session = request_session) -> Response:
    """The template prefilled with the footprint's organisations."""
    out = io.BytesIO()
    service.write_template(session, out, get_footprint(session, code))
    return _xlsx(out.getvalue(), f"{code}-template.xlsx")


@router.get(
    "/footprints/{code}/cost-lines/export.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {}}}},
    dependencies=[requires(Need.DATA_READ)],
)
def export_cost_lines(code: str, session: Session = request_session) -> Response:
    """The footprint's organisations and cost lines in template form (uploading it back changes nothing)."""
    out = io.BytesIO()
    service.export_cost_lines(session, get_footprint(session, code), out)
    return _xlsx(out.getvalue(), f"{code}-cost-lines.xlsx")


async def _read_file(request: Request, limit: int) -> tuple[str, bytes]:
    """The multipart `file` field, refusing (413) as soon as more than the limit has arrived."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + _MULTIPART_OVERHEAD:
        raise guards.too_large(int(declared), limit)
    received = 0
    receive = request.receive

    async def limited_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit + _MULTIPART_OVERHEAD:
                raise guards.too_large(received, limit)
        return message

    form = await Request(request.scope, limited_receive).form(max_files=1, max_fields=10)
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ProblemError(
            422,
            "Send the workbook as a multipart/form-data field named 'file'.",
            errors=[{"sheet": None, "cell": None, "column": None, "value": None, "message": "no file field"}],
        )
    data = await upload.read(limit + 1)
    await upload.close()
    if len(data) > limit:
        raise guards.too_large(len(data), limit)
    return one_line(upload.filename or "upload")[:255], data


_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": ".xlsx, .xlsm, .xls or .ods (see GET /template.xlsx)",
                        }
                    },
                }
            }
        },
    }
}


@router.post(
    "/footprints/{code}/uploads",
    response_model=UploadReport,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_UPLOAD_BODY,
    responses={
        404: _PROBLEM,
        413: {**_PROBLEM, "description": "file (or what it unpacks to) too large"},
        415: {**_PROBLEM, "description": "not a spreadsheet"},
        422: {**_PROBLEM, "description": "every problem, each with sheet, cell, column, value, message"},
        503: {**_PROBLEM, "description": "another upload was saving at the same moment: retry"},
    },
)
async def upload_workbook(
    code: str,
    request: Request,
    response: Response,
    overwrite: Annotated[
        bool,
        Query(
            description="upload a workbook exported before later changes anyway, putting its figures "
            "back over them (the report lists every line reverted)"
        ),
    ] = False,
    session: Session = request_session,
    caller: Caller = requires(Need.DATA_WRITE),
) -> UploadReport | JSONResponse:
    """Import a workbook: organisations and cost lines, all or nothing. Every upload is recorded."""
    settings = get_settings()
    file_name, data = "upload", None
    try:
        file_name, data = await _read_file(request, settings.upload_max_bytes)
    except ProblemError as exc:
        refusal = await refuse(session, caller, code, file_name, data, exc)
        return _problem_of(request, refusal)
    outcome = await import_workbook(session, caller, code, file_name, data, overwrite=overwrite)
    if isinstance(outcome, Refusal):
        return _problem_of(request, outcome)
    response.headers["Location"] = f"/footprints/{code}/uploads/{outcome.upload_id}"
    return outcome


class Refusal:
    """A refused upload: the problem, and the id of its record (None when there is no such footprint)."""

    def __init__(self, problem: ProblemError, upload_id: int | None) -> None:
        self.problem = problem
        self.upload_id = upload_id


async def import_workbook(
    session: Session, caller: Caller, code: str, file_name: str, data: bytes, *, overwrite: bool = False
) -> UploadReport | Refusal:
    """Import, or record the refusal: the one path of an upload, for the API and the upload page alike."""
    try:
        report = await run_in_threadpool(
            lambda: service.import_upload(
                session,
                code,
                file_name,
                data,
                uploaded_by=caller.name,
                overwrite=overwrite,
                may_see=caller.may_see,
            )
        )
    except ProblemError as exc:
        return await refuse(session, caller, code, file_name, data, exc)
    except IntegrityError:
        await run_in_threadpool(session.rollback)
        problem = ProblemError(
            409,
            "Another change to the same organisations was saved at the same moment; nothing from this file "
            "was saved. Upload it again.",
        )
        return await refuse(session, caller, code, file_name, data, problem)
    except DBAPIError as error:
        await run_in_threadpool(session.rollback)
        if is_concurrency_failure(error):
            # SQLite "database is locked", PostgreSQL serialization failure or deadlock: a concurrent
            # writer. The whole transaction is gone (the failed write may be the request's audit entry).
            problem = ProblemError(
                503,
                "Another upload for this footprint was being saved at the same moment; nothing from this "
                "file was saved. Upload it again.",
                headers={"Retry-After": "2"},
                kind="busy-retry",
            )
        elif isinstance(error, DataError):
            problem = ProblemError(
                422,
                "A value in the file cannot be stored (too long or out of range); nothing was saved.",
                kind="value-not-storable",
            )
        else:
            raise
        return await refuse(session, caller, code, file_name, data, problem)
    caller.note(upload_id=report.upload_id, file_name=file_name, status="accepted")
    return report


async def refuse(
    session: Session,
    caller: Caller,
    code: str,
    file_name: str,
    data: bytes | None,
    exc: ProblemError,
) -> Refusal:
    """The refusal itself is recorded (an Upload with status "refused")."""
    upload_id = None
    if exc.status != 404:
        try:
            upload_id = await run_in_threadpool(
                lambda: service.record_refusal(session, code, file_name, data, exc, uploaded_by=caller.name)
            )
            caller.note(upload_id=upload_id, file_name=file_name, status="refused")
        except SQLAlchemyError:  # recording must never hide the refusal itself
            await run_in_threadpool(session.rollback)
    return Refusal(exc, upload_id)


def _problem_of(request: Request, refusal: Refusal) -> JSONResponse:
    if refusal.upload_id is None:
        return error_response(request, refusal.problem)
    return error_response(request, refusal.problem, upload_id=refusal.upload_id)


@router.get(
    "/footprints/{code}/uploads", response_model=Page[UploadRead], dependencies=[requires(Need.DATA_READ)]
)
def list_uploads(
    code: str, limit: Limit = 100, cursor: Cursor = None, session: Session = request_session
) -> Page[UploadRead]:
    """Every upload of the footprint, accepted or refused, oldest first, a page at a time."""
    return service.list_uploads(session, get_footprint(session, code), limit=limit, cursor=cursor)


@router.get(
    "/footprints/{code}/uploads/{upload_id}",
    response_model=UploadRead,
    responses={404: _PROBLEM},
    dependencies=[requires(Need.DATA_READ)],
)
def get_upload(code: str, upload_id: int, session: Session = request_session) -> UploadRead:
    return service.get_upload(session, get_footprint(session, code), upload_id)
