"""The OpenAPI 3.1 description of /opendata/: every export, parameter and response.

The field schemas live in sgv/opendata/openapi_schemas.py; the tests validate real responses
against this document, so it describes what the code does.
"""

from typing import Any

from sgv.opendata import route
from sgv.opendata.csv import COLUMNS, NEUTRALISED, ROUTE_COLUMN
from sgv.opendata.formats import SCHEMA_VERSION
from sgv.opendata.openapi_schemas import SCHEMAS, STATUSES, ref
from sgv.opendata.params import BBOX_PATTERN, CONNECTOR_PATTERN, TEXT_PATTERN

__all__ = ["SCHEMAS", "STATUSES", "document", "field_rows"]


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
        "points or coordinates out of range are a 400 naming the problem",
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
CONDITIONAL = [
    {"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"}},
    {"name": "If-Modified-Since", "in": "header", "required": False, "schema": {"type": "string"}},
]
EXPORT_HEADERS = {
    "ETag": {"description": "version of the data and query", "schema": {"type": "string"}},
    "Access-Control-Allow-Origin": {
        "description": "* : any web page may read the exports (CORS), on every answer",
        "schema": {"type": "string"},
    },
    "Last-Modified": {
        "description": "when this version was first served",
        "schema": {"type": "string"},
    },
}


REFUSED = (
    "a bad or unknown parameter, named in the error's description: a value its schema "
    "refuses, or a bbox whose corners are swapped (minlon > maxlon or minlat > maxlat), "
    "which the schema cannot rule out; on installations.*, a corridor that does not decode "
    "to 2 or more distinct points within range, or km without corridor"
)


TOO_MANY_REQUESTS = {
    "description": "too many requests from this address: the map and the open data share a "
    "budget of 1,200 a minute per client address (SGV_RATELIMIT_PUBLIC); wait Retry-After "
    "seconds",
    "headers": {
        "Retry-After": {
            "description": "seconds to wait before asking again",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
    "content": {"application/json": {"schema": ref("Error")}},
}


def export(summary: str, media: str, schema: dict, parameters: list[dict]) -> dict:
    """Return the GET operation of one export."""
    error = {"application/json": {"schema": ref("Error")}}
    return {
        "get": {
            "summary": summary,
            "parameters": [*parameters, *CONDITIONAL],
            "responses": {
                "200": {
                    "description": "the export",
                    "headers": EXPORT_HEADERS,
                    "content": {media: {"schema": schema}},
                },
                "304": {
                    "description": "not modified since the copy named by the conditional headers"
                },
                "400": {"description": REFUSED, "content": error},
                "429": TOO_MANY_REQUESTS,
            },
        }
    }


CSV_SCHEMA = {
    "type": "string",
    "description": "RFC 4180 CSV, UTF-8, header row, one row per RIPREE charge point. "
    f"{NEUTRALISED} Columns: "
    + "; ".join(f"{name}: {meaning}" for name, meaning in [*COLUMNS, ROUTE_COLUMN]),
}


DATEX2 = (
    "DATEX II v3.7 (CEN/TS 16157-10) with the AFIR extension, root d2:payload, UTF-8; "
    "valid against the v3.7 schema set (DATEXII_3_D2Payload.xsd). Mapping: docs/datex2.md. "
)
TABLE_SCHEMA = {
    "type": "string",
    "description": DATEX2 + "An aegi:EnergyInfrastructureTablePublication: one site per "
    "RIPREE installation (id, name, coordinates, address, operator with its ES*XXX identity, "
    "opening hours), one station per site, one refill point per charge point (id: the EVSE-ID) "
    "with its connectors (type, max power in W), from RIPREE and the CPO's matched OCPI data.",
}
STATUS_SCHEMA = {
    "type": "string",
    "description": DATEX2 + "An aegi:EnergyInfrastructureStatusPublication: per charge point "
    "with public dynamic data, its refill point status (OCPI status mapped), its time, and an "
    "energyRateUpdate per tariff: the price per kWh EXCLUDING VAT (taxIncluded false, "
    "taxRate the VAT %), the session fee, time and parking prices per minute; amounts in two "
    "decimals (afac:AmountOfMoney). With since: the charge points that changed, a withdrawal "
    "with status unknown.",
}
DATEX2_SINCE = {
    **SINCE,
    "description": "only refill points whose public dynamic data may have changed since then, "
    "withdrawals included (status unknown): pass the previous response's publicationTime."
    + LENIENT,
}


def document(server: str = "/") -> dict:
    """Return the OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SGV open data",
            "version": SCHEMA_VERSION,
            "description": "Spain's public EV charging points: the RIPREE register with the live "
            "status and prices CPOs publish. Licence CC BY 4.0, attributing the sources.",
            "license": {"name": "CC BY 4.0", "identifier": "CC-BY-4.0"},
        },
        "servers": [{"url": server}],
        "paths": {
            "/opendata/installations.json": export(
                "All installations",
                "application/json",
                ref("InstallationsExport"),
                [*FILTERS, UPDATED_SINCE, *CORRIDOR, *WANTED],
            ),
            "/opendata/installations.geojson": export(
                "All installations as GeoJSON",
                "application/geo+json",
                ref("InstallationsGeoJSON"),
                [*FILTERS, UPDATED_SINCE, *CORRIDOR, *WANTED],
            ),
            "/opendata/installations.csv": export(
                "One row per charge point",
                "text/csv",
                CSV_SCHEMA,
                [*FILTERS, UPDATED_SINCE, *CORRIDOR, *WANTED],
            ),
            "/opendata/status.json": export(
                "Status changes since a time",
                "application/json",
                ref("StatusExport"),
                [*FILTERS, SINCE],
            ),
            "/opendata/datex2/table.xml": export(
                "All installations in DATEX II v3.7 (AFIR)", "application/xml", TABLE_SCHEMA, []
            ),
            "/opendata/datex2/status.xml": export(
                "Status and ad hoc prices in DATEX II v3.7 (AFIR)",
                "application/xml",
                STATUS_SCHEMA,
                [*FILTERS, DATEX2_SINCE],
            ),
        },
        "components": {"schemas": SCHEMAS},
    }


def field_rows(schema: dict, prefix: str = "") -> list[tuple[str, str, str]]:
    """Flatten a schema into (path, type, meaning) rows for the /opendata/ page."""
    rows = []
    for name, prop in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        target = prop
        if "anyOf" in prop:
            target = next(s for s in prop["anyOf"] if s.get("type") != "null")
        if "$ref" in target:
            target = SCHEMAS[target["$ref"].rsplit("/", 1)[1]]
        kind = target.get("type", "object")
        kind = " | ".join(kind) if isinstance(kind, list) else kind
        if "anyOf" in prop:
            kind += " | null"
        rows.append((path, kind, prop.get("description", "")))
        items = target.get("items", {})
        if "$ref" in items:
            items = SCHEMAS[items["$ref"].rsplit("/", 1)[1]]
        if target.get("properties"):
            rows += field_rows(target, f"{path}.")
        elif items.get("properties"):
            rows += field_rows(items, f"{path}[].")
    return rows


PAGE_SCHEMAS = ("InstallationsExport", "Feature", "StatusExport")
