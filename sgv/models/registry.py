"""RIPREE, the ministry's register of public charging points (SPEC §7)."""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from geoalchemy2 import Geometry, WKBElement
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sgv.extensions import db
from sgv.models.common import created_column, updated_column


class Installation(db.Model):
    """A public charging site as registered in RIPREE (SPEC §7)."""

    __tablename__ = "installations"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)  # RIPREE installation_id
    operator_tax_id: Mapped[str | None] = mapped_column(sa.String(32))
    operator_name: Mapped[str] = mapped_column(sa.String(255))
    country_code: Mapped[str] = mapped_column(sa.String(2))
    party_id: Mapped[str] = mapped_column(sa.String(3))
    name: Mapped[str] = mapped_column(sa.String(255))
    address: Mapped[str] = mapped_column(sa.String(255))
    postal_code: Mapped[str] = mapped_column(sa.String(5))  # a string: leading zeros matter
    municipality: Mapped[str] = mapped_column(sa.String(128))
    province: Mapped[str] = mapped_column(sa.String(64))
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    opening_hours: Mapped[str | None] = mapped_column(sa.Text)
    access: Mapped[str] = mapped_column(sa.String(16), default="public")
    retired_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()

    charge_points: Mapped[list["ChargePoint"]] = relationship(
        back_populates="installation", cascade="all, delete-orphan", order_by="ChargePoint.id"
    )

    __table_args__ = (sa.Index("ix_installations_party", "country_code", "party_id"),)


class ChargePoint(db.Model):
    """One RIPREE charge point of an installation; matched to an OCPI EVSE by its EVSE-ID."""

    __tablename__ = "charge_points"
    __table_args__ = (sa.UniqueConstraint("installation_id", "evse_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    installation_id: Mapped[str] = mapped_column(
        sa.ForeignKey("installations.id", ondelete="CASCADE"), index=True
    )
    evse_ref: Mapped[str] = mapped_column(sa.String(64), index=True)
    max_power_kw: Mapped[Decimal] = mapped_column(sa.Numeric(8, 2))
    connector_types: Mapped[list[str]] = mapped_column(ARRAY(sa.String(32)))

    installation: Mapped[Installation] = relationship(back_populates="charge_points")
