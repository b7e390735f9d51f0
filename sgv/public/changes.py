"""What changed in the public data since a moment, and when the clock alone changes it next.

The deltas of the exports (status.json?since, updated_since) and the validators of every
cached export (sgv/opendata/http.py) read these: a commit leaves an updated_at behind, a
maintenance window that begins or a tariff's time restriction changes live data with
no commit at all (STYLE §5).
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import text

from sgv.extensions import db
from sgv.models import Installation as Site
from sgv.models import Location, MaintenanceWindow, Tariff
from sgv.public.rules import public_parties, public_time_zone, published
from sgv.public.tariffs import current_price
from sgv.public.view import ChargePoint, Installation, installations

# The CPOs whose live data may be public: only their tariffs and windows can change it.
PUBLIC_PARTIES = sa.select(public_parties.c.id)


@published(list)
def changed_charge_points(since: datetime) -> list[int]:
    """Return the charge points whose public dynamic data may have changed since `since`.

    Everything that can change it leaves a time behind: the EVSE, its location and CPO
    rows (updated_at), the CPO's tariffs, a maintenance window or UNKNOWN threshold that
    began. A charge point that lost its live data is included: its status is then null,
    so this reads every matched EVSE, public or not, and publishes nothing of it.
    """
    rows = db.session.scalars(
        text("""
        SELECT DISTINCT e.charge_point_id
        FROM evses e JOIN locations l ON l.id = e.location_fk JOIN parties p ON p.id = l.party_fk
        WHERE e.charge_point_id IS NOT NULL AND (
            e.updated_at > :since OR l.updated_at > :since OR p.updated_at > :since
            OR p.unknown_since > :since
            OR EXISTS (SELECT 1 FROM tariffs t WHERE t.party_fk = p.id AND t.updated_at > :since)
            OR EXISTS (SELECT 1 FROM maintenance_windows w WHERE w.party_fk = p.id
                       AND (w.updated_at > :since
                            OR (w.starts_at > :since AND w.starts_at <= now())
                            OR (w.ends_at > :since AND w.ends_at <= now())))
        )
        ORDER BY 1
    """),
        {"since": since},
    )
    return list(rows)


@published()
def public_charge_points(
    ids: Iterable[int],
    *,
    bbox: tuple[float, float, float, float] | None = None,
    operator: str | None = None,
    at: datetime | None = None,
) -> Iterator[tuple[Installation, ChargePoint]]:
    """Yield the public view of these charge points with their installation, by installation."""
    wanted = set(ids)
    if not wanted:
        return
    sites = db.session.scalars(
        text("SELECT DISTINCT installation_id FROM charge_points WHERE id = ANY(:ids)"),
        {"ids": list(wanted)},
    ).all()
    for site in installations(ids=sites, bbox=bbox, operator=operator, at=at):
        yield from ((site, point) for point in site.charge_points if point.id in wanted)


def dynamic_changes(since: datetime, until: datetime) -> set[int]:
    """Return the charge points whose public dynamic data may have changed in (since, until]:
    by a change of data, or by the clock alone (a price's time of day, a window starting)."""
    return {*changed_charge_points(since), *repriced_charge_points(since, until)}


@published(list)
def changed_installations(since: datetime, until: datetime) -> list[str]:
    """Return the installations whose public data may have changed between since and until."""
    points = list(dynamic_changes(since, until))
    rows = db.session.scalars(
        text("""
        SELECT id FROM installations WHERE retired_at IS NULL AND updated_at > :since
        UNION SELECT installation_id FROM charge_points WHERE id = ANY(:points)
        ORDER BY 1
    """),
        {"since": since, "points": points},
    )
    return list(rows)


@published(list)
def retired_installations(since: datetime) -> list[str]:
    """Return the installations withdrawn from the register since `since`."""
    query = text("SELECT id FROM installations WHERE retired_at > :since ORDER BY id")
    return list(db.session.scalars(query, {"since": since}))


@published()
def next_change(after: datetime) -> datetime | None:
    """Return the next instant public live data changes by the clock alone, not by a commit.

    A maintenance window begins, or a tariff's validity or time, weekday or date
    restrictions flip: caches and ETags must not outlive it (STYLE §5).
    """
    w = MaintenanceWindow
    window = db.session.scalar(
        sa.select(sa.func.min(w.starts_at)).where(
            w.party_fk.in_(PUBLIC_PARTIES), w.cancelled_at.is_(None), w.starts_at > after
        )
    )
    zones = _public_time_zones()
    edges = [edge for _, _, data in _public_tariffs() for edge in _tariff_edges(data, after, zones)]
    return min([*edges, *([window] if window else [])], default=None)


@published(list)
def repriced_charge_points(since: datetime, until: datetime) -> list[int]:
    """Return the charge points whose price may have changed by the clock in (since, until]."""
    zones = _public_time_zones()
    flipped: dict[int, set[str]] = defaultdict(set)
    for party_fk, key, data in _public_tariffs():
        if any(edge <= until for edge in _tariff_edges(data, since, zones)):
            flipped[party_fk].add(key)
    pairs = [(party, key) for party, keys in flipped.items() for key in keys]
    if not pairs:
        return []
    query = text("""
        SELECT DISTINCT c.charge_point_id FROM public_connectors c
        WHERE EXISTS (SELECT 1 FROM unnest(c.tariff_ids) t(id)
                      WHERE c.party_fk || '|' || lower(t.id) = ANY(:keys))
        ORDER BY 1
    """)
    keys = [f"{party}|{key}" for party, key in pairs]
    return list(db.session.scalars(query, {"keys": keys}))


def _public_tariffs() -> list[Any]:
    return db.session.execute(
        sa.select(Tariff.party_fk, sa.func.lower(Tariff.tariff_id), Tariff.data).where(
            Tariff.party_fk.in_(PUBLIC_PARTIES)
        )
    ).all()


def _public_time_zones() -> set[str]:
    """Return every zone a public price may be shown in: a superset, read without the views."""
    public = Location.party_fk.in_(PUBLIC_PARTIES)
    given = sa.select(Location.time_zone).where(public, Location.time_zone != "")
    placed = (  # the rule reads the site's place only for a location without a zone
        sa.select(public_time_zone(sa.null(), Site.geom))
        .select_from(Location)
        .join(Site, Site.id == Location.installation_id)
        .where(public, sa.func.nullif(Location.time_zone, "").is_(None))
    )
    return set(db.session.scalars(sa.union(given, placed)))


def _tariff_edges(tariff: dict, after: datetime, zones: set[str]) -> list[datetime]:
    """Return the next instants after `after` at which a tariff's figures may change."""
    edges = []
    try:
        starts = datetime.fromisoformat(str(tariff.get("start_date_time")))
        starts = starts if starts.tzinfo else starts.replace(tzinfo=UTC)
        if starts > after:
            edges.append(starts)  # a tariff that becomes valid can win choose_tariff
    except ValueError:
        pass
    for zone in zones:
        edge = current_price(tariff, at=after, time_zone=zone).valid_until
        edges += [edge] if edge else []
    return edges
