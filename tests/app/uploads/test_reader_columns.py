"""The column-wise conversions give exactly what the per-cell rules give (they replaced them for speed)."""

from __future__ import annotations

import math
import random
from decimal import ROUND_HALF_UP, Decimal

from app.core.money import to_pence
from app.uploads.cells import CellError, convert_column, parse_amount, pence_column, wte_value


def _rule(value: object, unit: Decimal) -> int | str:
    """The reference: Decimal(repr(float)) in pounds, times the unit, rounded half up to pence."""
    try:
        if isinstance(value, float) and 0 <= value < math.inf:
            return int((Decimal(repr(value)) * unit * 100).to_integral_value(ROUND_HALF_UP))
        return to_pence(parse_amount(value, unit, what="pay"))  # type: ignore[arg-type]
    except CellError as exc:
        return str(exc)


def test_pence_column_matches_the_decimal_rule_for_every_kind_of_number() -> None:
    rng = random.Random(4)
    values: list[object] = [0.0, -0.0, 0.005, 0.015, 1.005, 2.675, 1e-05, 99_999_999_999.99, 1e11, 1.5e15]
    values += [rng.randrange(0, 10**13) / 100 for _ in range(20_000)]  # two decimals, up to £100bn
    values += [rng.randrange(0, 10**9) / 1000 for _ in range(5_000)]  # three decimals: half-up cases
    values += [rng.random() * 10 ** rng.randrange(0, 16) for _ in range(5_000)]
    values += [-1.5, float("nan"), float("inf"), "£1,234.50", "(12)", "-", "", 7, True, "abc"]
    for unit in (Decimal(1), Decimal(1000)):
        pence, failed = pence_column(values, unit, "pay")  # type: ignore[arg-type]
        got = [str(p) if isinstance(p, CellError) else p for p in pence]
        assert got == [_rule(v, unit) for v in values]
        assert failed == [i for i, p in enumerate(pence) if isinstance(p, CellError)]


def test_repeated_amounts_take_the_table_route_with_the_same_results() -> None:
    values = [1.005, 2.5, 1234.56, 0.1] * 1000
    pence, failed = pence_column(values, Decimal(1), "pay")  # type: ignore[arg-type]
    assert pence == [_rule(v, Decimal(1)) for v in values] and failed == []


def test_convert_keeps_equal_values_of_different_types_apart() -> None:
    values = [1, 1.0, True, 1.5, "1.5"]
    out, failed = convert_column(values, wte_value)  # type: ignore[arg-type]
    assert [str(o) for o in out[:2] + out[3:]] == ["1.00", "1.00", "1.50", "1.50"]
    assert isinstance(out[2], CellError) and failed == [2]
