"""A national sweep on Celery workers: 1 worker, then 2, on this machine; figures printed, nothing asserted.

    .venv/bin/python benchmarks/scale_bench.py                       # 44 footprints x 5 scenarios, 60 s limit
    .venv/bin/python benchmarks/scale_bench.py --footprints 9 --time-limit 60   # a documented subset

Each pass: a fresh PostgreSQL database (BENCH_DATABASE_URL, default the tests' server), migrated, the
national data loaded (`stpplan demo load --national`'s service), N real `stpplan worker` processes
(one run at a time each) on the machine's Redis with a queue of their own, and a national sweep of 5
scenarios (saving multipliers 0.75-1.25) handed to them through `CeleryExecutor`, as the API would.

Measured, per pass: wall time (first run handed to the broker -> national sweep stamped finished), runs
per minute, and from the runs' histories and the workers' logs:
- broker: enqueue -> claim of the runs a worker could take at once (the first N), and a worker's idle
  gap between finishing one run and claiming the next while runs were waiting (dispatch + ack);
- database: claiming a run (conditional update + snapshot read) and storing its results (commit included).
Projected (marked so): wall time for 8, 32 and 128 workers = measured per-run cost x runs / workers, and
what saturates first.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.demo.service import load_national  # noqa: E402
from app.national_sweeps import service as national  # noqa: E402
from app.national_sweeps.schemas import NationalSweepCreate  # noqa: E402
from app.runs.celery_executor import CeleryExecutor  # noqa: E402
from app.settings import Settings  # noqa: E402
from migrations.config import upgrade  # noqa: E402
from models import NationalSweep, Run  # noqa: E402
from models.session import make_engine, session_factory  # noqa: E402

STPPLAN = str(Path(sys.executable).with_name("stpplan"))
SCENARIOS = [0.75, 0.9, 1.0, 1.1, 1.25]


@dataclass
class Pass:
    workers: int
    runs: int
    wall: float
    statuses: dict[str, int]
    first_claim: list[float]  # enqueue -> claim, runs taken by an idle worker at the start
    idle_gaps: list[float]  # finish -> next claim on the same worker, while runs waited
    claim_db: list[float]
    store_db: list[float]
    solve: list[float]
    run_wall: list[float]  # claim -> finished
    npv_pence: int  # the sweep's total: time-limited runs on busier cores find worse plans, not slower ones
    gaps: list[float]


def _when(entry: dict[str, Any]) -> float:
    return datetime.fromisoformat(entry["at"]).timestamp()


@contextlib.contextmanager
def database(admin_url: str) -> Any:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"stp_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def pick_footprints(codes: list[str], count: int) -> list[str]:
    """`count` footprints spread evenly over the code order (which mixes sizes), or all of them."""
    if count >= len(codes):
        return codes
    step = len(codes) / count
    return [codes[int(i * step)] for i in range(count)]


def one_pass(admin_url: str, workers: int, footprints: int, time_limit: float, logs: Path) -> Pass:
    with database(admin_url) as url:
        upgrade(url)
        engine = make_engine(url)
        factory = session_factory(engine)
        with factory.begin() as session:
            load_national(session)
        env = {
            "DATABASE_URL": url,
            "RUN_EXECUTOR": "celery",
            "BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/0"),
            "STP_CELERY_QUEUE": f"stp-bench-{uuid.uuid4().hex[:10]}",
            "STP_RUN_WORKERS": "1",
        }
        settings = Settings(_env_file=None, **env)
        processes = []
        for i in range(workers):
            log = logs / f"w{workers}-{i}.log"
            with log.open("wb") as out:
                processes.append(
                    subprocess.Popen(
                        [STPPLAN, "worker", "--concurrency", "1"],
                        env={**os.environ, **env},
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        try:
            for i in range(workers):
                log = logs / f"w{workers}-{i}.log"
                while b" ready." not in log.read_bytes():
                    time.sleep(0.2)
            with factory.begin() as session:
                from models import Footprint

                codes = list(session.scalars(select(Footprint.code).order_by(Footprint.code)))
                request = NationalSweepCreate.model_validate(
                    {
                        "grid": {"savings_multipliers": SCENARIOS},
                        "options": {"time_limit": time_limit},
                        "footprints": pick_footprints(codes, footprints),
                    }
                )
                sweep, run_ids = national.create_national_sweep(session, request, created_by="scale_bench")
                sweep_id = sweep.id
            executor = CeleryExecutor(settings)
            executor.start()
            started = time.time()
            for run_id in run_ids:
                executor.submit(run_id)
            while True:
                time.sleep(1)
                with factory() as session:
                    done = session.get(NationalSweep, sweep_id)
                    assert done is not None
                    if done.finished_at is not None:
                        finished = done.finished_at.timestamp()
                        break
            executor.shutdown()
            with factory() as session:
                runs = session.scalars(select(Run).where(Run.id.in_(run_ids))).all()
                histories = {r.id: list(r.history) for r in runs}
                statuses: dict[str, int] = {}
                npv_pence = sum(r.npv_pence or 0 for r in runs)
                gaps = [
                    float(r.solver_statistics["relative_gap"])
                    for r in runs
                    if (r.solver_statistics or {}).get("relative_gap") is not None
                ]
                for r in runs:
                    statuses[r.status.value] = statuses.get(r.status.value, 0) + 1
        finally:
            for process in processes:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
            engine.dispose()
            import redis

            client = redis.Redis.from_url(env["BROKER_URL"])
            keys = list(client.scan_iter(match=f"{env['STP_CELERY_QUEUE']}*", count=1000))
            if keys:
                client.delete(*keys)

    first_enqueue = min(_when(e) for h in histories.values() for e in h if e["event"] == "enqueued")
    claims = sorted(
        (_when(e), run_id, e["worker"]["pid"])
        for run_id, h in histories.items()
        for e in h
        if e["event"] == "claimed"
    )
    finishes = {run_id: _when(e) for run_id, h in histories.items() for e in h if e["event"] == "finished"}
    enqueued = {run_id: _when(e) for run_id, h in histories.items() for e in h if e["event"] == "enqueued"}
    first_claim = [at - enqueued[run_id] for at, run_id, _ in claims[:workers]]
    idle_gaps = []
    last_finish: dict[int, float] = {}
    for at, run_id, pid in claims:
        if pid in last_finish:
            idle_gaps.append(at - last_finish[pid])
        if run_id in finishes:
            last_finish[pid] = finishes[run_id]
    run_wall = [finishes[r] - at for at, r, _ in claims if r in finishes]
    claim_db, store_db, solve = [], [], []
    for log in logs.glob(f"w{workers}-*.log"):
        body = log.read_text(errors="replace")
        claim_db += [float(x) for x in re.findall(r"run \d+ claimed in ([\d.]+)s", body)]
        for solved, stored in re.findall(
            r"run \d+ solved in ([\d.]+)s, stored and committed in ([\d.]+)s", body
        ):
            solve.append(float(solved))
            store_db.append(float(stored))
    return Pass(
        workers=workers,
        runs=len(run_ids),
        wall=finished - min(started, first_enqueue),
        statuses=statuses,
        first_claim=first_claim,
        idle_gaps=idle_gaps,
        claim_db=claim_db,
        store_db=store_db,
        solve=solve,
        run_wall=run_wall,
        npv_pence=npv_pence,
        gaps=gaps,
    )


def _ms(values: list[float]) -> str:
    if not values:
        return "n/a"
    return f"median {statistics.median(values) * 1000:.0f} ms (max {max(values) * 1000:.0f} ms)"


def report(passes: list[Pass], footprints: int, time_limit: float) -> None:
    print(f"\nload average at the end: {os.getloadavg()}")
    print(
        f"\n{passes[0].runs} runs: {footprints} footprints x {len(SCENARIOS)} scenarios, "
        f"{time_limit:g} s limit"
    )
    print("\n| workers | wall time | runs/min | speed-up | statuses |")
    print("|---|---|---|---|---|")
    for p in passes:
        print(
            f"| {p.workers} (measured) | {p.wall:.1f} s | {p.runs / p.wall * 60:.1f} | "
            f"{passes[0].wall / p.wall:.2f}x | {p.statuses} |"
        )
    for p in passes:
        per_run = statistics.mean(p.run_wall) if p.run_wall else float("nan")
        broker = statistics.median(p.idle_gaps) if p.idle_gaps else 0.0
        db = (statistics.median(p.claim_db) if p.claim_db else 0) + (
            statistics.median(p.store_db) if p.store_db else 0
        )
        print(f"\n{p.workers} worker(s), measured per run:")
        print(f"  run (claim -> finished): mean {per_run:.2f} s; solver {_ms(p.solve)}")
        gap = f"{statistics.median(p.gaps):.1%}" if p.gaps else "n/a"
        print(f"  plans: total NPV £{p.npv_pence / 100:,.0f}; median relative gap {gap}")
        print(f"  broker: enqueue -> claim of the first runs {_ms(p.first_claim)}")
        print(f"  broker: worker idle between runs (dispatch + ack) {_ms(p.idle_gaps)}")
        print(f"  database: claim {_ms(p.claim_db)}; store + commit {_ms(p.store_db)}")
        print(
            f"  share of a run's time: broker {broker / (per_run + broker):.1%}, "
            f"database {db / (per_run + broker):.1%}"
        )
    base = passes[-1]
    per_run = statistics.mean(base.run_wall) + (statistics.median(base.idle_gaps) if base.idle_gaps else 0)
    full = 44 * len(SCENARIOS)
    print(
        f"\nPROJECTED (not measured): {full} runs (44 x {len(SCENARIOS)}) at the measured "
        f"{per_run:.2f} s a run"
    )
    print("| workers | projected wall time | projected runs/min | database connections (3 a worker + API) |")
    print("|---|---|---|---|")
    for n in (8, 32, 128):
        wall = per_run * max(1, -(-full // n))
        print(f"| {n} (projected) | {wall:.0f} s | {full / wall * 60:.0f} | {3 * n + 10} |")
    store = statistics.median(base.store_db) if base.store_db else 0.0
    claim = statistics.median(base.claim_db) if base.claim_db else 0.0
    print(
        f"\nDatabase time a run (claim + store and commit): {(store + claim) * 1000:.0f} ms. "
        f"With 128 workers a run finishes every {per_run / 128 * 1000:.0f} ms on average: "
        f"{(store + claim) / (per_run / 128):.0%} of one database connection's time, "
        "if the writes did not overlap."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--footprints", type=int, default=44, help="how many footprints (spread over all 44)")
    parser.add_argument(
        "--time-limit", type=float, default=60.0, help="solver seconds a run (RunOptions default)"
    )
    parser.add_argument("--workers", default="1,2", help="worker counts to measure, e.g. 1,2")
    parser.add_argument("--logs", type=Path, default=Path("/tmp") / f"scale-bench-{os.getpid()}")
    args = parser.parse_args(argv)
    admin_url = os.environ.get(
        "BENCH_DATABASE_URL",
        os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    )
    args.logs.mkdir(parents=True, exist_ok=True)
    print(f"load average at the start: {os.getloadavg()}; {os.cpu_count()} cores; logs in {args.logs}")
    passes = []
    for n in [int(x) for x in args.workers.split(",")]:
        p = one_pass(admin_url, n, args.footprints, args.time_limit, args.logs)
        print(f"  {n} worker(s): {p.runs} runs in {p.wall:.1f} s {p.statuses}", flush=True)
        passes.append(p)
    report(passes, args.footprints, args.time_limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
