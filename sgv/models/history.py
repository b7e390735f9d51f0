"""The status history of EVSEs: appended by a trigger on `evses` (migration 0010).

A plain table, not a mapped class: rows are only appended (by PostgreSQL), read by
set-based queries (sgv/history/aggregate.py) and deleted by age (sgv/history/prune.py),
so it needs no primary key, which would be one more index on every status change.
"""

import sqlalchemy as sa

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
