"""Where runs execute. The API only talks to the `RunExecutor` interface, so the local process pool
can be replaced by a distributed task queue (Celery on Redis) without touching routes or services.

`LocalProcessExecutor` (the embedded default): each run executes in its own worker process (forked from
a forkserver that has the solver preloaded, so a start costs milliseconds), at most `workers` at a time.
A process per run lets a cancelled run be stopped at once and a crashed worker harm no other run. A
reaper thread, at start-up and then periodically, re-queues runs whose heartbeat went stale (and fails
them after a second death) and hands every queued run to the pool, so no run stays `running` or
`queued` forever, even across restarts of the API.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from datetime import timedelta
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Protocol

from app.runs import execution, service
from app.runs.worker import HEARTBEAT_SECONDS, run_in_process
from models.session import make_engine, session_factory

if TYPE_CHECKING:
    from app.settings import Settings

log = logging.getLogger(__name__)


class RunExecutor(Protocol):
    def start(self) -> None:
        """Begin executing (called when the app starts)."""

    def submit(self, run_id: int) -> None:
        """Execute a committed, queued run some time soon."""

    def cancel(self, run_id: int) -> None:
        """Stop a run now if it is executing here (its status is already `cancelled`)."""

    def shutdown(self) -> None:
        """Stop accepting runs; runs left unfinished are picked up again at the next start."""


class QueueOnlyExecutor:
    """Leaves runs queued (recording what was submitted): for apps built over a test's shared
    transaction, which no worker process could see. Tests execute such runs with `worker.execute_run`."""

    def __init__(self) -> None:
        self.submitted: list[int] = []
        self.cancelled: list[int] = []

    def start(self) -> None:
        pass

    def submit(self, run_id: int) -> None:
        self.submitted.append(run_id)

    def cancel(self, run_id: int) -> None:
        self.cancelled.append(run_id)

    def shutdown(self) -> None:
        pass


class LocalProcessExecutor:
    def __init__(
        self,
        database_url: str,
        workers: int = 2,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
        stale_after: float = 60.0,
        reap_every: float = 15.0,
    ) -> None:
        self.database_url = database_url
        self.workers = workers
        self.heartbeat_seconds = heartbeat_seconds
        self.stale_after = timedelta(seconds=stale_after)
        self.reap_every = reap_every
        self._slots = threading.BoundedSemaphore(workers)
        self._lock = threading.Lock()
        self._pending: set[int] = set()  # submitted, waiting for a slot or executing
        self._processes: dict[int, BaseProcess] = {}
        self._stopping = threading.Event()
        self._reaper: threading.Thread | None = None
        self._factory = session_factory(make_engine(database_url))
        self._context = multiprocessing.get_context("forkserver")
        # The fork server imports these once; every worker forked from it starts with them loaded.
        self._context.set_forkserver_preload(["app.runs.worker", "solver.solve", "highspy", "pulp"])

    @classmethod
    def from_settings(cls, settings: Settings, workers: int | None = None) -> LocalProcessExecutor:
        """The executor the settings describe (the API's, and the command line's with `--wait`)."""
        return cls(
            settings.database_url,
            workers=settings.run_workers if workers is None else workers,
            heartbeat_seconds=settings.run_heartbeat_seconds,
            stale_after=settings.run_stale_after_seconds,
            reap_every=settings.run_reap_every_seconds,
        )

    # -- interface --------------------------------------------------------------------------------

    def start(self) -> None:
        self._stopping.clear()
        self.reap()
        self._reaper = threading.Thread(target=self._reap_periodically, name="run-reaper", daemon=True)
        self._reaper.start()

    def submit(self, run_id: int) -> None:
        with self._lock:
            if run_id in self._pending or self._stopping.is_set():
                return
            self._pending.add(run_id)
        threading.Thread(target=self._execute, args=(run_id,), name=f"run-{run_id}", daemon=True).start()

    def cancel(self, run_id: int) -> None:
        with self._lock:
            process = self._processes.get(run_id)
        if process is not None and process.is_alive():
            process.terminate()

    def shutdown(self) -> None:
        self._stopping.set()
        with self._lock:
            processes = list(self._processes.values())
        # Unfinished runs stay `running` with a stale heartbeat: the next start re-queues them.
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=5)
        if self._reaper is not None:
            self._reaper.join(timeout=5)
        self._factory.kw["bind"].dispose()

    # -- inside -----------------------------------------------------------------------------------

    def worker_pid(self, run_id: int) -> int | None:
        with self._lock:
            process = self._processes.get(run_id)
        return None if process is None else process.pid

    def reap(self) -> None:
        """One pass of the reaper: stale runs re-queued or failed, every queued run submitted."""
        try:
            with self._factory.begin() as session:
                requeued, failed = execution.reap_stale_runs(session, self.stale_after)
            with self._factory.begin() as session:
                queued = execution.queued_run_ids(session)
        except Exception:  # noqa: BLE001 - the reaper must outlive a database hiccup
            log.exception("run reaper failed")
            return
        for run_id in failed:
            log.warning("run %s failed: its worker died %s times", run_id, service.MAX_ATTEMPTS)
        for run_id in {*requeued, *queued}:
            self.submit(run_id)

    def _reap_periodically(self) -> None:
        while not self._stopping.wait(self.reap_every):
            self.reap()

    def _execute(self, run_id: int) -> None:
        try:
            with self._slots:
                if self._stopping.is_set():
                    return
                process = self._context.Process(
                    target=run_in_process,
                    args=(self.database_url, run_id, self.heartbeat_seconds),
                    name=f"stpplan-run-{run_id}",
                    daemon=True,
                )
                process.start()
                with self._lock:
                    self._processes[run_id] = process
                process.join()
                if process.exitcode not in (0, None):
                    # Killed or crashed: the run stays `running` until its heartbeat is stale, then the
                    # reaper retries it once (the same path as a worker lost on another machine).
                    log.warning("worker for run %s exited with %s", run_id, process.exitcode)
        finally:
            with self._lock:
                self._processes.pop(run_id, None)
                self._pending.discard(run_id)
