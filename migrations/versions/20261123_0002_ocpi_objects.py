"""OCPI objects, refused pushes and data-version sequences.

What CPOs push (locations, EVSEs, connectors, tariffs), the pushes refused for the CPO's
report, and the two sequences that key public caches (STYLE §5).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 19:57:00.580841
"""

import geoalchemy2  # noqa: F401  (autogenerate writes geoalchemy2.types.Geometry)
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Bumped after commits that change public data: static (registry, CPO states) and
    # dynamic (pushes). Sequences, so bumping never locks a row.
    op.execute("CREATE SEQUENCE IF NOT EXISTS static_data_version")
    op.execute("CREATE SEQUENCE IF NOT EXISTS dynamic_data_version")
    op.create_table(
        "locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_fk", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("party_id", sa.String(length=3), nullable=False),
        sa.Column("location_id", sa.String(length=39), nullable=False),
        sa.Column("publish", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("address", sa.String(length=255), nullable=True),
        sa.Column("city", sa.String(length=45), nullable=True),
        sa.Column("postal_code", sa.String(length=10), nullable=True),
        sa.Column("time_zone", sa.String(length=255), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                from_text="ST_GeomFromEWKT",
                name="geometry",
                nullable=False,
                spatial_index=False,
            ),
            nullable=False,
        ),
        sa.Column("last_updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("warnings", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("installation_id", sa.String(length=64), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["installation_id"],
            ["installations.id"],
            name=op.f("fk_locations_installation_id_installations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["party_fk"],
            ["parties.id"],
            name=op.f("fk_locations_party_fk_parties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
    )
    op.create_index(
        "idx_locations_geom", "locations", ["geom"], unique=False, postgresql_using="gist"
    )
    op.create_index(
        op.f("ix_locations_installation_id"), "locations", ["installation_id"], unique=False
    )
    op.create_index(
        "uq_locations_party_location",
        "locations",
        ["party_fk", sa.literal_column("lower(location_id)")],
        unique=True,
    )
    op.create_table(
        "rejections",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("party_fk", sa.Integer(), nullable=True),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("endpoint", sa.String(length=512), nullable=False),
        sa.Column("object_id", sa.String(length=160), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["party_fk"],
            ["parties.id"],
            name=op.f("fk_rejections_party_fk_parties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejections")),
    )
    op.create_index(op.f("ix_rejections_party_fk"), "rejections", ["party_fk"], unique=False)
    op.create_table(
        "tariffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party_fk", sa.Integer(), nullable=False),
        sa.Column("country_code", sa.String(length=2), nullable=False),
        sa.Column("party_id", sa.String(length=3), nullable=False),
        sa.Column("tariff_id", sa.String(length=39), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=True),
        sa.Column("last_updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("warnings", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["party_fk"],
            ["parties.id"],
            name=op.f("fk_tariffs_party_fk_parties"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tariffs")),
    )
    op.create_index(
        "uq_tariffs_party_tariff",
        "tariffs",
        ["party_fk", sa.literal_column("lower(tariff_id)")],
        unique=True,
    )
    op.create_table(
        "evses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_fk", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=39), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("evse_id", sa.String(length=48), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("charge_point_id", sa.Integer(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["charge_point_id"],
            ["charge_points.id"],
            name=op.f("fk_evses_charge_point_id_charge_points"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["location_fk"],
            ["locations.id"],
            name=op.f("fk_evses_location_fk_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evses")),
    )
    op.create_index(op.f("ix_evses_charge_point_id"), "evses", ["charge_point_id"], unique=False)
    op.create_index(
        "ix_evses_evse_id", "evses", [sa.literal_column("upper(evse_id)")], unique=False
    )
    op.create_index(
        "uq_evses_location_uid",
        "evses",
        ["location_fk", sa.literal_column("lower(uid)")],
        unique=True,
    )
    op.create_table(
        "connectors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evse_fk", sa.Integer(), nullable=False),
        sa.Column("connector_id", sa.String(length=39), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("standard", sa.String(length=32), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=True),
        sa.Column("power_type", sa.String(length=24), nullable=True),
        sa.Column("max_voltage", sa.Integer(), nullable=True),
        sa.Column("max_amperage", sa.Integer(), nullable=True),
        sa.Column("max_electric_power", sa.Integer(), nullable=True),
        sa.Column("tariff_ids", postgresql.ARRAY(sa.String(length=39)), nullable=False),
        sa.Column("last_updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["evse_fk"], ["evses.id"], name=op.f("fk_connectors_evse_fk_evses"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connectors")),
    )
    op.create_index(
        "uq_connectors_evse_connector",
        "connectors",
        ["evse_fk", sa.literal_column("lower(connector_id)")],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_connectors_evse_connector", table_name="connectors")
    op.drop_table("connectors")
    op.drop_index("uq_evses_location_uid", table_name="evses")
    op.drop_index("ix_evses_evse_id", table_name="evses")
    op.drop_index(op.f("ix_evses_charge_point_id"), table_name="evses")
    op.drop_table("evses")
    op.drop_index("uq_tariffs_party_tariff", table_name="tariffs")
    op.drop_table("tariffs")
    op.drop_index(op.f("ix_rejections_party_fk"), table_name="rejections")
    op.drop_table("rejections")
    op.drop_index("uq_locations_party_location", table_name="locations")
    op.drop_index(op.f("ix_locations_installation_id"), table_name="locations")
    op.drop_index("idx_locations_geom", table_name="locations", postgresql_using="gist")
    op.drop_table("locations")
    op.execute("DROP SEQUENCE IF EXISTS dynamic_data_version")
    op.execute("DROP SEQUENCE IF EXISTS static_data_version")
