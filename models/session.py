"""Engine and session factory. The request (or the task) owns the transaction; services never commit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets the API read while a worker writes.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


# A session opened with these execution options is a writer: on SQLite its transaction starts with
# BEGIN IMMEDIATE (ignored elsewhere).
WRITER = {"sqlite_begin": "IMMEDIATE"}


def _sqlite_begin(conn: Any) -> None:
    # pysqlite's own transaction handling defers BEGIN; emit it ourselves so SAVEPOINTs and
    # serialised writers behave (documented SQLAlchemy recipe).
    #
    # A deferred transaction that reads before it writes cannot wait for the write lock: if another
    # writer committed after its first read, SQLite refuses its write at once ("database is locked")
    # and busy_timeout never applies. A writer therefore takes the write lock with its BEGIN, where
    # busy_timeout does apply, and so waits its turn (readers are never blocked: WAL).
    mode = conn.get_execution_options().get("sqlite_begin")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")


def make_engine(url: str, echo: bool = False, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "connect")
        def _disable_pysqlite_autobegin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, **kwargs)


@lru_cache
def get_engine() -> Engine:
    from app.settings import get_settings

    settings = get_settings()
    return make_engine(settings.database_url, echo=settings.sql_echo)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@contextmanager
def session_scope(engine: Engine | None = None, *, writer: bool = False) -> Iterator[Session]:
    """A unit of work for the CLI and tasks: commit on success, roll back on error. A `writer` waits
    for SQLite's write lock when it begins rather than failing when it first writes."""
    session = session_factory(engine or get_engine())(execution_options=WRITER if writer else None)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
