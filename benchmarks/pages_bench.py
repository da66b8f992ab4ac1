"""Page render time on the demo footprint: every page, through the real HTTP stack, signed in by cookie.

    .venv/bin/python benchmarks/pages_bench.py [--backend sqlite|postgresql|both] [--repeat 30]

For each backend, on a brand-new Alembic-migrated database (dropped afterwards) with the demo footprint
loaded, two runs solved (HiGHS, 3 s each) and a three-scenario sweep, the app (`app.main:create_app`) is
driven in-process by a TestClient signed in through the sign-in form, so every request goes through
routing, the session cookie and its token lookup, the access checks, the services, the database, the
template and the response, as a browser's would. Each page is fetched `--repeat` times after one warm-up;
the median and the slowest are printed in milliseconds. The browser's own drawing (plotly.js) is not
included: it happens on the viewer's machine.

Target (issue 12): a page renders in under 200 ms on the demo footprint.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from app.auth.rules import command_line_caller  # noqa: E402
from app.auth.service import issue_token  # noqa: E402
from app.demo.service import load_demo  # noqa: E402
from app.main import create_app  # noqa: E402
from app.runs import service as runs  # noqa: E402
from app.runs.schemas import RunCreate, RunOptions  # noqa: E402
from app.runs.worker import execute_run  # noqa: E402
from app.sweeps import service as sweeps  # noqa: E402
from app.sweeps.schemas import MonteCarlo, SweepCreate, SweepOptions  # noqa: E402
from models import Role  # noqa: E402
from models.session import make_engine, session_factory  # noqa: E402
from tests.databases import fresh_database_url  # noqa: E402

DEMO = "E54000007"


def bench(backend: str, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as directory, fresh_database_url(backend, Path(directory)) as url:
        engine = make_engine(url)
        factory = session_factory(engine)
        with factory.begin() as session:
            load_demo(session)
            secret = issue_token(session, command_line_caller(), name="bench", role=Role.ADMIN).secret
            ids = [
                runs.create_run(
                    session,
                    DEMO,
                    RunCreate(label=label, options=RunOptions(time_limit=3)),
                    created_by="bench",
                ).id
                for label in ("first", "second")
            ]
            sweep, children = sweeps.create_sweep(
                session,
                DEMO,
                SweepCreate(monte_carlo=MonteCarlo(draws=3), options=SweepOptions(time_limit=2)),
                created_by="bench",
            )
        for run_id in [*ids, *children]:
            execute_run(factory, run_id)
        base = f"/ui/footprints/{DEMO}"
        pages = {
            "overview": base,
            "upload": f"{base}/upload",
            "runs": f"{base}/runs",
            "new run": f"{base}/runs/new",
            "run detail": f"{base}/runs/{ids[0]}",
            "run progress (json)": f"{base}/runs/{ids[0]}/progress.json",
            "compare": f"{base}/compare?a={ids[0]}&b={ids[1]}",
            "sweeps": f"{base}/sweeps/new",
            "sweep detail": f"{base}/sweeps/{sweep.id}",
        }
        app = create_app(session_factory=factory)
        with TestClient(app, base_url="https://testserver") as client:
            form = client.get("/ui/sign-in").text
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert csrf is not None
            signed = client.post("/ui/sign-in", data={"token": secret, "csrf_token": csrf.group(1)})
            assert signed.status_code == 200, signed.text
            print(f"\n{backend}: median and slowest of {repeat} renders, ms (target < 200)")
            for name, path in pages.items():
                assert client.get(path).status_code == 200, path
                times = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200
                print(
                    f"  {name:<22} {statistics.median(times):7.1f}  {max(times):7.1f}"
                    f"  ({len(response.content):,} bytes)"
                )
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends:
        os.environ.setdefault("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    for backend in backends:
        bench(backend, args.repeat)


if __name__ == "__main__":
    main()
