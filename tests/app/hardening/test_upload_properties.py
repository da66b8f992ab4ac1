"""Issue 14's property: whatever is in the cells of an uploaded workbook (numbers of any size, text of
any kind, dates, times, booleans, formulas, blanks, in any column of either sheet), the upload is either
imported whole or refused with every problem at its sheet and cell, never a server error and never a
partial write. hypothesis draws the workbooks (derandomized: the same examples every run)."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.bounds import MAX_COST_PENCE, MAX_WTE
from models import CostLine, Organisation, Upload
from tests.app.uploads.helpers import upload
from tests.helpers import make_footprint, make_organisation

FP = "E54000007"
CODES = ["RAA", "RBB"]

# Text openpyxl can write (it refuses XML's forbidden control characters; those are tested elsewhere).
_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
    max_size=30,
)
_numbers_as_text = st.sampled_from(
    [
        "1e30",
        "1E308",
        "-5",
        "(12.50)",
        "£1,234.56",
        "1,234-",
        "12k",
        "3m",
        "１２３",
        "٣",
        "0x10",
        "NaN",
        "inf",
        "-",
        "",
    ]
)
ANY_CELL = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**12), max_value=10**12),
    _text,
    _numbers_as_text,
    st.sampled_from(["=1+1", "=SUM(A1:A2)", "#N/A", "Total", "subtotal"]),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)),
    st.dates(min_value=date(1900, 3, 1), max_value=date(2100, 1, 1)),
    st.times(),
    st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)),
)


def plausible(values: list[Any]) -> st.SearchStrategy[Any]:
    """A good value, or anything at all."""
    return st.one_of(st.sampled_from(values), ANY_CELL)


def rows(columns: list[list[Any]]) -> st.SearchStrategy[tuple[Any, ...]]:
    """Rows of good values only (so that many workbooks import) or of good values and anything."""
    clean = st.tuples(*(st.sampled_from(values) for values in columns))
    wild = st.tuples(*(plausible(values) for values in columns))
    return st.one_of(clean, wild)


MONEY = [0, 1, 12.5, 1234567.89, "£1,000", "2.5k", 999_999_999.99, 1_000_000_000, "-"]
COST_COLUMNS = [
    CODES,
    ["finance", "payroll", "hr", "Human Resources", "it"],
    ["2017/18", "2018-19", "FY 2016/17", "17/18"],
    MONEY,
    MONEY,
    [0, 1.5, "12.25", 100_000, "-"],
]
ORGANISATION_COLUMNS = [
    ["RAA", "RCC", "rdd"],
    ["Organisation A", "  spaced  ", "Ünïcode ✓"],
    ["CCG", "provider", "Foundation Trust", "LA"],
]


def workbook(organisations: list[tuple[Any, ...]] | None, cost_lines: list[tuple[Any, ...]]) -> bytes:
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    if organisations is not None:
        sheet = book.create_sheet("Organisations")
        sheet.append(["ODS code", "Name", "Kind"])
        for row in organisations:
            sheet.append(list(row))
    sheet = book.create_sheet("CostLines")
    sheet.append(["ODS code", "Function", "Financial year", "Pay (£)", "Non-pay (£)", "WTE"])
    for row in cost_lines:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def counts(session: Session) -> tuple[int, int, list[tuple[Any, ...]]]:
    session.expire_all()
    lines = session.execute(
        select(
            Organisation.code,
            CostLine.function_key,
            CostLine.financial_year,
            CostLine.pay_pence,
            CostLine.non_pay_pence,
            CostLine.wte,
        )
        .join(Organisation)
        .order_by(CostLine.id)
    ).all()
    organisations = session.scalar(select(func.count()).select_from(Organisation)) or 0
    uploads = session.scalar(select(func.count()).select_from(Upload)) or 0
    return organisations, uploads, [tuple(line) for line in lines]


def test_any_cells_give_an_import_or_422s_at_their_cells_never_a_500_or_a_partial_write(
    client: TestClient, db_session: Session
) -> None:
    make_footprint(client, FP)
    for code in CODES:
        make_organisation(client, FP, code)

    outcomes = {201: 0, 422: 0}

    @given(
        organisations=st.one_of(
            st.none(), st.lists(rows(ORGANISATION_COLUMNS), min_size=1, max_size=3, unique_by=lambda r: r[0])
        ),
        cost_lines=st.lists(rows(COST_COLUMNS), min_size=1, max_size=5),
    )
    @settings(
        max_examples=120,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def property(organisations: list[tuple[Any, ...]] | None, cost_lines: list[tuple[Any, ...]]) -> None:
        organisations_before, uploads_before, lines_before = counts(db_session)
        response = upload(client, workbook(organisations, cost_lines), footprint=FP)
        organisations_after, uploads_after, lines_after = counts(db_session)
        assert response.status_code in (201, 422), response.text
        outcomes[response.status_code] += 1
        assert uploads_after == uploads_before + 1, response.text  # every upload is recorded
        body = response.json()
        if response.status_code == 422:
            assert body["errors"], body
            for error in body["errors"]:
                assert error["sheet"] in ("Organisations", "CostLines"), error
                assert error["cell"], error
                assert error["message"], error
            # nothing written: the same organisations and cost lines, value for value
            assert (organisations_after, lines_after) == (organisations_before, lines_before)
            return
        # imported whole: every data row of the cost sheet is now a stored line (new, updated or unchanged)
        report = body["cost_lines"]
        skipped = body["skipped"]
        data_rows = sum(1 for row in cost_lines if any(cell not in (None, "") for cell in row))
        assert report["inserted"] + report["updated"] + report["unchanged"] + skipped >= 1 or data_rows == 0
        assert len(lines_after) == len(lines_before) + report["inserted"]
        for *_key, pay, non_pay, wte in lines_after:
            assert 0 <= pay <= MAX_COST_PENCE and 0 <= non_pay <= MAX_COST_PENCE
            assert 0 <= Decimal(str(wte)) <= MAX_WTE

    property()
    # both ways out were taken, many times (else the strategies above test too little)
    assert min(outcomes.values()) >= 20, outcomes
