"""What the pages' tests without a browser add to `make test`'s wall time (issue 12: at most 2 s).

    .venv/bin/python benchmarks/page_tests_bench.py [--repeat 5] [--sqlite-only]

`make test` runs the suite with `pytest -n 2` on SQLite and, when TEST_DATABASE_URL is set (as `.ci/run`
sets it), on PostgreSQL too. What page tests add is their own time, not pytest's start-up, the migrated
test databases or the shared app, which the rest of the suite pays for anyway. So this runs, side by side
and alternately, `--repeat` times each:

- base: one cheap API test (it starts pytest, migrates both test databases, builds the app, signs a token);
- pages: the same test followed by tests/app/web/ without test_browser.py,

each in a fresh `pytest -n 0` process, and prints the median wall time of each, their difference (what the
page tests cost on one core) and half of it: what they add to `make test`'s `pytest -n 2 --dist loadfile`,
whose two workers share the suite's files between them (the page tests' file on one of them, its solved
demo built once per backend). PostgreSQL is the one `.ci/run` uses, 127.0.0.1:5432/test, unless
TEST_DATABASE_URL says otherwise; `--sqlite-only` leaves it out.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASE = "tests/app/footprints/test_footprints_api.py::test_footprint_round_trips_through_http"
PAGES = ["tests/app/web", "--ignore=tests/app/web/test_browser.py"]
CI_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def timed(arguments: list[str], environment: dict[str, str]) -> float:
    command = [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:randomly", *arguments]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(arguments)} failed:\n{done.stdout[-3000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    environment = dict(os.environ)
    if args.sqlite_only:
        environment.pop("TEST_DATABASE_URL", None)
    else:
        environment.setdefault("TEST_DATABASE_URL", CI_DATABASE)
    backends = "SQLite" if args.sqlite_only else f"SQLite and {environment['TEST_DATABASE_URL']}"
    print(f"backends: {backends}; {args.repeat} runs each, alternating")
    base: list[float] = []
    pages: list[float] = []
    for _ in range(args.repeat):
        base.append(timed([BASE], environment))
        pages.append(timed([BASE, *PAGES], environment))
    cost = statistics.median(pages) - statistics.median(base)
    print(f"base (one API test)         median {statistics.median(base):6.2f} s  runs {_list(base)}")
    print(f"base + page tests           median {statistics.median(pages):6.2f} s  runs {_list(pages)}")
    print(f"page tests on one core             {cost:6.2f} s")
    print(f"added to make test (pytest -n 2)   {cost / 2:6.2f} s   (target: at most 2 s)")


def _list(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
