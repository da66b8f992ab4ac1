"""`stpplan` as a planner meets it: one-line errors with a non-zero exit, the same database from any
directory, and the runs commands (list, show, review, compare) over a real, committed database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.runs import service as runs
from app.runs.schemas import RunCreate
from app.runs.worker import execute_run
from app.settings import PROJECT_ROOT, Settings, get_settings
from models import Run
from models.session import get_engine, make_engine, session_factory, session_scope
from tests.app.runs.conftest import FP, SMALL_ASSUMPTIONS, committed_small_footprint

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def database(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated database with the small footprint and two finished runs (3- and 2-year horizons)."""
    with committed_small_footprint(backend, tmp_path, monkeypatch) as (url, engine):
        with session_scope(engine) as session:
            for horizon, label in ((3, "three years"), (2, "two years")):
                runs.create_run(
                    session,
                    FP,
                    RunCreate.model_validate(
                        {"assumptions": {**SMALL_ASSUMPTIONS, "horizon_years": horizon}, "label": label}
                    ),
                    created_by="planner-jo",
                )
        for run_id in (1, 2):
            assert execute_run(session_factory(engine), run_id, heartbeat_seconds=3600) == "optimal"
        with session_scope(engine) as session:
            runs.create_run(session, FP, RunCreate(label="waiting"), created_by="planner-jo")
        yield url


def _pounds(pence: int | None) -> str:
    assert pence is not None
    return f"£{(Decimal(pence) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP):,}"


def _npv_pence(url: str, run_id: int) -> int | None:
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            return session.scalar(select(Run.npv_pence).where(Run.id == run_id))
    finally:
        engine.dispose()


def _fails_in_one_line(result: object, starts: str) -> str:
    output: str = result.output  # type: ignore[attr-defined]
    assert result.exit_code == 1, output  # type: ignore[attr-defined]
    assert "Traceback" not in output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith(f"error: {starts}"), lines[0]
    return lines[0]


def test_runs_list_show_review_and_compare(database: str) -> None:
    runner = CliRunner()
    listed = runner.invoke(cli, ["runs", "list"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert [int(line.split()[0]) for line in lines] == [3, 2, 1]
    assert "queued" in lines[0] and "optimal" in lines[2] and lines[2].endswith("three years")
    assert _pounds(_npv_pence(database, 1)) in lines[2]
    only = runner.invoke(cli, ["runs", "list", "--status", "queued", "--footprint", FP])
    assert [line.split()[0] for line in only.output.strip().splitlines()] == ["3"]

    shown = runner.invoke(cli, ["runs", "show", "1"])
    assert shown.exit_code == 0, shown.output
    assert f"run 1 of {FP} (three years): optimal" in shown.output
    # The same words as the API's outcome_text (app/runs/outcome.py), not the command line's own.
    assert "outcome: Best plan found: NPV £" in shown.output
    assert "Proven to be the best possible plan" in shown.output
    assert "review: not reviewed yet" in shown.output
    waiting = runner.invoke(cli, ["runs", "show", "3"])
    assert "outcome: Queued: waiting for a worker to start it." in waiting.output

    approved = runner.invoke(cli, ["runs", "review", "1", "--approve", "--comment", "estates later"])
    assert approved.exit_code == 0, approved.output
    assert re.fullmatch(r"run 1 approved by cli:\S+\n", approved.output)
    assert re.search(
        r"review: approve by cli:\S+ \(.*\): estates later", runner.invoke(cli, ["runs", "show", "1"]).output
    )
    rejected = runner.invoke(cli, ["runs", "review", "2", "--reject"])
    assert rejected.exit_code == 0 and "run 2 rejected" in rejected.output
    _fails_in_one_line(
        runner.invoke(cli, ["runs", "review", "3", "--approve"]),
        "Run 3 is queued: only a finished run (optimal, feasible or infeasible) can be reviewed",
    )

    compared = runner.invoke(cli, ["runs", "compare", "1", "2"])
    assert compared.exit_code == 0, compared.output
    a, b = _npv_pence(database, 1), _npv_pence(database, 2)
    assert a is not None and b is not None
    assert compared.output.splitlines()[0] == (
        f"NPV: run 1 {_pounds(a)}, run 2 {_pounds(b)}, difference {'−' if b < a else ''}{_pounds(abs(b - a))}"
    )
    # the three-year run has a year 3, the two-year run none
    assert re.search(r"year 3: net cash \S+ -> £0 ", compared.output)
    _fails_in_one_line(runner.invoke(cli, ["runs", "compare", "1", "3"]), "Run 3 is queued")


def test_errors_are_one_line_with_a_non_zero_exit(database: str, tmp_path: Path) -> None:
    runner = CliRunner()
    _fails_in_one_line(runner.invoke(cli, ["runs", "show", "99"]), "Run 99 was not found.")
    _fails_in_one_line(
        runner.invoke(cli, ["export-run", "99", str(tmp_path / "x.xlsx")]), "Run 99 was not found."
    )
    _fails_in_one_line(
        runner.invoke(cli, ["export-run", "3", str(tmp_path / "x.xlsx")]),
        "Run 3 is queued: it has not finished",
    )
    _fails_in_one_line(
        runner.invoke(cli, ["run", "--footprint", "E54000099"]), "Footprint E54000099 was not found."
    )
    missing = tmp_path / "missing.xlsx"
    _fails_in_one_line(
        runner.invoke(cli, ["import", str(missing), "--footprint", FP]),
        f"No such file or directory: {missing}",
    )


def test_a_database_without_tables_says_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty.sqlite3"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{empty}")
    get_settings.cache_clear()
    get_engine.cache_clear()
    try:
        line = _fails_in_one_line(CliRunner().invoke(cli, ["runs", "list"]), "the database")
    finally:
        get_engine().dispose()
        get_settings.cache_clear()
        get_engine.cache_clear()
    assert line == (
        f"error: the database sqlite:///{empty} has no tables yet: run `stpplan db upgrade` "
        "(or set DATABASE_URL to the database you meant)"
    )


def test_the_installed_command_prints_no_traceback(tmp_path: Path) -> None:
    # The real entry point, in another directory, against a database that cannot be reached.
    env = {**os.environ, "DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/nothing"}
    env.pop("STP_DEBUG", None)
    done = subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", "runs", "show", "1"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(
        "error: cannot use the database postgresql+psycopg://nobody@127.0.0.1:1/nothing ("
    )
    assert done.stderr.rstrip().endswith("check DATABASE_URL and that the database server is running")


def test_the_default_database_is_the_projects_whatever_the_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(ROOT)
    from_root = Settings().database_url
    monkeypatch.chdir(tmp_path)
    assert Settings().database_url == from_root == f"sqlite:///{ROOT / 'var' / 'stp-planner.sqlite3'}"
    assert PROJECT_ROOT == ROOT
    # a relative SQLite path given explicitly is the project's too; absolute ones and servers are kept
    monkeypatch.setenv("DATABASE_URL", "sqlite:///var/other.sqlite3")
    assert Settings().database_url == f"sqlite:///{ROOT / 'var' / 'other.sqlite3'}"
    for kept in (f"sqlite:///{tmp_path / 'x.sqlite3'}", "sqlite:///:memory:", "postgresql+psycopg://a@b/c"):
        monkeypatch.setenv("DATABASE_URL", kept)
        assert Settings().database_url == kept
