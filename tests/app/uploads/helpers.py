"""Shared by the upload tests: the footprint the fixture workbooks are written for, and uploading."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from fixtures.workbooks import generate
from tests.helpers import make_footprint, make_organisation

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def make_fixture_footprints(client: TestClient) -> None:
    make_footprint(client, generate.FOOTPRINT)
    for code, kind in generate.ORGANISATIONS:
        make_organisation(client, generate.FOOTPRINT, code, kind=kind)
    make_footprint(client, generate.OTHER_FOOTPRINT, name="Cheshire and Merseyside")
    make_organisation(client, generate.OTHER_FOOTPRINT, generate.FOREIGN_ORG)


def upload(
    client: TestClient, data: bytes, name: str = "costs.xlsx", footprint: str = generate.FOOTPRINT
) -> Any:
    return client.post(f"/footprints/{footprint}/uploads", files={"file": (name, data, XLSX)})


def pence(pounds: str) -> int:
    return int(Decimal(pounds) * 100)


def stored_lines(client: TestClient, footprint: str = generate.FOOTPRINT) -> dict[str, tuple[int, int, str]]:
    """(organisation function year) -> (pay pence, non-pay pence, wte) of every stored cost line."""
    lines: dict[str, tuple[int, int, str]] = {}
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1000}
        if cursor:
            params["cursor"] = cursor
        page = client.get(f"/footprints/{footprint}/cost-lines", params=params).json()
        for item in page["items"]:
            key = f"{item['organisation']} {item['function']} {item['financial_year']}"
            lines[key] = (pence(item["pay"]), pence(item["non_pay"]), item["wte"])
        cursor = page["next_cursor"]
        if not cursor:
            return lines
