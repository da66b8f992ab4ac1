"""National data: every STP footprint of 2017/18 with its real acute trusts, read back against the
shared source files by an independent reading, and loaded twice without a change."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.demo.service import DEFAULT_DEMO_PATH, DEFAULT_NATIONAL_PATH, load_national
from app.settings import get_settings
from fixtures.demo.make_demo import SEED, build_national, render_national
from models import CostLine, Footprint, Organisation, OrganisationKind
from models.session import get_engine, make_engine, session_scope
from tests.databases import fresh_database_url

REPOSITORY = Path(__file__).resolve().parents[3]
SHARED = REPOSITORY / ".." / "shared" / "data" / "nhs-orgs"
SOURCES = REPOSITORY / "fixtures" / "demo" / "sources"


def _source_rows() -> list[list[str]]:
    """The trust lookup read from its bytes, by hand: BOM dropped, every cell exactly as written."""
    raw = (SHARED / "trust-stp-lookup-2017-18.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the trap is there to be handled
    return list(csv.reader(io.StringIO(raw[3:].decode("utf-8"))))


def expected_trusts() -> dict[str, tuple[str, str]]:
    header, *rows = _source_rows()
    assert header == ["NHS England Region", "Trust", "code", "STP", "STP_code"]
    return {code: (name, stp_code) for _region, name, code, _stp, stp_code in rows}


def expected_footprint_names() -> dict[str, str]:
    _, *rows = _source_rows()
    # The name of E54000044 ends in a non-breaking space in the source; no name keeps one.
    return {stp_code: stp.rstrip("\u00a0") for _r, _n, _c, stp, stp_code in rows}


def test_the_repository_copies_are_the_shared_files_byte_for_byte() -> None:
    for name in ("trust-stp-lookup-2017-18.csv", "stp18-to-nhser18.csv", "nhser18.csv"):
        assert (SOURCES / name).read_bytes() == (SHARED / name).read_bytes(), name


def test_the_committed_national_file_is_what_the_generator_makes() -> None:
    document = build_national(SEED)
    assert DEFAULT_NATIONAL_PATH.read_text(encoding="utf-8") == render_national(document)
    # Greater Manchester is the demo document itself, so the demo and the national load agree.
    demo = json.loads(DEFAULT_DEMO_PATH.read_text(encoding="utf-8"))
    manchester = next(d for d in document["footprints"] if d["footprint"]["code"] == "E54000007")
    assert manchester == {k: demo[k] for k in ("footprint", "organisations", "cost_lines")}
    assert "ILLUSTRATIVE" in document["notice"]


def _state(session: Session) -> tuple[Any, ...]:
    return (
        session.scalar(select(func.count()).select_from(Footprint)),
        session.scalar(select(func.count()).select_from(Organisation)),
        session.scalar(select(func.count()).select_from(CostLine)),
        session.scalar(select(func.max(Organisation.updated_at))),
        session.scalar(select(func.max(CostLine.updated_at))),
        session.scalar(select(func.sum(CostLine.pay_pence + CostLine.non_pay_pence))),
    )


def test_the_national_load_has_44_footprints_and_137_real_trusts(db_session: Session) -> None:
    first = load_national(db_session)
    db_session.flush()
    assert len(first.footprints) == 44 and all(s.footprint_created for s in first.footprints)

    footprints = {f.code: f for f in db_session.scalars(select(Footprint))}
    assert sorted(footprints) == [f"E540000{n:02d}" for n in range(5, 49)]
    names = expected_footprint_names()
    assert {code: f.name for code, f in footprints.items()} == names
    assert footprints["E54000044"].name == "Buckinghamshire, Oxfordshire and Berkshire West"
    assert footprints["E54000007"].name == "Greater Manchester"
    # Regions from the 2018 lookups, leading spaces gone; the merged three from their successor.
    assert footprints["E54000007"].region == "North West"
    assert footprints["E54000027"].region == "London"
    assert {footprints[c].region for c in ("E54000045", "E54000046", "E54000047")} == {
        "North East and Yorkshire"
    }
    assert not any(f.region != f.region.strip() or "\u00a0" in f.region for f in footprints.values())

    trusts = db_session.execute(
        select(Organisation.code, Organisation.name, Footprint.code)
        .join(Footprint, Footprint.id == Organisation.footprint_id)
        .where(Organisation.kind == OrganisationKind.PROVIDER)
    ).all()
    assert len(trusts) == 137
    assert {code: (name, stp) for code, name, stp in trusts} == expected_trusts()
    # Everything else is illustrative and says so.
    others = db_session.scalars(
        select(Organisation).where(Organisation.kind != OrganisationKind.PROVIDER)
    ).all()
    assert others and all(o.code.startswith("DEMO") and "(illustrative)" in o.name for o in others)
    per_footprint = db_session.execute(
        select(Organisation.footprint_id, func.count()).group_by(Organisation.footprint_id)
    ).all()
    assert len(per_footprint) == 44 and min(n for _, n in per_footprint) >= 4

    before = _state(db_session)
    again = load_national(db_session)
    db_session.flush()
    assert _state(db_session) == before
    assert not any(s.footprint_created for s in again.footprints)
    assert sum(s.organisations_created + s.organisations_updated for s in again.footprints) == 0
    assert sum(s.cost_lines_inserted + s.cost_lines_updated for s in again.footprints) == 0
    assert sum(s.cost_lines_unchanged for s in again.footprints) == before[2]


@pytest.fixture
def database(backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with fresh_database_url(backend, tmp_path) as url:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        get_engine.cache_clear()
        yield url
        get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


def test_the_command_loads_the_nation(database: str) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["demo", "load", "--national"])
    assert first.exit_code == 0, first.output
    assert "44 footprints (44 created); organisations: 304 created" in first.output
    assert "6080 inserted" in first.output
    engine = make_engine(database)
    try:
        with session_scope(engine) as session:
            assert session.scalar(select(func.count()).select_from(Footprint)) == 44
    finally:
        engine.dispose()
