from __future__ import annotations

import random
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.cost_lines.upsert import CostLineInput, bulk_upsert
from app.footprints.service import get_footprint
from models import FUNCTION_CATALOGUE
from tests.helpers import make_footprint, make_organisation

FP = "E54000007"
FUNCTIONS = [key for key, _label, _description in FUNCTION_CATALOGUE][:10]


def test_a_sum_over_100000_lines_is_exact(client: TestClient, db_session: Session) -> None:
    make_footprint(client, FP)
    organisations = [f"T{i:04d}" for i in range(100)]
    for code in organisations:
        make_organisation(client, FP, code)
    rng = random.Random(20171)
    years = [f"{y}/{(y + 1) % 100:02d}" for y in range(1920, 2020)]
    lines = [
        CostLineInput(
            o, f, y, rng.randrange(0, 10**9), rng.randrange(0, 10**7), Decimal(rng.randrange(0, 5000)) / 100
        )
        for o in organisations
        for f in FUNCTIONS
        for y in years
    ]
    assert len(lines) == 100_000
    counts = bulk_upsert(db_session, get_footprint(db_session, FP), lines)
    db_session.commit()
    assert counts.inserted == 100_000

    expected_pay = sum(line.pay_pence for line in lines)
    expected_non_pay = sum(line.non_pay_pence for line in lines)
    summary = client.get(f"/footprints/{FP}/cost-lines/summary").json()
    assert Decimal(summary["pay"]) == Decimal(expected_pay) / 100
    assert Decimal(summary["non_pay"]) == Decimal(expected_non_pay) / 100
    assert Decimal(summary["total"]) == Decimal(expected_pay + expected_non_pay) / 100
    # the same figures as a float sum would get wrong in the last digits: check one group to the penny too
    finance_1920 = next(
        r for r in summary["rows"] if (r["function"], r["financial_year"]) == ("finance", "1920/21")
    )
    group = [x for x in lines if (x.function, x.financial_year) == ("finance", "1920/21")]
    assert Decimal(finance_1920["pay"]) == Decimal(sum(x.pay_pence for x in group)) / 100
    assert finance_1920["lines"] == 100


def test_walking_pages_while_rows_are_added_returns_every_row_once(client: TestClient) -> None:
    make_footprint(client, FP)
    for code in ("RMC", "RM3", "RWJ"):
        make_organisation(client, FP, code)
    url = f"/footprints/{FP}/cost-lines"
    years = [f"{y}/{(y + 1) % 100:02d}" for y in range(2000, 2010)]
    initial = [
        {"organisation": o, "function": f, "financial_year": y, "pay": "1.00", "non_pay": "0"}
        for o in ("RMC", "RM3")
        for f in FUNCTIONS
        for y in years
    ]
    assert client.post(f"{url}/bulk", json={"lines": initial}).json()["inserted"] == 200

    seen: list[int] = []
    cursor = None
    added = 0
    while True:
        page = client.get(url, params={"limit": 37, **({"cursor": cursor} if cursor else {})}).json()
        seen.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        # another user adds rows between our page requests
        for _ in range(3):
            function, year = FUNCTIONS[added % len(FUNCTIONS)], years[added // len(FUNCTIONS)]
            body = {
                "organisation": "RWJ",
                "function": function,
                "financial_year": year,
                "pay": "2",
                "non_pay": "0",
            }
            assert client.post(url, json=body).status_code == 201
            added += 1

    everything = []
    cursor = None
    while True:
        page = client.get(url, params={"limit": 1000, **({"cursor": cursor} if cursor else {})}).json()
        everything.extend(item["id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert added >= 15
    assert len(seen) == len(set(seen)), "a row was returned twice"
    assert seen == sorted(seen), "pages are not in a stable order"
    assert seen == everything, "a row was missed"
    assert page["total"] == 200 + added
