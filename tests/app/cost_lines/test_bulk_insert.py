"""The bulk insert (COPY on PostgreSQL, multi-row INSERTs on SQLite) stores every line as given, in order."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.cost_lines.upsert import CostLineInput, bulk_upsert
from app.footprints.service import get_footprint
from models import FUNCTION_CATALOGUE, CostLine, Organisation, Upload
from tests.helpers import make_footprint, make_organisation

FP = "E54000007"
FUNCTIONS = [key for key, _label, _description in FUNCTION_CATALOGUE][:3]


# 257 lines: two whole 100-row SQLite statements and a last one of 57; 200: whole statements only
@pytest.mark.parametrize("count", [257, 200])
def test_inserted_lines_keep_their_order_values_and_upload(
    client: TestClient, db_session: Session, count: int
) -> None:
    make_footprint(client, FP)
    for code in ("RMC", "RM3"):
        make_organisation(client, FP, code)
    footprint = get_footprint(db_session, FP)
    upload = Upload(
        footprint_id=footprint.id,
        file_name="lines.xlsx",
        sha256="0" * 64,
        uploaded_by="test",
        status="accepted",
        errors=[],
        warnings=[],
    )
    db_session.add(upload)
    db_session.flush()
    keys = [(o, f, 1900 + y) for y in range(100) for f in FUNCTIONS for o in ("RMC", "RM3")][:count]
    lines = [
        CostLineInput(o, f, f"{y}/{(y + 1) % 100:02d}", i * 101, 7 * i + 3, Decimal(i % 500) / 4)
        for i, (o, f, y) in enumerate(keys)
    ]
    sqlite = db_session.get_bind().dialect.name == "sqlite"
    cache_before = db_session.execute(text("PRAGMA cache_size")).scalar() if sqlite else None

    counts = bulk_upsert(db_session, footprint, lines, upload_id=upload.id)

    assert counts.inserted == count
    stored = db_session.execute(
        select(
            Organisation.code,
            CostLine.function_key,
            CostLine.financial_year,
            CostLine.pay_pence,
            CostLine.non_pay_pence,
            CostLine.wte,
            CostLine.upload_id,
            CostLine.created_at,
            CostLine.updated_at,
        )
        .join(Organisation, CostLine.organisation_id == Organisation.id)
        .where(Organisation.footprint_id == footprint.id)
        .order_by(CostLine.id)
    ).all()
    assert [(r[0], r[1], r[2], r[3], r[4], Decimal(r[5]).quantize(Decimal("0.01"))) for r in stored] == [
        (x.organisation, x.function, x.financial_year, x.pay_pence, x.non_pay_pence, x.wte) for x in lines
    ]
    assert {r.upload_id for r in stored} == {upload.id}
    assert len({(r.created_at, r.updated_at) for r in stored}) == 1
    assert stored[0].created_at == stored[0].updated_at
    if sqlite:  # the bigger page cache was for the bulk insert only
        assert db_session.execute(text("PRAGMA cache_size")).scalar() == cache_before


def test_text_with_copy_escapes_and_no_upload_is_stored_as_given(
    client: TestClient, db_session: Session
) -> None:
    # bulk_upsert leaves the year's format to its callers; the insert must store any text exactly
    # (COPY's text format gives a backslash, tab, newline and carriage return a meaning)
    make_footprint(client, FP)
    make_organisation(client, FP, "RMC")
    footprint = get_footprint(db_session, FP)
    years = ["1\\t2\t3", "a\nb\r\\", "\\N", "2017/18"]
    lines = [CostLineInput("RMC", FUNCTIONS[0], year, 100, 0, Decimal("1.25")) for year in years]

    assert bulk_upsert(db_session, footprint, lines).inserted == len(years)

    stored = db_session.execute(
        select(CostLine.financial_year, CostLine.upload_id).order_by(CostLine.id).limit(len(years))
    ).all()
    assert [tuple(r) for r in stored] == [(year, None) for year in years]
