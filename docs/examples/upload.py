"""Download a footprint's cost lines as a workbook, change one figure, upload it, and read the report.
Uploading needs a finance director's token for the footprint (or an admin's)."""

import io
import os

import httpx
from openpyxl import load_workbook

API = os.environ.get("STP_URL", "http://127.0.0.1:8000")
TOKEN = os.environ["STP_TOKEN"]
FOOTPRINT = os.environ.get("STP_FOOTPRINT", "E54000007")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

with httpx.Client(base_url=API, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=120) as api:
    export = api.get(f"/footprints/{FOOTPRINT}/cost-lines/export.xlsx")
    export.raise_for_status()

    # The export is in template form: the CostLines sheet has a header row, then one line per row.
    workbook = load_workbook(io.BytesIO(export.content))
    sheet = workbook["CostLines"]
    header = [cell.value for cell in sheet[1]]
    pay = header.index("Pay (£)") + 1
    sheet.cell(row=2, column=pay).value += 1000  # £1,000 more pay on the first line
    edited = io.BytesIO()
    workbook.save(edited)

    files = {"file": ("edited.xlsx", edited.getvalue(), XLSX)}
    report = api.post(f"/footprints/{FOOTPRINT}/uploads", files=files)
    report.raise_for_status()
    body = report.json()
    print(body["message"])
    print(
        f"upload {body['upload_id']}: {body['inserted']} inserted, {body['updated']} updated, "
        f"{body['unchanged']} unchanged, {body['skipped']} skipped"
    )
    assert body["cost_lines"]["updated"] == 1

    # A file with a bad cell changes nothing: the answer is a problem document listing every cell.
    sheet.cell(row=3, column=pay).value = "twelve pounds"
    broken = io.BytesIO()
    workbook.save(broken)
    refused = api.post(
        f"/footprints/{FOOTPRINT}/uploads", files={"file": ("broken.xlsx", broken.getvalue(), XLSX)}
    )
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    print(f"{refused.status_code} {problem['title']}: {problem['detail']}")
    for error in problem["errors"]:
        print(f"  {error['sheet']}!{error['cell']} ({error['column']}): {error['message']}")
