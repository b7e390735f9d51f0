"""The OpenAPI 3.1 description of /opendata/: every export, parameter and response.

The field schemas live in sgv/opendata/openapi_schemas.py; the tests validate real responses
against this document, so it describes what the code does.
"""

from sgv.opendata import openapi_availability
from sgv.opendata.csv import COLUMNS, NEUTRALISED, ROUTE_COLUMN
from sgv.opendata.formats import SCHEMA_VERSION
from sgv.opendata.openapi_operators import OPERATOR_SCHEMAS
from sgv.opendata.openapi_params import (
    CORRIDOR,
    FILTERS,
    LENIENT,
    SINCE,
    TRUCKS,
    UPDATED_SINCE,
    WANTED,
)
from sgv.opendata.openapi_schemas import SCHEMAS as EXPORT_SCHEMAS
from sgv.opendata.openapi_schemas import STATUSES, ref

__all__ = ["SCHEMAS", "STATUSES", "document", "field_rows"]
SCHEMAS = {**EXPORT_SCHEMAS, **OPERATOR_SCHEMAS, **openapi_availability.SCHEMAS}


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


OPERATORS = {
    "get": {
        "summary": "Every RIPREE operator's coverage and data quality",
        "responses": {
            "200": {
                "description": "the operators, computed at generated_at (on every request: "
                "ages move with the clock, so there is no ETag)",
                "headers": {
                    "Access-Control-Allow-Origin": EXPORT_HEADERS["Access-Control-Allow-Origin"]
                },
                "content": {"application/json": {"schema": ref("OperatorsExport")}},
            },
            "400": {
                "description": "a query parameter was given: none is accepted",
                "content": {"application/json": {"schema": ref("Error")}},
            },
            "429": TOO_MANY_REQUESTS,
        },
    }
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
                [*FILTERS, UPDATED_SINCE, TRUCKS, *CORRIDOR, *WANTED],
            ),
            "/opendata/installations.geojson": export(
                "All installations as GeoJSON",
                "application/geo+json",
                ref("InstallationsGeoJSON"),
                [*FILTERS, UPDATED_SINCE, TRUCKS, *CORRIDOR, *WANTED],
            ),
            "/opendata/installations.csv": export(
                "One row per charge point",
                "text/csv",
                CSV_SCHEMA,
                [*FILTERS, UPDATED_SINCE, TRUCKS, *CORRIDOR, *WANTED],
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
            "/opendata/operators.json": OPERATORS,
            "/opendata/availability.json": openapi_availability.path(
                EXPORT_HEADERS, TOO_MANY_REQUESTS, CONDITIONAL
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


PAGE_SCHEMAS = ("InstallationsExport", "Feature", "StatusExport", "AvailabilityExport")
