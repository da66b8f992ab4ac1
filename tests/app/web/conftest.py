"""Pages over a rolled-back transaction: a browser-like client (https, so the Secure session cookie is kept)
that signs in through the sign-in form like a person would.

The demo footprint, a second footprint and one finished run are made once per module and backend (loading
the demo and solving take a third of a second); every test then runs in a SAVEPOINT of that module's
transaction, rolled back when it ends, so tests still see only their own changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import sessionmaker

from app.demo.service import load_demo
from app.footprints.schemas import FootprintCreate
from app.footprints.service import create_footprint
from app.runs import service as runs
from app.runs.schemas import RunCreate, RunOptions
from app.runs.worker import execute_run
from tests.conftest import TokenMaker

DEMO = "E54000007"
PageClientMaker = Callable[..., TestClient]
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: TestClient, secret: str) -> None:
    form = client.get("/ui/sign-in")
    assert form.status_code == 200
    response = client.post(
        "/ui/sign-in",
        data={"token": secret, "csrf_token": csrf_of(form.text), "next": "/ui"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


OTHER = "E54000008"


@dataclass
class World:
    connection: Connection
    run_id: int


@pytest.fixture(scope="module")
def world(engine: Engine) -> Iterator[World]:
    with engine.connect() as connection:
        transaction = connection.begin()
        factory = sessionmaker(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False, autoflush=False
        )
        try:
            with factory() as session:
                load_demo(session)
                create_footprint(session, FootprintCreate(code=OTHER, name="Cheshire and Merseyside"))
                run = runs.create_run(
                    session,
                    DEMO,
                    RunCreate(label="base", options=RunOptions(time_limit=0.1)),
                    created_by="test",
                )
                session.commit()
                run_id = run.id
            execute_run(factory, run_id)
            yield World(connection, run_id)
        finally:
            transaction.rollback()


@pytest.fixture
def connection(world: World) -> Iterator[Connection]:
    """This package's tests share their module's world, each inside a savepoint rolled back at its end."""
    savepoint = world.connection.begin_nested()
    try:
        yield world.connection
    finally:
        if savepoint.is_active:
            savepoint.rollback()


@pytest.fixture
def demo(world: World) -> str:
    return DEMO


@pytest.fixture
def finished_run(world: World) -> int:
    """A demo run solved by the worker's own code (HiGHS, 0.1 s: a feasible plan, all the pages need), with
    its plan, years and organisations."""
    return world.run_id


@pytest.fixture
def page_client_as(api_app: FastAPI, make_token: TokenMaker) -> Iterator[PageClientMaker]:
    """page_client_as(role, *footprints) -> a client signed in through the form with a new token."""
    with ExitStack() as stack:

        def make(role: str, *footprints: str) -> TestClient:
            client = stack.enter_context(TestClient(api_app, base_url="https://testserver"))
            sign_in(client, make_token(role, *footprints))
            return client

        yield make
