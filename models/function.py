from __future__ import annotations

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Function(Base):
    """A corporate or back-office function that can be shared (the catalogue is seeded by migration)."""

    __tablename__ = "function"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    sort_order: Mapped[int] = mapped_column(Integer, default=0)


# The catalogue the first migration seeds. Order is the order finance teams see.
FUNCTION_CATALOGUE: list[tuple[str, str, str]] = [
    ("finance", "Finance", "Financial accounting, management accounts, accounts payable/receivable"),
    ("payroll", "Payroll", "Pay and pensions processing"),
    ("hr", "Human resources", "Recruitment, workforce administration, employee relations"),
    ("procurement", "Procurement", "Purchasing, contracts and supply chain"),
    ("it", "IT", "Infrastructure, service desk, applications support"),
    ("estates", "Estates and facilities", "Estate management, facilities services"),
    ("legal", "Legal services", "In-house legal advice and services"),
    ("communications", "Communications", "Communications, engagement and media"),
    ("governance", "Governance", "Board secretariat, risk, information governance"),
    ("business_intelligence", "Business intelligence", "Analytics, information and reporting"),
    ("training", "Training and education", "Statutory and mandatory training, learning and development"),
]
