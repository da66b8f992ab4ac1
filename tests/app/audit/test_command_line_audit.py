"""Writes at the command line are in the audit trail too, under `cli:<user>`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.settings import get_settings
from fixtures.workbooks import generate
from models import AuditEntry, Footprint, Organisation
from models.session import make_engine, session_scope
from tests.databases import fresh_database_url


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with fresh_database_url("sqlite", tmp_path) as url:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        engine = make_engine(url)
        with session_scope(engine) as session:
            footprint = Footprint(code=generate.FOOTPRINT, name="Greater Manchester")
            session.add(footprint)
            session.flush()
            for code, kind in generate.ORGANISATIONS:
                session.add(Organisation(code=code, name=code, kind=kind, footprint_id=footprint.id))
        engine.dispose()
        yield url
    get_settings.cache_clear()


def test_imports_accepted_and_refused_are_recorded(database: str, tmp_path: Path) -> None:
    good, bad = tmp_path / "costs.xlsx", tmp_path / "bad.xlsx"
    good.write_bytes(generate.template_form())
    bad.write_bytes(generate.negative_in_brackets())
    assert CliRunner().invoke(cli, ["import", str(good), "--footprint", generate.FOOTPRINT]).exit_code == 0
    assert CliRunner().invoke(cli, ["import", str(bad), "--footprint", generate.FOOTPRINT]).exit_code == 1

    engine = make_engine(database)
    with session_scope(engine) as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [
            (e.action, e.footprint_code, e.details["file_name"], e.details["status"]) for e in entries
        ] == [
            ("import_workbook", generate.FOOTPRINT, "costs.xlsx", "accepted"),
            ("import_workbook", generate.FOOTPRINT, "bad.xlsx", "refused"),
        ]
        assert all(e.actor.startswith("cli:") and e.details["upload_id"] for e in entries)
    engine.dispose()
