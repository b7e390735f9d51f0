"""The query parameters the OpenAPI description documents (sgv/opendata/openapi.py)."""

from typing import Any

from sgv.opendata import route
from sgv.opendata.params import BBOX_PATTERN, CONNECTOR_PATTERN, TEXT_PATTERN


def parameter(name: str, description: str, **schema: Any) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


FILTERS = [
    parameter(
        "bbox",
        "only installations inside minlon,minlat,maxlon,maxlat (WGS84 decimal degrees, "
        "longitudes within ±180, latitudes within ±90, min ≤ max): swapped corners are a 400",
        type="string",
        pattern=BBOX_PATTERN,
        example="-3.8,40.3,-3.6,40.5",
    ),
    parameter(
        "operator",
        "operator name (case-insensitive part) or OCPI party id; not empty: leave the "
        "parameter out to get every operator",
        type="string",
        minLength=1,
        maxLength=255,
        pattern=TEXT_PATTERN,
    ),
]
TRUCKS = parameter(
    "trucks",
    "1 (or true): only installations with a parking place suitable for trucks, as their "
    "CPO describes it in OCPI 2.3.0 (vehicle types RIGID, TRUCK_WITH_TRAILER or SEMI_TRACTOR)",
    type="string",
    enum=["1", "true", "0", "false"],
)
LENIENT = (
    " An RFC 3339 date-time; also accepted: a date alone (midnight UTC) and a time without "
    "an offset (UTC)."
)
UPDATED_SINCE = parameter(
    "updated_since",
    "only installations whose data may have changed since then." + LENIENT,
    type="string",
    format="date-time",
)
SINCE = parameter(
    "since",
    "only charge points whose public dynamic data may have changed since then: pass the "
    "previous response's generated_at. Without it: every charge point with live data now."
    + LENIENT,
    type="string",
    format="date-time",
)
CORRIDOR = [
    parameter(
        "corridor",
        "only installations near this route, ordered along it, each with route_km: "
        f"{route.HELP}. The line between its points is straight (great-circle edges): SGV has "
        "no routing engine (the example: Madrid to Valencia). Simplify long tracks before "
        "(e.g. Douglas-Peucker). A bad encoding, too long a text, fewer than 2 distinct "
        "points, coordinates out of range, a route longer than "
        f"{route.LENGTH_MAX:,.0f} km or a corridor covering more than "
        f"{route.AREA_MAX:,.0f} km² (length × 2 km) are a 400 naming the problem",
        type="string",
        minLength=4,
        maxLength=route.MAX_CHARS,
        pattern="^[?-~]*[?-^]$",
        example="_|tuFvkrUb}wD{{hS",
    ),
    parameter(
        "km",
        f"with corridor: how far from the route, in km (default {route.KM_DEFAULT:g}, more "
        f"than 0, at most {route.KM_MAX:g}); without corridor a 400",
        type="number",
        exclusiveMinimum=0,
        maximum=route.KM_MAX,
        default=route.KM_DEFAULT,
    ),
]
WANTED = [  # the map's filters (SPEC §8), by the map's names
    parameter(
        "min_kw",
        "only sites whose largest charge point has at least this power, kW (to 0.1 kW)",
        type="number",
        minimum=0,
        maximum=5000,
    ),
    parameter(
        "connector",
        "only sites with this connector standard (as registered), e.g. IEC_62196_T2_COMBO",
        type="string",
        pattern=CONNECTOR_PATTERN,
    ),
    parameter(
        "available",
        "1 or true: only sites with a charge point AVAILABLE now (public live data only); "
        "0 or false: every site",
        type="string",
        enum=["1", "true", "0", "false"],
    ),
    parameter(
        "max_price",
        'only sites whose "price from" (cheapest live €/kWh excl. VAT) is at most this; '
        "sites without a live energy price are left out (SPEC §4)",
        type="number",
        minimum=0,
        maximum=100,
    ),
]
