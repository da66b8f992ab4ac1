"""Runs on real Celery workers (`stpplan worker` processes) over the machine's Redis and a fresh
PostgreSQL database: a sweep fanned out over two workers gives the local executor's results; a worker
killed mid-solve has its run redelivered and finished once by the other; the broker cut mid-sweep loses
nothing and does nothing twice."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from app.auth.rules import command_line_caller
from app.auth.service import issue_token
from app.demo.service import load_demo
from app.main import create_app
from app.runs.celery_executor import CeleryExecutor
from app.runs.executor import LocalProcessExecutor
from models import Role, Run, RunPlanRow, RunStatus, RunYear, Sweep
from models.session import make_engine, session_factory
from tests.app.runs.celery_harness import (
    STPPLAN,
    TcpProxy,
    Workers,
    celery_workers,
    queue_settings,
    require_services,
    settings_of,
    wait_for,
)
from tests.app.runs.conftest import FP, SMALL_ASSUMPTIONS, small_footprint
from tests.databases import fresh_database_url

pytestmark = pytest.mark.slow
SWEEPS = f"/footprints/{FP}/sweeps"
RUNS = f"/footprints/{FP}/runs"


@dataclass
class CeleryService:
    client: TestClient
    factory: sessionmaker[Session]
    workers: Workers
    executor: CeleryExecutor
    env: dict[str, str]
    url: str


@contextmanager
def celery_service(
    tmp_path: Path, demo: bool = False, api_broker_url: str | None = None, **overrides: Any
) -> Iterator[CeleryService]:
    require_services()
    with fresh_database_url("postgresql", tmp_path) as url:
        engine = make_engine(url)
        factory = session_factory(engine)
        with factory.begin() as session:
            if demo:
                load_demo(session)
            secret = issue_token(session, command_line_caller(), name="celery-tests", role=Role.ADMIN).secret
        env = queue_settings(url, **overrides)
        api_env = {**env, **({"BROKER_URL": api_broker_url} if api_broker_url else {})}
        executor = CeleryExecutor(settings_of(api_env))
        app = create_app(session_factory=factory, executor=executor)
        try:
            with (
                celery_workers(env, tmp_path) as workers,
                TestClient(app, headers={"Authorization": f"Bearer {secret}"}) as client,
            ):
                yield CeleryService(client, factory, workers, executor, env, url)
        finally:
            engine.dispose()


def results(factory: sessionmaker[Session], run_ids: list[int]) -> dict[str, Any]:
    """What a run stores, keyed by its scenario: status, NPV, payback, plan and yearly figures."""
    out: dict[str, Any] = {}
    with factory() as session:
        for run in session.scalars(select(Run).where(Run.id.in_(run_ids))):
            plan = sorted(
                (r.function_key, r.host, r.member, r.year, r.hub_opening_year)
                for r in session.scalars(select(RunPlanRow).where(RunPlanRow.run_id == run.id))
            )
            years = [
                (y.year, y.savings_pence, y.net_cash_pence, y.discounted_net_cash_pence, str(y.wte_released))
                for y in session.scalars(
                    select(RunYear).where(RunYear.run_id == run.id).order_by(RunYear.year)
                )
            ]
            key = repr(sorted((run.snapshot or {}).get("variation", {}).items()))
            out[key] = (run.status.value, run.npv_pence, run.payback_year, plan, years)
    return out


def finished_events(factory: sessionmaker[Session], run_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    with factory() as session:
        return {r.id: list(r.history) for r in session.scalars(select(Run).where(Run.id.in_(run_ids)))}


def sweep_finished(client: TestClient, sweep_id: int) -> bool:
    return bool(client.get(f"{SWEEPS}/{sweep_id}").json()["finished"])


GRID = {"savings_multipliers": [0.8, 0.9, 1.0, 1.1, 1.2], "transition_multipliers": [0.5, 1.0, 1.5, 2.0]}


def test_a_twenty_run_sweep_on_two_workers_matches_the_local_executor(tmp_path: Path) -> None:
    with celery_service(tmp_path) as service:
        for _ in range(2):
            service.workers.start(concurrency=1)
        # The container health check: this machine's worker answers over the broker; none on another queue.
        env = {**os.environ, **service.env}
        ping = [STPPLAN, "worker", "--ping"]
        assert subprocess.run(ping, env=env, capture_output=True, timeout=60).returncode == 0
        elsewhere = {**env, "STP_CELERY_QUEUE": f"{service.env['STP_CELERY_QUEUE']}-nobody"}
        assert subprocess.run(ping, env=elsewhere, capture_output=True, timeout=60).returncode == 1
        small_footprint(service.client)
        body = {"assumptions": SMALL_ASSUMPTIONS, "grid": GRID, "options": {"time_limit": 4}}
        created = service.client.post(SWEEPS, json=body)
        assert created.status_code == 202, created.text
        sweep = created.json()
        assert sweep["runs"] == 20
        wait_for(lambda: sweep_finished(service.client, sweep["id"]), 120, "the Celery sweep")
        celery_ids = sweep["run_ids"]
        histories = finished_events(service.factory, celery_ids)
        # Fanned out: one task per child, each claimed once, and both workers took a share.
        claimers = set()
        for run_id, history in histories.items():
            claims = [e for e in history if e["event"] == "claimed"]
            assert len(claims) == 1, (run_id, history)
            assert [e["event"] for e in history].count("finished") == 1
            assert any(e["event"] == "enqueued" for e in history)
            claimers.add(claims[0]["worker"]["pid"])
        owners = {w.pid for w in service.workers.started for pid in claimers if w.owns(pid)}
        assert owners == {w.pid for w in service.workers.started}, "both workers should have taken runs"
        # The aggregate was stamped when the last child finished.
        with service.factory() as session:
            stamped = session.get(Sweep, sweep["id"])
            assert stamped is not None and stamped.finished_at is not None
            last = max(r.finished_at for r in session.scalars(select(Run).where(Run.sweep_id == sweep["id"])))
            assert last is not None and stamped.finished_at >= last

        # The same sweep again, executed by the local process executor.
        service.workers.stop_all()
        local = service.client.post(SWEEPS, json=body).json()
        executor = LocalProcessExecutor(service.url, workers=2, heartbeat_seconds=0.5)
        executor.start()
        try:
            wait_for(lambda: sweep_finished(service.client, local["id"]), 120, "the local sweep")
        finally:
            executor.shutdown()
        with service.factory() as session:
            stamped = session.get(Sweep, local["id"])
            assert stamped is not None and stamped.finished_at is not None  # on the local executor too
        on_celery, on_local = results(service.factory, celery_ids), results(service.factory, local["run_ids"])
        assert len(on_celery) == 20 and on_celery.keys() == on_local.keys()
        for scenario, outcome in on_celery.items():
            assert outcome[0] == "optimal", (scenario, outcome[0])
            assert outcome == on_local[scenario], scenario
        # The scenarios differ, so equal results are not an accident of one answer for all.
        assert len({outcome[1] for outcome in on_celery.values()}) >= 10


def test_a_worker_killed_mid_solve_is_redelivered_and_finished_once_by_the_other(tmp_path: Path) -> None:
    # The reaper passes are far apart, so it is the broker's redelivery (visibility timeout 10 s) that
    # brings the run back, and the redelivered task that takes the stale run over.
    with celery_service(tmp_path, demo=True, STP_RUN_REAP_EVERY_SECONDS=600) as service:
        first, second = service.workers.start(), service.workers.start()
        created = service.client.post(
            f"/footprints/{FP}/runs", json={"options": {"time_limit": 4}, "label": "kill me"}
        )
        assert created.status_code == 202, created.text
        run_id = created.json()["id"]

        def claimed_by() -> int | None:
            with service.factory() as session:
                run = session.get(Run, run_id)
                assert run is not None
                if run.status is RunStatus.RUNNING and run.solver_statistics.get("worker"):
                    return int(run.solver_statistics["worker"]["pid"])
                return None

        pid = wait_for(claimed_by, 60, "a worker to claim the run")
        victim, survivor = (first, second) if first.owns(pid) else (second, first)
        assert victim.owns(pid)
        time.sleep(1.0)  # mid-solve: the solve takes 4 s
        victim.kill_hard()

        def done() -> Run | None:
            with service.factory() as session:
                run = session.get(Run, run_id)
                return (
                    run
                    if run is not None and run.status not in (RunStatus.QUEUED, RunStatus.RUNNING)
                    else None
                )

        run = wait_for(done, 60, "the other worker to finish the run")
        assert run.status in (RunStatus.FEASIBLE, RunStatus.OPTIMAL), run.error_message
        assert run.attempts == 2
        events = [e["event"] for e in run.history]
        assert events.count("claimed") == 2 and events.count("finished") == 1, events
        # The API shows the same history.
        assert [e["event"] for e in service.client.get(f"{RUNS}/{run_id}").json()["history"]] == events
        assert events.index("re-queued") > events.index("claimed"), events
        claims = [e for e in run.history if e["event"] == "claimed"]
        assert victim.owns(claims[0]["worker"]["pid"]) is False  # it is dead: its pids are gone
        assert survivor.owns(claims[1]["worker"]["pid"])
        assert claims[1]["attempt"] == 2
        # Brought back by the broker (late acknowledgement), not sent again by a reaper.
        assert claims[1]["delivery"]["redelivered"] is True
        assert claims[0]["delivery"]["redelivered"] is False
        requeue = next(e for e in run.history if e["event"] == "re-queued")
        assert str(pid) in requeue["reason"]
        with service.factory() as session:
            years = session.scalar(select(func.count()).select_from(RunYear).where(RunYear.run_id == run_id))
            horizon = run.snapshot["assumptions"]["horizon_years"]
            assert years == horizon  # one result, not two


def test_the_broker_cut_mid_sweep_loses_nothing_and_does_nothing_twice(tmp_path: Path) -> None:
    proxy = TcpProxy("127.0.0.1", 6379)
    try:
        with celery_service(
            tmp_path, demo=False, api_broker_url=proxy.url(), BROKER_URL=proxy.url()
        ) as service:
            for _ in range(2):
                service.workers.start()
            small_footprint(service.client)
            body = {
                "assumptions": SMALL_ASSUMPTIONS,
                "grid": {
                    "savings_multipliers": [0.8, 0.9, 1.0, 1.1, 1.2, 1.3],
                    "transition_multipliers": [1, 2],
                },
                "options": {"time_limit": 4},
            }
            sweep = service.client.post(SWEEPS, json=body).json()
            wait_for(
                lambda: service.client.get(f"{SWEEPS}/{sweep['id']}").json()["by_status"].get("optimal"),
                60,
                "the first run to finish",
                every=0.02,
            )
            proxy.cut()
            cut_at = time.monotonic()
            at_cut = service.client.get(f"{SWEEPS}/{sweep['id']}").json()["by_status"]
            assert at_cut.get("queued", 0) + at_cut.get("running", 0) > 0, at_cut
            # The API keeps answering, at once, and takes new work: a run launched now stays queued.
            slowest = 0.0
            late_run = None
            while time.monotonic() - cut_at < 5:
                started = time.monotonic()
                answer = service.client.get(f"{SWEEPS}/{sweep['id']}")
                assert answer.status_code == 200
                if late_run is None:
                    late = service.client.post(
                        RUNS, json={"assumptions": SMALL_ASSUMPTIONS, "options": {"time_limit": 4}}
                    )
                    assert late.status_code == 202, late.text
                    late_run = late.json()["id"]
                slowest = max(slowest, time.monotonic() - started)
                time.sleep(0.2)
            assert slowest < 1.0, f"the API took {slowest:.2f}s to answer while the broker was away"
            with service.factory() as session:
                held = session.get(Run, late_run)
                assert held is not None and held.status is RunStatus.QUEUED and held.enqueued_at is None
            proxy.restore()
            wait_for(lambda: sweep_finished(service.client, sweep["id"]), 90, "the sweep after the cut")
            wait_for(
                lambda: service.client.get(f"{RUNS}/{late_run}").json()["status"] == "optimal",
                60,
                "the run launched during the cut",
            )
            run_ids = [*sweep["run_ids"], late_run]
            # Nothing lost, nothing done twice.
            for run_id, history in finished_events(service.factory, run_ids).items():
                events = [e["event"] for e in history]
                assert events.count("claimed") == 1 and events.count("finished") == 1, (run_id, events)
            with service.factory() as session:
                statuses = session.scalars(select(Run.status).where(Run.id.in_(run_ids))).all()
                assert statuses == [RunStatus.OPTIMAL] * len(run_ids)
                assert all(r.attempts == 1 for r in session.scalars(select(Run).where(Run.id.in_(run_ids))))
    finally:
        proxy.close()


def test_cancel_stops_the_solve_on_its_worker(tmp_path: Path) -> None:
    with celery_service(tmp_path, demo=True, STP_RUN_REAP_EVERY_SECONDS=600) as service:
        service.workers.start()  # one worker, one run at a time
        first = service.client.post(f"/footprints/{FP}/runs", json={"options": {"time_limit": 4}}).json()[
            "id"
        ]
        started = wait_for(
            lambda: (run := service.client.get(f"{RUNS}/{first}").json())["status"] != "queued" and run,
            60,
            "the run to start",
        )
        assert started["status"] == "running", (started, service.workers.started[0].log.read_text())
        cancelled = service.client.post(f"{RUNS}/{first}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        cancelled_at = time.monotonic()
        second = service.client.post(f"/footprints/{FP}/runs", json={"options": {"time_limit": 1}}).json()[
            "id"
        ]
        # The worker is free long before the cancelled solve's 10 s would have ended.
        wait_for(
            lambda: service.client.get(f"{RUNS}/{second}").json()["status"] != "queued", 30, "the next run"
        )
        assert time.monotonic() - cancelled_at < 6
        wait_for(
            lambda: service.client.get(f"{RUNS}/{second}").json()["status"] in ("optimal", "feasible"),
            60,
            "the next run to finish",
        )
        with service.factory() as session:
            run = session.get(Run, first)
            assert run is not None and run.status is RunStatus.CANCELLED
            events = [e["event"] for e in run.history]
            assert "cancelled" in events and "finished" not in events
