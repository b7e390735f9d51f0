"""CPOs (parties) with their OCPI credentials and state, and the audit log."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sgv.extensions import db
from sgv.models.common import created_column, updated_column

PARTY_STATES = ("created", "registered", "live", "revoked", "deregistered")


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
    # The next TOKEN_C while the platform's renewal PUT runs: the CPO may call back with it
    # before answering (OCPI credentials update); set only during that exchange.
    token_c_pending_digest: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    token_b: Mapped[str | None] = mapped_column(sa.String(64))
    token_b_encoding: Mapped[str | None] = mapped_column(sa.String(8))  # base64 | raw
    versions_url: Mapped[str | None] = mapped_column(sa.String(255))
    version: Mapped[str | None] = mapped_column(sa.String(8))  # negotiated OCPI version
    endpoints: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    roles: Mapped[list[Any]] = mapped_column(JSONB, default=list)
    registered_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    # Data quality (SPEC §4, §5): consecutive failed checks, and from when every EVSE
    # whose status is older shows UNKNOWN (set when the failures reach the threshold).
    consecutive_failures: Mapped[int] = mapped_column(default=0, server_default="0")
    unknown_since: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_check_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_full_sync_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()

    def __repr__(self) -> str:
        return f"<Party {self.country_code}*{self.party_id} {self.state}>"


class AuditEntry(db.Model):
    """Who did what and why: every CPO state change and operator action (SPEC §4)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    at: Mapped[datetime] = created_column()
    actor: Mapped[str] = mapped_column(sa.String(64))  # operator login, "cpo" or "system"
    party_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("parties.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(sa.String(32))
    from_state: Mapped[str | None] = mapped_column(sa.String(16))
    to_state: Mapped[str | None] = mapped_column(sa.String(16))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class MaintenanceWindow(db.Model):
    """A period the operator declared for a CPO: its EVSEs show UNKNOWN, checks pause (§4)."""

    __tablename__ = "maintenance_windows"

    id: Mapped[int] = mapped_column(primary_key=True)
    party_fk: Mapped[int] = mapped_column(
        sa.ForeignKey("parties.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = updated_column()

    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),)


class CheckRun(db.Model):
    """One data-quality check of one CPO: what its Sender interfaces answered (SPEC §5)."""

    __tablename__ = "check_runs"
    # The report reads a CPO's runs over a period: party first, then time.
    __table_args__ = (sa.Index("ix_check_runs_party_started", "party_fk", "started_at"),)

    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    party_fk: Mapped[int] = mapped_column(sa.ForeignKey("parties.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    full_sync: Mapped[bool] = mapped_column(default=False)
    skipped: Mapped[str | None] = mapped_column(sa.String(64))  # e.g. "maintenance window"
    reachable: Mapped[bool | None]
    error: Mapped[str | None] = mapped_column(sa.Text)
    objects_returned: Mapped[int] = mapped_column(default=0)
    empty_answers: Mapped[int] = mapped_column(default=0)
    not_pushed: Mapped[int] = mapped_column(default=0)  # differed from what was pushed
    rejected: Mapped[int] = mapped_column(default=0)
    details: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
