"""`stpplan`: the command line for the same jobs as the API (migrate, serve, demo, import, run, export)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from models import ApiToken

cli = typer.Typer(help="STP back-office consolidation planner", no_args_is_help=True)
db_cli = typer.Typer(help="Database schema (Alembic)", no_args_is_help=True)
demo_cli = typer.Typer(help="The demo footprint", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(demo_cli, name="demo")


@db_cli.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Migrate the database (DATABASE_URL) up to REVISION."""
    from app.settings import get_settings
    from migrations.config import upgrade

    url = get_settings().database_url
    upgrade(url, revision=revision)
    typer.echo(f"database at {revision}: {_safe(url)}")


@db_cli.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="target revision, or 'base'")) -> None:
    """Migrate the database down to REVISION."""
    from app.settings import get_settings
    from migrations.config import downgrade

    downgrade(get_settings().database_url, revision=revision)
    typer.echo(f"database at {revision}")


@cli.command("serve")
def serve(
    host: str | None = typer.Option(None, help="default STP_HOST or 127.0.0.1"),
    port: int | None = typer.Option(None, help="default STP_PORT or 8000"),
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from app.settings import get_settings

    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    typer.echo(f"STP consolidation planner on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port)


@demo_cli.command("load")
def demo_load(
    path: str | None = typer.Option(None, help="demo file; default fixtures/demo/footprint.json"),
    national: bool = typer.Option(
        False, "--national", help="every STP footprint (44, real acute trusts; illustrative rest and money)"
    ),
) -> None:
    """Load the Greater Manchester demo footprint (illustrative money); loading again changes nothing."""
    from pathlib import Path

    from app.demo.service import (
        DEFAULT_DEMO_PATH,
        DEFAULT_NATIONAL_PATH,
        DemoLoadSummary,
        NationalLoadSummary,
        load_demo,
        load_national,
    )
    from app.settings import get_settings
    from models.session import make_engine, session_scope

    url = get_settings().database_url
    engine = make_engine(url)
    summary: DemoLoadSummary | NationalLoadSummary
    try:
        with session_scope(engine) as session:
            if national:
                summary = load_national(session, Path(path) if path else DEFAULT_NATIONAL_PATH)
            else:
                summary = load_demo(session, Path(path) if path else DEFAULT_DEMO_PATH)
    finally:
        engine.dispose()
    typer.echo(f"{'national data' if national else 'demo'} loaded into {_safe(url)}: {summary.describe()}")


@cli.command("template")
def template(
    out: str = typer.Argument(..., help="where to write the .xlsx"),
    footprint: str | None = typer.Option(None, help="prefill with this footprint's organisations"),
) -> None:
    """Write the data template workbook (ReadMe, Organisations, CostLines, Assumptions, Locks)."""
    from pathlib import Path

    from app.footprints.service import get_footprint
    from app.settings import get_settings
    from app.uploads.service import write_template
    from models.session import make_engine, session_scope

    engine = make_engine(get_settings().database_url)
    try:
        with session_scope(engine) as session, Path(out).open("wb") as stream:
            write_template(session, stream, get_footprint(session, footprint) if footprint else None)
    finally:
        engine.dispose()
    typer.echo(f"template written to {out}")


@cli.command("import")
def import_workbook(
    file: str = typer.Argument(..., help=".xlsx, .xlsm, .xls or .ods"),
    footprint: str = typer.Option(..., help="footprint code, e.g. E54000007"),
    as_json: bool = typer.Option(False, "--json", help="print the report (or the problems) as JSON"),
) -> None:
    """Import a workbook into a footprint, all or nothing (the rules of POST /footprints/{code}/uploads)."""
    import json
    from pathlib import Path

    from app.audit.service import record
    from app.auth.rules import command_line_caller
    from app.core.errors import ProblemError
    from app.settings import get_settings
    from app.uploads import guards
    from app.uploads.service import import_upload, record_refusal
    from models.session import make_engine, session_scope

    settings = get_settings()
    path = Path(file)
    caller = command_line_caller()
    who = caller.name
    engine = make_engine(settings.database_url)
    data: bytes | None = None
    problem: ProblemError | None = None
    refusal: dict[str, object] = {}
    try:
        with session_scope(engine) as session:
            try:
                if path.stat().st_size > settings.upload_max_bytes:
                    raise guards.too_large(path.stat().st_size, settings.upload_max_bytes)
                data = path.read_bytes()
                report = import_upload(
                    session, footprint, path.name, data, uploaded_by=who, settings=settings
                )
            except ProblemError as exc:
                upload_id = record_refusal(session, footprint, path.name, None, exc, uploaded_by=who)
                refusal = {
                    "status": exc.status,
                    "detail": exc.detail,
                    "upload_id": upload_id,
                    "errors": exc.errors,
                }
                problem = exc
                outcome = {"upload_id": upload_id, "file_name": path.name, "status": "refused"}
            else:
                problem = None
                outcome = {"upload_id": report.upload_id, "file_name": path.name, "status": "accepted"}
            record(session, caller, "import_workbook", footprint_code=footprint, details=outcome)
    finally:
        engine.dispose()
    if problem is not None:
        if as_json:
            typer.echo(json.dumps(refusal, indent=2, default=str))
        else:
            typer.echo(f"refused ({problem.status}): {problem.detail}", err=True)
            for error in problem.errors:
                where = "!".join(str(p) for p in (error.get("sheet"), error.get("cell")) if p)
                typer.echo(
                    f"  {where or '(file)'}: {error.get('message')} [{error.get('value')!r}]", err=True
                )
        raise typer.Exit(code=1)
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    typer.echo(f"upload {report.upload_id}: {report.message}")
    typer.echo(
        f"  rows read {report.rows_read}, inserted {report.inserted}, updated {report.updated}, "
        f"unchanged {report.unchanged}, skipped {report.skipped}"
    )
    for warning in report.warnings:
        where = "!".join(str(p) for p in (warning.sheet, warning.cell) if p)
        typer.echo(f"  warning {where or '(file)'}: {warning.message}")


token_cli = typer.Typer(help="API tokens (who may do what; see docs/access.md)", no_args_is_help=True)
cli.add_typer(token_cli, name="token")


def _token_line(token: ApiToken) -> str:
    state = "revoked" if token.revoked_at else f"expires {token.expires_at:%Y-%m-%d %H:%M}Z"
    where = "all footprints" if token.role.sees_every_footprint else ", ".join(token.footprint_codes)
    return f"{token.id:>5}  {token.name}  [{token.role.value}: {where}]  {state}"


@token_cli.command("create")
def token_create(
    role: str = typer.Option(..., help="finance_director, planner, analyst or admin"),
    name: str = typer.Option(..., help="who holds it; the audit trail shows this name"),
    footprint: list[str] = typer.Option([], help="a footprint it may touch (repeat for several)"),
    expires_in_days: int = typer.Option(90, min=1, help="days until it stops working"),
) -> None:
    """Create a token and print it: it is shown this once and cannot be recovered later."""
    from datetime import timedelta

    from app.auth.rules import command_line_caller
    from app.auth.service import issue_token, record_token_change
    from app.core.errors import ProblemError
    from models import Role
    from models.base import utcnow
    from models.session import session_scope

    try:
        parsed_role = Role(role)
    except ValueError:
        raise typer.BadParameter(f"role is one of {', '.join(r.value for r in Role)}") from None
    caller = command_line_caller()
    try:
        with session_scope() as session:
            issued = issue_token(
                session,
                caller,
                name=name,
                role=parsed_role,
                footprints=footprint,
                expires_at=utcnow() + timedelta(days=expires_in_days),
            )
            token = issued.token
            record_token_change(session, caller, "create_token", token)
            line = _token_line(token)
    except ProblemError as exc:
        typer.echo(f"refused: {exc.detail}", err=True)
        for error in exc.errors:
            typer.echo(f"  {error['message']}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(line)
    typer.echo(issued.secret)


@token_cli.command("revoke")
def token_revoke(
    key: str = typer.Argument(..., help="the token's id, or its name when only one has it"),
) -> None:
    """Revoke a token: it stops working at once."""
    from app.auth.rules import command_line_caller
    from app.auth.service import find_tokens, record_token_change, revoke_token
    from app.core.errors import ProblemError
    from models.session import session_scope

    caller = command_line_caller()
    try:
        with session_scope() as session:
            tokens = find_tokens(session, key)
            if len(tokens) != 1:
                found = "; ".join(_token_line(t) for t in tokens) or "none"
                typer.echo(f"{key!r} must name exactly one token (found: {found}); give the id", err=True)
                raise typer.Exit(code=1)
            token = revoke_token(session, tokens[0])
            record_token_change(session, caller, "revoke_token", token)
            line = _token_line(token)
    except ProblemError as exc:
        typer.echo(f"refused: {exc.detail}", err=True)
        raise typer.Exit(code=1) from None
    typer.echo(line)


@token_cli.command("list")
def token_list() -> None:
    """Every token (never the secrets: only their hashes are stored)."""
    from app.auth.service import list_tokens
    from models.session import session_scope

    with session_scope() as session:
        for token in list_tokens(session):
            typer.echo(_token_line(token))


@token_cli.command("bootstrap")
def token_bootstrap() -> None:
    """Create the admin token `demo-admin` and print it, unless a live admin token exists already."""
    from app.auth.rules import command_line_caller
    from app.auth.service import bootstrap_admin
    from app.settings import get_settings
    from models.session import session_scope

    with session_scope() as session:
        issued = bootstrap_admin(session, command_line_caller())
        secret = issued.secret if issued else None
    if secret is None:
        typer.echo(
            "An admin token exists already (stpplan token list); a new one: stpplan token create --role admin"
        )
        return
    settings = get_settings()
    typer.echo("")
    typer.echo(f"  Admin token (shown once; keep it): {secret}")
    typer.echo(
        f"  In http://{settings.host}:{settings.port}/docs press Authorize and paste it as the bearer value;"
    )
    typer.echo(f"  with curl: -H 'Authorization: Bearer {secret}'")
    typer.echo("")


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
    from app.runs.schemas import RunOptions
    from app.settings import get_settings
    from app.sweeps import service
    from app.sweeps.schemas import Grid, MonteCarlo, SweepCreate
    from models.session import session_scope

    if draws is not None:
        request = SweepCreate(
            assumption_set=assumptions,
            monte_carlo=MonteCarlo(draws=draws, seed=seed),
            options=RunOptions(time_limit=time_limit),
        )
    else:
        request = SweepCreate(
            assumption_set=assumptions,
            grid=Grid(
                savings_multipliers=_floats(savings) or [1.0],
                transition_multipliers=_floats(transition) or [1.0],
                discount_rates=[Decimal(d) for d in discount.split(",")] if discount else None,
            ),
            options=RunOptions(time_limit=time_limit),
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


@cli.command("worker")
def worker_command(
    concurrency: int | None = typer.Option(None, help="runs at a time here; default STP_RUN_WORKERS"),
    loglevel: str = typer.Option("INFO", help="DEBUG, INFO, WARNING or ERROR"),
) -> None:
    """A Celery worker (RUN_EXECUTOR=celery): runs from BROKER_URL, results into DATABASE_URL."""
    from app.runs.tasks import start_worker

    start_worker(concurrency=concurrency, loglevel=loglevel)


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    cli()
