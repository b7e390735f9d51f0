"""Maintenance windows, data-quality check runs, per-CPO check state.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 20:09:22.685507
"""

import geoalchemy2  # noqa: F401  (autogenerate writes geoalchemy2.types.Geometry)
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "check_runs",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("party_fk", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("full_sync", sa.Boolean(), nullable=False),
        sa.Column("skipped", sa.String(length=64), nullable=True),
        sa.Column("reachable", sa.Boolean(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("objects_returned", sa.Integer(), nullable=False),
        sa.Column("empty_answers", sa.Integer(), nullable=False),
        sa.Column("not_pushed", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("details", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_fk"],
            ["parties.id"],
            name=op.f("fk_check_runs_party_fk_parties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_runs")),
    )
    op.create_index(op.f("ix_check_runs_party_fk"), "check_runs", ["party_fk"], unique=False)
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_fk", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "ends_at > starts_at", name=op.f("ck_maintenance_windows_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["party_fk"],
            ["parties.id"],
            name=op.f("fk_maintenance_windows_party_fk_parties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_windows")),
    )
    op.create_index(
        op.f("ix_maintenance_windows_party_fk"), "maintenance_windows", ["party_fk"], unique=False
    )
    op.add_column(
        "parties",
        sa.Column("consecutive_failures", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("parties", sa.Column("unknown_since", sa.DateTime(timezone=True), nullable=True))
    op.add_column("parties", sa.Column("last_check_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "parties", sa.Column("last_full_sync_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("parties", "last_full_sync_at")
    op.drop_column("parties", "last_check_at")
    op.drop_column("parties", "unknown_since")
    op.drop_column("parties", "consecutive_failures")
    op.drop_index(op.f("ix_maintenance_windows_party_fk"), table_name="maintenance_windows")
    op.drop_table("maintenance_windows")
    op.drop_index(op.f("ix_check_runs_party_fk"), table_name="check_runs")
    op.drop_table("check_runs")
