"""`stpplan sweep --national`: queue a national sweep; with --wait, execute it here (local worker
processes) or on the Celery workers (RUN_EXECUTOR=celery) and report England's totals."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer

from app.national_sweeps.schemas import NationalSweepCreate, NationalSweepRead


def national_sweep(
    request: NationalSweepCreate,
    wait: bool,
    workers: int,
    json_out: Path | None,
    workbook_out: Path | None,
    poll_seconds: float = 1.0,
) -> NationalSweepRead | None:
    from app.auth.rules import command_line_caller
    from app.national_sweeps import service
    from app.national_sweeps.workbook import write_national_workbook
    from app.runs.executor import LocalProcessExecutor, RunExecutor
    from app.settings import get_settings
    from models.session import session_scope

    settings = get_settings()
    with session_scope() as session:
        national, run_ids = service.create_national_sweep(
            session, request, created_by=command_line_caller().name
        )
        national_id = national.id
        footprints = len(national.specification["footprints"])
    typer.echo(f"national sweep {national_id}: {len(run_ids)} runs queued over {footprints} footprints")
    executor: RunExecutor
    if settings.run_executor == "celery":
        from app.runs.celery_executor import CeleryExecutor

        executor = CeleryExecutor(settings)
    elif wait:
        executor = LocalProcessExecutor.from_settings(settings, workers)
    else:
        typer.echo("queued: the API's local workers (stpplan serve) will execute them")
        return None
    executor.start()
    try:
        for run_id in run_ids:
            executor.submit(run_id)
        if not wait:
            # Hand every run to the broker before leaving.
            while True:
                with session_scope() as session:
                    if not _unsent(session, run_ids):
                        break
                time.sleep(poll_seconds)
            typer.echo(
                "handed to the Celery workers; follow it with GET /sweeps/{id}".replace(
                    "{id}", str(national_id)
                )
            )
            return None
        while True:
            with session_scope() as session:
                result = service.read(session, national_id)
            if result.finished:
                break
            time.sleep(poll_seconds)
    finally:
        executor.shutdown()
    typer.echo(f"national sweep {national_id}: {result.by_status}")
    for total in result.totals:
        care = sum(y.patient_care for y in total.patient_care_per_year)
        typer.echo(
            f"  {total.scenario}: NPV £{total.npv:,}; £{care:,} to patient care over the horizon; "
            f"{total.wte_released:,.1f} WTE released; {total.planned}/{total.footprints} footprints planned"
        )
    for caveat in result.caveats:
        typer.echo(f"  note: {caveat}")
    if json_out is not None:
        json_out.write_text(json.dumps(result.model_dump(mode="json"), indent=1), encoding="utf-8")
        typer.echo(f"totals written to {json_out}")
    if workbook_out is not None:
        with session_scope() as session, workbook_out.open("wb") as stream:
            write_national_workbook(session, national_id, stream)
        typer.echo(f"workbook written to {workbook_out}")
    return result


def _unsent(session: object, run_ids: list[int]) -> bool:
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from models import Run, RunStatus

    assert isinstance(session, Session)
    return bool(
        session.scalar(
            select(func.count())
            .select_from(Run)
            .where(Run.id.in_(run_ids), Run.status == RunStatus.QUEUED, Run.enqueued_at.is_(None))
        )
    )
