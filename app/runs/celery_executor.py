"""`CeleryExecutor`: runs executed by Celery workers (`stpplan worker`) on any number of machines that
share the database, fed through Redis. The API's process and every worker's main process run one.

The database, not the broker, is the record of what must run: a run is `queued` in the database first,
then handed to the broker by a sender thread that keeps trying while the broker is away, so the API
never waits for the broker (a request that queued runs returns at once) and nothing is lost when the
broker is down. The reaper pass (the local executor's rules: stale heartbeat -> re-queued, then failed)
also hands the broker any queued run it never received or lost, and stamps sweeps whose children are
all done. Duplicates this may cause cost nothing: a run's claim is a conditional update.
"""

from __future__ import annotations

import logging
import queue
import threading
from datetime import timedelta
from typing import TYPE_CHECKING

from app.runs import execution, service
from app.settings import Settings
from app.sweeps.service import close_finished
from models.base import utcnow
from models.session import make_engine, session_factory

if TYPE_CHECKING:
    from celery import Celery

log = logging.getLogger(__name__)


class CeleryExecutor:
    def __init__(self, settings: Settings, celery: Celery | None = None) -> None:
        from app.runs.tasks import make_celery

        self.settings = settings
        self.celery = celery or make_celery(settings)
        self.stale_after = timedelta(seconds=settings.run_stale_after_seconds)
        self.reap_every = settings.run_reap_every_seconds
        self._engine = make_engine(settings.database_url)
        self._factory = session_factory(self._engine)
        self._outbox: queue.Queue[int | None] = queue.Queue()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sends = 0

    # -- interface --------------------------------------------------------------------------------

    def start(self) -> None:
        self._stopping.clear()
        self._threads = [
            threading.Thread(target=self._send_forever, name="run-sender", daemon=True),
            threading.Thread(target=self._reap_periodically, name="run-reaper", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, run_id: int) -> None:
        # Never waits for the broker: the sender thread hands it over, retrying while the broker is away.
        self._outbox.put(run_id)

    def cancel(self, run_id: int) -> None:
        # The run is already `cancelled` in the database, so its worker's next heartbeat gives it up even
        # if this revoke never arrives; in the background, as the broker may be unreachable.
        threading.Thread(target=self._revoke, args=(run_id,), name=f"revoke-{run_id}", daemon=True).start()

    def shutdown(self) -> None:
        self._stopping.set()
        self._outbox.put(None)
        for thread in self._threads:
            thread.join(timeout=5)
        # Runs still in the outbox stay queued in the database: the next reaper pass sends them.
        self._engine.dispose()

    # -- inside -----------------------------------------------------------------------------------

    def forget_connections(self) -> None:
        """In a process forked from this one: drop the inherited pool without closing the parent's sockets."""
        self._engine.dispose(close=False)

    def send(self, run_id: int) -> None:
        """Hand one run to the broker now (raises if the broker cannot be reached)."""
        from app.runs.tasks import TASK_NAME, task_id

        at = utcnow()
        self.celery.send_task(
            TASK_NAME,
            args=[run_id],
            task_id=task_id(self.settings, run_id),
            queue=self.settings.celery_queue,
            retry=True,
            retry_policy={"max_retries": 1, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1},
        )
        self._sends += 1
        with self._factory.begin() as session:
            execution.mark_enqueued(session, run_id, at, self.settings.celery_queue, self._sends)

    def reap(self) -> None:
        """One pass: stale runs re-queued (or failed), queued runs no broker holds sent, sweeps stamped."""
        lost_after = timedelta(seconds=self.settings.celery_visibility_timeout_seconds + self.reap_every)
        try:
            with self._factory.begin() as session:
                requeued, failed = execution.reap_stale_runs(session, self.stale_after)
            with self._factory.begin() as session:
                every = timedelta(seconds=self.reap_every)
                unsent = execution.runs_no_queue_holds(session, every, lost_after)
            with self._factory.begin() as session:
                close_finished(session)
        except Exception:  # noqa: BLE001 - the reaper must outlive a database hiccup
            log.exception("run reaper failed")
            return
        for run_id in failed:
            log.warning("run %s failed: its worker died %s times", run_id, service.MAX_ATTEMPTS)
        for run_id in dict.fromkeys([*requeued, *unsent]):
            self.submit(run_id)

    def _send_forever(self) -> None:
        pause = 0.5
        while not self._stopping.is_set():
            run_id = self._outbox.get()
            if run_id is None:
                return
            try:
                self.send(run_id)
                pause = 0.5
            except Exception as exc:  # noqa: BLE001 - broker away: keep the run, try again shortly
                log.warning("could not hand run %s to the broker (%s); retrying in %.1fs", run_id, exc, pause)
                self._outbox.put(run_id)
                if self._stopping.wait(pause):
                    return
                pause = min(pause * 2, 5.0)

    def _reap_periodically(self) -> None:
        self.reap()
        while not self._stopping.wait(self.reap_every):
            self.reap()

    def _revoke(self, run_id: int) -> None:
        from app.runs.tasks import task_id

        try:
            self.celery.control.revoke(task_id(self.settings, run_id), terminate=True, signal="SIGTERM")
        except Exception:  # noqa: BLE001 - the heartbeat check stops the run anyway
            log.exception("could not revoke run %s", run_id)
