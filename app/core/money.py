"""Money crosses the API as exact decimals in pounds and is stored as integer pence."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import BeforeValidator, Field, PlainSerializer

from app.core.bounds import NOT_ASCII_DIGITS

PENNY = Decimal("0.01")


def ascii_number(value: object) -> object:
    """Refuse a number written as text in other digits (Python's Decimal reads "１２３" as 123)."""
    if isinstance(value, str) and not value.isascii():
        raise ValueError(NOT_ASCII_DIGITS)
    return value


# Serialised as a string ("1234567.89") so no JSON client turns it into a binary float.
Pounds = Annotated[
    Decimal,
    Field(ge=0, max_digits=15, decimal_places=2, examples=["1234567.89"]),
    BeforeValidator(ascii_number),
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json"),
]
SignedPounds = Annotated[
    Decimal,
    Field(max_digits=15, decimal_places=2),
    BeforeValidator(ascii_number),
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json"),
]


def to_pence(pounds: Decimal) -> int:
    return int((pounds * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_pounds(pence: int) -> Decimal:
    return (Decimal(pence) / 100).quantize(PENNY)
