"""OCPI 2.3.0: parking places, help phone, Plug & Charge, tax_included (issue #16).

What a 2.3.0 push adds that SGV queries or publishes gets a column (the raw objects keep
everything, as before): a Location's `help_phone`, an EVSE's parking references, a
connector's capabilities, a tariff's `tax_included`, and a table of parking places per
location with their truck/van suitability and whether a reservation is required.

Two views join the public door (sgv/public/rules.py): `public_locations`, the locations
whose CPO data may be public (live CPO, published, matched, with a public EVSE at their
installation), and `public_parking`, their parking places; `public_connectors` gains a
last column, `plug_and_charge`.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

PUBLIC_LOCATIONS = """
CREATE VIEW public_locations AS
SELECT l.id AS location_pk, l.installation_id, l.party_fk, l.help_phone
FROM locations l
JOIN public_parties p ON p.id = l.party_fk
WHERE l.publish IS NOT FALSE AND l.installation_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM public_evse_candidates v
              WHERE v.installation_id = l.installation_id AND v.party_fk = l.party_fk)
"""

PUBLIC_PARKING = """
CREATE VIEW public_parking AS
SELECT l.installation_id, l.location_pk, pp.parking_id, pp.position, pp.vehicle_types,
       pp.trucks, pp.vans, pp.reservation_required, pp.restricted_to_type,
       pp.max_vehicle_weight, pp.max_vehicle_height, pp.max_vehicle_length, pp.drive_through
FROM parking_places pp
JOIN public_locations l ON l.location_pk = pp.location_fk
"""

# 0005's definition, with one column added at the end (CREATE OR REPLACE allows that).
POWER_OF_C = "public_power_kw(c.max_electric_power, c.max_voltage, c.max_amperage, c.power_type)"
CONNECTORS = f"""
CREATE OR REPLACE VIEW public_connectors AS
SELECT e.*, c.id AS connector_pk, c.connector_id, c.position, c.standard, c.tariff_ids,
       {POWER_OF_C} AS power_kw"""
PLUG_AND_CHARGE = """,
       COALESCE(c.capabilities && ARRAY['ISO_15118_2_PLUG_AND_CHARGE',
                                       'ISO_15118_20_PLUG_AND_CHARGE']::varchar[], false)
           AS plug_and_charge"""
FROM_CONNECTORS = """
FROM public_evses e LEFT JOIN connectors c ON c.evse_fk = e.evse_pk
"""


def upgrade() -> None:
    op.add_column("locations", sa.Column("help_phone", sa.String(length=25), nullable=True))
    op.add_column(
        "evses", sa.Column("parking_ids", postgresql.ARRAY(sa.String(length=39)), nullable=True)
    )
    op.add_column(
        "connectors",
        sa.Column("capabilities", postgresql.ARRAY(sa.String(length=64)), nullable=True),
    )
    op.add_column("tariffs", sa.Column("tax_included", sa.String(length=3), nullable=True))
    op.create_table(
        "parking_places",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_fk", sa.Integer(), nullable=False),
        sa.Column("parking_id", sa.String(length=39), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("vehicle_types", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("trucks", sa.Boolean(), nullable=False),
        sa.Column("vans", sa.Boolean(), nullable=False),
        sa.Column("reservation_required", sa.Boolean(), nullable=False),
        sa.Column("restricted_to_type", sa.Boolean(), nullable=False),
        sa.Column("max_vehicle_weight", sa.Numeric(), nullable=True),
        sa.Column("max_vehicle_height", sa.Numeric(), nullable=True),
        sa.Column("max_vehicle_length", sa.Numeric(), nullable=True),
        sa.Column("drive_through", sa.Boolean(), nullable=True),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_fk"],
            ["locations.id"],
            name=op.f("fk_parking_places_location_fk_locations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_places")),
    )
    op.create_index(
        "uq_parking_places_location_parking",
        "parking_places",
        ["location_fk", sa.literal_column("lower(parking_id)")],
        unique=True,
    )
    op.execute(CONNECTORS + PLUG_AND_CHARGE + FROM_CONNECTORS)
    op.execute(PUBLIC_LOCATIONS)
    op.execute(PUBLIC_PARKING)


def downgrade() -> None:
    op.execute("DROP VIEW public_parking")
    op.execute("DROP VIEW public_locations")
    # A view cannot lose a column by CREATE OR REPLACE: drop it, then 0005's again.
    op.execute("DROP VIEW public_connectors")
    op.execute(CONNECTORS.replace("CREATE OR REPLACE", "CREATE") + FROM_CONNECTORS)
    op.drop_index("uq_parking_places_location_parking", table_name="parking_places")
    op.drop_table("parking_places")
    op.drop_column("tariffs", "tax_included")
    op.drop_column("connectors", "capabilities")
    op.drop_column("evses", "parking_ids")
    op.drop_column("locations", "help_phone")
