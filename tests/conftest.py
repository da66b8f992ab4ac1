"""Test databases and clients.

Every test that uses `db_session` or `client` runs once per backend (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set), on a database made by Alembic for this test session and worker, inside a
transaction that is rolled back when the test ends.

`client` acts as an admin (it sends a bearer token made in the test's transaction); `client_as(role,
*footprints)` gives a client for another role, `anonymous_client` one with no token at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from app.auth.rules import command_line_caller
from app.auth.service import issue_token
from app.main import create_app
from app.runs.executor import QueueOnlyExecutor
from models import Role
from tests.databases import BACKENDS, fresh_engine


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    with fresh_engine(backend, tmp_path_factory.mktemp("db")) as engine:
        yield engine


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            yield connection
        finally:
            transaction.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    # Commits inside the app release a SAVEPOINT; the test's outer transaction still rolls everything back.
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False, autoflush=False
    )


@pytest.fixture
def db_session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    session = session_factory()
    try:
        yield session
    finally:
        session.close()


TokenMaker = Callable[..., str]
ClientMaker = Callable[..., TestClient]


@pytest.fixture
def make_token(session_factory: sessionmaker[Session]) -> TokenMaker:
    """make_token(role, *footprints, name=...) -> the secret of a new token (rolled back with the test)."""

    def make(role: Role | str, *footprints: str, name: str | None = None) -> str:
        role = Role(role)
        with session_factory() as session:
            issued = issue_token(
                session,
                command_line_caller(),
                name=name or f"test-{role.value}-{'-'.join(footprints) or 'all'}",
                role=role,
                footprints=footprints,
            )
            session.commit()
        return issued.secret

    return make


@pytest.fixture(scope="session")
def shared_app() -> FastAPI:
    """One app for the whole session: building one (routes, OpenAPI checks, descriptions) takes about
    75 ms, which once per test was seconds of every `make test`. Tests point it at their own transaction
    (`api_app`); a test that changes the app itself builds its own with `create_app`."""
    return create_app(executor=QueueOnlyExecutor())


@pytest.fixture
def api_app(shared_app: FastAPI, session_factory: sessionmaker[Session]) -> Iterator[FastAPI]:
    shared_app.state.session_factory = session_factory
    shared_app.state.run_executor = QueueOnlyExecutor()
    try:
        yield shared_app
    finally:
        # No later test may reach this test's (rolled back) transaction through the app.
        del shared_app.state.session_factory


@pytest.fixture
def client_as(api_app: FastAPI, make_token: TokenMaker) -> Iterator[ClientMaker]:
    """client_as(role, *footprints) -> a TestClient sending a new token of that role for those footprints."""
    with ExitStack() as stack:

        def make(role: Role | str, *footprints: str, name: str | None = None) -> TestClient:
            secret = make_token(role, *footprints, name=name)
            headers = {"Authorization": f"Bearer {secret}"}
            return stack.enter_context(TestClient(api_app, headers=headers))

        yield make


@pytest.fixture
def client(client_as: ClientMaker) -> TestClient:
    """An admin: every footprint, every need."""
    return client_as(Role.ADMIN, name="test-admin")


@pytest.fixture
def anonymous_client(api_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(api_app) as client:
        yield client
