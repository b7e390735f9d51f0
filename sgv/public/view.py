"""THE public view of installations: static RIPREE data, plus live data where visible.

Every page, API and export reads public data through this module and nowhere else, so
no page can show what another hides (STYLE §1). The rules (SPEC §4):

* every RIPREE installation that is not retired is public, whatever its CPO's state;
* live data (EVSE status with its time, prices) comes only from EVSEs matched to a
  RIPREE charge point, in a matched, published location, of a `live` CPO, and never
  from a REMOVED EVSE;
* an EVSE whose last status is older than its CPO's UNKNOWN threshold shows UNKNOWN:
  the start of the latest maintenance window that has begun, or the first of the
  failed checks that made the CPO go UNKNOWN; a newer status brings it back;
* a staging instance publishes nothing.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, select, text
from sqlalchemy.orm import aliased

from sgv.extensions import db
from sgv.models import Evse, Location, Party
from sgv.public import tariffs

MADRID = "Europe/Madrid"
CANARY = "Atlantic/Canary"

# The one definition of "visible live EVSE" (e: evses, l: locations, p: parties), used by
# every query below and by the coverage figures (has_live_data).
VISIBLE_EVSE = """p.state = 'live' AND l.publish AND l.installation_id IS NOT NULL
  AND e.charge_point_id IS NOT NULL AND e.status <> 'REMOVED'"""

LIVE_EVSES = f"""
SELECT e.id AS evse_pk, e.charge_point_id, l.installation_id, l.party_fk, l.time_zone,
       e.evse_id, e.last_updated,
       CASE WHEN e.status_updated_at < GREATEST(p.unknown_since, mw.started)
            THEN 'UNKNOWN' ELSE e.status END AS status,
       e.status_updated_at AS status_at,
       GREATEST(e.updated_at, l.updated_at, p.updated_at) AS changed_at
FROM evses e
JOIN locations l ON l.id = e.location_fk
JOIN parties p ON p.id = l.party_fk
LEFT JOIN LATERAL (
    SELECT max(w.starts_at) AS started FROM maintenance_windows w
    WHERE w.party_fk = p.id AND w.cancelled_at IS NULL AND w.starts_at <= now()
) mw ON true
WHERE {VISIBLE_EVSE}
"""

STATIC_COLUMNS = """
i.id, i.name, i.address, i.postal_code, i.municipality, i.province,
ST_Y(i.geom) AS latitude, ST_X(i.geom) AS longitude, i.operator_name,
i.operator_tax_id, i.country_code, i.party_id, i.opening_hours, i.access, i.updated_at,
(SELECT p.phone FROM parties p
 WHERE p.country_code = i.country_code AND p.party_id = i.party_id) AS operator_phone
"""


@dataclass(frozen=True)
class LiveConnector:
    """A connector of a live EVSE with the price that applies now (None: no tariff)."""

    connector_id: str
    standard: str
    power_kw: Decimal | None
    price: tariffs.Price | None


@dataclass(frozen=True)
class LiveStatus:
    """The public dynamic data of one charge point."""

    evse_id: str | None
    status: str
    status_at: datetime
    connectors: list[LiveConnector]

    @property
    def price_from(self) -> Decimal | None:
        """Return the cheapest €/kWh (ex VAT) of its connectors."""
        return tariffs.price_from(c.price for c in self.connectors)


@dataclass
class ChargePoint:
    """A RIPREE charge point with its live status when visible."""

    id: int
    evse_ref: str
    max_power_kw: Decimal
    connector_types: list[str]
    live: LiveStatus | None = None


@dataclass
class Installation:
    """A public installation: RIPREE data, and live data on its charge points if visible."""

    id: str
    name: str
    address: str
    postal_code: str
    municipality: str
    province: str
    latitude: float
    longitude: float
    operator_name: str
    operator_tax_id: str | None
    operator_phone: str | None
    country_code: str
    party_id: str
    opening_hours: str | None
    access: str
    updated_at: datetime
    charge_points: list[ChargePoint] = field(default_factory=list)

    @property
    def has_live_data(self) -> bool:
        return any(cp.live for cp in self.charge_points)

    @property
    def max_power_kw(self) -> Decimal:
        return max((cp.max_power_kw for cp in self.charge_points), default=Decimal(0))

    @property
    def connector_types(self) -> list[str]:
        return sorted({t for cp in self.charge_points for t in cp.connector_types})

    @property
    def available(self) -> int:
        return sum(1 for cp in self.charge_points if cp.live and cp.live.status == "AVAILABLE")

    @property
    def price_from(self) -> Decimal | None:
        """Return the installation's cheapest live €/kWh ex VAT (SPEC §4 "price from")."""
        return tariffs.price_from(
            c.price for cp in self.charge_points if cp.live for c in cp.live.connectors
        )


def has_live_data(charge_point_id: ColumnElement) -> ColumnElement[bool]:
    """SQL: whether a RIPREE charge point shows live data (an UNKNOWN status counts)."""
    evse, location = aliased(Evse, name="e"), aliased(Location, name="l")
    party = aliased(Party, name="p")  # the names VISIBLE_EVSE uses
    return (
        select(evse.id)
        .join(location, evse.location_fk == location.id)
        .join(party, location.party_fk == party.id)
        .where(evse.charge_point_id == charge_point_id, text(VISIBLE_EVSE))
        .exists()
    )


def publishes() -> bool:
    """Say whether this instance publishes anything (a staging instance does not)."""
    return current_app.config["ENVIRONMENT"] == "production"


def time_zone(stored: str | None, latitude: float, longitude: float) -> str:
    """Return the location's time zone, or the one of its place when the CPO gave none."""
    if stored:
        return stored
    return CANARY if latitude < 30 and longitude < -12 else MADRID


def selection(
    ids: Iterable[str] | None,
    bbox: tuple[float, float, float, float] | None,
    operator: str | None,
) -> tuple[str, dict]:
    """Return the condition on installations `i` (and its parameters) these filters select."""
    where, params = ["i.retired_at IS NULL"], {}
    if ids is not None:
        where.append("i.id = ANY(:ids)")
        params["ids"] = list(ids)
    if bbox is not None:
        where.append("i.geom && ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4326)")
        params.update(zip(("minlon", "minlat", "maxlon", "maxlat"), bbox, strict=True))
    if operator:
        where.append("(i.operator_name ILIKE :operator OR i.party_id = upper(:party))")
        params.update(operator=f"%{operator}%", party=operator)
    return " AND ".join(where), params


def installations(
    *,
    ids: Iterable[str] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    operator: str | None = None,
    at: datetime | None = None,
    batch: int = 2000,
) -> Iterator[Installation]:
    """Yield public installations ordered by id, streamed in batches (memory stays flat)."""
    if not publishes():
        return
    at = at or datetime.now(UTC)
    where, params = selection(ids, bbox, operator)
    query = text(f"SELECT {STATIC_COLUMNS} FROM installations i WHERE {where} ORDER BY i.id")
    result = db.session.execute(query.execution_options(yield_per=batch), params)
    try:
        for rows in result.partitions(batch):  # without the size, SQLAlchemy 2.1 yields one list
            yield from _with_charge_points([Installation(**row._mapping) for row in rows], at)
    finally:
        result.close()  # a reader that stops early (a client gone) frees the server cursor


def installation(installation_id: str, *, at: datetime | None = None) -> Installation | None:
    """Return one public installation, or None if unknown, retired or not published."""
    return next(installations(ids=[installation_id], at=at), None)


def _with_charge_points(sites: list[Installation], at: datetime) -> list[Installation]:
    """Attach charge points and their live status to a batch of installations."""
    by_id = {site.id: site for site in sites}
    rows = db.session.execute(
        text(
            "SELECT id, installation_id, evse_ref, max_power_kw, connector_types "
            "FROM charge_points WHERE installation_id = ANY(:ids) ORDER BY id"
        ),
        {"ids": list(by_id)},
    ).all()  # fetchall: row-by-row fetching costs more than the rows themselves
    points: dict[int, ChargePoint] = {}
    for row in rows:
        point = ChargePoint(row.id, row.evse_ref, row.max_power_kw, list(row.connector_types))
        by_id[row.installation_id].charge_points.append(point)
        points[row.id] = point
    for charge_point_id, live in live_statuses(list(points), by_id, at).items():
        points[charge_point_id].live = live
    return sites


def live_statuses(
    charge_point_ids: list[int], sites: dict[str, Installation], at: datetime
) -> dict[int, LiveStatus]:
    """Return the visible live status of these charge points, with prices at `at`."""
    if not charge_point_ids:
        return {}
    evses = db.session.execute(
        text(
            f"SELECT * FROM ({LIVE_EVSES}) v WHERE v.charge_point_id = ANY(:ids) "
            "ORDER BY v.charge_point_id, v.last_updated DESC"
        ),
        {"ids": charge_point_ids},
    ).all()
    connectors = _connectors([e.evse_pk for e in evses])
    party_tariffs = _tariffs({e.party_fk for e in evses})
    result: dict[int, LiveStatus] = {}
    prices: dict[int, dict] = defaultdict(dict)  # per CPO: connectors sharing a tariff share it
    for evse in evses:
        if evse.charge_point_id in result:
            continue  # two EVSEs claim one charge point: the most recently updated wins
        site = sites[evse.installation_id]
        zone = time_zone(evse.time_zone, site.latitude, site.longitude)
        priced = [
            _priced(c, party_tariffs.get(evse.party_fk, {}), at, zone, prices[evse.party_fk])
            for c in connectors.get(evse.evse_pk, [])
        ]
        result[evse.charge_point_id] = LiveStatus(evse.evse_id, evse.status, evse.status_at, priced)
    return result


def _connectors(evse_pks: list[int]) -> dict[int, list[Any]]:
    rows = db.session.execute(
        text(
            "SELECT evse_fk, connector_id, standard, power_type, max_voltage, max_amperage, "
            "max_electric_power, tariff_ids FROM connectors WHERE evse_fk = ANY(:ids) "
            "ORDER BY evse_fk, position"
        ),
        {"ids": evse_pks},
    ).all()
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.evse_fk].append(row)
    return grouped


def _tariffs(party_fks: set[int]) -> dict[int, dict[str, dict]]:
    rows = db.session.execute(
        text(
            "SELECT party_fk, lower(tariff_id) AS key, data FROM tariffs WHERE party_fk = ANY(:ids)"
        ),
        {"ids": list(party_fks)},
    )
    found: dict[int, dict[str, dict]] = defaultdict(dict)
    for row in rows:
        found[row.party_fk][row.key] = row.data
    return found


def connector_power_kw(row: Any) -> Decimal | None:
    """Return a connector's power: max_electric_power, else volts × amps × phases."""
    if row.max_electric_power:
        return Decimal(row.max_electric_power) / 1000
    if row.max_voltage and row.max_amperage:
        phases = 3 if row.power_type == "AC_3_PHASE" else 1
        return Decimal(row.max_voltage * row.max_amperage * phases) / 1000
    return None


def _priced(row: Any, known: dict[str, dict], at: datetime, zone: str, memo: dict) -> LiveConnector:
    power = connector_power_kw(row)
    key = (tuple(row.tariff_ids or ()), zone, power)
    if key not in memo:  # the same tariffs, zone and power always give the same figures
        ids = [t.lower() for t in key[0]]
        chosen = tariffs.choose_tariff([known[t] for t in ids if t in known], at=at)
        memo[key] = (
            tariffs.current_price(chosen, at=at, time_zone=zone, max_power_kw=power)
            if chosen
            else None
        )
    return LiveConnector(row.connector_id, row.standard, power, memo[key])


# The map's order: geohash is a Z-order curve, so sites near on the map are near in the
# list and the map can send each coordinate as a small difference from the previous one.
MAP_ORDER = "ORDER BY ST_GeoHash(i.geom, 12), i.id"


def map_sites() -> list[Any]:
    """Return every public installation as the map's markers need it, in map order.

    Rows: id, lat and lon in 1e-5 degrees, party_id, operator_name, max_kw, points,
    types (the connector standards, space separated) and live (it has a visible live
    EVSE). Changes only with the static data version.
    """
    if not publishes():
        return []
    return db.session.execute(
        text(f"""
        WITH points AS (
            SELECT installation_id, round(max(max_power_kw), 1)::float8 AS max_kw,
                   count(*)::int AS points,
                   string_agg(array_to_string(connector_types, ' '), ' ') AS types
            FROM charge_points GROUP BY installation_id
        ), live AS (
            SELECT DISTINCT l.installation_id
            FROM evses e JOIN locations l ON l.id = e.location_fk
            JOIN parties p ON p.id = l.party_fk
            WHERE {VISIBLE_EVSE}
        )
        SELECT i.id, round(ST_Y(i.geom) * 100000)::int AS lat,
               round(ST_X(i.geom) * 100000)::int AS lon, i.party_id, i.operator_name,
               coalesce(c.max_kw, 0) AS max_kw, coalesce(c.points, 0) AS points,
               coalesce(c.types, '') AS types,
               live.installation_id IS NOT NULL AS live
        FROM installations i
        LEFT JOIN points c ON c.installation_id = i.id
        LEFT JOIN live ON live.installation_id = i.id
        WHERE i.retired_at IS NULL
        {MAP_ORDER}
    """)
    ).all()


def map_places() -> list[Any]:
    """Return every public installation's id, name, address and place, in map order."""
    if not publishes():
        return []
    return db.session.execute(
        text(f"""
        SELECT i.id, i.name, i.address, i.postal_code, i.municipality, i.province
        FROM installations i WHERE i.retired_at IS NULL {MAP_ORDER}
    """)
    ).all()


def live_index(at: datetime | None = None) -> dict[str, dict]:
    """Return, per installation with live data, its availability and price from, for the map.

    Changes with every push (the dynamic data version) and as prices change with time.
    """
    if not publishes():
        return {}
    at = at or datetime.now(UTC)
    summary: dict[str, dict] = {}
    ids = db.session.scalars(text(f"SELECT DISTINCT installation_id FROM ({LIVE_EVSES}) v")).all()
    for site in installations(ids=ids, at=at):
        summary[site.id] = {
            "available": site.available,
            "live": sum(1 for cp in site.charge_points if cp.live),
            "unknown": sum(
                1 for cp in site.charge_points if cp.live and cp.live.status == "UNKNOWN"
            ),
            "points": len(site.charge_points),
            "price_from": site.price_from,
        }
    return summary


def changed_charge_points(since: datetime) -> list[int]:
    """Return the charge points whose public dynamic data may have changed since `since`.

    Everything that can change it leaves a time behind: the EVSE, its location and CPO
    rows (updated_at), the CPO's tariffs, a maintenance window or UNKNOWN threshold that
    began. A charge point that lost its live data is included: its status is then null.
    """
    if not publishes():
        return []
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


# --- Open data (sgv/opendata.py): changes since a time, and what the clock alone changes.


def database_now() -> datetime:
    """Return the database's time for this transaction: the `now` its public queries use."""
    return db.session.scalar(text("SELECT now()"))


def public_charge_points(
    ids: Iterable[int],
    *,
    bbox: tuple[float, float, float, float] | None = None,
    operator: str | None = None,
    at: datetime | None = None,
) -> Iterator[tuple[Installation, ChargePoint]]:
    """Yield the public view of these charge points with their installation, by installation."""
    wanted = set(ids)
    if not wanted or not publishes():
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


def changed_installations(since: datetime, until: datetime) -> list[str]:
    """Return the installations whose public data may have changed between since and until."""
    if not publishes():
        return []
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


def retired_installations(since: datetime) -> list[str]:
    """Return the installations withdrawn from the register since `since`."""
    if not publishes():
        return []
    query = text("SELECT id FROM installations WHERE retired_at > :since ORDER BY id")
    return list(db.session.scalars(query, {"since": since}))


def next_change(after: datetime) -> datetime | None:
    """Return the next instant public live data changes by the clock alone, not by a commit.

    A maintenance window begins, or a tariff's validity or time, weekday or date
    restrictions flip: caches and ETags must not outlive it (STYLE §5).
    """
    if not publishes():
        return None
    window = db.session.scalar(
        text(
            "SELECT min(w.starts_at) FROM maintenance_windows w "
            "JOIN parties p ON p.id = w.party_fk WHERE p.state = 'live' "
            "AND w.cancelled_at IS NULL AND w.starts_at > :after"
        ),
        {"after": after},
    )
    zones = _live_time_zones()
    edges = [edge for _, _, data in _live_tariffs() for edge in _tariff_edges(data, after, zones)]
    return min([*edges, *([window] if window else [])], default=None)


def repriced_charge_points(since: datetime, until: datetime) -> list[int]:
    """Return the charge points whose price may have changed by the clock in (since, until]."""
    if not publishes():
        return []
    zones = _live_time_zones()
    flipped: dict[int, set[str]] = defaultdict(set)
    for party_fk, key, data in _live_tariffs():
        if any(edge <= until for edge in _tariff_edges(data, since, zones)):
            flipped[party_fk].add(key)
    found: set[int] = set()
    for party_fk, keys in flipped.items():
        found.update(
            db.session.scalars(
                text(f"""
                SELECT DISTINCT v.charge_point_id FROM ({LIVE_EVSES}) v
                JOIN connectors c ON c.evse_fk = v.evse_pk
                WHERE v.party_fk = :party AND EXISTS (
                    SELECT 1 FROM unnest(c.tariff_ids) t(id) WHERE lower(t.id) = ANY(:keys))
            """),
                {"party": party_fk, "keys": sorted(keys)},
            )
        )
    return sorted(found)


def _live_tariffs() -> list[Any]:
    return db.session.execute(
        text(
            "SELECT t.party_fk, lower(t.tariff_id) AS key, t.data FROM tariffs t "
            "JOIN parties p ON p.id = t.party_fk WHERE p.state = 'live'"
        )
    ).all()


def _live_time_zones() -> set[str]:
    stored = db.session.scalars(
        text(
            "SELECT DISTINCT l.time_zone FROM locations l JOIN parties p ON p.id = l.party_fk "
            "WHERE p.state = 'live' AND l.time_zone IS NOT NULL"
        )
    )
    return {MADRID, CANARY, *stored}


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
        edge = tariffs.current_price(tariff, at=after, time_zone=zone).valid_until
        edges += [edge] if edge else []
    return edges
