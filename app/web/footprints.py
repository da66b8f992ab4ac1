"""The footprint overview (cost by organisation and function, latest uploads, runs) and its downloads."""

from __future__ import annotations

import io

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.auth.access import PAGES_PREFIX
from app.auth.rules import Caller, Need
from app.core.db import request_session
from app.core.money import to_pounds
from app.cost_lines.service import totals_by_organisation
from app.footprints.service import get_footprint
from app.functions.service import list_functions
from app.runs import service as runs
from app.uploads import service as uploads
from app.web import charts, listing
from app.web.render import page
from app.web.session import requires_page
from app.workbooks.writer import XLSX_MEDIA_TYPE

router = APIRouter(prefix=PAGES_PREFIX + "/footprints/{code}", include_in_schema=False)

LATEST_UPLOADS = 5
LATEST_RUNS = 10
KINDS = {"PROVIDER": "Trust", "LOCAL_AUTHORITY": "Council", "CCG": "CCG", "CSU": "CSU"}


@router.get("")
def overview(
    code: str,
    request: Request,
    year: str | None = None,
    session: Session = request_session,
    caller: Caller = requires_page(Need.DATA_READ),
) -> Response:
    footprint = get_footprint(session, code)
    organisations = listing.organisations(session, footprint)
    labels = {f.key: f.label for f in list_functions(session)}
    totals = totals_by_organisation(session, footprint)
    years = sorted({y for _, _, y, _ in totals})
    chosen = year if year in years else (years[-1] if years else None)
    cells = {(org, function): pence for org, function, y, pence in totals if y == chosen}
    functions = [key for key in labels if any(f == key for _, f in cells)]
    org_totals: dict[str, int] = {}
    function_totals: dict[str, int] = {}
    for (org, function), pence in cells.items():
        org_totals[org] = org_totals.get(org, 0) + pence
        function_totals[function] = function_totals.get(function, 0) + pence
    recent_runs = []
    may_read_runs = caller.holds(Need.RUNS_READ)
    if may_read_runs:
        recent_runs = runs.list_runs(session, code, limit=LATEST_RUNS).items
    chart = charts.cost_by_function(
        [labels[f] for f in functions],
        [o.code for o in organisations],
        {(org, labels[f]): pence for (org, f), pence in cells.items()},
    )
    return page(
        request,
        "overview.html",
        {
            "title": f"{footprint.name}: overview",
            "footprint": footprint,
            "organisations": organisations,
            "labels": labels,
            "functions": functions,
            "years": years,
            "year": chosen,
            "cells": {key: to_pounds(pence) for key, pence in cells.items()},
            "org_totals": {key: to_pounds(pence) for key, pence in org_totals.items()},
            "function_totals": {key: to_pounds(pence) for key, pence in function_totals.items()},
            "grand_total": to_pounds(sum(cells.values())),
            "uploads": uploads.latest_uploads(session, footprint, LATEST_UPLOADS),
            "runs": recent_runs,
            "may_create": caller.holds(Need.RUNS_CREATE),
            "chart": chart,
            "kinds": KINDS,
        },
    )


def _xlsx(content: bytes, file_name: str) -> Response:
    return Response(
        content,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{file_name}"'},
    )


@router.get("/template.xlsx")
def template(
    code: str, session: Session = request_session, caller: Caller = requires_page(Need.DATA_READ)
) -> Response:
    out = io.BytesIO()
    uploads.write_template(session, out, get_footprint(session, code))
    return _xlsx(out.getvalue(), f"{code}-template.xlsx")


@router.get("/cost-lines.xlsx")
def cost_lines(
    code: str, session: Session = request_session, caller: Caller = requires_page(Need.DATA_READ)
) -> Response:
    out = io.BytesIO()
    uploads.export_cost_lines(session, get_footprint(session, code), out)
    return _xlsx(out.getvalue(), f"{code}-cost-lines.xlsx")
