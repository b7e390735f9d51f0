"""The public view rendered as JSON by PostgreSQL, for the bulk exports (SPEC §8).

The rules are sgv/public.py's — LIVE_EVSES decides what is visible, selection() what is
selected, public._priced() which price applies — but one statement per batch of
installations builds their JSON, so a full export costs the database's time in C rather
than Python's per object: 2.5 s → 1.3 s for 45,000 charge points (docs/performance.md).
Prices are computed in Python once per distinct (tariffs, zone, power) and handed to the
statement as a map. tests/test_opendata.py checks that every document equals what
sgv/opendata_formats.py renders from public.installations().
"""

from collections.abc import Iterable, Iterator
from datetime import datetime
from types import SimpleNamespace

from psycopg.types.json import Jsonb
from sqlalchemy import text

from sgv import public
from sgv.extensions import db
from sgv.opendata_formats import price_object

UTC_TEXT = "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
# public.time_zone(): the location's zone, else the one of the site's place.
LIVE = f"""
SELECT DISTINCT ON (v.charge_point_id) v.*,
       COALESCE(NULLIF(v.time_zone, ''),
                CASE WHEN ST_Y(s.geom) < 30 AND ST_X(s.geom) < -12
                     THEN '{public.CANARY}' ELSE '{public.MADRID}' END) AS zone
FROM ({public.LIVE_EVSES}) v JOIN installations s ON s.id = v.installation_id
WHERE v.installation_id = ANY(:batch)  -- an EVSE only matches charge points of its own site
ORDER BY v.charge_point_id, v.last_updated DESC  -- two EVSEs on one: the newest wins
"""
# public.connector_power_kw(): max_electric_power, else volts × amps × phases.
POWER = """CASE WHEN COALESCE(c.max_electric_power, 0) <> 0
    THEN c.max_electric_power / 1000.0::float8
  WHEN COALESCE(c.max_voltage, 0) <> 0 AND COALESCE(c.max_amperage, 0) <> 0
    THEN c.max_voltage * c.max_amperage
         * (CASE WHEN c.power_type = 'AC_3_PHASE' THEN 3 ELSE 1 END) / 1000.0::float8 END"""
# What a connector's price depends on (public._priced): its CPO, tariffs, zone and power.
KEY = "format('%s|%s|%s|%s', live.party_fk, c.tariff_ids, live.zone, {power})"
# Every kind of connector the batch's visible live EVSEs may have (a superset is harmless):
# hashing the few distinct kinds beats sorting the live EVSEs as LIVE does.
PRICE_KEYS = f"""
SELECT {KEY.format(power=POWER)} AS key, c.* FROM (
    SELECT DISTINCT l.party_fk, c.tariff_ids, c.max_electric_power, c.max_voltage,
           c.max_amperage, c.power_type,
           COALESCE(NULLIF(l.time_zone, ''),
                    CASE WHEN ST_Y(s.geom) < 30 AND ST_X(s.geom) < -12
                         THEN '{public.CANARY}' ELSE '{public.MADRID}' END) AS zone
    FROM connectors c JOIN evses e ON e.id = c.evse_fk JOIN locations l ON l.id = e.location_fk
    JOIN parties p ON p.id = l.party_fk JOIN installations s ON s.id = l.installation_id
    WHERE {public.VISIBLE_EVSE} AND l.installation_id = ANY(:batch)
) c CROSS JOIN LATERAL (SELECT c.party_fk, c.zone) live
"""
SITE = f"""
'id', i.id, 'name', i.name,
'operator', json_build_object('name', i.operator_name, 'tax_id', i.operator_tax_id,
    'phone', (SELECT p.phone FROM parties p
              WHERE p.country_code = i.country_code AND p.party_id = i.party_id),
    'country_code', i.country_code, 'party_id', i.party_id),
'address', json_build_object('street', i.address, 'postal_code', i.postal_code,
    'municipality', i.municipality, 'province', i.province, 'country', 'ES'),
__COORDINATES__
'opening_hours', i.opening_hours, 'access', i.access,
'updated_at', {UTC_TEXT.format("i.updated_at")},
'has_live_data', COALESCE(points.has_live, false), 'price_from', points.price_from,
'charge_points', COALESCE(points.charge_points, '[]'::json)
"""
COORDINATES = (
    "'coordinates', json_build_object('latitude', ST_Y(i.geom), 'longitude', ST_X(i.geom)),"
)
DOCUMENTS = f"""
WITH live AS ({LIVE}),
conn AS (
    SELECT c.evse_fk,
           json_agg(json_build_object('id', c.connector_id, 'standard', c.standard,
               'power_kw', w.power_kw, 'price', k.price) ORDER BY c.position) AS connectors,
           min((k.price ->> 'energy_excl_vat')::float8) AS cheapest
    FROM connectors c JOIN live ON live.evse_pk = c.evse_fk
    CROSS JOIN LATERAL (SELECT {POWER} AS power_kw) w
    CROSS JOIN LATERAL (
        SELECT CAST(:prices AS jsonb) -> {KEY.format(power="w.power_kw")} AS price) k
    GROUP BY c.evse_fk),
points AS (
    SELECT cp.installation_id,
           json_agg(json_build_object('evse_ref', cp.evse_ref,
               'max_power_kw', cp.max_power_kw::float8, 'connector_types', cp.connector_types,
               'evse_id', live.evse_id, 'status', live.status,
               'status_at', {UTC_TEXT.format("live.status_at")},
               'connectors', COALESCE(conn.connectors, '[]'::json)) ORDER BY cp.id)
               AS charge_points,
           bool_or(live.evse_pk IS NOT NULL) AS has_live, min(conn.cheapest) AS price_from
    FROM charge_points cp
    LEFT JOIN live ON live.charge_point_id = cp.id
    LEFT JOIN conn ON conn.evse_fk = live.evse_pk
    WHERE cp.installation_id = ANY(:batch) GROUP BY cp.installation_id)
SELECT __DOCUMENT__::text
FROM installations i LEFT JOIN points ON points.installation_id = i.id
WHERE i.id = ANY(:batch) ORDER BY i.id
"""
INSTALLATION = DOCUMENTS.replace(
    "__DOCUMENT__", f"json_build_object({SITE.replace('__COORDINATES__', COORDINATES)})"
)
FEATURE = DOCUMENTS.replace(
    "__DOCUMENT__",
    "json_build_object('type', 'Feature', 'id', i.id, 'geometry', json_build_object("
    "'type', 'Point', 'coordinates', json_build_array(ST_X(i.geom), ST_Y(i.geom))),"
    f"'properties', json_build_object({SITE.replace('__COORDINATES__', '')}))",
)


def documents(
    *,
    ids: Iterable[str] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    operator: str | None = None,
    at: datetime,
    geo: bool = False,
    batch: int = 2000,
) -> Iterator[str]:
    """Yield each selected installation as JSON text (a GeoJSON Feature if `geo`), by id."""
    if not public.publishes():
        return
    # The row estimates of json_agg over joins are poor: PostgreSQL would JIT-compile each
    # batch's statement for longer (about 70 ms) than the statement takes to run.
    db.session.execute(text("SET LOCAL jit = off"))
    where, params = public.selection(ids, bbox, operator)
    query = text(f"SELECT i.id FROM installations i WHERE {where} ORDER BY i.id")
    result = db.session.execute(query.execution_options(yield_per=batch), params)
    statement = text(FEATURE if geo else INSTALLATION)
    prices: dict[str, dict | None] = {}
    known: dict[int, dict[str, dict]] = {}
    try:
        for rows in result.partitions(batch):
            sites = [row.id for row in rows]
            add_prices(prices, known, sites, at)
            bound = Jsonb(prices)  # bound as jsonb: parsed once per statement, not per row
            yield from db.session.scalars(statement, {"batch": sites, "prices": bound})
    finally:
        result.close()  # a reader that stops early (a client gone) frees the server cursor


def add_prices(
    prices: dict[str, dict | None], known: dict[int, dict], sites: list[str], at: datetime
) -> None:
    """Add the price of each kind of live connector of these sites not priced yet.

    `known` keeps the CPOs' tariffs already loaded, so each is read once per export.
    """
    found = db.session.execute(text(PRICE_KEYS), {"batch": sites})
    rows = [row for row in found if row.key not in prices]
    known.update(public._tariffs({row.party_fk for row in rows} - set(known)))
    for row in rows:
        kind = SimpleNamespace(connector_id="", standard="", **row._mapping)
        connector = public._priced(kind, known.get(row.party_fk, {}), at, row.zone, {})
        prices[row.key] = price_object(connector.price)  # None: a JSON null, no tariff
