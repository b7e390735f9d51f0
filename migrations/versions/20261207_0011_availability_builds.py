"""Availability aggregates built by a scheduled job, read by the public (issue #19).

`flask sgv history build` (hourly, one host: advisory lock 'sgv.availability') computes
every public installation's hour-of-week figures (sgv/history/aggregate.py) and stores
them as one build: a row in `availability_builds` and a row per installation in
`availability_sites`, with the JSON object the export streams and the EVSEs it was read
from, so that every public read checks them against the public door at read time. A
request never computes the aggregate (seconds on the demo, minutes for the country).
The newest two builds are kept: a reader that picked the previous one a moment before
a new build committed still finds its rows.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "availability_builds",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("installations", sa.Integer, nullable=False),
    )
    op.create_table(
        "availability_sites",
        sa.Column(
            "build_fk",
            sa.BigInteger,
            sa.ForeignKey("availability_builds.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("installation_id", sa.String(64), primary_key=True),
        sa.Column("evses", postgresql.ARRAY(sa.Integer), nullable=False),
        sa.Column("simulated", sa.Boolean, nullable=False),
        sa.Column("observed_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("figures", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("availability_sites")
    op.drop_table("availability_builds")
