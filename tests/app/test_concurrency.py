"""Four clients writing at once, through a real HTTP server on a real database (SQLite and PostgreSQL),
for ten seconds: organisations, bulk cost lines and workbook uploads into one footprint.

Every request must succeed or get a documented 4xx (here only the 409 of an organisation another
client created first), and the data left behind must be exactly what replaying the successful requests
one at a time, in the order they finished, gives on a fresh database: nothing lost, nothing doubled,
nothing half-written. Each client writes its own organisations (and all four race for one shared
code), so the order within a client is the only order that decides the result.
"""

from __future__ import annotations

import io
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import Engine, select

from app.auth.rules import command_line_caller
from app.auth.service import issue_token
from app.main import create_app
from models import CostLine, Organisation, Role, Upload
from models.session import session_factory
from tests.databases import fresh_engine
from tests.helpers import make_footprint

FP = "E54000007"
CLIENTS = 4
SECONDS = 10.0
FUNCTIONS = ["finance", "payroll", "hr", "procurement", "it"]
YEARS = ["2016/17", "2017/18", "2018/19"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHARED = "SHARED1"


@dataclass
class Sent:
    """A request that succeeded, in a form that can be sent again."""

    finished: float
    client: int
    method: str
    path: str
    json: dict[str, Any] | None = None
    file: bytes | None = None
    file_name: str = ""
    creates: str | None = None  # the organisation code it adds

    def replay(self, client: TestClient | httpx.Client) -> httpx.Response:
        if self.file is not None:
            files = {"file": (self.file_name, self.file, XLSX)}
            return client.request(self.method, self.path, files=files)
        return client.request(self.method, self.path, json=self.json)


@contextmanager
def served(engine: Engine) -> Iterator[tuple[str, str]]:
    """A uvicorn server on a free port over this database, and an admin token for it."""
    factory = session_factory(engine)
    with factory() as session:
        secret = issue_token(session, command_line_caller(), name="concurrency", role=Role.ADMIN).secret
        session.commit()
    config = uvicorn.Config(create_app(session_factory=factory), host="127.0.0.1", port=0, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", secret
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def workbook(organisations: list[tuple[str, str]], lines: list[list[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Organisations")
    sheet.append(["ODS code", "Name", "Kind"])
    for code, name in organisations:
        sheet.append([code, name, "PROVIDER"])
    sheet = book.create_sheet("CostLines")
    sheet.append(["ODS code", "Function", "Financial year", "Pay (£)", "Non-pay (£)", "WTE"])
    for line in lines:
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class Writer:
    """One client: a seeded random mix of writes to its own organisations, and the shared one."""

    def __init__(self, number: int, base_url: str, secret: str, stop_at: float) -> None:
        self.number = number
        self.random = random.Random(number)
        self.http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {secret}"}, timeout=120
        )
        self.stop_at = stop_at
        self.organisations: list[str] = []
        self.sent: list[Sent] = []
        self.refused: list[tuple[str, int, str]] = []
        self.failures: list[str] = []
        self.count = 0
        self.requests = 0

    def code(self) -> str:
        self.count += 1
        return f"C{self.number}X{self.count:04d}"

    def line(self) -> dict[str, Any]:
        pick = self.random.choice
        return {
            "organisation": pick(self.organisations),
            "function": pick(FUNCTIONS),
            "financial_year": pick(YEARS),
            "pay": f"{self.random.randint(0, 10**8)}.{self.random.randint(0, 99):02d}",
            "non_pay": str(self.random.randint(0, 10**6)),
            "wte": f"{self.random.randint(0, 500)}.{self.random.randint(0, 99):02d}",
        }

    def next_request(self) -> Sent:
        roll = self.random.random()
        base = f"/footprints/{FP}"
        self.requests += 1
        if self.requests == 2:  # every client races for the shared code early on
            roll = 0.27
        if not self.organisations or roll < 0.25:
            code = self.code()
            body = {"code": code, "name": f"Organisation {code}", "kind": "PROVIDER"}
            return Sent(0, self.number, "POST", f"{base}/organisations", json=body, creates=code)
        if roll < 0.3:
            body = {"code": SHARED, "name": "Shared by everyone", "kind": "CCG"}
            return Sent(0, self.number, "POST", f"{base}/organisations", json=body)
        if roll < 0.65:
            lines = [self.line() for _ in range(self.random.randint(1, 30))]
            unique = list(
                {(x["organisation"], x["function"], x["financial_year"]): x for x in lines}.values()
            )
            return Sent(0, self.number, "POST", f"{base}/cost-lines/bulk", json={"lines": unique})
        new = self.code()
        renamed = self.random.choice(self.organisations)
        organisations = [(new, f"Uploaded {new}"), (renamed, f"Renamed {renamed} {self.count}")]
        rows = {}
        for _ in range(self.random.randint(1, 40)):
            line = self.line()
            line["organisation"] = self.random.choice([new, renamed, *self.organisations])
            rows[(line["organisation"], line["function"], line["financial_year"])] = [
                line["organisation"],
                line["function"],
                line["financial_year"],
                float(line["pay"]),
                int(line["non_pay"]),
                float(line["wte"]),
            ]
        data = workbook(organisations, list(rows.values()))
        name = f"c{self.number}-{self.count}.xlsx"
        return Sent(0, self.number, "POST", f"{base}/uploads", file=data, file_name=name, creates=new)

    def run(self) -> None:
        try:
            while time.monotonic() < self.stop_at:
                request = self.next_request()
                response = request.replay(self.http)
                request.finished = time.monotonic()
                if response.status_code in (200, 201):
                    self.sent.append(request)
                    if request.creates:
                        self.organisations.append(request.creates)
                    continue
                self.refused.append((request.path, response.status_code, response.text[:300]))
                shared = request.json is not None and request.json.get("code") == SHARED
                if not (shared and response.status_code == 409):
                    self.failures.append(
                        f"{request.method} {request.path}: {response.status_code} {response.text}"
                    )
        except Exception as exc:  # reported by the test, with the others
            self.failures.append(repr(exc))
        finally:
            self.http.close()


def data_of(engine: Engine) -> dict[str, Any]:
    """What the footprint holds, by natural keys (ids and times differ between the runs)."""
    with engine.connect() as connection:
        organisations = sorted(
            (code, name, str(kind), sorted((groups or {}).items()))
            for code, name, kind, groups in connection.execute(
                select(
                    Organisation.code, Organisation.name, Organisation.kind, Organisation.compatibility_groups
                )
            )
        )
        lines = sorted(
            (code, function, year, pay, non_pay, f"{wte:.2f}")
            for code, function, year, pay, non_pay, wte in connection.execute(
                select(
                    Organisation.code,
                    CostLine.function_key,
                    CostLine.financial_year,
                    CostLine.pay_pence,
                    CostLine.non_pay_pence,
                    CostLine.wte,
                ).join(Organisation)
            )
        )
        uploads = sorted(
            tuple(row)
            for row in connection.execute(
                select(
                    Upload.file_name,
                    Upload.status,
                    Upload.rows_read,
                    Upload.rows_inserted,
                    Upload.rows_updated,
                    Upload.rows_unchanged,
                )
            )
        )
    return {"organisations": organisations, "cost_lines": lines, "uploads": uploads}


def test_four_concurrent_writers_lose_nothing_and_match_a_serial_replay(backend: str, tmp_path: Path) -> None:
    with fresh_engine(backend, tmp_path / "live") as engine, served(engine) as (base_url, secret):
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {secret}"}) as setup:
            assert (
                setup.post("/footprints", json={"code": FP, "name": "Greater Manchester"}).status_code == 201
            )
        stop_at = time.monotonic() + SECONDS
        writers = [Writer(n, base_url, secret, stop_at) for n in range(CLIENTS)]
        threads = [threading.Thread(target=w.run) for w in writers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SECONDS + 180)
        failures = [f for w in writers for f in w.failures]
        assert not failures, "\n".join(failures[:20])
        sent = sorted((s for w in writers for s in w.sent), key=lambda s: s.finished)
        kinds = {kind: sum(kind in s.path for s in sent) for kind in ("organisations", "bulk", "uploads")}
        # every kind of write really happened, several times over, from every client
        assert min(kinds.values()) >= CLIENTS, kinds
        assert {s.client for s in sent} == set(range(CLIENTS))
        assert sum(s.json is not None and s.json.get("code") == SHARED for s in sent) == 1
        live = data_of(engine)

    with fresh_engine(backend, tmp_path / "replay") as engine:
        factory = session_factory(engine)
        with factory() as session:
            secret = issue_token(session, command_line_caller(), name="concurrency", role=Role.ADMIN).secret
            session.commit()
        with TestClient(
            create_app(session_factory=factory), headers={"Authorization": f"Bearer {secret}"}
        ) as client:
            make_footprint(client, FP, name="Greater Manchester")
            for request in sent:
                response = request.replay(client)
                assert response.status_code in (200, 201), response.text
        replayed = data_of(engine)

    assert live["organisations"] == replayed["organisations"]
    assert live["cost_lines"] == replayed["cost_lines"]
    assert live["uploads"] == replayed["uploads"]
    assert len(live["uploads"]) == kinds["uploads"]
