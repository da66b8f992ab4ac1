"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 10:55:24.235471
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CATALOGUE = [
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


def upgrade() -> None:
    op.create_table(
        "footprint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column(
            "maturity",
            sa.Enum(
                "emerging",
                "developing",
                "advanced",
                name="maturity",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_footprint")),
        sa.UniqueConstraint("code", name=op.f("uq_footprint_code")),
    )
    op.create_table(
        "function",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_function")),
    )
    op.create_table(
        "assumption_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("footprint_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("discount_rate", sa.Numeric(precision=6, scale=5), nullable=False),
        sa.Column("horizon_years", sa.Integer(), nullable=False),
        sa.Column("optimism_bias_cost_uplift", sa.Numeric(precision=6, scale=5), nullable=False),
        sa.Column("optimism_bias_savings_haircut", sa.Numeric(precision=6, scale=5), nullable=False),
        sa.Column("board_acceptability", sa.Boolean(), nullable=False),
        sa.Column("board_tolerance_pence", sa.Integer(), nullable=False),
        sa.Column("function_assumptions", sa.JSON(), nullable=False),
        sa.Column("yearly_limits", sa.JSON(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["footprint_id"],
            ["footprint.id"],
            name=op.f("fk_assumption_set_footprint_id_footprint"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assumption_set")),
        sa.UniqueConstraint("footprint_id", "name", name=op.f("uq_assumption_set_footprint_id_name")),
    )
    with op.batch_alter_table("assumption_set", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assumption_set_footprint_id"), ["footprint_id"], unique=False)

    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "CCG",
                "CSU",
                "PROVIDER",
                "LOCAL_AUTHORITY",
                name="organisationkind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("footprint_id", sa.Integer(), nullable=False),
        sa.Column("compatibility_groups", sa.JSON(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["footprint_id"],
            ["footprint.id"],
            name=op.f("fk_organisation_footprint_id_footprint"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("code", name=op.f("uq_organisation_code")),
    )
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisation_footprint_id"), ["footprint_id"], unique=False)

    op.create_table(
        "upload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("footprint_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_inserted", sa.Integer(), nullable=False),
        sa.Column("rows_updated", sa.Integer(), nullable=False),
        sa.Column("rows_unchanged", sa.Integer(), nullable=False),
        sa.Column("rows_skipped", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["footprint_id"],
            ["footprint.id"],
            name=op.f("fk_upload_footprint_id_footprint"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upload")),
    )
    with op.batch_alter_table("upload", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_upload_footprint_id"), ["footprint_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_upload_sha256"), ["sha256"], unique=False)

    op.create_table(
        "cost_line",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("function_key", sa.String(length=40), nullable=False),
        sa.Column("financial_year", sa.String(length=7), nullable=False),
        sa.Column("pay_pence", sa.BigInteger(), nullable=False),
        sa.Column("non_pay_pence", sa.BigInteger(), nullable=False),
        sa.Column("wte", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("upload_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint("non_pay_pence >= 0", name=op.f("ck_cost_line_non_pay_not_negative")),
        sa.CheckConstraint("pay_pence >= 0", name=op.f("ck_cost_line_pay_not_negative")),
        sa.CheckConstraint("wte >= 0", name=op.f("ck_cost_line_wte_not_negative")),
        sa.ForeignKeyConstraint(
            ["function_key"],
            ["function.key"],
            name=op.f("fk_cost_line_function_key_function"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_cost_line_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["upload_id"], ["upload.id"], name=op.f("fk_cost_line_upload_id_upload"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cost_line")),
        sa.UniqueConstraint(
            "organisation_id",
            "function_key",
            "financial_year",
            name=op.f("uq_cost_line_organisation_id_function_key_financial_year"),
        ),
    )
    with op.batch_alter_table("cost_line", schema=None) as batch_op:
        batch_op.create_index("ix_cost_line_function_year", ["function_key", "financial_year"], unique=False)
        batch_op.create_index(batch_op.f("ix_cost_line_upload_id"), ["upload_id"], unique=False)

    op.create_table(
        "lock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("footprint_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("function_key", sa.String(length=40), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "keep_in_house",
                "must_join",
                "may_not_host",
                "must_host",
                "not_before_year",
                name="lockkind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["footprint_id"],
            ["footprint.id"],
            name=op.f("fk_lock_footprint_id_footprint"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["function_key"],
            ["function.key"],
            name=op.f("fk_lock_function_key_function"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_lock_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lock")),
        sa.UniqueConstraint(
            "footprint_id",
            "organisation_id",
            "function_key",
            "kind",
            name=op.f("uq_lock_footprint_id_organisation_id_function_key_kind"),
        ),
    )
    with op.batch_alter_table("lock", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lock_footprint_id"), ["footprint_id"], unique=False)

    op.create_table(
        "run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("footprint_id", sa.Integer(), nullable=False),
        sa.Column("assumption_set_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "optimal",
                "feasible",
                "infeasible",
                "error",
                "cancelled",
                name="runstatus",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("solver_statistics", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["assumption_set_id"],
            ["assumption_set.id"],
            name=op.f("fk_run_assumption_set_id_assumption_set"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["footprint_id"], ["footprint.id"], name=op.f("fk_run_footprint_id_footprint"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run")),
    )
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_footprint_id"), ["footprint_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_run_status"), ["status"], unique=False)

    op.create_table(
        "run_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column(
            "decision",
            sa.Enum(
                "approve",
                "reject",
                name="reviewdecision",
                native_enum=False,
                create_constraint=True,
                length=10,
            ),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["run.id"], name=op.f("fk_run_review_run_id_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_review")),
    )
    with op.batch_alter_table("run_review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_review_run_id"), ["run_id"], unique=False)
    # The catalogue is fixed at this revision (later revisions add functions explicitly), so a later
    # edit of models.function cannot change what this migration did.
    function_table = sa.table(
        "function",
        sa.column("key", sa.String),
        sa.column("label", sa.String),
        sa.column("description", sa.Text),
        sa.column("sort_order", sa.Integer),
    )
    op.bulk_insert(
        function_table,
        [
            {"key": key, "label": label, "description": description, "sort_order": order}
            for order, (key, label, description) in enumerate(CATALOGUE, start=1)
        ],
    )


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("run_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_review_run_id"))

    op.drop_table("run_review")
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_status"))
        batch_op.drop_index(batch_op.f("ix_run_footprint_id"))

    op.drop_table("run")
    with op.batch_alter_table("lock", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lock_footprint_id"))

    op.drop_table("lock")
    with op.batch_alter_table("cost_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cost_line_upload_id"))
        batch_op.drop_index("ix_cost_line_function_year")

    op.drop_table("cost_line")
    with op.batch_alter_table("upload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_upload_sha256"))
        batch_op.drop_index(batch_op.f("ix_upload_footprint_id"))

    op.drop_table("upload")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_footprint_id"))

    op.drop_table("organisation")
    with op.batch_alter_table("assumption_set", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assumption_set_footprint_id"))

    op.drop_table("assumption_set")
    op.drop_table("function")
    op.drop_table("footprint")
