"""footprint data version

A counter raised by every change to a footprint's organisations or cost lines. An exported workbook
carries it, so uploading a workbook exported before later changes is caught instead of silently
reverting them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 23:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("footprint") as batch:
        batch.add_column(sa.Column("data_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("footprint") as batch:
        batch.drop_column("data_version")
