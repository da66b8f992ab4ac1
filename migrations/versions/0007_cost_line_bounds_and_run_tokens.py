"""cost line bounds (CHECK constraints) and the token behind each run

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 23:01:28.449712

The bounds are those of app/core/bounds.py: pay and non-pay at most £1 billion (in pence), WTE at most
100,000. A database holding a line beyond them cannot be upgraded until the line is corrected: such a
figure is a typing or unit mistake, and every later sum and plan would be built on it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BOUNDS = {
    "pay_at_most_1bn": "pay_pence <= 100000000000",
    "non_pay_at_most_1bn": "non_pay_pence <= 100000000000",
    "wte_at_most_100000": "wte <= 100000",
}


def upgrade() -> None:
    with op.batch_alter_table("cost_line", schema=None) as batch_op:
        for name, condition in _BOUNDS.items():
            batch_op.create_check_constraint(name, condition)
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_by_token_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_run_created_by_token_id"), ["created_by_token_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_run_created_by_token_id_api_token"),
            "api_token",
            ["created_by_token_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_run_created_by_token_id_api_token"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_run_created_by_token_id"))
        batch_op.drop_column("created_by_token_id")
    with op.batch_alter_table("cost_line", schema=None) as batch_op:
        for name in _BOUNDS:
            batch_op.drop_constraint(batch_op.f(f"ck_cost_line_{name}"), type_="check")
