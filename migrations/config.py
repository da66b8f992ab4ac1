"""Alembic configuration built in code, so the package works installed (no alembic.ini lookup by cwd)."""

from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from sqlalchemy import Connection

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str | None = None, connection: Connection | None = None, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url, connection), revision)


def downgrade(url: str | None = None, connection: Connection | None = None, revision: str = "base") -> None:
    from alembic import command

    command.downgrade(alembic_config(url, connection), revision)
