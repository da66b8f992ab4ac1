from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers import make_footprint, make_organisation, problem

FP = "E54000007"


@pytest.fixture
def footprint(client: TestClient) -> str:
    make_footprint(client, FP)
    make_organisation(client, FP, "RMC")
    make_organisation(client, FP, "RM3")
    return FP


def line(**fields: Any) -> dict[str, Any]:
    return {
        "organisation": "RMC",
        "function": "finance",
        "financial_year": "2017/18",
        "pay": "1234567.89",
        "non_pay": "100.01",
        "wte": "12.5",
        **fields,
    }


def test_cost_line_round_trips_exactly(client: TestClient, footprint: str) -> None:
    response = client.post(f"/footprints/{footprint}/cost-lines", json=line())
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["pay"], created["non_pay"], created["total"], created["wte"]) == (
        "1234567.89",
        "100.01",
        "1234667.90",
        "12.50",
    )
    assert client.get(response.headers["Location"]).json() == created

    patched = client.patch(f"/footprints/{footprint}/cost-lines/{created['id']}", json={"pay": "0.10"})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["pay"], patched.json()["non_pay"]) == ("0.10", "100.01")

    assert client.delete(f"/footprints/{footprint}/cost-lines/{created['id']}").status_code == 204
    problem(client.get(f"/footprints/{footprint}/cost-lines/{created['id']}"), 404)


def test_money_sent_as_json_number_is_kept_to_the_penny(client: TestClient, footprint: str) -> None:
    created = client.post(f"/footprints/{footprint}/cost-lines", json=line(pay=1234567.89, non_pay=0)).json()
    assert created["pay"] == "1234567.89"


def test_natural_key_clash_is_409(client: TestClient, footprint: str) -> None:
    assert client.post(f"/footprints/{footprint}/cost-lines", json=line()).status_code == 201
    body = problem(client.post(f"/footprints/{footprint}/cost-lines", json=line(pay="1")), 409)
    assert "RMC" in body["detail"] and "2017/18" in body["detail"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"pay": "-1"}, "pay"),
        ({"non_pay": "-0.01"}, "non_pay"),
        ({"wte": "-3"}, "wte"),
        ({"pay": "1.001"}, "pay"),
        ({"financial_year": "April 2017"}, "financial_year"),  # 2017-18 is accepted as 2017/18
        ({"financial_year": "2017/19"}, "financial_year"),
        ({"financial_year": "2099/01"}, "financial_year"),
    ],
)
def test_bad_field_is_422_naming_the_field(
    client: TestClient, footprint: str, fields: dict[str, Any], field: str
) -> None:
    body = problem(client.post(f"/footprints/{footprint}/cost-lines", json=line(**fields)), 422)
    assert [e["field"] for e in body["errors"]] == [field]


def test_financial_year_across_a_century_is_consecutive(client: TestClient, footprint: str) -> None:
    assert (
        client.post(f"/footprints/{footprint}/cost-lines", json=line(financial_year="1999/00")).status_code
        == 201
    )


def test_unknown_function_and_foreign_organisation_are_refused(client: TestClient, footprint: str) -> None:
    make_footprint(client, "E54000008")
    make_organisation(client, "E54000008", "RBT")
    body = problem(client.post(f"/footprints/{footprint}/cost-lines", json=line(function="warp_drive")), 422)
    assert body["errors"][0]["loc"] == ["body", "function"]
    body = problem(client.post(f"/footprints/{footprint}/cost-lines", json=line(organisation="RBT")), 422)
    assert body["errors"][0]["loc"] == ["body", "organisation"]
    assert "not in footprint" in body["errors"][0]["message"]


def test_bulk_upsert_is_all_or_nothing_and_reports_counts(client: TestClient, footprint: str) -> None:
    url = f"/footprints/{footprint}/cost-lines/bulk"
    first = client.post(url, json={"lines": [line(), line(organisation="RM3"), line(function="payroll")]})
    assert first.json() == {"rows_read": 3, "inserted": 3, "updated": 0, "unchanged": 0}

    again = client.post(url, json={"lines": [line(), line(organisation="RM3", pay="5"), line(function="hr")]})
    assert again.json() == {"rows_read": 3, "inserted": 1, "updated": 1, "unchanged": 1}

    before = client.get(f"/footprints/{footprint}/cost-lines").json()
    body = problem(
        client.post(
            url,
            json={
                "lines": [
                    line(pay="999"),
                    line(function="legal"),
                    line(function="nope"),
                    line(organisation="ZZZ"),
                ]
            },
        ),
        422,
    )
    assert [e["loc"] for e in body["errors"]] == [
        ["body", "lines", 2, "function"],
        ["body", "lines", 3, "organisation"],
    ]
    assert client.get(f"/footprints/{footprint}/cost-lines").json() == before

    body = problem(client.post(url, json={"lines": [line(), line(pay="2")]}), 422)
    assert "duplicate of line 0" in body["errors"][0]["message"].lower()


def test_filters_and_summary(client: TestClient, footprint: str) -> None:
    url = f"/footprints/{footprint}/cost-lines"
    client.post(
        f"{url}/bulk",
        json={
            "lines": [
                line(pay="0.10", non_pay="0.20"),
                line(organisation="RM3", pay="0.10", non_pay="0.20", wte="1"),
                line(function="payroll", pay="5", non_pay="0"),
                line(financial_year="2016/17", pay="7", non_pay="0"),
            ]
        },
    )
    assert client.get(url, params={"function": "finance"}).json()["total"] == 3
    assert client.get(url, params={"organisation": "RM3"}).json()["total"] == 1
    assert client.get(url, params={"financial_year": "2016/17"}).json()["total"] == 1
    across = client.get("/cost-lines", params={"footprint": footprint, "function": "payroll"}).json()
    assert [i["function"] for i in across["items"]] == ["payroll"]

    summary = client.get(f"{url}/summary").json()
    finance_1718 = next(
        r for r in summary["rows"] if (r["function"], r["financial_year"]) == ("finance", "2017/18")
    )
    # 0.10 + 0.10 and 0.20 + 0.20: exact, where binary floats would give 0.30000000000000004
    assert (finance_1718["pay"], finance_1718["non_pay"], finance_1718["total"]) == ("0.20", "0.40", "0.60")
    assert finance_1718["wte"] == "13.50"
    assert summary["total"] == "12.60"


def test_bad_cursor_is_422(client: TestClient, footprint: str) -> None:
    problem(client.get(f"/footprints/{footprint}/cost-lines", params={"cursor": "!!!"}), 422)
