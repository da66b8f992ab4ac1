"""`stpplan`: the command line for the same jobs as the API (migrate, serve, demo, import, run, export)."""

from __future__ import annotations

import typer

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
) -> None:
    """Load the Greater Manchester demo footprint (illustrative money); loading again changes nothing."""
    from pathlib import Path

    from app.demo.service import DEFAULT_DEMO_PATH, load_demo
    from app.settings import get_settings
    from models.session import make_engine, session_scope

    url = get_settings().database_url
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            summary = load_demo(session, Path(path) if path else DEFAULT_DEMO_PATH)
    finally:
        engine.dispose()
    typer.echo(f"demo loaded into {_safe(url)}: {summary.describe()}")


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    cli()
