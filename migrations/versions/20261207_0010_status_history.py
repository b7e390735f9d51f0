"""Status history: every public status change of an EVSE, for "when is it usually free".

A trigger on `evses` appends (EVSE, status, status_updated_at) to `status_history` when
an EVSE is inserted or its status really changes, so no Python write path changes (the
one-statement status PATCH stays one statement). The table is narrow and append-only;
`flask sgv maintenance prune-history` bounds it to SGV_HISTORY_DAYS (sgv/history/prune.py).

Pruning, not partitions: a DELETE by age once a day, found through a BRIN index on time
(a few pages for millions of appended rows, nearly free to maintain), keeps the write
path to one plain INSERT with no partition to create ahead of time and no routing; the
btree on (evse_fk, changed_at) serves the aggregate (and the prune's "newest row before
the cut-off" rule) per EVSE. Existing EVSEs get one row each with their current status,
so their history starts from what is known.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

RECORD = """
CREATE FUNCTION record_status_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO status_history (evse_fk, status, changed_at)
    VALUES (NEW.id, NEW.status, NEW.status_updated_at);
    RETURN NULL;
END
$$
"""
# Two triggers: WHEN may name OLD only on UPDATE. UPDATE OF status fires only for a
# statement that sets the column; WHEN skips a repeat of the same status.
ON_INSERT = """
CREATE TRIGGER evses_status_history_insert AFTER INSERT ON evses
FOR EACH ROW EXECUTE FUNCTION record_status_change()
"""
ON_UPDATE = """
CREATE TRIGGER evses_status_history_update AFTER UPDATE OF status ON evses
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION record_status_change()
"""


def upgrade() -> None:
    op.create_table(
        "status_history",
        sa.Column(
            "evse_fk", sa.Integer, sa.ForeignKey("evses.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("simulated", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_index("ix_status_history_evse_time", "status_history", ["evse_fk", "changed_at"])
    op.create_index(
        "ix_status_history_time", "status_history", ["changed_at"], postgresql_using="brin"
    )
    op.execute(
        "INSERT INTO status_history (evse_fk, status, changed_at)"
        " SELECT id, status, status_updated_at FROM evses"
    )
    op.execute(RECORD)
    op.execute(ON_INSERT)
    op.execute(ON_UPDATE)


def downgrade() -> None:
    op.execute("DROP TRIGGER evses_status_history_update ON evses")
    op.execute("DROP TRIGGER evses_status_history_insert ON evses")
    op.execute("DROP FUNCTION record_status_change()")
    op.drop_table("status_history")
