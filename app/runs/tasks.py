"""Runs as Celery tasks on Redis (RUN_EXECUTOR=celery): the Celery app, its one task, and the worker's
side of the run life cycle. The task is a thin wrapper over `worker.execute_run`.

Delivery that survives faults (docs/operators/deploy.md):
- late acknowledgement: a task is acknowledged after `execute_run` returns, i.e. after the run's
  result is committed; a task whose worker process dies is handed back (`task_reject_on_worker_lost`),
  and one whose whole worker (machine) dies is restored by Redis after the visibility timeout;
- the visibility timeout is longer than the longest solve a worker allows (`run_max_solve_seconds`,
  checked in app/settings.py), so a live worker's task is never handed to a second worker;
- at most one completion: every state change of a run is a conditional update, so a redelivered
  duplicate claims nothing and does nothing; a redelivery whose run is still `running` under a worker
  whose heartbeat stopped takes it over by the reaper's rule;
- no prefetching: a worker takes a task only when one of its processes is free, so a backlog is spread
  over every worker rather than queued behind one.

Every key the broker keeps is prefixed by the queue's name, so deployments (and concurrent test runs)
can share one Redis without seeing each other's tasks.
"""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from typing import Any

from celery import Celery, Task, signals
from sqlalchemy.orm import Session, sessionmaker

from app.runs.worker import execute_run
from app.settings import Settings, get_settings
from models.session import make_engine, session_factory

log = logging.getLogger(__name__)

TASK_NAME = "stpplan.execute_run"


def task_id(settings: Settings, run_id: int) -> str:
    """One task id per run (per deployment's queue), so a cancel can revoke it by name."""
    return f"{settings.celery_queue}-run-{run_id}"


def make_celery(settings: Settings) -> Celery:
    app = Celery("stpplan", broker=settings.broker_url, set_as_current=False)
    visibility = settings.celery_visibility_timeout_seconds
    app.conf.update(
        task_default_queue=settings.celery_queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        worker_prefetch_multiplier=1,
        worker_disable_prefetch=True,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=settings.celery_connect_timeout_seconds,
        broker_transport_options={
            "visibility_timeout": visibility,
            "global_keyprefix": f"{settings.celery_queue}:",
            # Look for tasks of dead workers often enough to honour a short visibility timeout.
            "unacked_restore_interval": max(1, min(10, int(visibility / 10))),
            "unacked_restore_throttle": 1,
            "socket_connect_timeout": settings.celery_connect_timeout_seconds,
            "socket_keepalive": True,
            "health_check_interval": 10,
        },
        # The control channel (revoke for cancel) shares the prefix too.
        control_exchange=f"{settings.celery_queue}-control",
        event_exchange=f"{settings.celery_queue}-events",
    )
    app.conf.stpplan_settings = settings

    # shared=False: the task belongs to this app only. A shared task is added to every Celery app made
    # after it, so a second make_celery in one process (tests, the CLI) met the first one's under the name.
    @app.task(name=TASK_NAME, bind=True, ignore_result=True, shared=False)
    def execute_run_task(self: Task, run_id: int) -> str | None:
        return run_task(self.app.conf.stpplan_settings, run_id, _delivery(self))

    return app


def _delivery(task: Task) -> dict[str, Any]:
    info = getattr(task.request, "delivery_info", None) or {}
    return {"redelivered": bool(info.get("redelivered")), "hostname": task.request.hostname}


_factories: dict[str, sessionmaker[Session]] = {}


def _factory(database_url: str) -> sessionmaker[Session]:
    factory = _factories.get(database_url)
    if factory is None:
        factory = _factories[database_url] = session_factory(make_engine(database_url))
    return factory


def run_task(settings: Settings, run_id: int, delivery: dict[str, Any] | None = None) -> str | None:
    """The task's body: execute the run with the worker's settings."""
    log.info("run %s delivered to %s", run_id, (delivery or {}).get("hostname"))
    return execute_run(
        _factory(settings.database_url),
        run_id,
        settings.run_heartbeat_seconds,
        # A run cancelled (or reaped) under us: leave the pool process; the pool starts a fresh one and
        # the broker's copy of the task, if any comes back, claims nothing.
        abandon=lambda: os._exit(0),
        take_over_after=timedelta(seconds=settings.run_stale_after_seconds),
        max_solve_seconds=settings.run_max_solve_seconds,
        delivery=delivery,
    )


@signals.worker_process_init.connect
def _fresh_engines(**_: Any) -> None:
    # A pool process forked from the worker must not share the parent's database connections.
    for factory in _factories.values():
        factory.kw["bind"].dispose(close=False)


def worker_name(settings: Settings) -> str:
    return f"stpplan-{settings.celery_queue}@{os.uname().nodename}-{os.getpid()}"


def ping_local_worker(settings: Settings | None = None, timeout: float = 5.0) -> bool:
    """Whether a worker of this machine (container) answers a control ping over the broker."""
    settings = settings or get_settings()
    app = make_celery(settings)
    prefix = f"stpplan-{settings.celery_queue}@{os.uname().nodename}-"
    try:
        replies = app.control.ping(timeout=timeout) or []
    finally:
        app.close()
    return any(name.startswith(prefix) for reply in replies for name in reply)


def start_worker(
    settings: Settings | None = None, concurrency: int | None = None, loglevel: str = "INFO"
) -> None:
    """`stpplan worker`: a Celery worker on the settings' queue, with the executor's reaper beside it
    (stale runs re-queued, runs no queue holds handed to it, finished sweeps stamped)."""
    from app.runs.celery_executor import CeleryExecutor

    settings = settings or get_settings()
    app = make_celery(settings)
    dispatcher = CeleryExecutor(settings, celery=app)

    @signals.worker_ready.connect(weak=False)
    def _start_dispatcher(**_: Any) -> None:
        dispatcher.start()

    @signals.worker_process_init.connect(weak=False)
    def _forget_dispatcher_connections(**_: Any) -> None:
        dispatcher.forget_connections()

    @signals.worker_shutdown.connect(weak=False)
    def _stop_dispatcher(**_: Any) -> None:
        dispatcher.shutdown()

    worker = app.Worker(
        queues=[settings.celery_queue],
        concurrency=concurrency or settings.run_workers,
        pool="prefork",
        loglevel=loglevel,
        without_gossip=True,
        without_mingle=True,
        hostname=worker_name(settings),
    )
    worker.start()
    raise SystemExit(worker.exitcode)
