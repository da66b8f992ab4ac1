"""Sweeps: the list and a Monte Carlo form, and a sweep's progress, NPV distribution and hub frequencies."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.auth.access import PAGES_PREFIX
from app.auth.rules import Caller, Need
from app.core.db import request_session
from app.footprints.service import get_footprint
from app.functions.service import list_functions
from app.runs import service as runs
from app.runs.router import executor, hand_to_workers
from app.sweeps import service as sweeps
from app.sweeps.schemas import SweepCreate
from app.web import charts, listing
from app.web.render import field_errors, page
from app.web.session import requires_page
from models import RunStatus

router = APIRouter(prefix=PAGES_PREFIX + "/footprints/{code}/sweeps", include_in_schema=False)

LISTED = 20


def _list_context(session: Session, code: str, caller: Caller, **extra: Any) -> dict[str, Any]:
    footprint = get_footprint(session, code)
    listed = sweeps.list_sweeps(session, code, limit=LISTED).items
    return {
        "title": f"{footprint.name}: sweeps",
        "footprint": footprint,
        "sweeps": listed,
        "may_create": caller.holds(Need.RUNS_CREATE),
        "values": {},
        "errors": [],
        **extra,
    }


@router.get("/new")
def sweep_list(
    code: str,
    request: Request,
    session: Session = request_session,
    caller: Caller = requires_page(Need.RUNS_READ),
) -> Response:
    return page(request, "sweep_new.html", _list_context(session, code, caller))


@router.post("/new")
async def start_sweep(
    code: str,
    request: Request,
    session: Session = request_session,
    caller: Caller = requires_page(Need.RUNS_CREATE),
) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        body = SweepCreate.model_validate(
            {
                "monte_carlo": {"draws": values.get("draws") or 0, "seed": values.get("seed") or 0},
                "options": {"time_limit": values.get("time_limit") or 10},
            }
        )
    except ValidationError as exc:
        errors = field_errors(exc.errors())
        context = await run_in_threadpool(
            lambda: _list_context(session, code, caller, values=values, errors=errors)
        )
        return page(request, "sweep_new.html", context, status=422)
    sweep, run_ids = await run_in_threadpool(sweeps.launch_sweep, session, code, body, caller)
    caller.note(sweep_id=sweep.id, runs=len(run_ids))
    await run_in_threadpool(hand_to_workers, request, session, run_ids)
    return RedirectResponse(f"{PAGES_PREFIX}/footprints/{code}/sweeps/{sweep.id}", status_code=303)


@router.get("/{sweep_id}")
def sweep_detail(
    code: str,
    sweep_id: int,
    request: Request,
    session: Session = request_session,
    caller: Caller = requires_page(Need.RUNS_READ),
) -> Response:
    sweep = sweeps.read(session, code, sweep_id)
    footprint = get_footprint(session, code)
    children = [runs.read(session, r, code) for r in sweeps.children(session, code, sweep_id)]
    solved = [r for r in children if r.status in (RunStatus.OPTIMAL, RunStatus.FEASIBLE)]
    npvs = [r.npv for r in solved if r.npv is not None]
    done = sum(1 for r in children if r.status not in runs.ACTIVE)
    notes = []
    if not sweep.finished and npvs:
        notes.append(
            f"Only {len(npvs)} of {sweep.runs} scenarios have a plan so far: the percentiles will move "
            "as the rest finish."
        )
    unproven = sum(1 for r in solved if r.status is RunStatus.FEASIBLE)
    if unproven:
        notes.append(
            f"{unproven} of the {len(solved)} plans were not proven the best (the solver hit its time "
            "limit), so these NPVs may understate what is possible."
        )
    context = {
        "title": f"{footprint.name}: sweep {sweep.id}",
        "footprint": footprint,
        "sweep": sweep,
        "children": children,
        "npvs": npvs,
        "done": done,
        "unfinished_note": " ".join(notes),
        "chart": charts.sweep_npvs(sweep, npvs) if npvs else None,
        "may_cancel": caller.holds(Need.RUNS_CREATE) and not sweep.finished,
        "labels": {f.key: f.label for f in list_functions(session)},
        "names": {o.code: o.name for o in listing.organisations(session, footprint)},
    }
    return page(request, "sweep.html", context)


@router.post("/{sweep_id}/cancel")
async def cancel_sweep(
    code: str,
    sweep_id: int,
    request: Request,
    session: Session = request_session,
    caller: Caller = requires_page(Need.RUNS_CREATE),
) -> Response:
    cancelled = await run_in_threadpool(sweeps.cancel_sweep, session, code, sweep_id)
    await run_in_threadpool(session.commit)
    for run_id in cancelled:
        executor(request).cancel(run_id)
    return RedirectResponse(f"{PAGES_PREFIX}/footprints/{code}/sweeps/{sweep_id}", status_code=303)
