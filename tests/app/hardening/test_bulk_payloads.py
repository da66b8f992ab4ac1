"""Issue 14, defect 5, and issue 13's bulk point: the bulk upsert caps its body (413 naming the limit)
and the problems it lists (with their total), reports every problem of a payload in one answer (format
errors, unknown organisations and functions, duplicates) and counts the lines that are wrong."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.settings import get_settings
from tests.helpers import make_footprint, make_organisation, problem

FP = "E54000007"
URL = f"/footprints/{FP}/cost-lines/bulk"


def line(**fields: Any) -> dict[str, Any]:
    return {
        "organisation": "RAA",
        "function": "finance",
        "financial_year": "2017/18",
        "pay": "100.00",
        "non_pay": "0",
        **fields,
    }


@pytest.fixture(autouse=True)
def footprint(client: TestClient) -> None:
    make_footprint(client, FP)
    make_organisation(client, FP, "RAA")


def test_every_problem_of_a_payload_comes_in_one_answer(client: TestClient) -> None:
    lines = [
        line(pay="-1"),  # format
        line(organisation="ZZZ", function="hr"),  # unknown organisation
        line(function="nope", non_pay="abc"),  # unknown function and a format error on one line
        line(function="payroll"),  # fine
        line(function="it", financial_year="2017/19", organisation="QQQ"),  # format and unknown organisation
        line(function="payroll", pay="5"),  # duplicate of line 3
    ]
    body = problem(client.post(URL, json={"lines": lines}), 422)
    assert [e["pointer"] for e in body["errors"]] == [
        "/body/lines/0/pay",
        "/body/lines/1/organisation",
        "/body/lines/2/function",
        "/body/lines/2/non_pay",
        "/body/lines/4/financial_year",
        "/body/lines/4/organisation",
        "/body/lines/5/organisation",
    ]
    assert body["detail"] == "5 of 6 lines are not valid (7 problems); nothing was saved."
    assert body["errors_total"] == 7
    assert "duplicate of line 3" in body["errors"][-1]["message"].lower()
    assert client.get(f"/footprints/{FP}/cost-lines").json()["total"] == 0


def test_the_problems_listed_are_capped_and_counted(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "request_max_reported_problems", 50)
    lines = [
        line(organisation="ZZZ", function="nope", financial_year=f"{1900 + i}/{(i + 1) % 100:02d}")
        for i in range(120)
    ]
    body = problem(client.post(URL, json={"lines": lines}), 422)
    assert len(body["errors"]) == 50
    assert body["errors_total"] == 240
    assert (
        body["detail"]
        == "120 of 120 lines are not valid (240 problems; the first 50 are listed); nothing was saved."
    )


def test_a_body_over_the_limit_is_a_413_naming_it(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "request_max_bytes", 4096)
    lines = [line(financial_year=f"{1900 + i}/{(i + 1) % 100:02d}") for i in range(60)]
    body = problem(client.post(URL, json={"lines": lines}), 413)
    assert body["limit_bytes"] == 4096
    assert "STP_REQUEST_MAX_BYTES" in body["detail"]
    # also when the length is not declared up front (chunked)
    chunks = iter([b'{"lines": [', b" " * 5000, b"]}"])
    response = client.post(URL, content=chunks, headers={"content-type": "application/json"})
    problem(response, 413)
    assert client.get(f"/footprints/{FP}/cost-lines").json()["total"] == 0
    assert client.post(URL, json={"lines": lines[:5]}).status_code == 200


def test_too_many_lines_are_refused_before_any_is_checked(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "bulk_max_rows", 10)
    body = problem(client.post(URL, json={"lines": [line()] * 11}), 422)
    assert "more than the 10" in body["detail"]


def test_malformed_json_says_where(client: TestClient) -> None:
    response = client.post(
        URL, content=b'{"lines": [\n  {"pay": 1,}\n]}', headers={"content-type": "application/json"}
    )
    body = problem(response, 422)
    assert "line 2, column" in body["detail"]


def test_a_control_character_is_one_more_problem_of_its_line(client: TestClient) -> None:
    body = problem(
        client.post(URL, json={"lines": [line(organisation="R\x0bA"), line(function="nope")]}), 422
    )
    assert body["detail"].startswith("2 of 2 lines are not valid")
    messages = [e["message"].lower() for e in body["errors"]]
    assert any("u+000b" in m for m in messages) and any("unknown function" in m for m in messages)
