"""`stpplan run`, `export-run`, `sweep`: optimisation runs and scenario sweeps."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

import typer

from app.cli.base import cli

if TYPE_CHECKING:
    from app.runs.schemas import RunRead


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
    footprint: str | None = typer.Option(None, "--footprint", help="the footprint (or --national)"),
    assumptions: str | None = typer.Option(None, "--assumptions", help="base assumption set name"),
    draws: int | None = typer.Option(None, "--draws", help="Monte-Carlo draws (else a grid)"),
    seed: int = typer.Option(0, "--seed"),
    savings: str | None = typer.Option(None, "--savings", help="grid: saving multipliers, e.g. 0.75,1,1.25"),
    transition: str | None = typer.Option(None, "--transition", help="grid: transition multipliers"),
    discount: str | None = typer.Option(None, "--discount", help="grid: discount rates, e.g. 0.015,0.035"),
    time_limit: float = typer.Option(30.0, "--time-limit"),
    workers: int = typer.Option(2, "--workers", help="local worker processes with --wait"),
    wait: bool = typer.Option(False, "--wait", help="solve the scenarios here and print the aggregate"),
    national: bool = typer.Option(False, "--national", help="every footprint; England's totals"),
    footprints: str | None = typer.Option(None, "--footprints", help="--national: only these, e.g. A,B"),
    json_out: str | None = typer.Option(None, "--json", help="--national --wait: write the totals here"),
    workbook_out: str | None = typer.Option(None, "--workbook", help="--national --wait: write a workbook"),
) -> None:
    """Launch a scenario sweep: a grid of variations, or N seeded Monte-Carlo draws (of one footprint,
    or with --national of every footprint, executed by the local workers or RUN_EXECUTOR=celery's)."""
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
    if national:
        from pathlib import Path

        from app.national_sweeps.cli import national_sweep
        from app.national_sweeps.schemas import NationalSweepCreate

        scope = footprints.split(",") if footprints else None
        national_sweep(
            NationalSweepCreate.model_validate({**request.model_dump(), "footprints": scope}),
            wait=wait,
            workers=workers,
            json_out=Path(json_out) if json_out else None,
            workbook_out=Path(workbook_out) if workbook_out else None,
        )
        return
    if footprint is None:
        raise typer.BadParameter("give --footprint CODE, or --national")
    with session_scope() as session:
        sweep, run_ids = service.create_sweep(
            session, footprint, request, created_by=command_line_caller().name
        )
        sweep_id = sweep.id
    typer.echo(f"sweep {sweep_id}: {len(run_ids)} runs queued for footprint {footprint}")
    if not wait:
        return
    # A full local executor, reaper included: a scenario whose worker dies is retried, then failed.
    executor = LocalProcessExecutor.from_settings(get_settings(), workers)
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


# ---- `stpplan runs …`: what a planner does with runs once they exist ------------------------------

runs_cli = typer.Typer(help="List, show, review and compare optimisation runs", no_args_is_help=True)
cli.add_typer(runs_cli, name="runs")


def _money(value: Decimal | None) -> str:
    if value is None:
        return "—"
    from decimal import ROUND_HALF_UP

    whole = abs(value).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return f"{'−' if value < 0 and whole else ''}£{whole:,}"


PAST = {"approve": "approved", "reject": "rejected"}


def _every(page: Callable[..., Any]) -> list[Any]:
    """Every item of a paged list (the services page every list, as the API does)."""
    items: list[Any] = []
    cursor = None
    while True:
        found = page(cursor=cursor)
        items += found.items
        if (cursor := found.next_cursor) is None:
            return items


def _run_line(run: RunRead) -> str:
    label = f"  {run.label}" if run.label else ""
    review = f"  [{PAST[run.review.value]}]" if run.review else ""
    return (
        f"{run.id:>5}  {run.footprint}  {run.status.value:<10} NPV {_money(run.npv):>14}  "
        f"{run.created_at:%Y-%m-%d %H:%M}  {run.created_by}{review}{label}"
    )


@runs_cli.command("list")
def runs_list(
    footprint: list[str] = typer.Option([], "--footprint", help="only this footprint (repeat for several)"),
    status: str | None = typer.Option(None, "--status", help="queued, running, optimal, feasible, …"),
) -> None:
    """Runs, newest first: id, footprint, status, NPV, when, who, review, label."""
    from app.footprints.service import list_footprints
    from app.runs import service
    from models import RunStatus
    from models.session import session_scope

    try:
        wanted = None if status is None else RunStatus(status)
    except ValueError:
        raise typer.BadParameter(f"status is one of {', '.join(s.value for s in RunStatus)}") from None
    with session_scope() as session:
        codes = footprint or [f.code for f in _every(partial(list_footprints, session, limit=500))]
        runs: list[RunRead] = []
        for code in codes:
            runs += _every(partial(service.list_runs, session, code, wanted, limit=500))
    if not runs:
        typer.echo("no runs" + (f" with status {status}" if status else ""))
    for run in sorted(runs, key=lambda r: r.id, reverse=True):
        typer.echo(_run_line(run))


@runs_cli.command("show")
def runs_show(run_id: int = typer.Argument(..., help="the run's id (stpplan runs list)")) -> None:
    """One run: status, progress, outcome in words, headline figures and review."""
    from app.runs import review as run_review
    from app.runs import service
    from app.runs.outcome import in_words
    from models.session import session_scope

    with session_scope() as session:
        found, code = service.locate_run(session, run_id)
        run = service.read(session, found, code)
        reviews = list(run_review.reviews(session, code, run_id))
        history = [
            f"{r.decision.value} by {r.reviewer} ({r.created_at:%Y-%m-%d %H:%M}): {r.comment}"
            for r in reviews
        ]
    typer.echo(f"run {run.id} of {run.footprint}{f' ({run.label})' if run.label else ''}: {run.status.value}")
    typer.echo(f"  outcome: {in_words(run)}")
    if run.progress is not None and run.status.value in ("queued", "running"):
        p = run.progress
        gap = "—" if p.relative_gap is None else f"{p.relative_gap:.1%}"
        typer.echo(
            f"  progress: {p.phase} after {p.seconds:.0f} s; best plan {_money(p.incumbent)}, "
            f"bound {_money(p.best_bound)}, gap {gap}"
        )
    typer.echo(f"  NPV {_money(run.npv)}; payback year {run.payback_year or '—'}")
    typer.echo(
        f"  assumptions: {run.assumption_set or 'as given with the run'}; launched by {run.created_by} "
        f"at {run.created_at:%Y-%m-%d %H:%M}"
    )
    for line in history or ["not reviewed yet"]:
        typer.echo(f"  review: {line}")


@runs_cli.command("review")
def runs_review(
    run_id: int = typer.Argument(..., help="the run's id"),
    approve: bool = typer.Option(..., "--approve/--reject", help="approve or reject the plan"),
    comment: str = typer.Option("", "--comment", help="why (kept with the review)"),
) -> None:
    """Approve or reject a finished run, with a comment (the review history keeps every one)."""
    from app.audit.service import record
    from app.auth.rules import command_line_caller
    from app.runs import review as run_review
    from app.runs import service
    from app.runs.schemas import ReviewCreate
    from models import ReviewDecision
    from models.session import session_scope

    caller = command_line_caller()
    decision = ReviewDecision.APPROVE if approve else ReviewDecision.REJECT
    with session_scope() as session:
        _, code = service.locate_run(session, run_id)
        review = run_review.review_run(
            session,
            code,
            run_id,
            ReviewCreate(decision=decision, comment=comment),
            caller,  # whoever reaches the database is an admin, so may review a run they launched
        )
        record(
            session,
            caller,
            "review_run",
            footprint_code=code,
            details={"run_id": run_id, "decision": decision.value},
        )
        line = f"run {run_id} {PAST[review.decision.value]} by {review.reviewer}"
    typer.echo(line)


@runs_cli.command("compare")
def runs_compare(
    a: int = typer.Argument(..., help="the first run's id"),
    b: int = typer.Argument(..., help="the second run's id (differences are b − a)"),
) -> None:
    """Compare two finished runs of one footprint: NPV, net cash by year, and hubs that differ."""
    from app.core.errors import Conflict
    from app.runs import review as run_review
    from app.runs import service
    from models.session import session_scope

    with session_scope() as session:
        _, code_a = service.locate_run(session, a)
        _, code_b = service.locate_run(session, b)
        if code_a != code_b:
            raise Conflict(
                f"Run {a} is of footprint {code_a} and run {b} of {code_b}: compare runs of one footprint"
            )
        comparison = run_review.compare(session, code_a, a, b)
    typer.echo(
        f"NPV: run {a} {_money(comparison.npv_a)}, run {b} {_money(comparison.npv_b)}, "
        f"difference {_money(comparison.npv_difference)}"
    )
    for y in comparison.years:
        typer.echo(
            f"  year {y.year}: net cash {_money(y.net_cash_a)} -> {_money(y.net_cash_b)} "
            f"({_money(y.difference)})"
        )
    if not comparison.functions:
        typer.echo("  the same hubs, members and years in both")
    for f in comparison.functions:
        parts = []
        if f.hubs_opened:
            parts.append(f"hubs only in {b}: {', '.join(f.hubs_opened)}")
        if f.hubs_closed:
            parts.append(f"hubs only in {a}: {', '.join(f.hubs_closed)}")
        for m in f.organisations_moved:
            parts.append(f"{m['organisation']} in {m['host_a'] or 'no hub'} -> {m['host_b'] or 'no hub'}")
        for m in f.years_changed:
            parts.append(f"{m['organisation']} moves in year {m['year_a']} -> {m['year_b']}")
        typer.echo(f"  {f.function}: " + "; ".join(parts))
