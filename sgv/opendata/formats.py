"""The export formats: installations as JSON, GeoJSON and CSV rows, and status deltas.

Each function turns the public view (sgv/public/) into chunks, one installation at a
time, so an export of any size streams in flat memory: text, or the UTF-8 bytes
PostgreSQL rendered (sgv/public/documents.py). The field meanings live in
sgv/opendata/openapi.py, which documents exactly what is written here.
"""

import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from decimal import Decimal

from sgv.core.times import utc_text
from sgv.opendata.params import Filters
from sgv.public import ChargePoint, Installation, LiveStatus, price_object

SCHEMA_VERSION = "1.0"
LICENCE = {
    "id": "CC-BY-4.0",
    "name": "Creative Commons Attribution 4.0 International",
    "url": "https://creativecommons.org/licenses/by/4.0/",
    "attribution": (
        "SGV open data (CC BY 4.0). Sources: MITERD – RIPREE (registro de puntos de recarga); "
        "DGT / MITERD – Punto de Acceso Nacional (nap.dgt.es), CC BY 4.0; "
        "live status and prices: the charge point operators (CPOs)."
    ),
    "sources": [
        {"name": "MITERD – RIPREE (registro de puntos de recarga)", "provides": "static data"},
        {
            "name": "DGT / MITERD – Punto de Acceso Nacional (nap.dgt.es), CC BY 4.0",
            "provides": "static data of the demo register",
        },
        {"name": "The charge point operators (CPOs), over OCPI", "provides": "status and prices"},
    ],
}
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def number(value: Decimal | float | None) -> float | None:
    """Return a decimal as a JSON number (floats print their shortest exact form)."""
    return None if value is None else float(value)


def live_fields(live: LiveStatus | None) -> dict:
    """Return a charge point's dynamic fields: all null (and no connectors) without live data."""
    if live is None:
        return {"evse_id": None, "status": None, "status_at": None, "connectors": []}
    connectors = [
        {
            "id": c.connector_id,
            "standard": c.standard,
            "power_kw": number(c.power_kw),
            "price": price_object(c.price),
            "plug_and_charge": c.plug_and_charge,
        }
        for c in live.connectors
    ]
    return {
        "evse_id": live.evse_id,
        "status": live.status,
        "status_at": utc_text(live.status_at),
        "connectors": connectors,
    }


def charge_point_object(point: ChargePoint) -> dict:
    """Return one RIPREE charge point with its live data when public."""
    return {
        "evse_ref": point.evse_ref,
        "max_power_kw": number(point.max_power_kw),
        "connector_types": point.connector_types,
        **live_fields(point.live),
    }


def installation_object(site: Installation) -> dict:
    """Return one installation as installations.json writes it (along a corridor: with
    `route_km` last)."""
    along = {} if site.route_km is None else {"route_km": number(site.route_km)}
    return {
        "id": site.id,
        "name": site.name,
        "operator": {
            "name": site.operator_name,
            "tax_id": site.operator_tax_id,
            "phone": site.operator_phone,
            "country_code": site.country_code,
            "party_id": site.party_id,
        },
        "address": {
            "street": site.address,
            "postal_code": site.postal_code,
            "municipality": site.municipality,
            "province": site.province,
            "country": "ES",
        },
        "coordinates": {"latitude": site.latitude, "longitude": site.longitude},
        "opening_hours": site.opening_hours,
        "access": site.access,
        "updated_at": utc_text(site.updated_at),
        "has_live_data": site.has_live_data,
        "price_from": number(site.price_from),
        "charge_points": [charge_point_object(p) for p in site.charge_points],
        **amenity_fields(site),
        **along,
    }


def amenity_fields(site: Installation) -> dict:
    """Return what OCPI 2.3.0 adds to an installation (false and empty without it)."""
    found = site.amenities
    return {
        "help_phones": list(found.help_phones),
        "plug_and_charge": site.plug_and_charge,
        "suitable_for_trucks": found.trucks,
        "suitable_for_vans": found.vans,
        "parking_reservation_required": found.reservation_required,
        "parking_places": [
            {
                "vehicle_types": list(p.vehicle_types),
                "reservation_required": p.reservation_required,
                "max_vehicle_weight_kg": number(p.max_vehicle_weight),
                "max_vehicle_height_cm": number(p.max_vehicle_height),
                "max_vehicle_length_cm": number(p.max_vehicle_length),
                "drive_through": p.drive_through,
            }
            for p in found.parking
        ],
    }


def header(generated_at: datetime, filters: Filters) -> dict:
    """Return the members every JSON export opens with."""
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": utc_text(generated_at),
        "licence": LICENCE,
        "filters": filters.echo(),
    }


def document(
    opening: dict, key: str, items: Iterable[str | bytes], closing: Callable[[int], dict]
) -> Iterator[str | bytes]:
    """Write a JSON object whose `key` array streams already encoded items, then `closing`.

    Items pass through as they come, text or UTF-8 bytes (sgv/public/documents.py).
    """
    yield _dumps(opening)[:-1] + f',"{key}":['
    count = 0
    for item in items:
        if count:
            yield ","
        yield item
        count += 1
    yield "]," + _dumps(closing(count))[1:]


def installations_json(
    sites: Iterable[bytes], opening: dict, retired: Callable[[], list[str]]
) -> Iterator[str | bytes]:
    """Write installations.json from encoded installations, then retired ids and the count."""
    closing = lambda n: {"retired_installations": retired(), "count": n}  # noqa: E731
    return document(opening, "installations", sites, closing)


def installations_geojson(features: Iterable[bytes], opening: dict) -> Iterator[str | bytes]:
    """Write installations.geojson: a FeatureCollection with the header as foreign members."""
    opening = {"type": "FeatureCollection", **opening}
    return document(opening, "features", features, lambda n: {"count": n})


def status_snapshot(items: Iterable[bytes], opening: dict) -> Iterator[str | bytes]:
    """Write status.json without `since` from the items PostgreSQL rendered (sgv/public/rows.py)."""
    return document(opening, "charge_points", items, lambda n: {"count": n})


def status_json(points: Iterable[tuple[Installation, ChargePoint]], opening: dict) -> Iterator[str]:
    """Write status.json: each charge point's dynamic data; a withdrawal has status null."""
    items = (
        _dumps({"installation_id": site.id, "evse_ref": point.evse_ref, **live_fields(point.live)})
        for site, point in points
    )
    return document(opening, "charge_points", items, lambda n: {"count": n})
