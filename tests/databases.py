"""Fresh, Alembic-migrated databases for tests: SQLite always, PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from migrations.config import upgrade
from models.session import make_engine

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


def _pg_admin_url() -> str:
    return os.environ["TEST_DATABASE_URL"]


@contextmanager
def fresh_database_url(backend: str, directory: Path, migrate: bool = True) -> Iterator[str]:
    """A brand-new empty database (migrated to head unless told not to), dropped afterwards."""
    name = f"stp_test_{uuid.uuid4().hex[:12]}"
    if backend == "sqlite":
        url = f"sqlite:///{directory / (name + '.sqlite3')}"
        if migrate:
            upgrade(url)
        yield url
        return
    admin_url = make_url(_pg_admin_url())
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        if migrate:
            upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def fresh_engine(backend: str, directory: Path, migrate: bool = True) -> Iterator[Engine]:
    with fresh_database_url(backend, directory, migrate) as url:
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()
