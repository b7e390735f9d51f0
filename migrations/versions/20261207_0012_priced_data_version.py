"""A third data version: what prices live data, apart from statuses (issue #18).

Every push moves `dynamic_data_version`. Most are status changes, which do not change
what a site costs; tariffs, connectors and locations do. `priced_data_version` moves
with those (sgv/core/dataversion.py: touch(DYNAMIC) moves it unless the writer changed
only EVSEs' own fields), so the map's prices per EVSE are computed once per version and
reused by the live summary a stream of status pushes rebuilds (sgv/public/live.py).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE IF NOT EXISTS priced_data_version")


def downgrade() -> None:
    op.execute("DROP SEQUENCE IF EXISTS priced_data_version")
