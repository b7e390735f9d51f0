"""THE public view of installations: static RIPREE data, plus live data where public.

Every page, API and export reads public data through sgv/public/ and nowhere else, so no
page can show what another hides (STYLE §1). Every RIPREE installation that is not
retired is public, whatever its CPO's state; its live data comes from the views named in
sgv/public/rules.py, which hold SPEC §4's rules once; prices from sgv/public/prices.py.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import ARRAY

from sgv.extensions import db
from sgv.public import corridor as corridor_sql
from sgv.public.amenities import NONE, Amenities, amenities
from sgv.public.corridor import Corridor
from sgv.public.prices import Pricer, price_from
from sgv.public.rules import public_connectors, public_evse_candidates, published, selection
from sgv.public.tariffs import Price
from sgv.public.wanted import Wanted

STATIC_COLUMNS = """
i.id, i.name, i.address, i.postal_code, i.municipality, i.province,
ST_Y(i.geom) AS latitude, ST_X(i.geom) AS longitude, i.operator_name,
i.operator_tax_id, i.country_code, i.party_id, i.opening_hours, i.access, i.updated_at,
(SELECT p.phone FROM parties p
 WHERE p.country_code = i.country_code AND p.party_id = i.party_id) AS operator_phone
"""
POINTS = sa.bindparam("ids", type_=ARRAY(sa.Integer))


@dataclass(frozen=True)
class LiveConnector:
    """A connector of a live EVSE with the price that applies now (None: no tariff)."""

    connector_id: str
    standard: str
    power_kw: Decimal | None
    price: Price | None
    plug_and_charge: bool = False  # OCPI 2.3.0 ISO 15118 Plug & Charge


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
        return price_from(c.price for c in self.connectors)


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
    route_km: Decimal | None = None  # along a corridor: the distance from its start
    charge_points: list[ChargePoint] = field(default_factory=list)
    amenities: Amenities = NONE  # OCPI 2.3.0: help phones, parking places

    @property
    def plug_and_charge(self) -> bool:
        """Say whether a live connector of the site offers Plug & Charge."""
        live = (cp.live for cp in self.charge_points if cp.live)
        return any(c.plug_and_charge for status in live for c in status.connectors)

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
        return price_from(
            c.price for cp in self.charge_points if cp.live for c in cp.live.connectors
        )


@published()
def installations(
    *,
    ids: Iterable[str] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    operator: str | None = None,
    corridor: Corridor | None = None,
    wanted: Wanted | None = None,
    at: datetime | None = None,
    batch: int = 2000,
    trucks: bool = False,
) -> Iterator[Installation]:
    """Yield public installations ordered by id (along a corridor: along its line),
    streamed in batches (memory stays flat)."""
    at = at or datetime.now(UTC)
    where, params = selection(ids, bbox, operator, trucks, corridor, wanted)
    priced = wanted.priced if wanted is not None else lambda price_from: True
    columns, order = STATIC_COLUMNS, "i.id"
    if corridor is not None:
        columns, order = (
            f"{STATIC_COLUMNS}, {corridor_sql.ROUTE_KM} AS route_km",
            corridor_sql.ORDER,
        )
    query = text(f"SELECT {columns} FROM installations i WHERE {where} ORDER BY {order}")
    result = db.session.execute(query.execution_options(yield_per=batch), params)
    try:
        for rows in result.partitions(batch):  # without the size, SQLAlchemy 2.1 yields one list
            sites = _with_charge_points([Installation(**row._mapping) for row in rows], at)
            yield from (site for site in sites if priced(site.price_from))
    finally:
        result.close()  # a reader that stops early (a client gone) frees the server cursor


def installation(installation_id: str, *, at: datetime | None = None) -> Installation | None:
    """Return one public installation, or None if unknown, retired or not published."""
    return next(iter(installations(ids=[installation_id], at=at)), None)


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
    for charge_point_id, live in live_statuses(list(points), at).items():
        points[charge_point_id].live = live
    for site_id, found in amenities(by_id).items():
        by_id[site_id].amenities = found
    return sites


def live_statuses(charge_point_ids: list[int], at: datetime) -> dict[int, LiveStatus]:
    """Return the public live status of these charge points, with prices at `at`."""
    if not charge_point_ids:
        return {}
    c = public_connectors.c
    rows = db.session.execute(
        sa.select(public_connectors)
        .where(c.charge_point_id == sa.any_(POINTS))
        .order_by(c.charge_point_id, c.position),
        {"ids": charge_point_ids},
    ).all()
    pricer = Pricer({row.party_fk for row in rows}, at)
    found: dict[int, LiveStatus] = {}
    for row in rows:
        live = found.get(row.charge_point_id)
        if live is None:
            live = found[row.charge_point_id] = LiveStatus(
                row.evse_id, row.status, row.status_at, []
            )
        if row.connector_pk is not None:  # None: an EVSE without connectors
            price = pricer.price(row.party_fk, row.tariff_ids, row.time_zone, row.power_kw)
            live.connectors.append(
                LiveConnector(
                    row.connector_id, row.standard, row.power_kw, price, row.plug_and_charge
                )
            )
    return found


# The map's order: geohash is a Z-order curve, so sites near on the map are near in the
# list and the map can send each coordinate as a small difference from the previous one.
MAP_ORDER = "ORDER BY ST_GeoHash(i.geom, 12), i.id"


@published(list)
def map_sites() -> list[Any]:
    """Return every public installation as the map's markers need it, in map order.

    Rows: id, lat and lon in 1e-5 degrees, party_id, operator_name, max_kw, points,
    types (the connector standards, space separated) and live (it has a public live
    EVSE). Changes only with the static data version.
    """
    return db.session.execute(
        text(f"""
        WITH points AS (
            SELECT installation_id, round(max(max_power_kw), 1)::float8 AS max_kw,
                   count(*)::int AS points,
                   string_agg(array_to_string(connector_types, ' '), ' ') AS types
            FROM charge_points GROUP BY installation_id
        ), live AS (
            SELECT DISTINCT installation_id FROM public_evse_candidates
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


@published(list)
def map_places() -> list[Any]:
    """Return every public installation's id, name, address and place, in map order."""
    return db.session.execute(
        text(f"""
        SELECT i.id, i.name, i.address, i.postal_code, i.municipality, i.province
        FROM installations i WHERE i.retired_at IS NULL {MAP_ORDER}
    """)
    ).all()


@published(list)
def live_installations() -> list[str]:
    """Return the installations with at least one public live EVSE, by id."""
    with_live = sa.select(public_evse_candidates.c.installation_id).distinct()
    return list(db.session.scalars(with_live.order_by(public_evse_candidates.c.installation_id)))


def database_now() -> datetime:
    """Return the database's time for this transaction: the `now` its public queries use."""
    return db.session.scalar(text("SELECT now()"))
