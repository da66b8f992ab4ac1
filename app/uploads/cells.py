"""Cell values: money, quantities, financial years, codes and text as finance teams type them, a whole
column at a time (each distinct value parsed once)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from app.core.financial_years import NotAFinancialYear
from app.core.financial_years import parse_financial_year as _parse_financial_year
from app.core.money import PENNY, to_pence
from app.organisations.schemas import ORGANISATION_CODE as ORGANISATION_CODE_PATTERN

CellValue = int | float | str | bool | date | datetime | time | timedelta

ORGANISATION_CODE = re.compile(ORGANISATION_CODE_PATTERN)


class CellError(ValueError):
    """A cell's value cannot be used; the message is shown to the user."""


def is_blank(value: CellValue) -> bool:
    return value == "" or value is None or (isinstance(value, str) and not value.strip())


_MONEY_STRIP = str.maketrans("", "", "£,  \u00a0\u202f")
_DASHES = {"-", "–", "—", "‒", "−"}


def parse_amount(value: CellValue, unit: Decimal, *, what: str) -> Decimal:
    """A non-negative amount in pounds from a number or text; '-' or blank is zero; raises CellError."""
    if isinstance(value, bool):
        raise CellError(f"{what} must be an amount, not {value}")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise CellError(f"{what} is not a number")
        amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if text == "" or text in _DASHES:
            return Decimal(0)
        negative = False
        if text.startswith("(") and text.endswith(")"):
            negative, text = True, text[1:-1].strip()
        text = text.translate(_MONEY_STRIP)
        if text[:1] in _DASHES:
            negative, text = not negative, text[1:]
        elif text.endswith("-"):  # 1,234- (accounting systems)
            negative, text = not negative, text[:-1]
        text = text.replace("£", "")
        scale = Decimal(1)
        if text[-1:].lower() in ("k", "m") and len(text) > 1:
            scale = Decimal(1000) if text[-1].lower() == "k" else Decimal(1_000_000)
            text = text[:-1]
        try:
            amount = Decimal(text) * scale
        except InvalidOperation:
            raise CellError(f"{what} {value!r} is not an amount of money") from None
        if not amount.is_finite():
            raise CellError(f"{what} {value!r} is not an amount of money")
        if negative:
            amount = -amount
    else:
        raise CellError(f"{what} must be an amount of money, not a {type(value).__name__}")
    amount *= unit
    if amount < 0:
        raise CellError(
            f"{what} is negative ({_money(amount)}); cost lines are costs and must be zero or more"
            + (" (brackets mean a negative number)" if isinstance(value, str) and "(" in value else "")
        )
    return amount


def _money(amount: Decimal) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}£{abs(amount):,.2f}"


def parse_quantity(value: CellValue, *, what: str) -> Decimal:
    """WTE and the like: a non-negative number (text allowed), blank or '-' is zero, kept to 2 decimals."""
    if isinstance(value, bool):
        raise CellError(f"{what} must be a number, not {value}")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise CellError(f"{what} is not a number")
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        if text == "" or text in _DASHES:
            return Decimal(0)
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError(f"{what} {value!r} is not a number") from None
        if not number.is_finite():
            raise CellError(f"{what} {value!r} is not a number")
    else:
        raise CellError(f"{what} must be a number, not a {type(value).__name__}")
    if number < 0:
        raise CellError(f"{what} is negative ({number}); it must be zero or more")
    return number.quantize(PENNY, rounding=ROUND_HALF_UP)


def parse_financial_year(value: CellValue) -> str:
    """`2017/18`, `2017-18`, `2017/2018`, `FY 2017/18`, `17/18` -> `2017/18`; raises CellError."""
    try:
        return _parse_financial_year(value)
    except NotAFinancialYear as exc:
        raise CellError(str(exc)) from None


def text_value(value: CellValue, strip: bool = True) -> str:
    """A cell as text: numbers that are whole come out without `.0` (codes typed as numbers)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return value.strip() if strip else value
    return str(value)


ZERO_WTE = Decimal(0).quantize(PENNY)


_NUMBERS = frozenset({int, float, bool})


def convert_column(values: list[CellValue], parse: Callable[[CellValue], Any]) -> tuple[list[Any], list[int]]:
    """parse(value), or the CellError it raised, for every value of a column, each distinct value
    parsed once (codes, functions, years and most amounts repeat down a sheet); and the positions of
    the CellErrors."""

    def attempt(value: CellValue) -> Any:
        try:
            return parse(value)
        except CellError as exc:
            return exc

    if len(set(map(type, values)) & _NUMBERS) <= 1:
        # One numeric type at most, so no two distinct values are equal (1, 1.0 and True would be)
        # and a table keyed by value is exact.
        table = {value: attempt(value) for value in set(values)}
        bad = {value for value, parsed in table.items() if parsed.__class__ is CellError}
        failed = [i for i, value in enumerate(values) if value in bad] if bad else []
        return list(map(table.__getitem__, values)), failed
    typed: dict[tuple[type, CellValue], Any] = {}
    out = []
    failed = []
    for i, value in enumerate(values):
        key = (value.__class__, value)
        if key not in typed:
            typed[key] = attempt(value)
        out.append(typed[key])
        if out[-1].__class__ is CellError:
            failed.append(i)
    return out, failed


def organisation_code(value: CellValue) -> str:
    code = text_value(value).upper()
    if not code:
        raise CellError("ODS code is missing")
    if not ORGANISATION_CODE.match(code):
        raise CellError("not an ODS code (3 to 9 letters and digits)")
    return code


def financial_year_cell(value: CellValue) -> str:
    if is_blank(value):
        raise CellError("financial year is missing")
    return parse_financial_year(value)


# Below this many pounds a double's spacing is under a ten-thousandth of a penny, so a number that is
# a whole number of pence after the float multiplication IS that many pence (see pence_column).
_EXACT_POUNDS = 1e11


def pence_column(
    values: list[CellValue], unit: Decimal, what: str
) -> tuple[list[int | CellError], list[int]]:
    """Money in pence, rounded half up, for a whole column.

    A plain non-negative number with at most two decimals (nearly every cell) costs two float
    operations: when k = round(v * 100) gives k / 100 == v, v is the double nearest to k pence, and
    below _EXACT_POUNDS no other amount of two decimals or fewer is that near, so repr(v) is k pence
    exactly and Decimal(repr(v)) * 100 (the rule for everything else) is k. The check fails for any
    other value, which takes the exact Decimal route.
    """
    unit100 = unit * 100
    fast = unit == 1

    def exact(value: CellValue) -> int | CellError:
        try:
            if value.__class__ is float and 0 <= value < math.inf:
                return int((Decimal(repr(value)) * unit100).to_integral_value(ROUND_HALF_UP))
            return to_pence(parse_amount(value, unit, what=what))
        except CellError as exc:
            return exc

    if len(set(values)) * 4 < len(values):
        # Mostly repeats (e.g. round budgets): each distinct value once.
        return convert_column(values, exact)
    out: list[int | CellError] = []
    failed: list[int] = []
    append = out.append
    for i, value in enumerate(values):
        if fast and value.__class__ is float and 0.0 <= value < _EXACT_POUNDS:
            pence = round(value * 100)
            if pence / 100 == value:
                append(pence)
                continue
        append(exact(value))
        if out[-1].__class__ is CellError:
            failed.append(i)
    return out, failed


def wte_value(value: CellValue) -> Decimal:
    if value.__class__ is float and 0 <= value < math.inf:
        return Decimal(repr(value)).quantize(PENNY, rounding=ROUND_HALF_UP)
    return parse_quantity(value, what="WTE")
