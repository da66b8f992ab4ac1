"""The result workbook reads without help: £ headline figures, percentages, seconds, numbers as numbers,
function labels, header-only frozen panes, a glossary, the baseline, the review, warnings and a chart
whose axes show."""

from __future__ import annotations

import io
import re
import zipfile
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from app.runs.worker import execute_run
from models import RunOrganisation
from tests.app.runs.conftest import COSTS, FP, RUNS, launch, small_footprint


def _finished_run(client: TestClient, session_factory: sessionmaker[Session]) -> dict[str, Any]:
    run = launch(client)
    execute_run(session_factory, run["id"], heartbeat_seconds=3600)
    return run


def _workbook(client: TestClient, run_id: int) -> tuple[Any, bytes]:
    response = client.get(f"{RUNS}/{run_id}/export.xlsx")
    assert response.status_code == 200, response.text
    return load_workbook(io.BytesIO(response.content)), response.content


def _summary(book: Any) -> dict[str, Any]:
    return {row[0].value: row[1] for row in book["Summary"].iter_rows() if row and row[0].value}


def test_headline_money_percentages_durations_and_numbers(
    client: TestClient, session_factory: sessionmaker[Session], client_as: Any
) -> None:
    small_footprint(client)
    run = _finished_run(client, session_factory)
    reviewer = client_as("planner", FP, name="Dr Reviewer")
    assert (
        reviewer.post(
            f"{RUNS}/{run['id']}/reviews", json={"decision": "approve", "comment": "ok"}
        ).status_code
        == 201
    )
    book, content = _workbook(client, run["id"])
    summary = _summary(book)
    npv = summary["Net present value (NPV)"]
    assert npv.number_format == '"£"#,##0;[Red]-"£"#,##0'  # whole pounds, thousands separators
    assert isinstance(npv.value, int | float)
    assert summary["Discount rate"].number_format == "0.00%" and summary["Discount rate"].value == 0.035
    assert summary["Review"].value == "approved"
    assert summary["Reviewed by"].value == "Dr Reviewer"
    assert summary["Run created"].value and summary["Run by"].value == "test-admin"

    settings = {row[0].value: row[1] for row in book["Assumptions"].iter_rows(min_row=2)}
    assert settings["Discount rate"].value == 0.035 and settings["Discount rate"].number_format == "0.00%"
    assert settings["Horizon (years)"].value == 3 and settings["Horizon (years)"].data_type == "n"
    for cell in settings.values():
        if cell.value is not None and re.fullmatch(r"-?[\d.]+", str(cell.value)):
            assert cell.data_type == "n", f"{cell.coordinate} holds a number as text"

    solver = {row[0].value: row[1] for row in book["Solver"].iter_rows(min_row=2)}
    assert solver["Wall time"].number_format == '0.0 "s"' and isinstance(solver["Wall time"].value, float)

    labels = {f["key"]: f["label"] for f in client.get("/functions").json()}
    plan_functions = {row[0] for row in book["Plan"].iter_rows(min_row=2, values_only=True)}
    assert plan_functions and plan_functions <= {labels["finance"], labels["hr"]}
    function_rows = {row[0] for row in book["Function assumptions"].iter_rows(min_row=2, values_only=True)}
    assert function_rows == {labels["finance"], labels["hr"]}

    # frozen panes only under a header row; the Summary, which has none, is not frozen
    assert book["Summary"].freeze_panes is None
    for name in book.sheetnames[1:]:
        assert book[name].freeze_panes == "A2", name
        assert book[name]["A1"].font.bold, name

    glossary = {row[0]: row[1] for row in book["Glossary"].iter_rows(min_row=2, values_only=True)}
    for term in (
        "Optimal",
        "Feasible",
        "Gap",
        "Attributed NPV",
        "Binding constraint",
        "Board acceptability",
        "Payback year",
        "WTE released",
    ):
        assert glossary.get(term), term
    del content


def test_baseline_per_organisation_and_function_reconciles_with_the_upload(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    small_footprint(client)
    run = _finished_run(client, session_factory)
    book, _ = _workbook(client, run["id"])
    labels = {f["key"]: f["label"] for f in client.get("/functions").json()}
    rows = list(book["Baseline"].iter_rows(min_row=2, values_only=True))
    found = {(r[0], r[2]): (r[3], Decimal(str(r[4])), Decimal(str(r[5])), Decimal(str(r[6]))) for r in rows}
    expected = {
        (org, labels[function]): ("2017/18", Decimal(pay), Decimal(non_pay), Decimal(pay + non_pay))
        for org, functions in COSTS.items()
        for function, (pay, non_pay) in functions.items()
    }
    assert found == expected


def test_mixed_financial_years_are_warned_about_in_the_run_and_its_workbook(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    small_footprint(client)
    # RAA's latest year becomes 2018/19 while the others stay at 2017/18
    line = {
        "organisation": "RAA",
        "function": "finance",
        "financial_year": "2018/19",
        "pay": "5000000",
        "non_pay": "0",
    }
    assert client.post(f"/footprints/{FP}/cost-lines", json=line).status_code == 201
    run = _finished_run(client, session_factory)
    warnings = client.get(f"{RUNS}/{run['id']}").json()["warnings"]
    assert len(warnings) == 1
    assert "2018/19 for RAA" in warnings[0] and "2017/18 for RAA, RBB, RCC, RDD" in warnings[0]
    book, _ = _workbook(client, run["id"])
    assert _summary(book)["Warning"].value == warnings[0]


def test_one_financial_year_gives_no_warning(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    small_footprint(client)
    run = _finished_run(client, session_factory)
    assert client.get(f"{RUNS}/{run['id']}").json()["warnings"] == []
    book, _ = _workbook(client, run["id"])
    assert "Warning" not in _summary(book)


def test_the_chart_axes_show_their_labels_and_pounds(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    small_footprint(client)
    run = _finished_run(client, session_factory)
    _, content = _workbook(client, run["id"])
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        (chart_part,) = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        chart = ElementTree.fromstring(archive.read(chart_part))
    c, a = (
        "{http://schemas.openxmlformats.org/drawingml/2006/chart}",
        "{http://schemas.openxmlformats.org/drawingml/2006/main}",
    )
    axes = {axis.tag.removeprefix(c): axis for axis in chart.iter() if axis.tag in (f"{c}catAx", f"{c}valAx")}
    assert set(axes) == {"catAx", "valAx"}
    titles = {}
    for kind, axis in axes.items():
        delete = axis.find(f"{c}delete")
        assert delete is not None and delete.get("val") == "0", f"{kind} is hidden"
        titles[kind] = "".join(t.text or "" for t in axis.iter(f"{a}t"))
    assert titles == {"catAx": "Year of the plan", "valAx": "£ per year"}
    number_format = axes["valAx"].find(f"{c}numFmt")
    assert number_format is not None and number_format.get("sourceLinked") == "0"
    assert number_format.get("formatCode", "").startswith('"£"#,##0')


def test_each_organisations_net_cash_by_year_reconciles_with_the_years_and_the_api(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    small_footprint(client)
    run = _finished_run(client, session_factory)
    years = client.get(f"{RUNS}/{run['id']}/years").json()["years"]
    organisations = client.get(f"{RUNS}/{run['id']}/organisations").json()["organisations"]
    by_api = {
        o["organisation"]: [Decimal(y["net_cash"]) for y in o["net_cash_by_year"]] for o in organisations
    }
    assert [y["year"] for y in organisations[0]["net_cash_by_year"]] == [1, 2, 3]
    assert set(by_api) == set(COSTS)
    for index, year in enumerate(years):  # a year's organisations add up to its net cash, to the penny
        assert sum(cash[index] for cash in by_api.values()) == Decimal(year["net_cash"])
    assert any(cash[0] < 0 for cash in by_api.values()), "someone pays to move in year 1"
    for o in organisations:  # discounted, each row is the organisation's attributed NPV (a penny a year)
        cash = by_api[o["organisation"]]
        discounted = sum(c * Decimal(str(y["discount_factor"])) for c, y in zip(cash, years, strict=True))
        assert abs(discounted - Decimal(o["attributed_npv"])) <= Decimal("0.05")

    book, _ = _workbook(client, run["id"])
    sheet = book["Cash by organisation"]
    header = [c.value for c in sheet[1]]
    assert header == ["Organisation", "Name", "Year 1", "Year 2", "Year 3"] + [
        "Total over the horizon",
        "Attributed NPV",
    ]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2) if row[0].value}
    for code, cash in by_api.items():
        row = rows[code]
        assert [Decimal(str(c.value)) for c in row[2:5]] == cash
        assert Decimal(str(row[5].value)) == sum(cash)
        assert all(c.data_type == "n" and "£" in c.number_format for c in row[2:7])
    total = rows["All"]
    assert [Decimal(str(c.value)) for c in total[2:5]] == [Decimal(y["net_cash"]) for y in years]
    assert Decimal(str(total[6].value)) == Decimal(client.get(f"{RUNS}/{run['id']}").json()["npv"])
    assert sheet.freeze_panes == "A2"


def test_a_run_stored_before_the_split_was_recorded_says_so(
    client: TestClient, session_factory: sessionmaker[Session]
) -> None:
    small_footprint(client)
    run = _finished_run(client, session_factory)
    with session_factory() as session:  # as migration 0008 leaves the runs stored before it
        stored = update(RunOrganisation).where(RunOrganisation.run_id == run["id"])
        session.execute(stored.values(net_cash_by_year_pence=None))
        session.commit()
    organisations = client.get(f"{RUNS}/{run['id']}/organisations").json()["organisations"]
    assert all(o["net_cash_by_year"] is None for o in organisations)
    book, _ = _workbook(client, run["id"])
    text = [row[0] for row in book["Cash by organisation"].iter_rows(min_row=2, values_only=True) if row[0]]
    assert len(text) == 1 and "run the footprint again" in text[0]
