"""The public view rendered as JSON by PostgreSQL, for the bulk exports (SPEC §8).

The rules are the views' (sgv/public/rules.py), selection() what is selected, and
prices.Pricer which price applies — but one statement builds every selected
installation's JSON and streams it through a server-side cursor as UTF-8 bytes, so a full
export costs the database's time rather than Python's per object, and memory stays flat
(2.5 s → 0.55 s for 45,000 charge points, docs/performance.md). Prices are computed in
Python once per distinct (CPO, tariffs, zone, power) and handed to the statement as a
map. tests/test_opendata.py checks that every document equals what
sgv/opendata/formats.py renders from public.installations().
"""

from collections.abc import Iterable, Iterator
from datetime import datetime

from psycopg.types.json import Jsonb
from sqlalchemy import text

from sgv.core.times import utc_sql
from sgv.extensions import db
from sgv.public import corridor as corridor_sql
from sgv.public.corridor import Corridor
from sgv.public.kinds import MATCH, handed, priced_kinds
from sgv.public.prices import price_object
from sgv.public.rules import published, selection
from sgv.public.streaming import prepare, stream
from sgv.public.wanted import Wanted


def obj(*members: tuple[str, str]) -> str:
    """Return SQL for a JSON object's text exactly as json_build_object writes it.

    Each value is SQL for JSON text, NULL for null. Concatenating costs a third of
    json_build_object, which looks up every argument's type on every call (PostgreSQL 15),
    and keeps the documents byte for byte what they were.
    """
    parts = (
        f"""'{", " if n else "{"}"{key}" : ' || COALESCE({value}, 'null')"""
        for n, (key, value) in enumerate(members)
    )
    return f"({' || '.join(parts)} || '}}')"


def string(sql: str) -> str:
    """Return SQL for a text value as a JSON string."""
    return f"to_json({sql})::text"


def number(sql: str) -> str:
    """Return SQL for a number as JSON (float8's shortest exact form, as json_build_object)."""
    return f"({sql})::float8::text"


def utc(sql: str) -> str:
    """Return SQL for a timestamp as a JSON string in UTC, to the second."""
    return f"""'"' || {utc_sql(sql)} || '"'"""


def array(item: str, order: str, present: str = "true") -> str:
    """Return SQL aggregating JSON texts into an array as json_agg writes it ('[]' if none)."""
    aggregate = f"string_agg({item}, ', ' ORDER BY {order}) FILTER (WHERE {present})"
    return f"COALESCE('[' || {aggregate} || ']', '[]')"


CONNECTOR = obj(
    ("id", string("c.connector_id")),
    ("standard", string("c.standard")),
    ("power_kw", number("c.power_kw")),
    ("price", "k.price"),
    ("plug_and_charge", "c.plug_and_charge::text"),
)
CHARGE_POINT = obj(
    ("evse_ref", string("cp.evse_ref")),
    ("max_power_kw", number("cp.max_power_kw")),
    ("connector_types", string("cp.connector_types")),
    ("evse_id", string("c.evse_id")),
    ("status", string("c.status")),
    ("status_at", utc("c.status_at")),
    ("connectors", array(CONNECTOR, "c.position", "c.connector_pk IS NOT NULL")),
)
OPERATOR = """json_object('{name,tax_id,phone,country_code,party_id}',
    ARRAY[i.operator_name, i.operator_tax_id, o.phone, i.country_code, i.party_id])::text"""
ADDRESS = """json_object('{street,postal_code,municipality,province,country}',
    ARRAY[i.address, i.postal_code, i.municipality, i.province, 'ES'])::text"""
COORDINATES = obj(("latitude", number("ST_Y(i.geom)")), ("longitude", number("ST_X(i.geom)")))
GEOMETRY = obj(
    ("type", "'\"Point\"'"),
    ("coordinates", f"'[' || {number('ST_X(i.geom)')} || ', ' || {number('ST_Y(i.geom)')} || ']'"),
)


# What OCPI 2.3.0 adds (sgv/public/amenities.py): the CTEs `phones` and `parking` below.
PLACE = obj(
    ("vehicle_types", "to_json(pp.vehicle_types)::text"),
    ("reservation_required", "pp.reservation_required::text"),
    ("max_vehicle_weight_kg", number("pp.max_vehicle_weight")),
    ("max_vehicle_height_cm", number("pp.max_vehicle_height")),
    ("max_vehicle_length_cm", number("pp.max_vehicle_length")),
    ("drive_through", "pp.drive_through::text"),
)
AMENITIES = (
    ("help_phones", "COALESCE(phones.list, '[]')"),
    ("plug_and_charge", "COALESCE(points.plug_and_charge, false)::text"),
    ("suitable_for_trucks", "COALESCE(parking.trucks, false)::text"),
    ("suitable_for_vans", "COALESCE(parking.vans, false)::text"),
    ("parking_reservation_required", "COALESCE(parking.reservation, false)::text"),
    ("parking_places", "COALESCE(parking.places, '[]')"),
)


def site(*coordinates: tuple[str, str], last: tuple[tuple[str, str], ...] = ()) -> str:
    """Return SQL for an installation's JSON text, with `coordinates` after its address and
    the members `last` at its end."""
    return obj(
        ("id", string("i.id")),
        ("name", string("i.name")),
        ("operator", OPERATOR),
        ("address", ADDRESS),
        *coordinates,
        ("opening_hours", string("i.opening_hours")),
        ("access", string("i.access")),
        ("updated_at", utc("i.updated_at")),
        ("has_live_data", "COALESCE(points.has_live, false)::text"),
        ("price_from", number("points.price_from")),
        ("charge_points", "COALESCE(points.charge_points, '[]')"),
        *AMENITIES,
        *last,
    )


# Per installation, from the 2.3.0 views: `phones` (its help phones, first seen first, as
# a JSON list and as installations.csv's |-separated text) and `parking` (the flags and
# places). sgv/public/rows.py joins them too.
AMENITY_CTES = f"""phones AS (
    SELECT installation_id, {array("to_json(help_phone)::text", "seen")} AS list,
           string_agg(help_phone, '|' ORDER BY seen) AS text
    FROM (SELECT installation_id, help_phone, min(location_pk) AS seen FROM public_locations
          WHERE help_phone IS NOT NULL GROUP BY installation_id, help_phone) h
    GROUP BY installation_id),
parking AS (
    SELECT installation_id, bool_or(trucks) AS trucks, bool_or(vans) AS vans,
           bool_and(reservation_required) AS reservation,
           {array(PLACE, "pp.location_pk, pp.position")} AS places
    FROM public_parking pp GROUP BY installation_id)"""


# One statement: a single sort of one row per connector (or charge point without one),
# then both levels aggregate in that order and stream merged with the installations.
# installation_id::text keeps it in the grouping: cp.id alone would make the second
# level sort again (PostgreSQL drops columns that depend on a primary key). A filtered
# export restricts the charge points to its installations; a full one need not (-10 %):
# the final join drops those of retired installations.
# Each priced kind's JSON and €/kWh ex VAT (kinds.py).
PRICES = handed(
    "figures jsonb", "figures::text AS price, (figures ->> 'energy_excl_vat')::float8 AS excl"
)
DOCUMENTS = f"""
WITH price AS MATERIALIZED ({PRICES}),
point AS (
    SELECT cp.installation_id::text AS installation_id, cp.id, {CHARGE_POINT} AS doc,
           c.evse_pk IS NOT NULL AS has_live, min(k.excl) AS cheapest,
           bool_or(c.plug_and_charge) AS plug_and_charge
    FROM charge_points cp {{selected}}
    LEFT JOIN public_connectors c ON c.charge_point_id = cp.id {{pushed}}
    LEFT JOIN price k ON {MATCH}
    GROUP BY cp.installation_id::text, cp.id, c.evse_pk, c.evse_id, c.status, c.status_at),
points AS {{materialized}}(
    SELECT installation_id, {array("doc", "id")} AS charge_points,
           bool_or(has_live) AS has_live, min(cheapest) AS price_from,
           bool_or(plug_and_charge) AS plug_and_charge
    FROM point GROUP BY installation_id),
{AMENITY_CTES}
SELECT {{document}}
FROM installations i LEFT JOIN points ON points.installation_id = i.id
LEFT JOIN phones ON phones.installation_id = i.id
LEFT JOIN parking ON parking.installation_id = i.id
LEFT JOIN parties o ON o.country_code = i.country_code AND o.party_id = i.party_id
WHERE {{where}} {{priced}} ORDER BY {{order}}
"""
SELECTED = "JOIN installations i ON i.id = cp.installation_id AND {where}"
# The same selection as a condition PostgreSQL pushes into the view (rules.py).
PUSHED = "AND c.installation_id = ANY(ARRAY(SELECT i.id FROM installations i WHERE {where}))"
# The selection as ids (resolved()): a constant array, which PostgreSQL hashes.
PUSHED_IDS = "AND c.installation_id = ANY(:ids)"
ROUTE_KM = ("route_km", number(corridor_sql.ROUTE_KM))


def resolved(where: str, params: dict) -> tuple[str, dict]:
    """Return the selection as the ids it selects, read once, keeping the other parameters.

    A corridor or the map's filters repeated in each part of DOCUMENTS cost a geography
    test or a subquery per charge point, and PUSHED's array, built in the statement,
    is searched linearly per connector (31 s for 5,940 sites of 100,000 charge points,
    bench/route.py); ids bound as a parameter are one array PostgreSQL hashes.
    """
    ids = db.session.scalars(text(f"SELECT i.id FROM installations i WHERE {where}"), params)
    return "i.retired_at IS NULL AND i.id = ANY(:ids)", {**params, "ids": list(ids)}


def rendering(geo: bool, along: bool) -> str:
    """Return SQL for one installation's document: a Feature if `geo`; with `route_km` if
    `along` a corridor."""
    extra = (ROUTE_KM,) if along else ()
    if not geo:
        return site(("coordinates", COORDINATES), last=extra)
    return obj(
        ("type", "'\"Feature\"'"),
        ("id", string("i.id")),
        ("geometry", GEOMETRY),
        ("properties", site(last=extra)),
    )


@published()
def documents(
    *,
    ids: Iterable[str] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    operator: str | None = None,
    corridor: Corridor | None = None,
    wanted: Wanted | None = None,
    at: datetime,
    geo: bool = False,
    batch: int = 500,
    trucks: bool = False,
) -> Iterator[bytes]:
    """Yield each selected installation as JSON (a GeoJSON Feature if `geo`), by id; along a
    corridor, in its order and with `route_km`; only those `wanted` (the map's filters)."""
    where, params = selection(ids, bbox, operator, trucks, corridor, wanted)
    pushed = PUSHED
    if corridor is not None or wanted is not None:
        where, params = resolved(where, params)
        pushed = PUSHED_IDS
    filtered = bool(params)  # each filter of selection() binds parameters
    prepare()
    if filtered:  # the full export's plan stays as measured (docs/performance.md)
        # The cursor is read to its end: a plan for its first 10 % of rows (the default
        # for cursors) took connector=CHADEMO on the demo register from 0.1 s to 6 s.
        db.session.execute(text("SET LOCAL cursor_tuple_fraction = 1.0"))
    params["prices"] = Jsonb(prices(where, params, at))  # jsonb: parsed once, not per row
    document = DOCUMENTS.replace("{document}", rendering(geo, corridor is not None))
    document = document.replace("{order}", corridor_sql.ORDER if corridor else "i.id")
    priced = ""
    if wanted is not None and wanted.max_price is not None:  # SPEC §4: no price, left out
        priced, params["wanted_max_price"] = (
            "AND points.price_from <= :wanted_max_price",
            wanted.max_price,
        )
    document = document.replace("{priced}", priced)
    # Along a corridor PostgreSQL cannot estimate ST_DWithin's rows, takes the few it guesses
    # for a nested loop and aggregates the charge points once per installation (1.3 s for
    # 217 sites of 30,000 charge points): aggregated once, the join is a hash (bench/route.py).
    document = document.replace("{materialized}", "MATERIALIZED " if corridor else "")
    sql = document.replace("{selected}", SELECTED if filtered else "")
    sql = sql.replace("{pushed}", pushed if filtered else "").replace("{where}", where)
    yield from stream(sql, params, batch)


def prices(where: str, params: dict, at: datetime) -> list[dict]:
    """Return each kind of public connector of the selection that has a price, with the
    price's JSON (kinds.py); a connector of no kind here shows a null price."""
    return priced_kinds(where, params, at, lambda price: {"figures": price_object(price)})
