"""The status history of EVSEs: appended by a trigger on `evses` (migration 0010).

A plain table, not a mapped class: rows are only appended (by PostgreSQL), read by
set-based queries (sgv/history/aggregate.py) and deleted by age (sgv/history/prune.py),
so it needs no primary key, which would be one more index on every status change.
"""

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from sgv.extensions import db

status_history = sa.Table(
    "status_history",
    db.metadata,
    sa.Column("evse_fk", sa.ForeignKey("evses.id", ondelete="CASCADE"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("simulated", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_status_history_evse_time", "evse_fk", "changed_at"),
    sa.Index("ix_status_history_time", "changed_at", postgresql_using="brin"),
)

# One build of the hour-of-week aggregates (migration 0011, sgv/history/store.py).
availability_builds = sa.Table(
    "availability_builds",
    db.metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("installations", sa.Integer, nullable=False),
)
# Each installation's figures in a build: the export's JSON object as stored (`json`
# keeps the text), and the EVSEs they come from, checked against the public door on read.
availability_sites = sa.Table(
    "availability_sites",
    db.metadata,
    sa.Column(
        "build_fk",
        sa.ForeignKey("availability_builds.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("installation_id", sa.String(64), primary_key=True),
    sa.Column("evses", postgresql.ARRAY(sa.Integer), nullable=False),
    sa.Column("simulated", sa.Boolean, nullable=False),
    sa.Column("observed_since", sa.DateTime(timezone=True), nullable=False),
    sa.Column("figures", sa.JSON, nullable=False),
)
