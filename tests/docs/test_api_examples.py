"""The analysts' examples (docs/examples/*.py, included word for word in docs/analysts/index.md) run against a
live server: `stpplan serve` on a free port, over a fresh migrated database with the demo footprint loaded,
each example with a token of the role its page says it needs."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.databases import BACKENDS, fresh_database_url

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
STPPLAN = [str(Path(sys.executable).with_name("stpplan"))]
FOOTPRINT = "E54000007"

# example -> (role, footprints) of the token it runs with: the least a reader needs, as its page says.
ROLES: dict[str, tuple[str, list[str]]] = {
    "cost_lines.py": ("analyst", []),
    "errors.py": ("analyst", []),
    "upload.py": ("finance_director", [FOOTPRINT]),
    "run.py": ("planner", [FOOTPRINT]),
    "sweep.py": ("analyst", []),
    "planner.py": ("planner", [FOOTPRINT]),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stpplan(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [*STPPLAN, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, f"stpplan {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


class Server:
    def __init__(self, url: str, env: dict[str, str]) -> None:
        self.url = url
        self.env = env

    def token(self, role: str, footprints: list[str]) -> str:
        args = ["token", "create", "--role", role, "--name", f"docs example ({role})"]
        for code in footprints:
            args += ["--footprint", code]
        found = re.findall(r"stp_[A-Za-z0-9_\-]+", _stpplan(self.env, *args))
        assert found, "no token printed"
        return found[-1]


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("examples")
    with fresh_database_url(str(request.param), directory, migrate=False) as database_url:
        port = _free_port()
        env = {**os.environ, "DATABASE_URL": database_url, "STP_PORT": str(port), "STP_RUN_WORKERS": "1"}
        _stpplan(env, "db", "upgrade")
        _stpplan(env, "demo", "load")
        log = directory / "serve.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [*STPPLAN, "serve"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "no answer within 60 s:\n" + log.read_text()
                time.sleep(0.2)
            yield Server(url, env)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def run_example(server: Server, name: str) -> str:
    role, footprints = ROLES[name]
    env = {**os.environ, "STP_URL": server.url, "STP_TOKEN": server.token(role, footprints)}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"docs/examples/{name} failed:\n{done.stdout}\n{done.stderr}"
    print(f"$ python docs/examples/{name}\n{done.stdout}")
    return done.stdout


def test_every_example_is_tested_and_shown_on_a_page() -> None:
    pages = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "docs").rglob("*.md"))
    for path in EXAMPLES.glob("*.py"):
        assert path.name in ROLES, f"docs/examples/{path.name} is not run by this test: add it to ROLES"
        included = f'--8<-- "docs/examples/{path.name}"' in pages
        assert included, f"no page of docs/ includes docs/examples/{path.name}"


@pytest.mark.slow
def test_the_analysts_examples_run_against_a_live_server(server: Server) -> None:
    # In one test, in the page's order (the upload changes a figure the later runs then plan with): under
    # pytest-xdist separate tests could each start their own server.
    out = run_example(server, "cost_lines.py")
    counted = re.search(r"^(\d+) cost lines \(the API counted (\d+)\)", out, re.M)
    assert counted and counted[1] == counted[2] and int(counted[1]) > 0, out

    out = run_example(server, "errors.py")
    assert out.startswith("401 application/problem+json /problems/unauthorised"), out
    assert "/problems/unknown-filter-value" in out and "payroll" in out, out

    out = run_example(server, "upload.py")
    assert re.search(r"0 inserted, 1 updated, \d+ unchanged, 0 skipped", out), out
    assert "CostLines!" in out and "422" in out, out

    out = run_example(server, "run.py")
    assert re.search(r"^run \d+ (optimal|feasible): NPV £[\d,]+\.\d\d, payback year \d", out, re.M), out
    assert re.search(r"hub at \w+ from year \d", out), out

    out = run_example(server, "planner.py")
    assert re.search(r"^central: (optimal|feasible), NPV £[\d,]+$", out, re.M), out
    assert re.search(r"^pessimistic: (optimal|feasible), NPV £[\d,]+$", out, re.M), out
    assert re.search(r"^pessimistic minus central: £-?[\d,]+$", out, re.M), out
    assert "409 " in out, out

    out = run_example(server, "sweep.py")
    assert re.search(r"^finished: \{'(optimal|feasible)': 3\}$|^finished: \{.*\}$", out, re.M), out
    assert out.count("NPV £") == 3, out
