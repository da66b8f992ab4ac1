"""`stpplan db upgrade|downgrade`: the database schema (Alembic)."""

from __future__ import annotations

import typer

from app.cli.base import _safe, cli

db_cli = typer.Typer(help="Database schema (Alembic)", no_args_is_help=True)
cli.add_typer(db_cli, name="db")


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
