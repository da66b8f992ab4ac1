"""Money crosses the API as exact decimals in pounds and is stored as integer pence."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import Field, PlainSerializer

PENNY = Decimal("0.01")

# Serialised as a string ("1234567.89") so no JSON client turns it into a binary float.
Pounds = Annotated[
    Decimal,
    Field(ge=0, max_digits=15, decimal_places=2, examples=["1234567.89"]),
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json"),
]
SignedPounds = Annotated[
    Decimal,
    Field(max_digits=15, decimal_places=2),
    PlainSerializer(lambda v: f"{v:.2f}", return_type=str, when_used="json"),
]


def to_pence(pounds: Decimal) -> int:
    return int((pounds * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_pounds(pence: int) -> Decimal:
    return (Decimal(pence) / 100).quantize(PENNY)
