"""The upload page: choose a workbook, see the import report or every cell-level problem."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from app.auth.access import PAGES_PREFIX
from app.auth.rules import Caller, Need
from app.core.db import request_session
from app.core.errors import ProblemError
from app.footprints.service import get_footprint
from app.settings import get_settings
from app.uploads import guards
from app.uploads.router import Refusal, import_workbook, refuse
from app.web.render import page
from app.web.session import requires_page

router = APIRouter(prefix=PAGES_PREFIX + "/footprints/{code}", include_in_schema=False)


def _context(session: Session, code: str, caller: Caller, **extra: Any) -> dict[str, Any]:
    footprint = get_footprint(session, code)
    return {
        "title": f"{footprint.name}: upload",
        "footprint": footprint,
        "may_write": caller.holds(Need.DATA_WRITE),
        **extra,
    }


@router.get("/upload")
def upload_form(
    code: str,
    request: Request,
    session: Session = request_session,
    caller: Caller = requires_page(Need.DATA_READ),
) -> Response:
    return page(request, "upload.html", _context(session, code, caller))


@router.post("/upload")
async def upload(
    code: str,
    request: Request,
    session: Session = request_session,
    caller: Caller = requires_page(Need.DATA_WRITE),
) -> Response:
    form = await request.form()  # parsed (and its CSRF token checked) by requires_page
    file = form.get("file")
    limit = get_settings().upload_max_bytes
    file_name = "upload"
    outcome: Any
    if not isinstance(file, UploadFile) or not file.filename:
        outcome = Refusal(ProblemError(422, "Choose a workbook to upload."), None)
        data = None
    else:
        file_name = file.filename[:255]
        data = await file.read(limit + 1)
        if len(data) > limit:
            outcome = await refuse(session, caller, code, file_name, data, guards.too_large(len(data), limit))
        else:
            overwrite = form.get("overwrite") == "yes"
            outcome = await import_workbook(session, caller, code, file_name, data, overwrite=overwrite)
    if isinstance(outcome, Refusal):
        problem = outcome.problem
        if problem.status == 404:
            raise problem
        refused = {"file_name": file_name, "detail": problem.detail, "errors": problem.errors or []}
        context = _context(session, code, caller, refused=refused)
        return page(request, "upload.html", context, status=problem.status)
    return page(request, "upload.html", _context(session, code, caller, report=outcome))
