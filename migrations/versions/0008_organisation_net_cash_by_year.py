"""each organisation's net cash by year in a run's results

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 02:10:00.000000

Runs stored before this revision keep a null: their per-year split was never recorded, and the result
workbook says so rather than inventing one (run the footprint again to get it).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("run_organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("net_cash_by_year_pence", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("run_organisation", schema=None) as batch_op:
        batch_op.drop_column("net_cash_by_year_pence")
