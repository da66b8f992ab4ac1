"""Executing one run: the task any executor backend calls (a local process today, Celery later).

`execute_run` is the whole job over a session factory, so tests can call it in-process; `run_in_process`
is the entry point of a local worker process, with its own engine on the app's DATABASE_URL.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.runs import execution, results
from app.runs.problem_builder import build_problem
from app.sweeps.service import close_finished
from models.session import make_engine, session_factory
from solver import solve
from solver.problem import Progress, SolveOptions

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0


class _Heartbeat(threading.Thread):
    """Beats while the solver works (HiGHS releases the GIL); calls `abandon` once the run is no longer
    ours (cancelled, or reaped as stale), so a cancelled run stops using a worker."""

    def __init__(
        self, factory: sessionmaker[Session], run_id: int, every: float, abandon: Callable[[], None]
    ) -> None:
        super().__init__(name=f"heartbeat-run-{run_id}", daemon=True)
        self.factory, self.run_id, self.every, self.abandon = factory, run_id, every, abandon
        self.stopped = threading.Event()
        # The solver's latest progress, set from the solver's thread and written with the next beat:
        # progress costs no database write of its own, however often the solver improves.
        self.progress: dict[str, Any] | None = None
        self.progress_written: dict[str, Any] | None = None

    def record(self, progress: Progress) -> None:
        self.progress = execution.progress_record(progress)

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            progress = self.progress
            try:
                with self.factory.begin() as session:
                    alive = execution.beat(
                        session, self.run_id, progress if progress is not self.progress_written else None
                    )
                self.progress_written = progress
            except Exception:  # noqa: BLE001 - a missed beat is survivable; the reaper has slack
                log.exception("heartbeat of run %s failed", self.run_id)
                continue
            if not alive and not self.stopped.is_set():
                log.info("run %s is no longer running here; abandoning it", self.run_id)
                self.abandon()
                return


def execute_run(
    factory: sessionmaker[Session],
    run_id: int,
    heartbeat_seconds: float = HEARTBEAT_SECONDS,
    abandon: Callable[[], None] | None = None,
    take_over_after: timedelta | None = None,
    max_solve_seconds: float | None = None,
    delivery: dict[str, Any] | None = None,
) -> str | None:
    """Claim, solve and store one run. Returns the final status, or None if the run was not ours to do.

    `take_over_after`: a task queue redelivers a task whose worker died; the run is then still
    `running` under the dead worker. If its heartbeat is older than this, it is reaped by the same rule
    as the reaper's (re-queued, or failed after MAX_ATTEMPTS) and claimed here. `max_solve_seconds` caps
    the solver's time limit (a task queue's visibility timeout is set above it); `delivery` says how the
    task queue delivered it, for the run's history."""
    claiming = time.perf_counter()
    if take_over_after is not None:
        with factory.begin() as session:
            execution.reap_stale_runs(session, take_over_after, run_ids=[run_id])
    with factory.begin() as session:
        run = execution.claim_run(session, run_id, delivery)
        if run is None:
            return None
        snapshot, options, sweep_id = run.snapshot, run.options or {}, run.sweep_id
    log.info("run %s claimed in %.3fs", run_id, time.perf_counter() - claiming)
    try:
        return _solve_and_store(
            factory, run_id, snapshot, options, heartbeat_seconds, abandon, max_solve_seconds
        )
    finally:
        if sweep_id is not None:
            # After the run's own commit, so the last child to finish sees all the others done.
            with factory.begin() as session:
                close_finished(session, [sweep_id])


def _solve_and_store(
    factory: sessionmaker[Session],
    run_id: int,
    snapshot: dict[str, Any],
    options: dict[str, Any],
    heartbeat_seconds: float,
    abandon: Callable[[], None] | None,
    max_solve_seconds: float | None,
) -> str | None:
    time_limit = float(options.get("time_limit", 60.0))
    if max_solve_seconds is not None:
        time_limit = min(time_limit, max_solve_seconds)
    # A sweep's children may start from its central run's plan (SolveOptions.warm_start).
    warm_start = None
    if options.get("warm_start_run"):
        with factory() as session:
            warm_start = results.plan_hubs(session, options["warm_start_run"])
    started = time.perf_counter()
    heartbeat = _Heartbeat(factory, run_id, heartbeat_seconds, abandon or (lambda: None))
    heartbeat.start()
    try:
        problem = build_problem(snapshot)
        plan = solve(
            problem,
            SolveOptions(
                solver=options.get("solver", "highs"),
                time_limit=time_limit,
                relative_gap=options.get("relative_gap", 1e-4),
                seed=options.get("seed", 0),
                on_progress=heartbeat.record,
                warm_start=warm_start,
            ),
        )
    except Exception as exc:  # noqa: BLE001 - a run that fails is recorded as an error, never left running
        heartbeat.stopped.set()
        with factory.begin() as session:
            execution.fail_run(session, run_id, f"{type(exc).__name__}: {exc}")
        return "error"
    finally:
        heartbeat.stopped.set()
    storing = time.perf_counter()
    with factory.begin() as session:
        stored = execution.store_outcome(session, run_id, plan, storing - started)
    # benchmarks/scale_bench.py reads these figures: the database's share of a run.
    log.info(
        "run %s solved in %.3fs, stored and committed in %.3fs",
        run_id,
        storing - started,
        time.perf_counter() - storing,
    )
    return plan.status.value if stored else None


_factories: dict[str, sessionmaker[Session]] = {}


def run_in_process(database_url: str, run_id: int, heartbeat_seconds: float = HEARTBEAT_SECONDS) -> None:
    """Entry point of a local worker process: its own engine and sessions on the app's database."""
    factory = _factories.get(database_url)
    if factory is None:
        factory = _factories[database_url] = session_factory(make_engine(database_url))
    # Exiting the process is how a local worker drops a cancelled run: the solver cannot be interrupted.
    execute_run(factory, run_id, heartbeat_seconds, abandon=lambda: os._exit(0))
