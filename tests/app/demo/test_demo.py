from __future__ import annotations

import json
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.errors import Conflict
from app.demo.service import DEFAULT_DEMO_PATH, load_demo
from fixtures.demo.make_demo import SEED, build_footprint, render
from tests.helpers import make_footprint, make_organisation

REAL_TRUSTS = {
    "R0A": "Manchester University NHS Foundation Trust",
    "RM3": "Salford Royal NHS Foundation Trust",
    "RMC": "Bolton NHS Foundation Trust",
    "RMP": "Tameside And Glossop Integrated Care NHS Foundation Trust",
    "RRF": "Wrightington, Wigan And Leigh NHS Foundation Trust",
    "RW6": "Pennine Acute Hospitals NHS Trust",
    "RWJ": "Stockport NHS Foundation Trust",
}


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    return dict(json.loads(DEFAULT_DEMO_PATH.read_text(encoding="utf-8")))


def _all_cost_lines(client: TestClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = client.get("/footprints/E54000007/cost-lines", params=params).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_committed_file_is_what_the_generator_makes_for_its_seed() -> None:
    assert DEFAULT_DEMO_PATH.read_text(encoding="utf-8") == render(build_footprint(SEED))
    assert build_footprint(SEED + 1)["cost_lines"] != build_footprint(SEED)["cost_lines"]


def test_demo_is_greater_manchester_with_its_real_trusts(demo: dict[str, Any]) -> None:
    assert demo["footprint"] == {
        "code": "E54000007",
        "name": "Greater Manchester",
        "region": "North West",
        "maturity": "advanced",
    }
    real = {o["code"]: o["name"] for o in demo["organisations"] if not o["illustrative"]}
    assert real == REAL_TRUSTS
    assert 12 <= len(demo["organisations"]) <= 15
    assert "ILLUSTRATIVE" in demo["notice"]


def test_made_up_organisations_are_plainly_illustrative(demo: dict[str, Any]) -> None:
    made_up = [o for o in demo["organisations"] if o["illustrative"]]
    assert {o["kind"] for o in made_up} == {"CCG", "CSU", "LOCAL_AUTHORITY"}
    for organisation in made_up:
        assert "(illustrative)" in organisation["name"]
        assert re.fullmatch(r"DEMO[A-Z0-9]{1,5}", organisation["code"]), organisation["code"]
    for organisation in demo["organisations"]:
        assert not organisation["illustrative"] or organisation["kind"] != "PROVIDER"


def test_money_lies_within_the_documented_bounds(demo: dict[str, Any]) -> None:
    kinds = {o["code"]: o["kind"] for o in demo["organisations"]}
    corporate: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    functions: dict[str, set[str]] = defaultdict(set)
    for line in demo["cost_lines"]:
        assert re.fullmatch(r"\d+\.\d{2}", line["pay"]) and re.fullmatch(r"\d+\.\d{2}", line["non_pay"])
        corporate[(line["organisation"], line["financial_year"])] += Decimal(line["pay"]) + Decimal(
            line["non_pay"]
        )
        functions[line["organisation"]].add(line["function"])
        assert Decimal(line["wte"]) > 0
    assert {year for _, year in corporate} == {"2016/17", "2017/18"}
    for (code, _year), total in corporate.items():
        if kinds[code] == "CCG":
            # the corporate 60-75% of running costs that lie within £2m-£22m
            assert Decimal("1200000") <= total <= Decimal("16500000"), (code, total)
    assert all(len(f) == 10 for f in functions.values())
    groups = {o["compatibility_groups"]["it"] for o in demo["organisations"]}
    assert len(groups) == 2


def test_loading_the_demo_makes_it_visible_through_the_api(db_session: Session, client: TestClient) -> None:
    summary = load_demo(db_session)
    db_session.flush()
    assert summary.footprint_created
    assert (summary.organisations_created, summary.cost_lines_inserted) == (14, 280)

    footprints = {f["code"]: f for f in client.get("/footprints").json()["items"]}
    assert footprints["E54000007"]["maturity"] == "advanced"
    assert footprints["E54000007"]["region"] == "North West"
    organisations = client.get("/footprints/E54000007/organisations").json()["items"]
    assert len(organisations) == 14
    bolton = client.get("/footprints/E54000007/organisations/RMC").json()
    assert bolton["name"] == "Bolton NHS Foundation Trust"
    assert bolton["kind"] == "PROVIDER"
    assert bolton["compatibility_groups"] == {"it": "LDR GM North West (illustrative)"}
    assert client.get("/footprints/E54000007/cost-lines", params={"limit": 1}).json()["total"] == 280
    page = client.get(
        "/footprints/E54000007/cost-lines",
        params={"organisation": "RMC", "function": "finance", "financial_year": "2017/18"},
    ).json()
    expected = next(
        line
        for line in json.loads(DEFAULT_DEMO_PATH.read_text(encoding="utf-8"))["cost_lines"]
        if (line["organisation"], line["function"], line["financial_year"]) == ("RMC", "finance", "2017/18")
    )
    assert [(i["pay"], i["non_pay"], i["wte"]) for i in page["items"]] == [
        (expected["pay"], expected["non_pay"], expected["wte"])
    ]


def test_loading_twice_changes_nothing(db_session: Session, client: TestClient) -> None:
    load_demo(db_session)
    db_session.flush()
    before = _all_cost_lines(client)
    organisations_before = client.get("/footprints/E54000007/organisations").json()

    again = load_demo(db_session)
    db_session.flush()
    assert not again.footprint_created
    assert (again.organisations_created, again.organisations_updated, again.organisations_unchanged) == (
        0,
        0,
        14,
    )
    assert (again.cost_lines_inserted, again.cost_lines_updated, again.cost_lines_unchanged) == (0, 0, 280)
    assert _all_cost_lines(client) == before
    assert client.get("/footprints/E54000007/organisations").json() == organisations_before


def test_a_changed_file_updates_in_place(db_session: Session, tmp_path: Path, demo: dict[str, Any]) -> None:
    load_demo(db_session)
    changed = json.loads(json.dumps(demo))
    changed["organisations"][0]["name"] += " (renamed)"
    changed["cost_lines"][0]["pay"] = "1.00"
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(changed), encoding="utf-8")

    summary = load_demo(db_session, path)
    assert (summary.organisations_updated, summary.organisations_unchanged) == (1, 13)
    assert (summary.cost_lines_inserted, summary.cost_lines_updated, summary.cost_lines_unchanged) == (
        0,
        1,
        279,
    )


def test_a_trust_code_already_in_another_footprint_is_not_moved(
    db_session: Session, client: TestClient
) -> None:
    make_footprint(client, "E54000008", name="Cheshire and Merseyside")
    make_organisation(client, "E54000008", "RMC")
    with pytest.raises(Conflict, match="RMC"):
        load_demo(db_session)
