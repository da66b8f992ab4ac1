"""Runs: the list, the new-run form, live progress, the detail (figures, plan, outcome, review), compare."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.assumption_sets.schemas import AssumptionSetWrite
from app.assumption_sets.service import list_assumption_sets
from app.auth.access import PAGES_PREFIX
from app.auth.rules import Caller, Need
from app.core.db import request_session
from app.core.errors import Invalid
from app.footprints.service import get_footprint
from app.functions.service import list_functions
from app.runs import results as run_results
from app.runs import review as run_review
from app.runs import service as runs
from app.runs.outcome import in_words
from app.runs.router import executor, hand_to_workers
from app.runs.schemas import ReviewCreate, RunCreate, RunOptions, RunRead
from app.runs.workbook import write_run_workbook
from app.web import charts, listing
from app.web.render import field_errors, money, page, percent, seconds
from app.web.session import requires_page
from app.workbooks.writer import XLSX_MEDIA_TYPE
from models import ReviewDecision

router = APIRouter(prefix=PAGES_PREFIX + "/footprints/{code}", include_in_schema=False)

PAGE_SIZE = 25
COMPARABLE = 200


def _base(session: Session, code: str, title: str, **extra: Any) -> dict[str, Any]:
    footprint = get_footprint(session, code)
    return {"title": f"{footprint.name}: {title}", "footprint": footprint, **extra}


@router.get("/runs")
def run_list(
    code: str,
    request: Request,
    cursor: str | None = None,
    session: Session = request_session,
    caller: Caller = requires_page(Need.RUNS_READ),
) -> Response:
    shown = runs.list_runs(session, code, limit=PAGE_SIZE, cursor=cursor)
    context = _base(
        session,
        code,
        "runs",
        runs=shown.items,
        total=shown.total,
        next_cursor=shown.next_cursor,
        first_page=cursor is None,
        finished=comparable(session, code),
        may_create=caller.holds(Need.RUNS_CREATE),
    )
    return page(request, "runs.html", context)


def comparable(session: Session, code: str) -> list[RunRead]:
    """The newest finished runs, to pick from for a comparison."""
    newest = runs.list_runs(session, code, limit=COMPARABLE).items
    return [r for r in newest if r.status in runs.REVIEWABLE]


def _new_run_context(session: Session, code: str, **extra: Any) -> dict[str, Any]:
    return _base(
        session,
        code,
        "new run",
        assumption_sets=[a.name for a in list_assumption_sets(session, code)],
        defaults=AssumptionSetWrite(),
        options=RunOptions(),
        **extra,
    )


@router.get("/runs/new")
def new_run_form(
    code: str,
    request: Request,
    session: Session = request_session,
    caller: Caller = requires_page(Need.RUNS_CREATE),
) -> Response:
    return page(request, "run_new.html", _new_run_context(session, code, values={}, errors=[]))


def _percent_field(value: str, field: str, errors: list[dict[str, Any]]) -> Decimal | None:
    if not value.strip():
        return None
    try:
        return (Decimal(value.strip().rstrip("%").strip()) / 100).quantize(Decimal("0.000001"))
    except InvalidOperation:
        errors.append({"field": field, "message": f"“{value}” is not a percentage"})
        return None


def run_request(values: dict[str, str]) -> RunCreate:
    """The form's fields as the API's RunCreate (so the API's validation applies), or `Invalid`."""
    errors: list[dict[str, Any]] = []
    overrides: dict[str, Any] = {}
    discount = _percent_field(values.get("discount_rate", ""), "discount_rate", errors)
    if discount is not None:
        overrides["discount_rate"] = discount
    haircut = _percent_field(values.get("savings_haircut", ""), "savings_haircut", errors)
    if haircut is not None:
        overrides["optimism_bias_savings_haircut"] = haircut
    if values.get("horizon_years", "").strip():
        overrides["horizon_years"] = values["horizon_years"].strip()
    if values.get("board_acceptability", "") == "off":
        overrides["board_acceptability"] = False
    body: dict[str, Any] = {
        "label": values.get("label", "").strip(),
        "options": {"time_limit": values.get("time_limit") or 60, "solver": values.get("solver") or "highs"},
    }
    if values.get("assumption_set"):
        body["assumption_set"] = values["assumption_set"]
    if overrides:
        body["assumptions"] = overrides
    if errors:
        raise Invalid("The run cannot be started", errors=errors)
    try:
        return RunCreate.model_validate(body)
    except ValidationError as exc:
        raise Invalid("The run cannot be started", errors=field_errors(exc.errors())) from exc


@router.post("/runs/new")
async def start_run(
    code: str,
    request: Request,
    session: Session = request_session,
    caller: Caller = requires_page(Need.RUNS_CREATE),
) -> Response:
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        body = run_request(values)
        run = await run_in_threadpool(runs.launch_run, session, code, body, caller)
    except Invalid as exc:
        errors = exc.errors or []
        context = await run_in_threadpool(
            lambda: _new_run_context(session, code, values=values, errors=errors)
        )
        return page(request, "run_new.html", context, status=422)
    caller.note(run_id=run.id)
    await run_in_threadpool(hand_to_workers, request, session, [run.id])
    return RedirectResponse(f"{PAGES_PREFIX}/footprints/{code}/runs/{run.id}", status_code=303)


def progress_view(run: RunRead) -> dict[str, Any]:
    """What the progress panel shows, formatted; the page's script polls it while the run is active."""
    progress = run.progress
    elapsed = progress.seconds if progress is not None else None
    if run.status.value == "running" and run.started_at is not None:
        started = run.started_at if run.started_at.tzinfo else run.started_at.replace(tzinfo=UTC)
        elapsed = max(elapsed or 0.0, (datetime.now(UTC) - started).total_seconds())
    return {
        "status": run.status.value,
        "active": run.status.value in ("queued", "running"),
        "phase": progress.phase if progress else None,
        "incumbent": money(progress.incumbent if progress else None),
        "bound": money(progress.best_bound if progress else None),
        "gap": percent(progress.relative_gap if progress else None, 2),
        "elapsed": seconds(elapsed),
        "outcome": in_words(run),
    }


@router.get("/runs/{run_id}/progress.json")
def run_progress(
    code: str,
    run_id: int,
    session: Session = request_session,
    caller: Caller = requires_page(Need.RUNS_READ),
) -> JSONResponse:
    run = runs.read(session, runs.get_run(session, code, run_id), code)
    return JSONResponse(progress_view(run), headers={"Cache-Control": "no-store"})


@router.get("/runs/{run_id}")
def run_detail(
    code: str,
    run_id: int,
    request: Request,
    session: Session = request_session,
    caller: Caller = requires_page(Need.RUNS_READ),
) -> Response:
    run = runs.read(session, runs.get_run(session, code, run_id), code)
    footprint = get_footprint(session, code)
    reviewable = run.status in runs.REVIEWABLE
    # The review service refuses a run's creator (admins excepted): no button that can only fail.
    own_run = run_review.reviews_own_run(run.created_by, caller)
    context = _base(
        session,
        code,
        f"run {run.id}",
        run=run,
        years=None,
        plan=None,
        organisations=[],
        names={o.code: o.name for o in listing.organisations(session, footprint)},
        labels={f.key: f.label for f in list_functions(session)},
        reviews=run_review.reviews(session, code, run_id),
        outcome=in_words(run),
        progress=progress_view(run),
        chart=None,
        may_review=caller.holds(Need.RUNS_REVIEW) and reviewable and not own_run,
        own_run=own_run,
        may_cancel=caller.holds(Need.RUNS_CREATE) and run.status in runs.ACTIVE,
        others=[r for r in comparable(session, code) if r.id != run.id] if reviewable else [],
        reviewable=reviewable,
    )
    if reviewable:
        # Only a finished run has results (the services answer 409 for the others).
        years = run_results.years(session, code, run_id)
        plan = run_results.plan(session, code, run_id)
        by_function: dict[str, list[Any]] = {}
        for hub in plan.hubs:
            by_function.setdefault(hub.function, []).append(hub)
        context.update(
            years=years,
            redeployed=sum((y.net_cash for y in years.years), Decimal(0)),
            wte_released=sum((y.wte_released for y in years.years), Decimal(0)),
            plan=plan,
            by_function=by_function,
            organisations=run_results.organisations(session, code, run_id).organisations,
            chart=charts.run_years(years) if years.years else None,
        )
    return page(request, "run.html", context)


@router.post("/runs/{run_id}/cancel")
async def cancel_run(
    code: str,
    run_id: int,
    request: Request,
    session: Session = request_session,
    caller: Caller = requires_page(Need.RUNS_CREATE),
) -> Response:
    run = await run_in_threadpool(runs.cancel_run, session, code, run_id)
    await run_in_threadpool(session.commit)
    executor(request).cancel(run.id)
    return RedirectResponse(f"{PAGES_PREFIX}/footprints/{code}/runs/{run_id}", status_code=303)


@router.post("/runs/{run_id}/review")
async def review_run(
    code: str,
    run_id: int,
    request: Request,
    session: Session = request_session,
    caller: Caller = requires_page(Need.RUNS_REVIEW),
) -> Response:
    form = await request.form()
    try:
        body = ReviewCreate(
            decision=ReviewDecision(str(form.get("decision", ""))), comment=str(form.get("comment", ""))
        )
    except (ValueError, ValidationError) as exc:
        raise Invalid("Choose approve or reject; a comment may be up to 5,000 characters") from exc
    await run_in_threadpool(lambda: run_review.review_run(session, code, run_id, body, caller))
    return RedirectResponse(f"{PAGES_PREFIX}/footprints/{code}/runs/{run_id}#reviews", status_code=303)


@router.get("/runs/{run_id}/result.xlsx")
def run_workbook(
    code: str,
    run_id: int,
    session: Session = request_session,
    caller: Caller = requires_page(Need.RUNS_READ),
) -> Response:
    out = io.BytesIO()
    write_run_workbook(session, code, run_id, out)
    return Response(
        out.getvalue(),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{code}-run-{run_id}.xlsx"'},
    )


@router.get("/compare")
def compare(
    code: str,
    a: int,
    b: int,
    request: Request,
    session: Session = request_session,
    caller: Caller = requires_page(Need.RUNS_READ),
) -> Response:
    comparison = run_review.compare(session, code, a, b)
    run_a = runs.read(session, runs.get_run(session, code, a), code)
    run_b = runs.read(session, runs.get_run(session, code, b), code)
    labels = {f.key: f.label for f in list_functions(session)}
    plans = {
        "a": {(h.function, h.host): h for h in run_results.plan(session, code, a).hubs},
        "b": {(h.function, h.host): h for h in run_results.plan(session, code, b).hubs},
    }
    functions = sorted({f for f, _ in plans["a"]} | {f for f, _ in plans["b"]})
    context = _base(
        session,
        code,
        f"compare runs {a} and {b}",
        comparison=comparison,
        run_a=run_a,
        run_b=run_b,
        labels=labels,
        functions=functions,
        hubs_a={f: sorted(h for g, h in plans["a"] if g == f) for f in functions},
        hubs_b={f: sorted(h for g, h in plans["b"] if g == f) for f in functions},
        changed={d.function: d for d in comparison.functions},
    )
    return page(request, "compare.html", context)
