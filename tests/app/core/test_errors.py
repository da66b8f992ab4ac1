from __future__ import annotations

import sqlite3

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from app.core.errors import install_problem_handlers
from tests.helpers import problem


def _app_raising(error: Exception) -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/write")
    def write() -> None:
        raise error

    return TestClient(app, raise_server_exceptions=False)


def test_a_locked_sqlite_database_asks_the_client_to_retry() -> None:
    locked = OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked"))
    response = _app_raising(locked).post("/write")
    body = problem(response, 503)
    assert response.headers["Retry-After"] == "2"
    assert "nothing was saved" in body["detail"]


def test_other_operational_errors_stay_server_errors() -> None:
    broken = OperationalError("SELECT …", {}, sqlite3.OperationalError("disk I/O error"))
    assert _app_raising(broken).post("/write").status_code == 500
