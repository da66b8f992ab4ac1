"""The request's unit of work: one session per request, committed when the handler succeeds."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from models.session import get_engine, session_factory

_factory: sessionmaker[Session] | None = None


def _default_factory() -> sessionmaker[Session]:
    global _factory
    if _factory is None:
        _factory = session_factory(get_engine())
    return _factory


def get_session(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = getattr(request.app.state, "session_factory", None) or _default_factory()
    session = factory()
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
