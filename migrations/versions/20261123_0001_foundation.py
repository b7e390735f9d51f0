"""Foundation: PostGIS, parties (CPOs), RIPREE installations and charge points, audit log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

PARTY_STATES = "('created', 'registered', 'live', 'revoked', 'deregistered')"


def timestamps() -> list[sa.Column]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    op.create_table(
        "parties",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("country_code", sa.String(2), nullable=False),
        sa.Column("party_id", sa.String(3), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("tax_id", sa.String(32)),
        sa.Column("phone", sa.String(32)),
        sa.Column("website", sa.String(255)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("token_a_digest", sa.String(64)),
        sa.Column("token_c_digest", sa.String(64)),
        sa.Column("token_c_expires_at", sa.DateTime(timezone=True)),
        sa.Column("token_b", sa.String(64)),
        sa.Column("token_b_encoding", sa.String(8)),
        sa.Column("versions_url", sa.String(255)),
        sa.Column("version", sa.String(8)),
        sa.Column("endpoints", JSONB, nullable=False),
        sa.Column("roles", JSONB, nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True)),
        *timestamps(),
        sa.UniqueConstraint("country_code", "party_id"),
        sa.UniqueConstraint("token_a_digest"),
        sa.UniqueConstraint("token_c_digest"),
        sa.CheckConstraint(f"state IN {PARTY_STATES}", name="state"),
    )

    op.create_table(
        "installations",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("operator_tax_id", sa.String(32)),
        sa.Column("operator_name", sa.String(255), nullable=False),
        sa.Column("country_code", sa.String(2), nullable=False),
        sa.Column("party_id", sa.String(3), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("address", sa.String(255), nullable=False),
        sa.Column("postal_code", sa.String(5), nullable=False),
        sa.Column("municipality", sa.String(128), nullable=False),
        sa.Column("province", sa.String(64), nullable=False),
        # The GiST index is created explicitly below, so that this file alone says
        # what the database holds.
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("opening_hours", sa.Text),
        sa.Column("access", sa.String(16), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True)),
        *timestamps(),
    )
    op.create_index("idx_installations_geom", "installations", ["geom"], postgresql_using="gist")
    op.create_index("ix_installations_party", "installations", ["country_code", "party_id"])

    op.create_table(
        "charge_points",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "installation_id",
            sa.String(64),
            sa.ForeignKey("installations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("evse_ref", sa.String(64), nullable=False),
        sa.Column("max_power_kw", sa.Numeric(8, 2), nullable=False),
        sa.Column("connector_types", ARRAY(sa.String(32)), nullable=False),
        sa.UniqueConstraint("installation_id", "evse_ref"),
    )
    op.create_index("ix_charge_points_installation_id", "charge_points", ["installation_id"])
    op.create_index("ix_charge_points_evse_ref", "charge_points", ["evse_ref"])

    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("party_id", sa.Integer, sa.ForeignKey("parties.id", ondelete="SET NULL")),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_state", sa.String(16)),
        sa.Column("to_state", sa.String(16)),
        sa.Column("reason", sa.Text),
        sa.Column("details", JSONB, nullable=False),
    )
    op.create_index("ix_audit_log_party_id", "audit_log", ["party_id"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("charge_points")
    op.drop_table("installations")
    op.drop_table("parties")
