"""The pages' routers, static files and error pages, added to the app by `install_pages`."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.auth.access import PAGES_PREFIX
from app.web import footprints, pages, runs, sweeps, uploads
from app.web.render import STATIC_DIR, install_page_errors


def install_pages(app: FastAPI) -> None:
    for module in (pages, footprints, uploads, runs, sweeps):
        app.include_router(module.router)
    app.mount(f"{PAGES_PREFIX}/static", StaticFiles(directory=STATIC_DIR), name="pages-static")
    install_page_errors(app)
