"""The web service: FastAPI app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session, sessionmaker

from app.assumption_sets.router import router as assumption_sets_router
from app.audit.router import router as audit_router
from app.auth.access import check_routes_declare_needs, document_problems, requires
from app.auth.router import router as tokens_router
from app.auth.rules import Need
from app.core.boundary import RequestBoundary
from app.core.errors import PROBLEM_TYPES, install_problem_handlers, problem_type
from app.core.openapi import install_descriptions
from app.cost_lines.router import router as cost_lines_router
from app.footprints.router import router as footprints_router
from app.functions.router import router as functions_router
from app.locks.router import router as locks_router
from app.national_sweeps.router import router as national_sweeps_router
from app.organisations.router import router as organisations_router
from app.problems.router import router as problems_router
from app.runs.executor import LocalProcessExecutor, QueueOnlyExecutor, RunExecutor
from app.runs.router import router as runs_router
from app.settings import get_settings
from app.sweeps.router import router as sweeps_router
from app.uploads.router import router as uploads_router
from app.web.router import install_pages

DESCRIPTION = """
Plan which corporate and back-office services the organisations of an STP footprint should share,
when, and what that is worth. Money is exact: sent and returned as decimal strings in pounds
(`"1234567.89"`). Every list is paged the same way: `limit`, `cursor` (the `next_cursor` of the page
before) and `total`.

Errors are RFC 9457 problem details (`application/problem+json`). Their `type` is a stable URI for
each kind of error (`GET` it for a description; `GET /problems` lists them all); `detail` is a sentence
saying what was wrong and what to do, and `errors` lists every problem with where it is.
"""


def _problem_types_table() -> str:
    rows = [f"| `{problem_type(kind)}` | {title} | {text} |" for kind, (title, text) in PROBLEM_TYPES.items()]
    return "\n".join(["| type | title | meaning |", "|---|---|---|", *rows])


def _serve_docs_locally(app: FastAPI) -> None:
    """/docs and /redoc with their scripts and styles from the app itself (a pinned copy shipped by the
    fastapi-offline package), so they work on a network that blocks CDNs."""
    assets = "/docs-assets"
    app.mount(assets, StaticFiles(directory=str(files("fastapi_offline") / "static")), name="docs-assets")

    @app.get("/docs", include_in_schema=False, dependencies=[requires(Need.PUBLIC)])
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} - API",
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon.png",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False, dependencies=[requires(Need.PUBLIC)])
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False, dependencies=[requires(Need.PUBLIC)])
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title=f"{app.title} - API reference",
            redoc_js_url=f"{assets}/redoc.standalone.js",
            redoc_favicon_url=f"{assets}/favicon.png",
            with_google_fonts=False,
        )


def _default_executor(session_factory: sessionmaker[Session] | None) -> RunExecutor:
    if session_factory is not None:
        # An app over a given session factory (tests) cannot assume worker processes see its data.
        return QueueOnlyExecutor()
    settings = get_settings()
    if settings.run_executor == "celery":
        from app.runs.celery_executor import CeleryExecutor

        return CeleryExecutor(settings)
    return LocalProcessExecutor.from_settings(settings)


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
        title="STP consolidation planner",
        version="0.1.0",
        description=DESCRIPTION + "\n" + _problem_types_table(),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.run_executor = run_executor
    if session_factory is not None:
        app.state.session_factory = session_factory
    install_problem_handlers(app)
    app.add_middleware(
        RequestBoundary,
        max_body_bytes=lambda: get_settings().request_max_bytes,
        max_problems=lambda: get_settings().request_max_reported_problems,
    )
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
    app.include_router(problems_router)
    _serve_docs_locally(app)
    # The web pages (docs/pages.md), under /ui; their errors are pages, the API's stay problem documents.
    install_pages(app)

    @app.get("/", include_in_schema=False, dependencies=[requires(Need.PUBLIC)])
    def root() -> RedirectResponse:
        return RedirectResponse("/ui", status_code=307)

    @app.get("/health", tags=["service"], dependencies=[requires(Need.PUBLIC)])
    def health() -> dict[str, str]:
        """`{"status": "ok"}` while the service answers (for load balancers and monitoring)."""
        return {"status": "ok"}

    check_routes_declare_needs(app)
    document_problems(app)
    install_descriptions(app)

    return app
