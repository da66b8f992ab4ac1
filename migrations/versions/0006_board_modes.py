"""rule 10's board modes: assumption sets carry `board_mode` (stored sets keep `own`, and say so); runs
store each organisation's agreed share and recharge, and each hub's cost-sharing agreement

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 23:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEGACY_NOTE = (
    "Stored before rule 10 had modes: kept 'own' (every organisation's own attributed NPV >= -theta), "
    "which is what it meant then. The default for new sets is 'shared' (a cost-sharing agreement per hub)."
)


def upgrade() -> None:
    with op.batch_alter_table("assumption_set", schema=None) as batch_op:
        # Existing sets get "own", today's meaning; new ones get the ORM's default ("shared").
        batch_op.add_column(
            sa.Column("board_mode", sa.String(length=10), nullable=False, server_default="own")
        )
        batch_op.add_column(sa.Column("board_mode_note", sa.String(length=300), nullable=True))
    assumption_set = sa.table("assumption_set", sa.column("board_mode_note", sa.String))
    op.execute(assumption_set.update().values(board_mode_note=LEGACY_NOTE))
    with op.batch_alter_table("assumption_set", schema=None) as batch_op:
        batch_op.alter_column("board_mode", server_default=None, existing_type=sa.String(length=10))

    with op.batch_alter_table("run_organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("share_pence", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("recharge_pence", sa.BigInteger(), nullable=True))

    op.create_table(
        "run_hub_share",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("function_key", sa.String(length=50), nullable=False),
        sa.Column("host", sa.String(length=16), nullable=False),
        sa.Column("hub_npv_pence", sa.BigInteger(), nullable=False),
        sa.Column("hub_binds_board", sa.Boolean(), nullable=False),
        sa.Column("organisation", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("first_year", sa.Integer(), nullable=False),
        sa.Column("attributed_npv_pence", sa.BigInteger(), nullable=False),
        sa.Column("share_pence", sa.BigInteger(), nullable=False),
        sa.Column("recharge_pence", sa.BigInteger(), nullable=False),
        sa.Column("annual_share_pence", sa.BigInteger(), nullable=False),
        sa.Column("annual_recharge_pence", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["run.id"], name=op.f("fk_run_hub_share_run_id_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_hub_share")),
    )
    with op.batch_alter_table("run_hub_share", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_hub_share_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("run_hub_share", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_hub_share_run_id"))
    op.drop_table("run_hub_share")
    with op.batch_alter_table("run_organisation", schema=None) as batch_op:
        batch_op.drop_column("recharge_pence")
        batch_op.drop_column("share_pence")
    with op.batch_alter_table("assumption_set", schema=None) as batch_op:
        batch_op.drop_column("board_mode_note")
        batch_op.drop_column("board_mode")
