"""Throughput of a Monte-Carlo sweep on the demo footprint with local worker processes, and the API's
latency for GET /footprints/{code}/runs/{id} while it runs.

    .venv/bin/python benchmarks/runs_bench.py [--draws 50] [--workers 2] [--time-limit 2]
                                              [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

A fresh database is made (SQLite in a temporary directory by default; with --database-url, a new
database on that PostgreSQL server, dropped afterwards), the demo loaded, and the sweep launched through
the HTTP API (FastAPI TestClient, in-process) with the local process executor. Figures are printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fastapi.testclient import TestClient  # noqa: E402

from app.auth.rules import command_line_caller  # noqa: E402
from app.auth.service import issue_token  # noqa: E402
from app.demo.service import load_demo  # noqa: E402
from app.main import create_app  # noqa: E402
from app.runs.executor import LocalProcessExecutor  # noqa: E402
from models import Role  # noqa: E402
from models.session import make_engine, session_factory  # noqa: E402
from tests.databases import fresh_database_url  # noqa: E402

DEMO = "E54000007"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--draws", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=2.0, help="solver seconds per scenario")
    parser.add_argument("--database-url", help="a PostgreSQL server URL (default: SQLite)")
    args = parser.parse_args()
    backend = "postgresql" if args.database_url else "sqlite"
    if args.database_url:
        os.environ["TEST_DATABASE_URL"] = args.database_url
    with tempfile.TemporaryDirectory() as directory, fresh_database_url(backend, Path(directory)) as url:
        engine = make_engine(url)
        factory = session_factory(engine)
        with factory.begin() as session:
            load_demo(session)
            secret = issue_token(session, command_line_caller(), name="bench", role=Role.ADMIN).secret
        executor = LocalProcessExecutor(url, workers=args.workers, heartbeat_seconds=2.0)
        app = create_app(session_factory=factory, executor=executor)
        with TestClient(app, headers={"Authorization": f"Bearer {secret}"}) as client:
            started = time.perf_counter()
            response = client.post(
                f"/footprints/{DEMO}/sweeps",
                json={
                    "monte_carlo": {"draws": args.draws, "seed": 1},
                    "options": {"time_limit": args.time_limit},
                },
            )
            assert response.status_code == 202, response.text
            sweep = response.json()
            launched = time.perf_counter() - started
            probe = f"/footprints/{DEMO}/runs/{sweep['run_ids'][-1]}"
            latencies: list[float] = []
            last_check = 0.0
            while True:
                t0 = time.perf_counter()
                assert client.get(probe).status_code == 200
                latencies.append(time.perf_counter() - t0)
                if time.perf_counter() - last_check > 1.0:
                    last_check = time.perf_counter()
                    aggregate = client.get(f"/footprints/{DEMO}/sweeps/{sweep['id']}").json()
                    if aggregate["finished"]:
                        break
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
        engine.dispose()
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    print(
        f"backend {backend}; {args.draws} draws; {args.workers} workers; solver time limit {args.time_limit}s"
    )
    print(f"sweep created (snapshots of {args.draws} runs) in {launched:.2f}s")
    print(
        f"all runs finished in {elapsed:.1f}s: {args.draws / elapsed * 60:.1f} runs/minute; "
        f"{aggregate['by_status']}"
    )
    print(
        f"GET run during the sweep: {len(latencies)} requests, "
        f"median {statistics.median(latencies) * 1000:.1f} ms, "
        f"p99 {p99 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms"
    )
    print(f"NPV P10 £{aggregate['npv_p10']}  P50 £{aggregate['npv_p50']}  P90 £{aggregate['npv_p90']}")


if __name__ == "__main__":
    main()
