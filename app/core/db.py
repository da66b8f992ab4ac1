"""The request's unit of work: one session per request, committed when the handler succeeds."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from models.session import WRITER, get_engine, session_factory

_factory: sessionmaker[Session] | None = None
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _default_factory() -> sessionmaker[Session]:
    global _factory
    if _factory is None:
        _factory = session_factory(get_engine())
    return _factory


def get_session(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = getattr(request.app.state, "session_factory", None) or _default_factory()
    # Every request that may write is a writer from its first statement (see models/session.py):
    # concurrent writers on SQLite wait their turn instead of being refused.
    writes = request.method not in _READ_METHODS
    session = factory(execution_options=WRITER) if writes else factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# Every route takes its session through this one dependency. "function" scope ends it — and commits — before
# the response is sent (FastAPI's default for a `yield` dependency ends it after), so a failed commit is
# answered as an error, never hidden behind a 201.
request_session = Depends(get_session, scope="function")
