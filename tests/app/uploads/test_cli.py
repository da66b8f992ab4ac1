"""`stpplan template` and `stpplan import` on a real (migrated, committed) database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import cli
from app.settings import get_settings
from fixtures.workbooks import generate
from models import CostLine, Footprint, Organisation, Upload
from models.session import make_engine, session_scope
from tests.databases import fresh_database_url


@pytest.fixture
def database(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with fresh_database_url(backend, tmp_path) as url:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        engine = make_engine(url)
        with session_scope(engine) as session:
            footprint = Footprint(code=generate.FOOTPRINT, name="Greater Manchester")
            session.add(footprint)
            session.flush()
            for code, kind in generate.ORGANISATIONS:
                session.add(Organisation(code=code, name=code, kind=kind, footprint_id=footprint.id))
        yield url
        engine.dispose()
    get_settings.cache_clear()


def test_template_command_writes_the_template(database: str, tmp_path: Path) -> None:
    out = tmp_path / "template.xlsx"
    result = CliRunner().invoke(cli, ["template", str(out), "--footprint", generate.FOOTPRINT])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["ReadMe", "Organisations", "CostLines", "Assumptions", "Locks"]
    assert [r[0] for r in book["Organisations"].iter_rows(min_row=2, values_only=True)] == [
        "00T",
        "R0A",
        "RM3",
    ]


def test_import_command_imports_and_refuses_like_the_api(database: str, tmp_path: Path) -> None:
    good = tmp_path / "costs.xlsx"
    good.write_bytes(generate.template_form())
    result = CliRunner().invoke(cli, ["import", str(good), "--footprint", generate.FOOTPRINT])
    assert result.exit_code == 0, result.output
    assert "inserted 3" in result.output

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(generate.negative_in_brackets())
    result = CliRunner().invoke(cli, ["import", str(bad), "--footprint", generate.FOOTPRINT])
    assert result.exit_code == 1
    assert "CostLines!D4" in result.output and "negative" in result.output

    engine = make_engine(database)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(CostLine)) == 3
        assert list(session.execute(select(Upload.file_name, Upload.status).order_by(Upload.id))) == [
            ("costs.xlsx", "accepted"),
            ("bad.xlsx", "refused"),
        ]
    engine.dispose()
