"""Small footprints for run tests: solved in well under a second, with moves worth making."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.helpers import make_footprint, make_organisation

FP = "E54000007"
RUNS = f"/footprints/{FP}/runs"
COSTS = {  # org -> function -> (pay £, non-pay £)
    "RAA": {"finance": (5_000_000, 1_000_000), "hr": (1_500_000, 500_000)},
    "RBB": {"finance": (2_500_000, 500_000), "hr": (1_200_000, 300_000)},
    "RCC": {"finance": (1_800_000, 200_000), "hr": (800_000, 200_000)},
    "RDD": {"finance": (900_000, 100_000), "hr": (400_000, 100_000)},
}
SMALL_ASSUMPTIONS: dict[str, Any] = {"horizon_years": 3, "board_acceptability": False}


def small_footprint(client: TestClient) -> None:
    make_footprint(client, FP, maturity="advanced")
    for org in COSTS:
        make_organisation(client, FP, org)
    lines = [
        {
            "organisation": org,
            "function": function,
            "financial_year": "2017/18",
            "pay": f"{pay}.00",
            "non_pay": f"{non_pay}.00",
            "wte": "25",
        }
        for org, functions in COSTS.items()
        for function, (pay, non_pay) in functions.items()
    ]
    response = client.post(f"/footprints/{FP}/cost-lines/bulk", json={"lines": lines})
    assert response.status_code == 200, response.text


def launch(client: TestClient, **body: Any) -> dict[str, Any]:
    if "assumption_set" not in body:
        body.setdefault("assumptions", SMALL_ASSUMPTIONS)
    body = {k: v for k, v in body.items() if v is not None}
    body.setdefault("options", {"time_limit": 20})
    response = client.post(RUNS, json=body)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"{RUNS}/{response.json()['id']}"
    return dict(response.json())


@contextmanager
def committed_small_footprint(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Engine]]:
    """A fresh migrated database, committed, holding the small footprint FP with COSTS, that the command
    line (which opens its own sessions) finds through DATABASE_URL; yields (url, engine)."""
    from app.cost_lines.upsert import CostLineInput, bulk_upsert
    from app.footprints.schemas import FootprintCreate
    from app.footprints.service import create_footprint
    from app.organisations.schemas import OrganisationCreate
    from app.organisations.service import create_organisation
    from app.settings import get_settings
    from models.session import get_engine, make_engine, session_scope
    from tests.databases import fresh_database_url

    with fresh_database_url(backend, tmp_path) as url:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        get_engine.cache_clear()
        engine = make_engine(url)
        with session_scope(engine) as session:
            footprint = create_footprint(session, FootprintCreate(code=FP, name="Test", maturity="advanced"))
            for org in COSTS:
                create_organisation(
                    session, footprint, OrganisationCreate(code=org, name=org, kind="PROVIDER")
                )
            bulk_upsert(
                session,
                footprint,
                [
                    CostLineInput(
                        organisation=org,
                        function=f,
                        financial_year="2017/18",
                        pay_pence=pay * 100,
                        non_pay_pence=non_pay * 100,
                        wte=Decimal(20),
                    )
                    for org, functions in COSTS.items()
                    for f, (pay, non_pay) in functions.items()
                ],
            )
        try:
            yield url, engine
        finally:
            engine.dispose()
            get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()
