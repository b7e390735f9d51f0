"""An EVSE without connectors is kept out of public data (issue #16, SPEC §3 Acceptance).

Real feeds publish planned EVSEs with an empty `connectors` list; SGV accepts them (the
rest of the Location is good) and reports them to the CPO. Without connectors there is
nothing a driver can plug into, so public_evse_candidates leaves them out: the map, the
search, the exports and the deltas, which all read public_evses/public_connectors, and
another EVSE of the same charge point, if any, is shown instead. The view's columns do
not change, so the views built on it stay as they are.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# 0005's definition; the last line is this migration's rule. The condition is an EXISTS
# on connectors(evse_fk), an index PostgreSQL reads per candidate.
CANDIDATES = """
CREATE OR REPLACE VIEW public_evse_candidates AS
SELECT e.id AS evse_pk, e.charge_point_id, l.installation_id, l.party_fk, e.evse_id,
       e.status, e.status_updated_at, e.last_updated, l.time_zone AS location_time_zone,
       p.unknown_since
FROM evses e
JOIN locations l ON l.id = e.location_fk
JOIN public_parties p ON p.id = l.party_fk
WHERE l.publish IS NOT FALSE AND l.installation_id IS NOT NULL
  AND e.charge_point_id IS NOT NULL AND e.status <> 'REMOVED'
"""
WITH_CONNECTORS = "  AND EXISTS (SELECT 1 FROM connectors c WHERE c.evse_fk = e.id)\n"


def upgrade() -> None:
    op.execute(CANDIDATES + WITH_CONNECTORS)


def downgrade() -> None:
    op.execute(CANDIDATES)
