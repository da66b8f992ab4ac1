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
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.runs import service
from app.runs.problem_builder import build_problem
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
        self.progress = service.progress_record(progress)

    def run(self) -> None:
        while not self.stopped.wait(self.every):
            progress = self.progress
            try:
                with self.factory.begin() as session:
                    alive = service.beat(
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
) -> str | None:
    """Claim, solve and store one run. Returns the final status, or None if the run was not ours to do."""
    with factory.begin() as session:
        run = service.claim_run(session, run_id)
        if run is None:
            return None
        snapshot, options = run.snapshot, run.options or {}
        # A sweep's children may start from its central run's plan (SolveOptions.warm_start).
        warm_start = (
            service.plan_hubs(session, options["warm_start_run"]) if options.get("warm_start_run") else None
        )
    started = time.perf_counter()
    heartbeat = _Heartbeat(factory, run_id, heartbeat_seconds, abandon or (lambda: None))
    heartbeat.start()
    try:
        problem = build_problem(snapshot)
        plan = solve(
            problem,
            SolveOptions(
                solver=options.get("solver", "highs"),
                time_limit=options.get("time_limit", 60.0),
                relative_gap=options.get("relative_gap", 1e-4),
                seed=options.get("seed", 0),
                on_progress=heartbeat.record,
                warm_start=warm_start,
            ),
        )
    except Exception as exc:  # noqa: BLE001 - a run that fails is recorded as an error, never left running
        heartbeat.stopped.set()
        with factory.begin() as session:
            service.fail_run(session, run_id, f"{type(exc).__name__}: {exc}")
        return "error"
    finally:
        heartbeat.stopped.set()
    with factory.begin() as session:
        stored = service.store_outcome(session, run_id, plan, time.perf_counter() - started)
    return plan.status.value if stored else None


_factories: dict[str, sessionmaker[Session]] = {}


def run_in_process(database_url: str, run_id: int, heartbeat_seconds: float = HEARTBEAT_SECONDS) -> None:
    """Entry point of a local worker process: its own engine and sessions on the app's database."""
    factory = _factories.get(database_url)
    if factory is None:
        factory = _factories[database_url] = session_factory(make_engine(database_url))
    # Exiting the process is how a local worker drops a cancelled run: the solver cannot be interrupted.
    execute_run(factory, run_id, heartbeat_seconds, abandon=lambda: os._exit(0))
