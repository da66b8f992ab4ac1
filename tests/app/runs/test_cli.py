from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from app.cli import cli
from tests.app.runs.conftest import FP, committed_small_footprint


@pytest.fixture
def database(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with committed_small_footprint(backend, tmp_path, monkeypatch) as (url, _):
        yield url


def test_run_wait_export_and_sweep(database: str, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["run", "--footprint", FP, "--wait", "--time-limit", "20"])
    assert result.exit_code == 0, result.output
    assert "run 1: optimal; NPV £" in result.output

    out = tmp_path / "run.xlsx"
    result = runner.invoke(cli, ["export-run", "1", str(out)])
    assert result.exit_code == 0, result.output
    summary = {r[0]: r[1] for r in load_workbook(out)["Summary"].iter_rows(values_only=True) if r and r[0]}
    assert summary["Status"] == "optimal"

    result = runner.invoke(
        cli, ["sweep", "--footprint", FP, "--savings", "0.75,1.25", "--time-limit", "20", "--wait"]
    )
    assert result.exit_code == 0, result.output
    assert "2 runs queued" in result.output and "{'optimal': 2}" in result.output
    assert "NPV P10 £" in result.output
