from __future__ import annotations

from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, TimestampMixin


class CostLine(TimestampMixin, Base):
    """One organisation's annual cost of one function in one financial year.

    Money is integer pence so that sums are exact on every database (SQLite has no decimal type).
    """

    __tablename__ = "cost_line"
    __table_args__ = (
        UniqueConstraint("organisation_id", "function_key", "financial_year"),
        CheckConstraint("pay_pence >= 0", name="pay_not_negative"),
        CheckConstraint("non_pay_pence >= 0", name="non_pay_not_negative"),
        CheckConstraint("wte >= 0", name="wte_not_negative"),
        # the bounds of app/core/bounds.py: £1 billion each, 100,000 WTE
        CheckConstraint("pay_pence <= 100000000000", name="pay_at_most_1bn"),
        CheckConstraint("non_pay_pence <= 100000000000", name="non_pay_at_most_1bn"),
        CheckConstraint("wte <= 100000", name="wte_at_most_100000"),
        Index("ix_cost_line_function_year", "function_key", "financial_year"),
    )

    # SQLite only auto-increments an INTEGER PRIMARY KEY, so BIGINT there would break inserts.
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    function_key: Mapped[str] = mapped_column(ForeignKey("function.key", ondelete="RESTRICT"))
    financial_year: Mapped[str] = mapped_column(String(7))  # "2017/18"
    pay_pence: Mapped[int] = mapped_column(BigInteger)
    non_pay_pence: Mapped[int] = mapped_column(BigInteger)
    wte: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    upload_id: Mapped[int | None] = mapped_column(ForeignKey("upload.id", ondelete="SET NULL"), index=True)
