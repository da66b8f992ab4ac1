"""The README's first command: `make run` migrates, loads the demo footprint and serves it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.skipif(not (ROOT / ".venv" / ".installed").exists(), reason="needs the Makefile's .venv")
def test_make_run_serves_the_demo_footprint(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'planner.sqlite3'}",
        "STP_PORT": str(port),
    }
    log = tmp_path / "make-run.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("make run did not serve within 120 s:\n" + log.read_text())
        output = log.read_text()
        assert f"http://127.0.0.1:{port}/docs" in output
        token = re.search(r"Bearer (stp_[A-Za-z0-9_\-]+)", output)
        assert token, output
        response = httpx.get(
            f"http://127.0.0.1:{port}/footprints", headers={"Authorization": f"Bearer {token.group(1)}"}
        )
        assert response.status_code == 200, response.text
        assert [f["code"] for f in response.json()["items"]] == ["E54000007"]
        assert httpx.get(f"http://127.0.0.1:{port}/docs").status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
