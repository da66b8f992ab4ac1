"""The speed paths of cost lines (COPY inserts, the narrowed pre-read, the total carried by the cursor)
give the same answers as the plain ones."""

from __future__ import annotations

import base64
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.cost_lines.upsert import CostLineInput, bulk_upsert
from app.footprints.service import get_footprint
from tests.helpers import make_footprint, make_organisation, problem

FP = "E54000021"
URL = f"/footprints/{FP}/cost-lines"


def _line(org: str, function: str, year: str, pay: int, wte: str = "1.50") -> CostLineInput:
    return CostLineInput(org, function, year, pay, pay // 2, Decimal(wte))


def test_bulk_inserts_store_every_field_exactly(client: TestClient, db_session: Session) -> None:
    make_footprint(client, FP)
    make_organisation(client, FP, "RXA")
    footprint = get_footprint(db_session, FP)
    lines = [_line("RXA", f, "2017/18", 123_456_789_01 + i, "12.34") for i, f in enumerate(["finance", "hr"])]
    assert bulk_upsert(db_session, footprint, lines).inserted == 2
    db_session.flush()
    items = client.get(URL).json()["items"]
    assert [(i["function"], i["pay"], i["non_pay"], i["wte"], i["upload_id"]) for i in items] == [
        ("finance", "123456789.01", "61728394.50", "12.34", None),
        ("hr", "123456789.02", "61728394.51", "12.34", None),
    ]
    assert all(i["created_at"] == i["updated_at"] for i in items)


def test_a_batch_sees_existing_lines_outside_its_own_orgs_untouched(
    client: TestClient, db_session: Session
) -> None:
    make_footprint(client, FP)
    for code in ("RXA", "RXB"):
        make_organisation(client, FP, code)
    footprint = get_footprint(db_session, FP)
    first = [
        _line(o, f, y, 100) for o in ("RXA", "RXB") for f in ("finance", "it") for y in ("2016/17", "2017/18")
    ]
    assert bulk_upsert(db_session, footprint, first).inserted == 8
    # RXA only: one changed, one identical, one new year; RXB's lines are not in the batch.
    batch = [_line("RXA", "finance", "2016/17", 999), _line("RXA", "it", "2017/18", 100)]
    batch.append(_line("RXA", "it", "2018/19", 5))
    counts = bulk_upsert(db_session, footprint, batch)
    assert (counts.inserted, counts.updated, counts.unchanged) == (1, 1, 1)
    db_session.flush()
    assert client.get(URL).json()["total"] == 9
    assert client.get(URL, params={"organisation": "RXB", "function": "it"}).json()["total"] == 2


def test_later_pages_repeat_the_total_counted_for_the_first(client: TestClient) -> None:
    make_footprint(client, FP)
    make_organisation(client, FP, "RXA")
    years = [f"{y}/{(y + 1) % 100:02d}" for y in range(2000, 2012)]
    for year in years:
        body = {
            "organisation": "RXA",
            "function": "finance",
            "financial_year": year,
            "pay": "1",
            "non_pay": "0",
        }
        assert client.post(URL, json=body).status_code == 201

    first = client.get(URL, params={"limit": 5}).json()
    assert first["total"] == 12
    extra = {"organisation": "RXA", "function": "hr", "financial_year": "2001/02", "pay": "1", "non_pay": "0"}
    assert client.post(URL, json=extra).status_code == 201
    second = client.get(URL, params={"limit": 5, "cursor": first["next_cursor"]}).json()
    assert second["total"] == 12  # the walk's own count, not recounted on every page
    assert client.get(URL, params={"limit": 5}).json()["total"] == 13  # a new walk counts again
    filtered = client.get(URL, params={"limit": 5, "function": "hr"}).json()
    assert (filtered["total"], filtered["next_cursor"]) == (1, None)


def test_a_forged_cursor_is_refused(client: TestClient) -> None:
    make_footprint(client, FP)
    for raw in (b"id:1:total", b"id:1:count:5", b"id:x:total:5", b"row:1"):
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        problem(client.get(URL, params={"cursor": cursor}), 422)
