"""`stpplan demo load`, `template`, `import`: a footprint's data."""

from __future__ import annotations

import typer

from app.cli.base import _safe, cli

demo_cli = typer.Typer(help="The demo footprint", no_args_is_help=True)
cli.add_typer(demo_cli, name="demo")


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
    overwrite: bool = typer.Option(
        False, "--overwrite", help="import an export older than later changes, reverting them"
    ),
) -> None:
    """Import a workbook into a footprint, all or nothing (the rules of POST /footprints/{code}/uploads)."""
    import json
    from pathlib import Path

    from app.audit.service import IMPORT_WORKBOOK, record
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
                    session,
                    footprint,
                    path.name,
                    data,
                    uploaded_by=who,
                    settings=settings,
                    overwrite=overwrite,
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
            record(session, caller, IMPORT_WORKBOOK, footprint_code=footprint, details=outcome)
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
