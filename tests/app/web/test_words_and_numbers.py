"""The words and number formats the pages use (pure functions: no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from app.runs.schemas import RunRead
from app.web.outcome import outcome_text
from app.web.render import money, percent, thousands
from models import RunStatus


def run(status: str, **statistics: Any) -> RunRead:
    return RunRead(
        id=1,
        footprint="E54000007",
        label="",
        status=RunStatus(status),
        assumption_set=None,
        options={},
        created_by="t",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        started_at=None,
        finished_at=None,
        heartbeat_at=None,
        attempts=1,
        error_message="",
        npv=None,
        payback_year=None,
        solver_statistics=statistics,
        progress=None,
        sweep_id=None,
        review=None,
    )


def test_money_has_pound_signs_thousands_separators_and_a_real_minus() -> None:
    assert money(Decimal("1234567.891")) == "£1,234,567.89"
    assert money(Decimal("-1234.5")) == "\u2212£1,234.50"
    assert money(Decimal("1234.5"), pence=False) == "£1,235"
    assert money(Decimal("-0.5"), pence=False) == "\u2212£1"
    assert money(None) == "\u2013"
    assert thousands(Decimal("1234567.89")) == "1,235" and thousands(Decimal("-1500")) == "\u22122"
    assert percent(0.0345) == "3.5 %" and percent(0.25, 0) == "25 %"


def test_the_outcome_says_what_the_solver_proved() -> None:
    assert outcome_text(run("optimal")).startswith("Optimal: no plan")
    assert "proven to be within 2.3 % of the best possible plan" in outcome_text(
        run("feasible", relative_gap=0.0234)
    )
    assert "stopped before it could say" in outcome_text(run("feasible"))
    text = outcome_text(run("infeasible", conflicts=["budget", "locks"]))
    assert "the transition budget; the locks" in text
    assert "raise the transition budget" in text and "remove or loosen a lock" in text
