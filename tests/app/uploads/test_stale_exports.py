"""An exported workbook carries the footprint's data version: uploading one exported before later
changes is refused (saying what changed since) unless ?overwrite=true, whose report lists what it
reverted."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
from fastapi.testclient import TestClient

from tests.app.uploads.helpers import XLSX
from tests.helpers import make_footprint, make_organisation, problem

FP = "E54000007"
URL = f"/footprints/{FP}"


def _line(org: str, function: str, pay: str) -> dict[str, Any]:
    return {
        "organisation": org,
        "function": function,
        "financial_year": "2017/18",
        "pay": pay,
        "non_pay": "0",
    }


def _setup(client: TestClient) -> None:
    make_footprint(client, FP)
    for code in ("RMC", "RBV"):
        make_organisation(client, FP, code)
    lines = [_line("RMC", "finance", "100.00"), _line("RMC", "hr", "50.00"), _line("RBV", "finance", "70.00")]
    assert client.post(f"{URL}/cost-lines/bulk", json={"lines": lines}).status_code == 200


def _export(client: TestClient) -> bytes:
    return client.get(f"{URL}/cost-lines/export.xlsx").content


def _upload(client: TestClient, data: bytes, **params: Any) -> Any:
    return client.post(f"{URL}/uploads", params=params, files={"file": ("costs.xlsx", data, XLSX)})


def _pay(client: TestClient) -> dict[tuple[str, str], str]:
    items = client.get(f"{URL}/cost-lines").json()["items"]
    return {(i["organisation"], i["function"]): i["pay"] for i in items}


def _line_id(client: TestClient, org: str, function: str) -> int:
    items = client.get(f"{URL}/cost-lines", params={"organisation": org, "function": function}).json()[
        "items"
    ]
    return int(items[0]["id"])


def test_an_older_export_is_refused_listing_what_changed_since(client: TestClient) -> None:
    _setup(client)
    old = _export(client)
    readme = {
        r[0]: r[1] for r in openpyxl.load_workbook(io.BytesIO(old))["ReadMe"].iter_rows(values_only=True) if r
    }
    assert readme["Data version"].isdigit() and readme["Exported at"]
    # an analyst corrects RMC finance through the API after the export
    assert (
        client.patch(
            f"{URL}/cost-lines/{_line_id(client, 'RMC', 'finance')}", json={"pay": "120.00"}
        ).status_code
        == 200
    )

    body = problem(_upload(client, old), 409)
    assert body["type"] == "/problems/stale-workbook"
    assert "RMC finance 2017/18" in body["detail"] and "overwrite=true" in body["detail"]
    assert body["workbook_data_version"] < body["data_version"]
    (change,) = body["errors"]
    assert "now pay £120.00" in change["message"] and "would put back pay £100.00" in change["message"]
    assert _pay(client)[("RMC", "finance")] == "120.00"  # nothing was saved


def test_overwrite_puts_the_file_back_and_lists_every_reverted_line(client: TestClient) -> None:
    _setup(client)
    old = _export(client)
    client.patch(f"{URL}/cost-lines/{_line_id(client, 'RMC', 'finance')}", json={"pay": "120.00"})
    client.patch(f"{URL}/cost-lines/{_line_id(client, 'RBV', 'finance')}", json={"pay": "75.00"})
    client.post(f"{URL}/cost-lines", json=_line("RBV", "hr", "9.00"))  # new since: the file leaves it alone

    report = _upload(client, old, overwrite="true")
    assert report.status_code == 201, report.text
    reverted = {
        (r["organisation"], r["function"]): (r["now"], r["in_file"]) for r in report.json()["reverted"]
    }
    assert set(reverted) == {("RMC", "finance"), ("RBV", "finance")}
    assert reverted[("RMC", "finance")][0].startswith("pay £120.00")
    assert reverted[("RMC", "finance")][1].startswith("pay £100.00")
    assert _pay(client) == {
        ("RMC", "finance"): "100.00",
        ("RMC", "hr"): "50.00",
        ("RBV", "finance"): "70.00",
        ("RBV", "hr"): "9.00",
    }


def test_an_export_that_reverts_nothing_goes_in(client: TestClient) -> None:
    _setup(client)
    old = _export(client)
    # a change the file does not touch (a line it does not have) and an upload of the same export
    client.post(f"{URL}/cost-lines", json=_line("RBV", "hr", "9.00"))
    first = _upload(client, old)
    assert first.status_code == 201, first.text
    assert first.json()["changed"] is False and first.json()["reverted"] == []


def test_a_fresh_export_and_a_template_without_a_version_go_in(client: TestClient) -> None:
    _setup(client)
    client.patch(f"{URL}/cost-lines/{_line_id(client, 'RMC', 'finance')}", json={"pay": "120.00"})
    assert _upload(client, _export(client)).status_code == 201
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "CostLines"
    sheet.append(["ODS code", "Function", "Financial year", "Pay (£)", "Non-pay (£)", "WTE"])
    sheet.append(["RMC", "finance", "2017/18", 130, 0, 1])
    out = io.BytesIO()
    book.save(out)
    assert _upload(client, out.getvalue()).status_code == 201
    assert _pay(client)[("RMC", "finance")] == "130.00"
