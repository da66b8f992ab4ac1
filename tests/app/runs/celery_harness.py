"""Real Celery workers for tests: `stpplan worker` processes over the machine's Redis and a fresh
PostgreSQL database, each test on its own queue (which also prefixes every Redis key it makes, so
concurrent test runs never share a queue), and a TCP proxy a test can cut between a worker and Redis."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis

from app.settings import Settings

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
STPPLAN = str(Path(sys.executable).with_name("stpplan"))


def require_services() -> None:
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("Celery tests need PostgreSQL: set TEST_DATABASE_URL")
    try:
        redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"Celery tests need Redis on {REDIS_HOST}:{REDIS_PORT}")


def queue_settings(database_url: str, broker_url: str | None = None, **overrides: Any) -> dict[str, str]:
    """The environment of a test's workers (and, as Settings, of its API): short timings throughout."""
    env = {
        "DATABASE_URL": database_url,
        "RUN_EXECUTOR": "celery",
        "BROKER_URL": broker_url or f"redis://{REDIS_HOST}:{REDIS_PORT}/0",
        "STP_CELERY_QUEUE": f"stp-test-{uuid.uuid4().hex[:12]}",
        "STP_RUN_HEARTBEAT_SECONDS": "0.5",
        "STP_RUN_STALE_AFTER_SECONDS": "3",
        "STP_RUN_REAP_EVERY_SECONDS": "2",
        "STP_RUN_MAX_SOLVE_SECONDS": "4",
        "STP_CELERY_VISIBILITY_TIMEOUT_SECONDS": "10",
        "STP_CELERY_CONNECT_TIMEOUT_SECONDS": "1",
    }
    env.update({k: str(v) for k, v in overrides.items()})
    return env


def settings_of(env: dict[str, str]) -> Settings:
    return Settings(_env_file=None, **env)  # type: ignore[call-arg]


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def owns(self, pid: int) -> bool:
        """Whether `pid` (a pool process) belongs to this worker: workers run in their own session."""
        try:
            return os.getpgid(pid) == self.process.pid
        except ProcessLookupError:
            return False

    def kill_hard(self) -> None:
        """kill -9 the worker and its pool processes, as when its machine dies."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill_hard()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)


@dataclass
class Workers:
    env: dict[str, str]
    directory: Path
    started: list[Worker] = field(default_factory=list)

    def start(self, concurrency: int = 1, **overrides: Any) -> Worker:
        env = {**os.environ, **self.env, **{k: str(v) for k, v in overrides.items()}}
        log = self.directory / f"worker-{len(self.started)}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [STPPLAN, "worker", "--concurrency", str(concurrency), "--loglevel", "INFO"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(process, log)
        self.started.append(worker)
        wait_for(
            lambda: b" ready." in log.read_bytes() or process.poll() is not None, 60, "a worker to start"
        )
        assert process.poll() is None, log.read_text(errors="replace")
        return worker

    def stop_all(self) -> None:
        for worker in self.started:
            worker.stop()


@contextlib.contextmanager
def celery_workers(env: dict[str, str], directory: Path) -> Iterator[Workers]:
    workers = Workers(env, directory)
    try:
        yield workers
    finally:
        workers.stop_all()
        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT)
        keys = list(client.scan_iter(match=f"{env['STP_CELERY_QUEUE']}*", count=1000))
        if keys:
            client.delete(*keys)


def wait_for(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; `cut()` drops every connection and refuses new ones until
    `restore()`: the broker is unreachable for whoever connects through it."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._cut = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="tcp-proxy").start()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def cut(self) -> None:
        self._cut.set()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def restore(self) -> None:
        self._cut.clear()

    def close(self) -> None:
        self._closed = True
        self.cut()
        self.listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self._cut.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=2)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data or self._cut.is_set():
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            with self._lock:
                self._sockets.discard(source)
                self._sockets.discard(sink)
