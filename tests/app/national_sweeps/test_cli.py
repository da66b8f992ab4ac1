"""`stpplan sweep --national --wait`: every footprint solved by local worker processes, England's totals
printed and written as JSON and as a workbook that agree with the API's reading."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from app.cli import cli
from app.cost_lines.upsert import CostLineInput, bulk_upsert
from app.footprints.schemas import FootprintCreate
from app.footprints.service import create_footprint
from app.national_sweeps import service
from app.organisations.schemas import OrganisationCreate
from app.organisations.service import create_organisation
from app.settings import get_settings
from models.session import get_engine, make_engine, session_scope
from tests.app.runs.conftest import COSTS
from tests.databases import fresh_database_url


@pytest.fixture
def database(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with fresh_database_url(backend, tmp_path) as url:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("RUN_EXECUTOR", "local")
        get_settings.cache_clear()
        get_engine.cache_clear()
        engine = make_engine(url)
        with session_scope(engine) as session:
            for number, code in enumerate(("E54000007", "E54000008"), start=1):
                footprint = create_footprint(
                    session, FootprintCreate(code=code, name=f"Footprint {number}", maturity="advanced")
                )
                for org in COSTS:
                    create_organisation(
                        session,
                        footprint,
                        OrganisationCreate(code=f"{org}{number}", name=org, kind="PROVIDER"),
                    )
                bulk_upsert(
                    session,
                    footprint,
                    [
                        CostLineInput(
                            organisation=f"{org}{number}",
                            function=f,
                            financial_year="2017/18",
                            pay_pence=pay * 100 * number,
                            non_pay_pence=non_pay * 100 * number,
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


def test_national_sweep_command(database: str, tmp_path: Path) -> None:
    out_json, out_xlsx = tmp_path / "england.json", tmp_path / "england.xlsx"
    result = CliRunner().invoke(
        cli,
        [
            "sweep",
            "--national",
            "--savings",
            "0.8,1.2",
            "--time-limit",
            "10",
            "--wait",
            "--workers",
            "2",
            "--json",
            str(out_json),
            "--workbook",
            str(out_xlsx),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "4 runs queued over 2 footprints" in result.output
    written = json.loads(out_json.read_text(encoding="utf-8"))
    assert written["finished"] is True and sum(written["by_status"].values()) == 4
    # Optimal when the machine is quiet; a loaded one may stop a solve at its limit (feasible).
    assert set(written["by_status"]) <= {"optimal", "feasible"}
    with session_scope() as session:
        read = service.read(session, written["id"])
    assert written == json.loads(read.model_dump_json())
    for total in read.totals:
        assert f"{total.scenario}: NPV £{total.npv:,}" in result.output
    rows = list(load_workbook(out_xlsx, read_only=True)["England"].iter_rows(min_row=2, values_only=True))
    assert [Decimal(str(r[5])) for r in rows] == [t.npv for t in read.totals]


def test_a_sweep_needs_a_footprint_or_national(database: str) -> None:
    result = CliRunner().invoke(cli, ["sweep", "--savings", "1"])
    assert result.exit_code != 0
    assert "--national" in result.output
