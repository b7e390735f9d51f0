"""Maintenance windows the operator declares for a CPO (SPEC §4, §6).

Inside a window every EVSE of the CPO shows UNKNOWN (sgv/public/) and the hourly check
is suspended without penalty (sgv/quality/). Each change is audited, which bumps both data
versions (sgv/parties/lifecycle.py): the window shows at once.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sgv.extensions import db
from sgv.models import MaintenanceWindow, Party
from sgv.parties.lifecycle import audit

OPERATOR_ZONE = ZoneInfo("Europe/Madrid")


class WindowError(ValueError):
    """A window the operator asked for that cannot be (bad times, unknown id, cancelled)."""


def parse_moment(value: str) -> datetime:
    """Read an ISO 8601 time; without an offset it is Europe/Madrid time (SPEC §6)."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise WindowError(f"not an ISO 8601 time: {value!r} (e.g. 2026-12-01T02:00)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=OPERATOR_ZONE)
    return moment.astimezone(UTC)


def checked_times(start: str, end: str) -> tuple[datetime, datetime]:
    """Parse a window's start and end, refusing an end that is not after the start."""
    starts_at, ends_at = parse_moment(start), parse_moment(end)
    if ends_at <= starts_at:
        raise WindowError(f"the end ({end}) must be after the start ({start})")
    return starts_at, ends_at


def add_window(party: Party, start: str, end: str, *, actor: str) -> MaintenanceWindow:
    """Declare a maintenance window for a CPO."""
    starts_at, ends_at = checked_times(start, end)
    window = MaintenanceWindow(
        party_fk=party.id, starts_at=starts_at, ends_at=ends_at, created_by=actor
    )
    db.session.add(window)
    db.session.flush()
    audit(
        party,
        "maintenance_add",
        actor=actor,
        window=window.id,
        starts_at=starts_at.isoformat(),
        ends_at=ends_at.isoformat(),
    )
    return window


def find_window(window_id: int) -> MaintenanceWindow:
    """Return a window that has not been cancelled, or raise WindowError."""
    window = db.session.get(MaintenanceWindow, window_id)
    if window is None:
        raise WindowError(f"no maintenance window {window_id}")
    if window.cancelled_at is not None:
        raise WindowError(f"maintenance window {window_id} was cancelled")
    return window


def change_window(window_id: int, start: str, end: str, *, actor: str) -> MaintenanceWindow:
    """Move a window's start and end."""
    window = find_window(window_id)
    window.starts_at, window.ends_at = checked_times(start, end)
    audit(
        db.session.get(Party, window.party_fk),
        "maintenance_change",
        actor=actor,
        window=window.id,
        starts_at=window.starts_at.isoformat(),
        ends_at=window.ends_at.isoformat(),
    )
    db.session.flush()
    return window


def cancel_window(window_id: int, *, actor: str) -> MaintenanceWindow:
    """Cancel a window; EVSEs it turned UNKNOWN show their live status again."""
    window = find_window(window_id)
    window.cancelled_at = datetime.now(UTC)
    audit(
        db.session.get(Party, window.party_fk), "maintenance_cancel", actor=actor, window=window.id
    )
    db.session.flush()
    return window


def windows(party: Party | None = None) -> list[MaintenanceWindow]:
    """List windows, newest first, of one CPO or of all."""
    query = db.select(MaintenanceWindow).order_by(MaintenanceWindow.starts_at.desc())
    if party is not None:
        query = query.where(MaintenanceWindow.party_fk == party.id)
    return list(db.session.scalars(query))


def active(window: MaintenanceWindow, now: datetime | None = None) -> bool:
    """Say whether a window is in force now."""
    now = now or datetime.now(UTC)
    return window.cancelled_at is None and window.starts_at <= now < window.ends_at


def window_summary(window: MaintenanceWindow) -> dict:
    """Return a window as the operator commands show it, with its CPO's identity."""
    party = db.session.get(Party, window.party_fk)
    return {
        "id": window.id,
        "country_code": party.country_code,
        "party_id": party.party_id,
        "starts_at": window.starts_at,
        "ends_at": window.ends_at,
        "cancelled_at": window.cancelled_at,
        "active": active(window),
    }
