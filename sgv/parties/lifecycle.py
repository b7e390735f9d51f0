"""CPO lifecycle (SPEC §4): state changes, each audited with who, when and why."""

from datetime import UTC, datetime

from sgv.core.dataversion import DYNAMIC, STATIC, touch
from sgv.extensions import db
from sgv.models import AuditEntry, Party

# Which states each transition may start from.
TRANSITIONS = {
    "register": ({"created"}, "registered"),
    "approve": ({"registered"}, "live"),
    "revoke": ({"live"}, "revoked"),
    "restore": ({"revoked", "deregistered"}, "live"),
    "deregister": ({"created", "registered", "live", "revoked"}, "deregistered"),
    "reset": ({"created", "registered", "live", "revoked", "deregistered"}, None),
}


class TransitionError(Exception):
    """A state change that the CPO's current state does not allow."""


def find_party(country_code: str, party_id: str) -> Party | None:
    """Return the CPO with this OCPI identity (case-insensitive), if admitted."""
    return db.session.scalar(
        db.select(Party).where(
            Party.country_code == country_code.upper(), Party.party_id == party_id.upper()
        )
    )


def locked(party: Party) -> Party:
    """Re-read a CPO's row under a lock, so concurrent changes to it run one at a time."""
    return db.session.scalars(
        db.select(Party)
        .where(Party.id == party.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def audit(
    party: Party | None,
    action: str,
    *,
    actor: str,
    reason: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    **details: object,
) -> AuditEntry:
    """Record an action in the audit log (flushed with the caller's transaction)."""
    # Every change to a CPO is audited (SPEC §4), and many change what the public sees of
    # it: its state, its phone, its maintenance windows. They are rare, so each bumps both
    # data versions here, where no caller can forget, rather than each caller choosing.
    touch(STATIC, DYNAMIC)
    entry = AuditEntry(
        party_id=party.id if party else None,
        action=action,
        actor=actor,
        reason=reason,
        from_state=from_state,
        to_state=to_state,
        details=details,
        at=datetime.now(UTC),
    )
    db.session.add(entry)
    return entry


def transition(
    party: Party, action: str, *, actor: str, reason: str | None = None, **details: object
) -> Party:
    """Move a CPO to the state `action` leads to, or raise TransitionError."""
    allowed, target = TRANSITIONS[action]
    if party.state not in allowed:
        raise TransitionError(
            f"cannot {action} {party.country_code}*{party.party_id}: it is {party.state}"
            f" (allowed from {', '.join(sorted(allowed))})"
        )
    before = party.state
    if target is not None:
        party.state = target
    audit(
        party,
        action,
        actor=actor,
        reason=reason,
        from_state=before,
        to_state=party.state,
        **details,
    )
    db.session.flush()
    return party


def show_unknown(party: Party, since: datetime) -> None:
    """Make the CPO's EVSEs whose status is older than `since` show UNKNOWN (SPEC §4)."""
    party.unknown_since = since
    touch(STATIC, DYNAMIC)  # a visibility change: the map shows it at once, not throttled
