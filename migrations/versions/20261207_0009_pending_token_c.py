"""A TOKEN_C in the making: accepted while the platform's renewal PUT runs (issue #16).

OCPI's credentials update has the receiving party call the sender's versions endpoint
with the new token *before* it answers the PUT. SGV used to activate its new TOKEN_C only
after the CPO answered, so a CPO following the spec got 401 and answered 3001. The new
token's digest is kept here during the exchange: both tokens work; the old one is
retired when the CPO accepts, the pending one dropped when it refuses.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("parties", sa.Column("token_c_pending_digest", sa.String(64)))
    op.create_unique_constraint(
        op.f("uq_parties_token_c_pending_digest"), "parties", ["token_c_pending_digest"]
    )


def downgrade() -> None:
    op.drop_constraint(op.f("uq_parties_token_c_pending_digest"), "parties", type_="unique")
    op.drop_column("parties", "token_c_pending_digest")
