"""Index check runs by CPO and time, for the quality report.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_check_runs_party_fk", table_name="check_runs")
    op.create_index("ix_check_runs_party_started", "check_runs", ["party_fk", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_check_runs_party_started", table_name="check_runs")
    op.create_index("ix_check_runs_party_fk", "check_runs", ["party_fk"])
