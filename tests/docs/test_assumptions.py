"""Every assumption default in the code appears in docs/planners/assumptions.md with the same value and a
source, and the page lists no default the code does not have."""

from __future__ import annotations

import dataclasses
import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from app.assumption_sets import defaults
from app.assumption_sets.schemas import AssumptionSetWrite
from app.runs.schemas import RunOptions
from app.sweeps.schemas import Grid, MonteCarlo, SweepOptions
from solver.problem import Problem, SolveOptions

PAGE = Path(__file__).resolve().parents[2] / "docs" / "planners" / "assumptions.md"

# Fields with a default that are not assumptions: free text, containers documented key by key, callbacks.
NOT_ASSUMPTIONS = {"description", "functions", "on_progress", "msg"}
# The solver's Problem defaults that are modelling choices (the rest are empty containers of data).
PROBLEM_ASSUMPTIONS = {"board_acceptability", "board_mode", "theta"}


def _plain(value: Any) -> Any:
    """A default as JSON would write it, numbers (and numeric strings) as Decimal so 0.10 == "0.1"."""
    if isinstance(value, BaseModel):
        return _plain(value.model_dump(mode="json"))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if hasattr(value, "value") and not isinstance(value, (int, float, Decimal)):  # an enum
        return value.value
    try:
        return Decimal(str(value)).normalize()
    except InvalidOperation:
        return value


def _pydantic_defaults(model: type[BaseModel], prefix: str) -> dict[str, Any]:
    found = {}
    for name, field in model.model_fields.items():
        if name in NOT_ASSUMPTIONS or field.is_required():
            continue
        if field.default_factory is not None:
            continue  # a nested model (e.g. options): its own fields are listed under their prefix
        if field.default is PydanticUndefined:
            continue
        found[prefix + name] = _plain(field.default)
    return found


def code_defaults() -> dict[str, Any]:
    found: dict[str, Any] = {}
    found |= _pydantic_defaults(AssumptionSetWrite, "")
    found |= _pydantic_defaults(RunOptions, "options.")
    found |= _pydantic_defaults(SweepOptions, "options.")  # a run's options, plus the sweep's own
    found |= _pydantic_defaults(Grid, "grid.")
    found |= _pydantic_defaults(MonteCarlo, "monte_carlo.")
    for name, value in defaults.default_function_assumptions().items():
        found[f"functions.*.{name}"] = _plain(value)
    for maturity, share in defaults.PACE_SHARE.items():
        found[f"pace_share.{maturity.value}"] = _plain(share)
    for field in dataclasses.fields(Problem):
        if field.name in PROBLEM_ASSUMPTIONS:
            found[f"Problem.{field.name}"] = _plain(field.default)
    for field in dataclasses.fields(SolveOptions):
        if field.name not in NOT_ASSUMPTIONS and field.default is not dataclasses.MISSING:
            found[f"SolveOptions.{field.name}"] = _plain(field.default)
    return found


def page_defaults() -> dict[str, tuple[Any, str]]:
    """setting -> (the default in the last `code` of its default cell, the source cell)."""
    found = {}
    text = PAGE.read_text(encoding="utf-8")
    for block in re.findall(r"<!-- assumptions: [^>]+ -->\n((?:\|.*\n)+)", text):
        rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in block.splitlines()]
        header, _rule, *body = rows
        assert header == ["setting", "default", "what it means", "source"], header
        for setting, default, _meaning, source in body:
            key = re.fullmatch(r"`([^`]+)`", setting)
            assert key, f"setting cell {setting!r} is not one `name`"
            values = re.findall(r"`([^`]+)`", default)
            assert values, f"{key[1]}: the default cell gives no `value` in code form"
            found[key[1]] = (_plain(json.loads(values[-1])), source)
    return found


def test_every_default_in_the_code_is_on_the_page_with_the_same_value() -> None:
    documented = page_defaults()
    missing = sorted(set(code_defaults()) - set(documented))
    assert not missing, f"defaults in the code that docs/planners/assumptions.md does not list: {missing}"
    differ = {key: (documented[key][0], v) for key, v in code_defaults().items() if documented[key][0] != v}
    assert not differ, f"page value vs code value: {differ}"


def test_the_page_lists_no_default_the_code_does_not_have() -> None:
    extra = sorted(set(page_defaults()) - set(code_defaults()))
    assert not extra, f"docs/planners/assumptions.md lists defaults the code does not have: {extra}"


def test_every_default_on_the_page_has_a_source() -> None:
    # Pace shares of developing inherit the row above's reasoning but still say where they come from.
    for key, (_value, source) in page_defaults().items():
        assert len(source) > 8, f"{key}: no source"


def test_a_changed_default_would_be_caught() -> None:
    documented = page_defaults()
    assert documented["discount_rate"][0] == _plain(Decimal("0.035")) != _plain(Decimal("0.03"))
    assert documented["functions.*.tiers"][0] == _plain(defaults.CENTRAL_TIERS)
