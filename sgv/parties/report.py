"""What the operator checks about one CPO before approving it, and afterwards (SPEC §6)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from sgv.extensions import db
from sgv.ingest import matching
from sgv.models import AuditEntry, Party
from sgv.parties.maintenance import active, windows

TOKEN_WARNING_DAYS = 30
LATEST_REJECTIONS = 10
WARNED_OBJECTS = 50  # objects listed with their warnings in `cpo show`


def history(party: Party) -> list[dict]:
    """Return the CPO's audit trail, oldest first."""
    entries = db.session.scalars(
        db.select(AuditEntry).where(AuditEntry.party_id == party.id).order_by(AuditEntry.id)
    )
    return [
        {
            "at": e.at,
            "actor": e.actor,
            "action": e.action,
            "from_state": e.from_state,
            "to_state": e.to_state,
            "reason": e.reason,
        }
        for e in entries
    ]


def inventory(party: Party) -> dict:
    """Count the CPO's locations (matched or not) and EVSEs by status."""
    statuses = db.session.execute(
        text("""
        SELECT e.status, count(*) FROM evses e JOIN locations l ON l.id = e.location_fk
        WHERE l.party_fk = :party GROUP BY e.status ORDER BY e.status
    """),
        {"party": party.id},
    ).all()
    locations = db.session.execute(
        text("""
        SELECT count(*) AS total, count(installation_id) AS matched,
               count(*) FILTER (WHERE NOT publish) AS unpublished
        FROM locations WHERE party_fk = :party
    """),
        {"party": party.id},
    ).one()
    tariffs = db.session.scalar(
        text("SELECT count(*) FROM tariffs WHERE party_fk = :party"), {"party": party.id}
    )
    return {
        "locations": locations.total,
        "matched_locations": locations.matched,
        "unpublished_locations": locations.unpublished,
        "tariffs": tariffs,
        "evses_by_status": {status: count for status, count in statuses},
    }


def last_change(party: Party) -> datetime | None:
    """Return when the CPO's data last changed (a push, or a correction by the check)."""
    return db.session.scalar(
        text("""
        SELECT max(t) FROM (
            SELECT max(l.updated_at) AS t FROM locations l WHERE l.party_fk = :party
            UNION ALL SELECT max(e.updated_at) FROM evses e JOIN locations l
                ON l.id = e.location_fk WHERE l.party_fk = :party
            UNION ALL SELECT max(updated_at) FROM tariffs WHERE party_fk = :party
        ) changes
    """),
        {"party": party.id},
    )


def rejections(party: Party) -> dict:
    """Count refused pushes by reason and list the latest ones."""
    by_reason = db.session.execute(
        text("""
        SELECT status_code, split_part(reason, ':', 1) AS field, count(*) AS count
        FROM rejections WHERE party_fk = :party
        GROUP BY 1, 2 ORDER BY count DESC, 1, 2
    """),
        {"party": party.id},
    ).all()
    latest = db.session.execute(
        text("""
        SELECT at, method, endpoint, object_id, http_status, status_code, reason
        FROM rejections WHERE party_fk = :party ORDER BY id DESC LIMIT :limit
    """),
        {"party": party.id, "limit": LATEST_REJECTIONS},
    ).all()
    return {
        "total": sum(row.count for row in by_reason),
        "by_reason": [dict(row._mapping) for row in by_reason],
        "future_times": future_times(party),
        "latest": [dict(row._mapping) for row in latest],
    }


def future_times(party: Party) -> list[dict]:
    """Count pushes refused for a time ahead of our clock, by field (list positions left out).

    Such a time, stored, would have frozen the object (SPEC §3): the CPO should learn that
    the clock stamping its last_updated runs ahead. The reasons are the schemas' messages.
    """
    rows = db.session.execute(
        text(r"""
        SELECT regexp_replace(m[1], '\.[0-9]+(?=\.)', '', 'g') AS field, count(*) AS count
        FROM rejections r,
             regexp_matches(r.reason, '(?:^|; )([^;]+?): more than [0-9]+ s in the future', 'g')
             AS m
        WHERE r.party_fk = :party GROUP BY 1 ORDER BY 2 DESC, 1
    """),
        {"party": party.id},
    ).all()
    return [dict(row._mapping) for row in rows]


def evses_without_connectors(party: Party) -> list[dict]:
    """List the CPO's EVSEs stored without connectors: accepted, but never public (§3)."""
    rows = db.session.execute(
        text("""
        SELECT l.location_id, e.uid, e.evse_id FROM evses e
        JOIN locations l ON l.id = e.location_fk
        WHERE l.party_fk = :party AND e.status <> 'REMOVED'
          AND NOT EXISTS (SELECT 1 FROM connectors c WHERE c.evse_fk = e.id)
        ORDER BY l.location_id, e.uid
    """),
        {"party": party.id},
    ).all()
    return [dict(row._mapping) for row in rows]


def push_warnings(party: Party) -> list[dict]:
    """List the CPO's objects stored with warnings: values accepted although wrong (§3).

    The EVSEs without connectors have their own list (evses_without_connectors).
    """
    rows = db.session.execute(
        text("""
        SELECT 'location ' || location_id AS object, warnings FROM locations
        WHERE party_fk = :party AND jsonb_array_length(warnings) > 0
        UNION ALL
        SELECT 'tariff ' || tariff_id, warnings FROM tariffs
        WHERE party_fk = :party AND jsonb_array_length(warnings) > 0
        ORDER BY 1 LIMIT :limit
    """),
        {"party": party.id, "limit": WARNED_OBJECTS},
    ).all()
    found = []
    for row in rows:
        kept = [w for w in row.warnings if "connectors: none" not in w]
        if kept:
            found.append({"object": row.object, "warnings": kept})
    return found


def token_warning(party: Party, now: datetime | None = None) -> str | None:
    """Warn when TOKEN_C expires within 30 days (or has expired)."""
    expiry = party.token_c_expires_at
    if expiry is None:
        return None
    now = now or datetime.now(UTC)
    if expiry <= now:
        return f"TOKEN_C expired on {expiry:%Y-%m-%d}: run `flask sgv cpo renew`"
    if expiry - now <= timedelta(days=TOKEN_WARNING_DAYS):
        return f"TOKEN_C expires on {expiry:%Y-%m-%d}: run `flask sgv cpo renew`"
    return None


def report(party: Party) -> dict:
    """Return what `cpo show` prints about a CPO's lifecycle (its quality is quality/'s)."""
    return {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "name": party.name,
        "tax_id": party.tax_id,
        "phone": party.phone,
        "website": party.website,
        "state": party.state,
        "version": party.version,
        "registered_at": party.registered_at,
        "token_c_expires_at": party.token_c_expires_at,
        "token_warning": token_warning(party),
        "last_change": last_change(party),
        "inventory": inventory(party),
        "rejections": rejections(party),
        "unmatched_locations": matching.unmatched_locations(party.id),
        "unmatched_evses": matching.unmatched_evses(party.id),
        "evses_without_connectors": evses_without_connectors(party),
        "warnings": push_warnings(party),
        "maintenance": [
            {
                "id": w.id,
                "starts_at": w.starts_at,
                "ends_at": w.ends_at,
                "cancelled_at": w.cancelled_at,
                "active": active(w),
            }
            for w in windows(party)
        ],
        "history": history(party),
    }
