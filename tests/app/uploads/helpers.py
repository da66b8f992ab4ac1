"""Shared by the upload tests: the footprint the fixture workbooks are written for, and uploading."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook

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


def organisations_workbook_with(name_xml: bytes) -> bytes:
    """A one-organisation workbook (RAB, a CCG) whose name cell holds `name_xml` exactly as written in the
    file's XML, bypassing openpyxl, which would escape or refuse it (references, control characters)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Organisations"
    sheet.append(["ODS code", "Name", "Kind"])
    sheet.append(["RAB", "PLACEHOLDER", "CCG"])
    original = io.BytesIO()
    book.save(original)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original.getvalue())) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info.filename).replace(b"PLACEHOLDER", name_xml))
    return out.getvalue()
