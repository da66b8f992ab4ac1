from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from app.cli import cli
from app.cost_lines.service import CostLineInput, bulk_upsert
from app.footprints.schemas import FootprintCreate
from app.footprints.service import create_footprint
from app.organisations.schemas import OrganisationCreate
from app.organisations.service import create_organisation
from app.settings import get_settings
from models.session import get_engine, make_engine, session_scope
from tests.app.runs.conftest import COSTS, FP
from tests.databases import fresh_database_url


@pytest.fixture
def database(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with fresh_database_url(backend, tmp_path) as url:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        get_engine.cache_clear()
        engine = make_engine(url)
        with session_scope(engine) as session:
            footprint = create_footprint(session, FootprintCreate(code=FP, name="Test", maturity="advanced"))
            for org in COSTS:
                create_organisation(
                    session, footprint, OrganisationCreate(code=org, name=org, kind="PROVIDER")
                )
            bulk_upsert(
                session,
                footprint,
                [
                    CostLineInput(
                        organisation=org,
                        function=f,
                        financial_year="2017/18",
                        pay_pence=pay * 100,
                        non_pay_pence=non_pay * 100,
                        wte=Decimal(20),
                    )
                    for org, functions in COSTS.items()
                    for f, (pay, non_pay) in functions.items()
                ],
            )
        yield url
        engine.dispose()
        get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


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
