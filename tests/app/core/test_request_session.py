"""The request's transaction is committed before the response is sent, so a failed commit is never a 201."""

from __future__ import annotations

import sqlite3

from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from app.main import create_app
from tests.helpers import problem


class _CommitFails(Session):
    def commit(self) -> None:
        raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked"))


def test_a_commit_that_fails_is_reported_not_hidden_behind_a_201(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    headers = dict(client.headers)
    failing = sessionmaker(
        bind=session_factory.kw["bind"],
        class_=_CommitFails,
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
        autoflush=False,
    )
    with TestClient(create_app(session_factory=failing), headers=headers) as failing_client:
        response = failing_client.post("/footprints", json={"code": "E54000031", "name": "Never saved"})
    problem(response, 503)
    problem(client.get("/footprints/E54000031"), 404)
