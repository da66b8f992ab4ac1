"""The web service: FastAPI app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from app.assumption_sets.router import router as assumption_sets_router
from app.audit.router import router as audit_router
from app.auth.access import check_routes_declare_needs, document_problems, requires
from app.auth.router import router as tokens_router
from app.auth.rules import Need
from app.core.errors import install_problem_handlers
from app.cost_lines.router import router as cost_lines_router
from app.footprints.router import router as footprints_router
from app.functions.router import router as functions_router
from app.locks.router import router as locks_router
from app.national_sweeps.router import router as national_sweeps_router
from app.organisations.router import router as organisations_router
from app.runs.executor import LocalProcessExecutor, QueueOnlyExecutor, RunExecutor
from app.runs.router import router as runs_router
from app.sweeps.router import router as sweeps_router
from app.uploads.router import router as uploads_router

DESCRIPTION = """
Plan which corporate and back-office services the organisations of an STP footprint should share,
when, and what that is worth. Money is exact: sent and returned as decimal strings in pounds
(`"1234567.89"`). Errors are RFC 9457 problem details (`application/problem+json`).
"""


def _default_executor(session_factory: sessionmaker[Session] | None) -> RunExecutor:
    if session_factory is not None:
        # An app over a given session factory (tests) cannot assume worker processes see its data.
        return QueueOnlyExecutor()
    from app.settings import get_settings

    settings = get_settings()
    if settings.run_executor == "celery":
        from app.runs.celery_executor import CeleryExecutor

        return CeleryExecutor(settings)
    return LocalProcessExecutor(
        settings.database_url,
        workers=settings.run_workers,
        heartbeat_seconds=settings.run_heartbeat_seconds,
        stale_after=settings.run_stale_after_seconds,
        reap_every=settings.run_reap_every_seconds,
    )


def create_app(
    session_factory: sessionmaker[Session] | None = None, executor: RunExecutor | None = None
) -> FastAPI:
    run_executor = executor or _default_executor(session_factory)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        run_executor.start()
        try:
            yield
        finally:
            run_executor.shutdown()

    app = FastAPI(
        title="STP consolidation planner", version="0.1.0", description=DESCRIPTION, lifespan=lifespan
    )
    app.state.run_executor = run_executor
    if session_factory is not None:
        app.state.session_factory = session_factory
    install_problem_handlers(app)
    # uploads first: its /footprints/{code}/cost-lines/export.xlsx must win over cost-lines/{line_id}
    for router in (
        uploads_router,
        footprints_router,
        functions_router,
        organisations_router,
        cost_lines_router,
        assumption_sets_router,
        locks_router,
        runs_router,
        sweeps_router,
        national_sweeps_router,
    ):
        app.include_router(router)
    app.include_router(tokens_router)
    app.include_router(audit_router)

    @app.get("/health", tags=["service"], dependencies=[requires(Need.PUBLIC)])
    def health() -> dict[str, str]:
        return {"status": "ok"}

    check_routes_declare_needs(app)
    document_problems(app)

    return app
