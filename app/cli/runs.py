"""`stpplan run`, `export-run`, `sweep`: optimisation runs and scenario sweeps."""

from __future__ import annotations

import typer

from app.cli.base import cli


@cli.command("run")
def run_command(
    footprint: str = typer.Option(..., "--footprint", help="footprint code, e.g. E54000007"),
    assumptions: str | None = typer.Option(
        None, "--assumptions", help="assumption set name (default figures if none)"
    ),
    time_limit: float = typer.Option(60.0, "--time-limit", help="solver seconds"),
    wait: bool = typer.Option(False, "--wait", help="solve here and now, and print the outcome"),
) -> None:
    """Launch an optimisation run (queued for the server's workers, or solved here with --wait)."""
    from app.auth.rules import command_line_caller
    from app.runs import service
    from app.runs.schemas import RunCreate, RunOptions
    from app.runs.worker import execute_run
    from models.session import get_engine, session_factory, session_scope

    with session_scope() as session:
        request = RunCreate(assumption_set=assumptions, options=RunOptions(time_limit=time_limit))
        run_id = service.create_run(session, footprint, request, created_by=command_line_caller().name).id
    typer.echo(f"run {run_id} queued for footprint {footprint}")
    if not wait:
        return
    execute_run(session_factory(get_engine()), run_id)
    with session_scope() as session:
        run = service.read(session, service.get_run(session, footprint, run_id), footprint)
    typer.echo(f"run {run_id}: {run.status.value}; NPV £{run.npv}; payback year {run.payback_year}")
    if run.error_message:
        typer.echo(run.error_message)
    if run.status.value not in ("optimal", "feasible"):
        raise typer.Exit(code=1)


@cli.command("export-run")
def export_run_command(
    run_id: int = typer.Argument(...), out: str = typer.Argument(..., help="result workbook, e.g. run.xlsx")
) -> None:
    """Write a run's result workbook."""
    from app.core.errors import NotFound
    from app.runs.workbook import write_run_workbook
    from models import Footprint, Run
    from models.session import session_scope

    with session_scope() as session:
        run = session.get(Run, run_id)
        if run is None:
            raise NotFound("Run", run_id)
        footprint = session.get(Footprint, run.footprint_id)
        assert footprint is not None
        with open(out, "wb") as handle:
            write_run_workbook(session, footprint.code, run_id, handle)
    typer.echo(f"run {run_id} written to {out}")


def _floats(text: str | None) -> list[float] | None:
    return None if not text else [float(part) for part in text.split(",")]


@cli.command("sweep")
def sweep_command(
    footprint: str = typer.Option(..., "--footprint"),
    assumptions: str | None = typer.Option(None, "--assumptions", help="base assumption set name"),
    draws: int | None = typer.Option(None, "--draws", help="Monte-Carlo draws (else a grid)"),
    seed: int = typer.Option(0, "--seed"),
    savings: str | None = typer.Option(None, "--savings", help="grid: saving multipliers, e.g. 0.75,1,1.25"),
    transition: str | None = typer.Option(None, "--transition", help="grid: transition multipliers"),
    discount: str | None = typer.Option(None, "--discount", help="grid: discount rates, e.g. 0.015,0.035"),
    time_limit: float = typer.Option(30.0, "--time-limit"),
    workers: int = typer.Option(2, "--workers", help="local worker processes with --wait"),
    wait: bool = typer.Option(False, "--wait", help="solve the scenarios here and print the aggregate"),
) -> None:
    """Launch a scenario sweep: a grid of variations, or N seeded Monte-Carlo draws."""
    import time
    from decimal import Decimal

    from app.auth.rules import command_line_caller
    from app.runs.executor import LocalProcessExecutor
    from app.settings import get_settings
    from app.sweeps import service
    from app.sweeps.schemas import Grid, MonteCarlo, SweepCreate, SweepOptions
    from models.session import session_scope

    if draws is not None:
        request = SweepCreate(
            assumption_set=assumptions,
            monte_carlo=MonteCarlo(draws=draws, seed=seed),
            options=SweepOptions(time_limit=time_limit),
        )
    else:
        request = SweepCreate(
            assumption_set=assumptions,
            grid=Grid(
                savings_multipliers=_floats(savings) or [1.0],
                transition_multipliers=_floats(transition) or [1.0],
                discount_rates=[Decimal(d) for d in discount.split(",")] if discount else None,
            ),
            options=SweepOptions(time_limit=time_limit),
        )
    with session_scope() as session:
        sweep, run_ids = service.create_sweep(
            session, footprint, request, created_by=command_line_caller().name
        )
        sweep_id = sweep.id
    typer.echo(f"sweep {sweep_id}: {len(run_ids)} runs queued for footprint {footprint}")
    if not wait:
        return
    settings = get_settings()
    # A full local executor, reaper included: a scenario whose worker dies is retried, then failed.
    executor = LocalProcessExecutor(
        settings.database_url,
        workers=workers,
        heartbeat_seconds=settings.run_heartbeat_seconds,
        stale_after=settings.run_stale_after_seconds,
        reap_every=settings.run_reap_every_seconds,
    )
    executor.start()
    try:
        for run_id in run_ids:
            executor.submit(run_id)
        while True:
            with session_scope() as session:
                result = service.read(session, footprint, sweep_id)
            if result.finished:
                break
            time.sleep(1)
    finally:
        executor.shutdown()
    typer.echo(f"sweep {sweep_id}: {result.by_status}")
    typer.echo(f"NPV P10 £{result.npv_p10}  P50 £{result.npv_p50}  P90 £{result.npv_p90}")
    for hub in result.hubs[:20]:
        typer.echo(f"  {hub.function:<24} {hub.host:<10} in {hub.share:.0%} of scenarios")
