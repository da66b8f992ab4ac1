"""API speed: bulk upsert of cost lines and 100-row page latency, through the real HTTP stack.

    .venv/bin/python benchmarks/api_bench.py [--backend sqlite|postgresql|both] [--rows 100000]
        [--batch 10000] [--pages 1000] [--walks 40] [--repeat 1] [--server testclient|uvicorn]

For each backend, on a brand-new Alembic-migrated database (dropped afterwards), the app
(`app.main:create_app`) is driven in-process by a FastAPI TestClient (or, with --server uvicorn, served
on a local port by uvicorn in its own process), so every request goes through routing, the bearer-token
check, pydantic validation, the service, the database, the commit and JSON serialisation, as a real
client's would. Request bodies are JSON-encoded before the clock starts.

Measured:
- bulk upsert: `POST /footprints/{code}/cost-lines/bulk` in batches, into an empty footprint (insert), then
  the same payload again (unchanged) and with every pay figure changed (update): rows/s overall.
- page latency with ROWS stored: `GET /footprints/{code}/cost-lines?limit=100` walking the pages by cursor,
  and with filters (organisation; function; financial year; function + year): p50 and p99 in ms.

Targets (foundation issue): >= 20,000 rows/s bulk upsert on PostgreSQL; page p99 <= 50 ms.
The machine is shared: run it more than once (--repeat) and quote medians.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402

from app.main import create_app  # noqa: E402
from models import FUNCTION_CATALOGUE  # noqa: E402
from models.session import make_engine, session_factory, session_scope  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
FOOTPRINT = "E54000007"
FUNCTIONS = [key for key, _, _ in FUNCTION_CATALOGUE][:10]
YEARS = [f"{y}/{(y + 1) % 100:02d}" for y in range(1980, 2020)]  # 40 financial years
PAGE = 100


@contextmanager
def fresh_url(backend: str, pg_url: str) -> Iterator[str]:
    os.environ.setdefault("TEST_DATABASE_URL", pg_url)
    from tests.databases import fresh_database_url

    with (
        tempfile.TemporaryDirectory(prefix="stp-bench-") as directory,
        fresh_database_url(backend, Path(directory)) as url,
    ):
        yield url


# The in-process TestClient is built on httpx2 (starlette's choice); uvicorn is reached with httpx.
HttpClient = httpx.Client | TestClient


@contextmanager
def api_client(url: str, engine: Engine, server: str) -> Iterator[HttpClient]:
    """A client of the app on this database: an in-process TestClient, or uvicorn in its own process.

    TestClient is the default because it returns only when the request has completely finished. Under
    uvicorn, FastAPI ends `get_session` (the commit) after the response has been sent, so a sequential
    client can start its next request before the last commit: the timings flatter the server, and on
    SQLite the overlap makes the next write fail with "database is locked".
    """
    if server == "testclient":
        with TestClient(create_app(session_factory=session_factory(engine))) as client:
            client.headers.update(admin_headers(engine))
            yield client
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory", "--port", str(port)]
        + ["--log-level", "warning", "--no-access-log"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
            for _ in range(300):
                try:
                    if client.get("/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None:
                    raise RuntimeError("uvicorn exited before serving")
                time.sleep(0.1)
            client.headers.update(admin_headers(engine))
            yield client
    finally:
        process.terminate()
        process.wait(timeout=30)


def admin_headers(engine: Engine) -> dict[str, str]:
    """An admin bearer token issued straight into the benchmark database."""
    try:
        from app.auth.rules import command_line_caller
        from app.auth.service import issue_token
        from models import Role
    except ImportError:  # a checkout from before the API had tokens
        return {}
    with session_scope(engine) as session:
        issued = issue_token(session, command_line_caller(), name="api-bench", role=Role.ADMIN)
        return {"Authorization": f"Bearer {issued.secret}"}


def organisation_codes(rows: int) -> list[str]:
    per_org = len(FUNCTIONS) * len(YEARS)
    return [f"BEN{i:05d}" for i in range(-(-rows // per_org))]


def cost_lines(rows: int, pay_bump: int = 0) -> list[dict[str, str]]:
    rng = random.Random(rows)
    lines = []
    for org in organisation_codes(rows):
        for function in FUNCTIONS:
            for year in YEARS:
                pay = rng.randint(1_000_000, 500_000_000) + pay_bump
                lines.append(
                    {
                        "organisation": org,
                        "function": function,
                        "financial_year": year,
                        "pay": f"{pay / 100:.2f}",
                        "non_pay": f"{rng.randint(0, 200_000_000) / 100:.2f}",
                        "wte": f"{rng.randint(0, 50_000) / 100:.2f}",
                    }
                )
                if len(lines) == rows:
                    return lines
    return lines


def percentile(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1] if len(samples) > 1 else samples[0]


def encoded_batches(rows: int, batch: int, pay_bump: int = 0) -> list[tuple[bytes, int]]:
    """Request bodies, JSON-encoded before any clock starts; only bytes are kept, so the line dicts do
    not sit in the heap that an in-process app's garbage collector scans."""
    lines = cost_lines(rows, pay_bump)
    return [
        (json.dumps({"lines": lines[start : start + batch]}).encode(), len(lines[start : start + batch]))
        for start in range(0, len(lines), batch)
    ]


def bulk(client: HttpClient, bodies: list[tuple[bytes, int]], expect: str) -> float:
    """Send the batches in turn; returns rows/s over the whole upload."""
    started = time.perf_counter()
    for body, rows in bodies:
        response = client.post(
            f"/footprints/{FOOTPRINT}/cost-lines/bulk",
            content=body,
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 200, response.text[:2000]
        assert response.json()[expect] == rows, response.json()
    return sum(rows for _, rows in bodies) / (time.perf_counter() - started)


def timed_pages(
    client: HttpClient, params: dict[str, str], max_pages: int, samples: list[float]
) -> tuple[int, int]:
    """Walk pages by cursor, appending each request's latency (ms); returns (rows seen, total)."""
    cursor: str | None = None
    seen = total = 0
    for _ in range(max_pages):
        query = {**params, "limit": str(PAGE), **({"cursor": cursor} if cursor else {})}
        started = time.perf_counter()
        response = client.get(f"/footprints/{FOOTPRINT}/cost-lines", params=query)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text[:2000]
        page = response.json()
        seen += len(page["items"])
        total = page["total"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    return seen, total


def page_scenarios(
    rows: int, max_pages: int
) -> list[tuple[str, Callable[[random.Random], dict[str, str]], int]]:
    orgs = organisation_codes(rows)
    return [
        ("all rows, walking pages", lambda rng: {}, max_pages),
        ("organisation=", lambda rng: {"organisation": rng.choice(orgs)}, 5),
        ("function=", lambda rng: {"function": rng.choice(FUNCTIONS)}, 5),
        ("financial_year=", lambda rng: {"financial_year": rng.choice(YEARS)}, 5),
        (
            "function= & financial_year=",
            lambda rng: {"function": rng.choice(FUNCTIONS), "financial_year": rng.choice(YEARS)},
            3,
        ),
    ]


def page_latencies(client: HttpClient, args: argparse.Namespace, suffix: str) -> dict[str, Any]:
    results: dict[str, Any] = {}
    rng = random.Random(7)
    for name, make_params, pages in page_scenarios(args.rows, args.pages):
        samples: list[float] = []
        walks = 1 if name.startswith("all rows") else args.walks
        for _ in range(walks):
            seen, total = timed_pages(client, make_params(rng), pages, samples)
            assert seen <= total
        results[f"page {name}{suffix}"] = (len(samples), percentile(samples, 50), percentile(samples, 99))
    return results


def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with fresh_url(backend, args.pg_url) as url:
        engine = make_engine(url)
        try:
            with api_client(url, engine, args.server) as client:
                response = client.post(
                    "/footprints", json={"code": FOOTPRINT, "name": "Benchmark", "maturity": "advanced"}
                )
                assert response.status_code == 201, response.text
                for code in organisation_codes(args.rows):
                    response = client.post(
                        f"/footprints/{FOOTPRINT}/organisations",
                        json={"code": code, "name": f"Benchmark {code}", "kind": "PROVIDER"},
                    )
                    assert response.status_code == 201, response.text
                bodies = encoded_batches(args.rows, args.batch)
                results["insert rows/s"] = bulk(client, bodies, "inserted")
                results["unchanged rows/s"] = bulk(client, bodies, "unchanged")
                bodies = encoded_batches(args.rows, args.batch, pay_bump=1)
                results["update rows/s"] = bulk(client, bodies, "updated")
                del bodies

                results.update(page_latencies(client, args, suffix=""))
                if backend == "postgresql":
                    # Autovacuum analyses the tables within about a minute of a large load; until then the
                    # planner has no statistics for the new rows. Measure both states.
                    with engine.connect() as connection:
                        connection.execute(text("ANALYZE"))
                        connection.commit()
                    results.update(page_latencies(client, args, suffix=" (after ANALYZE)"))
        finally:
            engine.dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000, help="rows per bulk request")
    parser.add_argument("--pages", type=int, default=1000, help="pages to walk without filters")
    parser.add_argument("--walks", type=int, default=40, help="random filter values per filter")
    parser.add_argument("--repeat", type=int, default=1, help="fresh database and run, N times")
    parser.add_argument("--server", choices=["testclient", "uvicorn"], default="testclient")
    parser.add_argument("--pg-url", default=os.environ.get("TEST_DATABASE_URL", DEFAULT_PG))
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print(
        f"{args.rows} cost lines, bulk batches of {args.batch}, pages of {PAGE}, through {args.server}; "
        f"{args.repeat} run(s) each"
    )
    for backend in backends:
        runs = [run_backend(backend, args) for _ in range(args.repeat)]
        print(f"\n== {backend} (median of {len(runs)} run(s)) ==")
        for key in runs[0]:
            if key.endswith("rows/s"):
                value = statistics.median(r[key] for r in runs)
                print(f"  bulk {key:<51} {value:>10,.0f}")
            else:
                count = runs[0][key][0]
                p50 = statistics.median(r[key][1] for r in runs)
                p99 = statistics.median(r[key][2] for r in runs)
                print(f"  {key:<56} p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   ({count} requests)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
