"""All or nothing with real commits: one bad row among 10,000 changes no table, and two concurrent uploads
for one footprint both land or one is told to retry, never a mix. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import Engine, select, text

from app.auth.rules import command_line_caller
from app.auth.service import issue_token
from app.main import create_app
from models import ApiToken, AuditEntry, Base, CostLine, Organisation, Role, TokenFootprint, Upload
from models.session import session_factory
from tests.app.uploads.helpers import upload
from tests.databases import fresh_engine
from tests.helpers import make_footprint, make_organisation, problem

FP = "E54000007"
FUNCTIONS = [
    "finance",
    "payroll",
    "hr",
    "procurement",
    "it",
    "estates",
    "legal",
    "communications",
    "governance",
    "training",
]
YEARS = ["2014/15", "2015/16", "2016/17", "2017/18", "2018/19"]
# What a refused upload may add (and nothing else): its own record, and the access bookkeeping.
BOOKKEEPING = {
    Upload.__tablename__,
    AuditEntry.__tablename__,
    ApiToken.__tablename__,
    TokenFootprint.__tablename__,
}


def workbook(rows: list[list[Any]], extra_org: str | None = None) -> bytes:
    book = Workbook(write_only=True)
    if extra_org:
        orgs = book.create_sheet("Organisations")
        orgs.append(["ODS code", "Name", "Kind"])
        orgs.append([extra_org, f"Organisation {extra_org}", "PROVIDER"])
    sheet = book.create_sheet("CostLines")
    sheet.append(["ODS code", "Function", "Financial year", "Pay (£)", "Non-pay (£)", "WTE"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def lines(organisations: int, pay: int) -> list[list[Any]]:
    return [
        [f"RA{o:03d}", function, year, pay + o, pay * 2, 1.5]
        for o in range(organisations)
        for function in FUNCTIONS
        for year in YEARS
    ]


def dump(engine: Engine, skip: set[str] = BOOKKEEPING) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but the bookkeeping ones), in primary-key order."""
    tables = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
            rows = connection.execute(text(f'SELECT * FROM "{table.name}" ORDER BY {order}')).all()
            tables[table.name] = [tuple(row) for row in rows]
    return tables


@pytest.fixture
def committed(backend: str, tmp_path: Path) -> Iterator[tuple[Engine, TestClient]]:
    """A fresh database whose requests really commit, a footprint with 20 organisations, an admin client."""
    with fresh_engine(backend, tmp_path) as engine:
        factory = session_factory(engine)
        with factory() as session:
            secret = issue_token(session, command_line_caller(), name="atomicity", role=Role.ADMIN).secret
            session.commit()
        app = create_app(session_factory=factory)
        with TestClient(app, headers={"Authorization": f"Bearer {secret}"}) as client:
            make_footprint(client, FP)
            for o in range(20):
                make_organisation(client, FP, f"RA{o:03d}")
            yield engine, client


def test_one_bad_row_among_10000_leaves_every_table_as_it_was(committed: tuple[Engine, TestClient]) -> None:
    engine, client = committed
    first = upload(client, workbook(lines(20, 1000)))
    assert first.status_code == 201, first.text
    assert first.json()["inserted"] == 1000

    functions = [*FUNCTIONS, "business_intelligence"]
    rows = [
        [f"RA{o:03d}", function, f"{1980 + y}/{(1981 + y) % 100:02d}", 5000 + o, 1, 1]
        for y in range(46)
        for function in functions
        for o in range(20)
    ][:10_000]
    rows[6123][3] = "(12.50)"
    assert len(rows) == 10_000
    before = dump(engine)
    uploads_before = dump(engine, skip=set())[Upload.__tablename__]

    body = problem(upload(client, workbook(rows)), 422)
    assert [(e["sheet"], e["cell"]) for e in body["errors"]] == [("CostLines", "D6125")]
    assert "negative" in body["errors"][0]["message"]

    assert dump(engine) == before
    uploads_after = dump(engine, skip=set())[Upload.__tablename__]
    assert uploads_after[: len(uploads_before)] == uploads_before
    assert len(uploads_after) == len(uploads_before) + 1
    with engine.connect() as connection:
        refused = connection.execute(
            select(Upload.status, Upload.rows_inserted).order_by(Upload.id.desc())
        ).first()
    assert refused is not None and tuple(refused) == ("refused", 0)


def test_two_concurrent_uploads_both_land_or_one_is_told_to_retry(
    committed: tuple[Engine, TestClient],
) -> None:
    engine, client = committed
    files = {
        "A": workbook(lines(20, 1000), extra_org="NEWA"),
        "B": workbook(lines(20, 3000), extra_org="NEWB"),
    }
    start = threading.Barrier(2)
    results: dict[str, Any] = {}

    def send(name: str) -> None:
        start.wait()
        try:
            results[name] = upload(client, files[name], f"{name}.xlsx")
        except Exception as exc:  # a server error escaping the app: fail with it below
            results[name] = exc

    threads = [threading.Thread(target=send, args=(name,)) for name in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not [r for r in results.values() if isinstance(r, Exception)], results
    statuses = {name: response.status_code for name, response in results.items()}
    assert set(statuses.values()) <= {201, 409, 503}, {n: r.text for n, r in results.items()}
    landed = {name for name, status in statuses.items() if status == 201}
    assert landed, statuses
    for name in set(files) - landed:
        assert "again" in results[name].json()["detail"]

    with engine.connect() as connection:
        pays = {
            row[0] - int(row[1][2:]) * 100
            for row in connection.execute(select(CostLine.pay_pence, Organisation.code).join(Organisation))
        }
        new_orgs = set(connection.scalars(select(Organisation.code).where(Organisation.code.like("NEW%"))))
    # every line comes from one file: pay = base + organisation number, in pence
    assert pays in ({100_000}, {300_000}), pays
    assert new_orgs == {f"NEW{name}" for name in landed}
    if landed == {"A"}:
        assert pays == {100_000}
    if landed == {"B"}:
        assert pays == {300_000}
