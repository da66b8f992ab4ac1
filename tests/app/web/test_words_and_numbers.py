"""The words and number formats the pages use (pure functions: no database)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from app.runs.outcome import in_words
from app.runs.schemas import Progress, RunRead
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


def test_a_finished_run_reads_as_the_api_says_and_a_running_one_says_it_may_improve() -> None:
    finished = run("feasible").model_copy(update={"outcome_text": "Best plan found: NPV £1.0m."})
    assert in_words(finished) == "Best plan found: NPV £1.0m."
    assert in_words(run("queued")) == "Queued: waiting for a worker to start it."
    assert in_words(run("running")) == "Solving: no plan found yet."
    progress = Progress(
        phase="joint",
        incumbent=Decimal("1000000"),
        best_bound=Decimal("1250000"),
        relative_gap=0.25,
        seconds=12.4,
    )
    solving = run("running").model_copy(update={"progress": progress})
    assert in_words(solving) == (
        "Solving for 12 s: best plan so far NPV £1.0m, proven within 25.0 % of the best possible plan "
        "(bound £1.2m). It may still improve."
    )
