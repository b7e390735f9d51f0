"""What CPOs push over OCPI: locations, EVSEs, connectors, tariffs, and refused pushes.

Each row keeps the object exactly as the CPO sent it in `data` (unknown fields
included, children left out), so GET answers what was pushed; the other columns are
the normalised values the platform queries. Ids are CiStrings: unique per party
case-insensitively, stored as the URL gave them (SPEC §3).
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geometry, WKBElement
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sgv.extensions import db
from sgv.models.common import created_column, updated_column

TIMESTAMP = sa.DateTime(timezone=True)


class Location(db.Model):
    """A CPO's OCPI Location, matched (or not) to a RIPREE installation."""

    __tablename__ = "locations"
    __table_args__ = (
        sa.Index(
            "uq_locations_party_location", "party_fk", sa.text("lower(location_id)"), unique=True
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    party_fk: Mapped[int] = mapped_column(sa.ForeignKey("parties.id", ondelete="CASCADE"))
    country_code: Mapped[str] = mapped_column(sa.String(2))
    party_id: Mapped[str] = mapped_column(sa.String(3))
    location_id: Mapped[str] = mapped_column(sa.String(39))
    publish: Mapped[bool] = mapped_column(default=True)
    name: Mapped[str | None] = mapped_column(sa.String(255))
    address: Mapped[str | None] = mapped_column(sa.String(255))
    city: Mapped[str | None] = mapped_column(sa.String(45))
    postal_code: Mapped[str | None] = mapped_column(sa.String(10))
    time_zone: Mapped[str | None] = mapped_column(sa.String(255))
    help_phone: Mapped[str | None] = mapped_column(sa.String(25))  # OCPI 2.3.0
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    last_updated: Mapped[datetime] = mapped_column(TIMESTAMP)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    warnings: Mapped[list[str]] = mapped_column(JSONB, default=list)
    installation_id: Mapped[str | None] = mapped_column(
        sa.ForeignKey("installations.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()

    evses: Mapped[list["Evse"]] = relationship(
        back_populates="location", cascade="all, delete-orphan", order_by="Evse.position"
    )


class ParkingPlace(db.Model):
    """A parking place of a Location (OCPI 2.3.0 Parking): who may park there, and how.

    Written by sgv/ingest/parking.py from each push that carries `parking_places`; the
    whole object is in `data`, the columns are what the public filters query.
    """

    __tablename__ = "parking_places"
    __table_args__ = (
        sa.Index(
            "uq_parking_places_location_parking",
            "location_fk",
            sa.text("lower(parking_id)"),
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_fk: Mapped[int] = mapped_column(sa.ForeignKey("locations.id", ondelete="CASCADE"))
    parking_id: Mapped[str] = mapped_column(sa.String(39))
    position: Mapped[int] = mapped_column(default=0)
    vehicle_types: Mapped[list[str]] = mapped_column(ARRAY(sa.String(32)), default=list)
    trucks: Mapped[bool] = mapped_column(default=False)  # a heavy-duty vehicle type listed
    vans: Mapped[bool] = mapped_column(default=False)
    reservation_required: Mapped[bool] = mapped_column(default=False)
    restricted_to_type: Mapped[bool] = mapped_column(default=False)
    max_vehicle_weight: Mapped[Decimal | None] = mapped_column(sa.Numeric)  # kg
    max_vehicle_height: Mapped[Decimal | None] = mapped_column(sa.Numeric)  # cm
    max_vehicle_length: Mapped[Decimal | None] = mapped_column(sa.Numeric)  # cm
    drive_through: Mapped[bool | None]
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)


class Evse(db.Model):
    """An EVSE of a location: the unit whose availability drivers see."""

    __tablename__ = "evses"
    __table_args__ = (
        sa.Index("uq_evses_location_uid", "location_fk", sa.text("lower(uid)"), unique=True),
        sa.Index("ix_evses_evse_id", sa.text("upper(evse_id)")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_fk: Mapped[int] = mapped_column(sa.ForeignKey("locations.id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(sa.String(39))
    position: Mapped[int] = mapped_column(default=0)  # order within the location as pushed
    evse_id: Mapped[str | None] = mapped_column(sa.String(48))
    status: Mapped[str] = mapped_column(sa.String(16))
    status_updated_at: Mapped[datetime] = mapped_column(TIMESTAMP)  # when `status` was set
    last_updated: Mapped[datetime] = mapped_column(TIMESTAMP)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    # OCPI 2.3.0 EVSE.parking: the parking_places ids of its location it may use.
    parking_ids: Mapped[list[str] | None] = mapped_column(ARRAY(sa.String(39)))
    charge_point_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("charge_points.id", ondelete="SET NULL"), index=True
    )
    updated_at: Mapped[datetime] = updated_column()

    location: Mapped[Location] = relationship(back_populates="evses")
    connectors: Mapped[list["Connector"]] = relationship(
        back_populates="evse", cascade="all, delete-orphan", order_by="Connector.position"
    )


class Connector(db.Model):
    """A connector of an EVSE, with the tariffs that apply to it."""

    __tablename__ = "connectors"
    __table_args__ = (
        sa.Index(
            "uq_connectors_evse_connector", "evse_fk", sa.text("lower(connector_id)"), unique=True
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evse_fk: Mapped[int] = mapped_column(sa.ForeignKey("evses.id", ondelete="CASCADE"))
    connector_id: Mapped[str] = mapped_column(sa.String(39))
    position: Mapped[int] = mapped_column(default=0)
    standard: Mapped[str] = mapped_column(sa.String(32))
    format: Mapped[str | None] = mapped_column(sa.String(16))
    power_type: Mapped[str | None] = mapped_column(sa.String(24))
    max_voltage: Mapped[int | None]
    max_amperage: Mapped[int | None]
    max_electric_power: Mapped[int | None]  # W
    tariff_ids: Mapped[list[str]] = mapped_column(ARRAY(sa.String(39)), default=list)
    # OCPI 2.3.0 ConnectorCapability values, e.g. ISO_15118_2_PLUG_AND_CHARGE
    capabilities: Mapped[list[str] | None] = mapped_column(ARRAY(sa.String(64)))
    last_updated: Mapped[datetime] = mapped_column(TIMESTAMP)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)

    evse: Mapped[Evse] = relationship(back_populates="connectors")


class Tariff(db.Model):
    """A CPO's tariff; prices exclude VAT (2.3.0: see tax_included), `vat` is a percentage."""

    __tablename__ = "tariffs"
    __table_args__ = (
        sa.Index("uq_tariffs_party_tariff", "party_fk", sa.text("lower(tariff_id)"), unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    party_fk: Mapped[int] = mapped_column(sa.ForeignKey("parties.id", ondelete="CASCADE"))
    country_code: Mapped[str] = mapped_column(sa.String(2))
    party_id: Mapped[str] = mapped_column(sa.String(3))
    tariff_id: Mapped[str] = mapped_column(sa.String(39))
    currency: Mapped[str] = mapped_column(sa.String(3))
    type: Mapped[str | None] = mapped_column(sa.String(32))
    # OCPI 2.3.0: YES, NO or N/A (prices incl. VAT or not, absent vat = 0 %); None before
    # 2.3.0 (prices excl. VAT, absent vat = unknown). sgv/public/taxes.py reads it.
    tax_included: Mapped[str | None] = mapped_column(sa.String(3))
    last_updated: Mapped[datetime] = mapped_column(TIMESTAMP)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    warnings: Mapped[list[str]] = mapped_column(JSONB, default=list)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()


class Rejection(db.Model):
    """A refused push, kept for the CPO's report; written in a transaction of its own."""

    __tablename__ = "rejections"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    party_fk: Mapped[int | None] = mapped_column(
        sa.ForeignKey("parties.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = created_column()
    method: Mapped[str] = mapped_column(sa.String(8))
    endpoint: Mapped[str] = mapped_column(sa.String(512))
    object_id: Mapped[str | None] = mapped_column(sa.String(160))
    http_status: Mapped[int]
    status_code: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.Text)
