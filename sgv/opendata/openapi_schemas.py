"""The JSON Schemas of the open-data exports: every field, its type and its meaning, once.

sgv/opendata/openapi.py publishes them, the /opendata/ page renders its field tables from them,
and the tests validate real responses against them: the documentation is the contract.
"""

from typing import Any

STATUSES = {
    "AVAILABLE": "free to charge",
    "BLOCKED": "reachable only through an occupied space (e.g. a parked car)",
    "CHARGING": "in use",
    "INOPERATIVE": "temporarily out of service (e.g. maintenance)",
    "OUTOFORDER": "broken",
    "PLANNED": "announced, not yet in service",
    "RESERVED": "reserved for a driver",
    "UNKNOWN": "status unknown: the CPO's maintenance window, or its checks failed (SPEC §4)",
}
TIME = "ISO 8601 UTC date-time, seconds, Z suffix"
UTC_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"  # how TIME looks


def field(kind: str | list[str], description: str, **extra: Any) -> dict:
    """Return a property schema: a JSON type (or several) and what it means.

    A date-time the exports write is always TIME (sgv/core/times.py), so its schema says so.
    """
    if extra.get("format") == "date-time":
        extra.setdefault("pattern", UTC_PATTERN)
    return {"type": kind, "description": description, **extra}


def nullable(schema: dict, description: str) -> dict:
    """Return `schema` or null."""
    return {"anyOf": [schema, {"type": "null"}], "description": description}


def obj(doc: str, /, **properties: dict) -> dict:
    """Return an object schema with exactly these properties, all always present."""
    return {
        "type": "object",
        "description": doc,
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


MONEY = "excluding VAT, in the tariff's currency"
PRICE = obj(
    "The price that applies now to a session on this connector (SPEC §4).",
    tariff_id=field("string", "the CPO's tariff id"),
    currency=field("string", "ISO 4217 currency code (EUR)"),
    energy_excl_vat=field(["number", "null"], f"price per kWh {MONEY}; null: not priced"),
    vat_rate=field(["number", "null"], "VAT rate in percent; null when the CPO did not state it"),
    energy_incl_vat=field(["number", "null"], "price per kWh including VAT; null: VAT unknown"),
    flat=field(["number", "null"], f"fixed fee per session {MONEY}"),
    time_per_hour=field(["number", "null"], f"charging-time price per hour {MONEY}"),
    parking_per_hour=field(["number", "null"], f"parking-time price per hour {MONEY}"),
    free=field("boolean", "true when every component of the tariff is priced 0"),
    valid_until=field(
        ["string", "null"], f"next instant these figures may change ({TIME})", format="date-time"
    ),
)
CONNECTOR = obj(
    "A connector of the live EVSE.",
    id=field("string", "connector id within the EVSE, as the CPO sent it"),
    standard=field("string", "OCPI connector standard, e.g. IEC_62196_T2_COMBO"),
    power_kw=field(["number", "null"], "maximum power in kW; null when unknown"),
    price=nullable(ref("Price"), "price now; null when the connector has no valid tariff"),
    plug_and_charge=field(
        "boolean", "true when the CPO says it offers ISO 15118 Plug & Charge (OCPI 2.3.0)"
    ),
)
PARKING_PLACE = obj(
    "A parking place for vehicles charging at the site, as its CPO describes it (OCPI 2.3.0).",
    vehicle_types=field(
        "array",
        "OCPI 2.3.0 vehicle types it takes, e.g. PERSONAL_VEHICLE, VAN, RIGID, "
        "TRUCK_WITH_TRAILER, SEMI_TRACTOR, BUS",
        items={"type": "string"},
    ),
    reservation_required=field("boolean", "true when parking there needs a reservation"),
    max_vehicle_weight_kg=field(["number", "null"], "maximum vehicle weight, kg; null: not said"),
    max_vehicle_height_cm=field(["number", "null"], "maximum vehicle height, cm; null: not said"),
    max_vehicle_length_cm=field(["number", "null"], "maximum vehicle length, cm; null: not said"),
    drive_through=field(["boolean", "null"], "true when a vehicle can charge without reversing"),
)
AMENITIES = {  # OCPI 2.3.0 (issue #16): false and empty when the CPO sends none
    "help_phones": field(
        "array",
        "phones a driver may call for help at the site, from its CPO's locations",
        items={"type": "string"},
    ),
    "plug_and_charge": field("boolean", "true when a live connector offers Plug & Charge"),
    "suitable_for_trucks": field(
        "boolean",
        "true when a parking place takes trucks (RIGID, TRUCK_WITH_TRAILER or SEMI_TRACTOR)",
    ),
    "suitable_for_vans": field("boolean", "true when a parking place takes vans (VAN)"),
    "parking_reservation_required": field(
        "boolean", "true when the site has parking places and every one needs a reservation"
    ),
    "parking_places": field("array", "the site's parking places", items=ref("ParkingPlace")),
}
LIVE = {
    "evse_id": field(
        ["string", "null"], "EVSE-ID of the matched live EVSE; null without live data"
    ),
    "status": nullable(
        field("string", "OCPI EVSE status", enum=list(STATUSES)),
        "status now; null when the charge point has no public live data (or lost it)",
    ),
    "status_at": field(
        ["string", "null"], f"when the CPO set that status ({TIME})", format="date-time"
    ),
    "connectors": field(
        "array",
        "connectors of the live EVSE with prices; empty without live data",
        items=ref("Connector"),
    ),
}
CHARGE_POINT = obj(
    "A RIPREE charge point (an EVSE), with its live data when public.",
    evse_ref=field("string", "reference in RIPREE: the EVSE-ID when it has one"),
    max_power_kw=field("number", "maximum power in kW, as registered"),
    connector_types=field(
        "array", "OCPI connector standards, as registered", items={"type": "string"}
    ),
    **LIVE,
)
INSTALLATION_FIELDS = {
    "id": field("string", "RIPREE installation id: stable key of the site"),
    "name": field("string", "site name as registered"),
    "operator": obj(
        "The operator as registered, with its public phone.",
        name=field("string", "operator name"),
        tax_id=field(["string", "null"], "tax id (NIF/CIF); null when the register omits it"),
        phone=field(["string", "null"], "customer-service phone; null when unknown"),
        country_code=field("string", "OCPI country code (ES)"),
        party_id=field("string", "OCPI party id, 3 characters (e.g. IBD)"),
    ),
    "address": obj(
        "Postal address.",
        street=field("string", "street and number"),
        postal_code=field("string", "5-character postcode, leading zero kept"),
        municipality=field("string", "municipality"),
        province=field("string", "province"),
        country=field("string", "ISO 3166-1 alpha-2 country code (ES)"),
    ),
    "coordinates": obj(
        "WGS84 position.",
        latitude=field("number", "latitude, decimal degrees", minimum=-90, maximum=90),
        longitude=field("number", "longitude, decimal degrees", minimum=-180, maximum=180),
    ),
    "opening_hours": field(
        ["string", "null"], "as the register publishes it; 24/7 when always open"
    ),
    "access": field("string", "public or restricted", enum=["public", "restricted"]),
    "updated_at": field("string", f"last change of the register data ({TIME})", format="date-time"),
    "has_live_data": field("boolean", "true when at least one charge point has public live data"),
    "price_from": field(["number", "null"], "cheapest €/kWh excl. VAT of its live connectors"),
    "charge_points": field("array", "the site's charge points", items=ref("ChargePoint")),
    **AMENITIES,
}
HEADER = {
    "schema_version": field("string", "version of this schema; a breaking change bumps the major"),
    "generated_at": field(
        "string",
        f"when this data was read ({TIME}); pass it as `since` to status.json to poll changes",
        format="date-time",
    ),
    "licence": obj(
        "Licence and attribution: reuse must credit the sources.",
        id=field("string", "SPDX licence id (CC-BY-4.0)"),
        name=field("string", "licence name"),
        url=field("string", "licence text"),
        attribution=field("string", "the attribution to reproduce"),
        sources=field(
            "array",
            "where the data comes from",
            items=obj(
                "A source.",
                name=field("string", "source"),
                provides=field("string", "which data it provides"),
            ),
        ),
    ),
    "filters": obj(
        "The filters this response applied; null when not given.",
        bbox=nullable(
            field("array", "minlon, minlat, maxlon, maxlat", items={"type": "number"}), "bbox"
        ),
        operator=field(["string", "null"], "operator name (part of) or party id"),
        updated_since=field(["string", "null"], TIME, format="date-time"),
        since=field(["string", "null"], TIME, format="date-time"),
        trucks=field("boolean", "true: only sites with parking suitable for trucks"),
        corridor=field(
            ["string", "null"], "the route's encoded polyline (re-encoded, precision 5)"
        ),
        km=field(["number", "null"], "the corridor's half-width in km; null without corridor"),
        min_kw=field(["number", "null"], "minimum power of the site's largest charge point, kW"),
        connector=field(["string", "null"], "a connector standard the site has (RIPREE)"),
        available=field("boolean", "true: only sites with a public EVSE AVAILABLE now"),
        max_price=field(["number", "null"], 'largest "price from", €/kWh excl. VAT'),
    ),
}
COUNT = field("integer", "number of items in the array above")
GEO_PROPERTIES = {k: v for k, v in INSTALLATION_FIELDS.items() if k != "coordinates"}
ROUTE_KM = field(
    "number",
    "only with corridor=: distance from the route's start to this site's nearest point on "
    "it, km along the route (great-circle between its points, 2 decimals); the installations "
    "come in this order",
    minimum=0,
)


def along(schema: dict) -> dict:
    """Return an object schema that may also hold `route_km` (present only with corridor=)."""
    return {**schema, "properties": {**schema["properties"], "route_km": ROUTE_KM}}


SCHEMAS = {
    "Price": PRICE,
    "Connector": CONNECTOR,
    "ParkingPlace": PARKING_PLACE,
    "ChargePoint": CHARGE_POINT,
    "Installation": along(
        obj("A public charging site (RIPREE) with its charge points.", **INSTALLATION_FIELDS)
    ),
    "InstallationsExport": obj(
        "installations.json",
        **HEADER,
        installations=field(
            "array",
            "installations ordered by id; with corridor=, ordered along the route",
            items=ref("Installation"),
        ),
        retired_installations=field(
            "array",
            "with updated_since: ids withdrawn from the register since then (delete them)",
            items={"type": "string"},
        ),
        count=COUNT,
    ),
    "Feature": obj(
        "An installation as an RFC 7946 Feature.",
        type=field("string", "Feature", enum=["Feature"]),
        id=field("string", "RIPREE installation id"),
        geometry=obj(
            "Point, WGS84.",
            type=field("string", "Point", enum=["Point"]),
            coordinates=field(
                "array", "[longitude, latitude]", items={"type": "number"}, minItems=2, maxItems=2
            ),
        ),
        properties=along(obj("The installation's fields, without coordinates.", **GEO_PROPERTIES)),
    ),
    "InstallationsGeoJSON": obj(
        "installations.geojson: an RFC 7946 FeatureCollection; the header members are foreign.",
        type=field("string", "FeatureCollection", enum=["FeatureCollection"]),
        **HEADER,
        features=field(
            "array",
            "installations ordered by id; with corridor=, ordered along the route",
            items=ref("Feature"),
        ),
        count=COUNT,
    ),
    "StatusChange": obj(
        "The dynamic data of one charge point now; status null is a withdrawal.",
        installation_id=field("string", "RIPREE installation id"),
        evse_ref=field("string", "the charge point's RIPREE reference"),
        **LIVE,
    ),
    "StatusExport": obj(
        "status.json",
        **HEADER,
        charge_points=field("array", "changed charge points", items=ref("StatusChange")),
        count=COUNT,
    ),
    "Error": obj(
        "An error.",
        code=field("integer", "HTTP status"),
        name=field("string", "HTTP reason"),
        description=field("string", "what was wrong, naming the parameter"),
    ),
}
