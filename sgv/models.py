"""Tables only. Queries live in the service modules.

Pattern for later tables: add the model here (or in a models/ package once this passes
~300 lines), then a hand-checked migration under migrations/versions/ (see README,
"Changing the schema").
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geometry, WKBElement
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sgv.extensions import db

PARTY_STATES = ("created", "registered", "live", "revoked", "deregistered")


def _created() -> Mapped[datetime]:
    return mapped_column(sa.DateTime(timezone=True), server_default=sa.func.now())


def _updated() -> Mapped[datetime]:
    return mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now(), onupdate=sa.func.now()
    )


class Party(db.Model):
    """A charge point operator (CPO) admitted to the platform, with its OCPI credentials."""

    __tablename__ = "parties"
    __table_args__ = (
        sa.UniqueConstraint("country_code", "party_id"),
        sa.CheckConstraint(f"state IN {PARTY_STATES!r}", name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    country_code: Mapped[str] = mapped_column(sa.String(2))  # stored upper-case
    party_id: Mapped[str] = mapped_column(sa.String(3))  # stored upper-case
    name: Mapped[str] = mapped_column(sa.String(255))
    tax_id: Mapped[str | None] = mapped_column(sa.String(32))
    phone: Mapped[str | None] = mapped_column(sa.String(32))  # customer service, public
    website: Mapped[str | None] = mapped_column(sa.String(255))
    state: Mapped[str] = mapped_column(sa.String(16), default="created")

    # Our tokens are stored as SHA-256 hex digests; the CPO's TOKEN_B in clear, since we
    # must present it when calling the CPO.
    token_a_digest: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    token_c_digest: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    token_c_expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    token_b: Mapped[str | None] = mapped_column(sa.String(64))
    token_b_encoding: Mapped[str | None] = mapped_column(sa.String(8))  # base64 | raw
    versions_url: Mapped[str | None] = mapped_column(sa.String(255))
    version: Mapped[str | None] = mapped_column(sa.String(8))  # negotiated OCPI version
    endpoints: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    roles: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    registered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    def __repr__(self) -> str:
        return f"<Party {self.country_code}*{self.party_id} {self.state}>"


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
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

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


class AuditEntry(db.Model):
    """Who did what and why: every CPO state change and operator action (SPEC §4)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    at: Mapped[datetime] = _created()
    actor: Mapped[str] = mapped_column(sa.String(64))  # operator login, "cpo" or "system"
    party_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("parties.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(32))
    from_state: Mapped[str | None] = mapped_column(sa.String(16))
    to_state: Mapped[str | None] = mapped_column(sa.String(16))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
