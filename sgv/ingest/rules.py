"""The rules every push follows, whatever the object (SPEC §3).

`last_updated` ordering, URL/body id agreement, how a PATCH merges into the stored raw
object, and which normalised values become columns.
"""

import enum
from datetime import datetime
from typing import Any

from geoalchemy2 import WKTElement
from sqlalchemy import func

from sgv.core.refusals import Kind, Refused
from sgv.core.times import utc_text
from sgv.extensions import db
from sgv.models import Evse, Location, Tariff


class Outcome(enum.Enum):
    """What a push did: the view answers 201, 200, or 200 with a 'not applied' note."""

    CREATED = "created"
    UPDATED = "updated"
    STALE = "stale"


def stale(incoming: datetime, stored: datetime | None) -> bool:
    """Say whether an update is strictly older than what is stored (acknowledged, not applied)."""
    return stored is not None and incoming < stored


def same_id(field: str, in_body: Any, in_url: str) -> None:
    """Refuse a body whose id differs from the URL's (CiString: case-insensitive)."""
    if in_body is not None and str(in_body).lower() != in_url.lower():
        raise Refused(Kind.INVALID, f"{field}: '{in_body}' does not match the URL ('{in_url}')")


def without(raw: dict, *keys: str) -> dict:
    """Return the raw object without its children lists and without cleared (null) fields."""
    return {k: v for k, v in raw.items() if k not in keys and v is not None}


def merged(stored: dict, patch: dict, *children: str) -> dict:
    """Merge a PATCH into a stored raw object: null clears a field, children are separate."""
    result = dict(stored)
    for key, value in patch.items():
        if key in children:
            continue
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


# Column ← normalised field, per object; a PATCH sets only the fields it carries.
LOCATION_COLUMNS = {
    "name": "name",
    "address": "address",
    "city": "city",
    "postal_code": "postal_code",
    "time_zone": "time_zone",
    "help_phone": "help_phone",  # OCPI 2.3.0; older versions' data never holds it
}
CONNECTOR_COLUMNS = {
    "standard": "standard",
    "format": "format",
    "power_type": "power_type",
    "max_voltage": "max_voltage",
    "max_amperage": "max_amperage",
    "max_electric_power": "max_electric_power",
    "capabilities": "capabilities",  # OCPI 2.3.0 (Plug & Charge)
}


def assign(obj: object, values: dict, *keep: str) -> None:
    """Set an ORM object's columns from a row of values, leaving `keep` as stored."""
    for column, value in values.items():
        if column not in keep:
            setattr(obj, column, value)


def set_columns(obj: object, columns: dict[str, str], data: dict, partial: bool) -> None:
    """Copy normalised values onto columns; a full object clears what it leaves out."""
    for column, field in columns.items():
        if not partial or field in data:
            setattr(obj, column, data.get(field))


def find_owned(
    model: type[Location] | type[Tariff],
    id_column: Any,
    party: Any,
    object_id: str,
    *,
    lock: bool = False,
) -> Any:
    """Return the party's object with this id (CiString: case-insensitive), locked if asked."""
    query = db.select(model).where(
        model.party_fk == party.id, func.lower(id_column) == object_id.lower()
    )
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query)


def point(data: dict) -> WKTElement:
    """Return a location's coordinates as a PostGIS point."""
    coordinates = data["coordinates"]
    return WKTElement(f"POINT({coordinates['longitude']} {coordinates['latitude']})", srid=4326)


def location_row(raw: dict, data: dict) -> dict:
    """Return the columns of a full Location (not its EVSEs)."""
    return {
        **{column: data.get(field) for column, field in LOCATION_COLUMNS.items()},
        "publish": data.get("publish") is not False,
        "geom": point(data),
        "last_updated": data["last_updated"],
        "data": without(raw, "evses"),
    }


def evse_row(raw: dict, data: dict) -> dict:
    """Return the columns of a full EVSE (not its connectors)."""
    return {
        "uid": data["uid"],
        "evse_id": data.get("evse_id"),
        "status": data["status"],
        "status_updated_at": data["last_updated"],
        "last_updated": data["last_updated"],
        "data": without(raw, "connectors"),
        "parking_ids": parking_ids(data),
    }


def parking_ids(data: dict) -> list[str] | None:
    """Return the parking_places ids an EVSE names (OCPI 2.3.0 EVSE.parking), else None."""
    parking = data.get("parking")
    return None if parking is None else [p["parking_id"] for p in parking]


def connector_row(raw: dict, data: dict) -> dict:
    """Return the columns of a full connector."""
    return {
        "connector_id": data["id"],
        **{column: data.get(field) for column, field in CONNECTOR_COLUMNS.items()},
        "tariff_ids": list(data.get("tariff_ids") or []),
        "last_updated": data["last_updated"],
        "data": without(raw),
    }


def unique_ids(kind: str, key: str, items: list[dict]) -> None:
    """Refuse a list naming one EVSE or connector twice (ids compare case-insensitively)."""
    seen: set[str] = set()
    for item in items:
        value = str(item[key]).lower()
        if value in seen:
            raise Refused(Kind.INVALID, f"{kind}: '{item[key]}' appears twice")
        seen.add(value)


def distinct_children(data: dict) -> None:
    """Refuse EVSEs or connectors named twice in one push, at any level, PUT or PATCH."""
    unique_ids("evses", "uid", data.get("evses") or [])
    for evse in data.get("evses") or []:
        unique_ids(f"evses {evse['uid']} connectors", "id", evse.get("connectors") or [])
    unique_ids("connectors", "id", data.get("connectors") or [])


def propagate(parent: Location | Evse, moment: datetime) -> None:
    """Carry a child's newer last_updated up to its parent (OCPI 2.2.1 §8.3.1.1)."""
    if moment > parent.last_updated:
        parent.last_updated = moment
        parent.data = {**parent.data, "last_updated": utc_text(moment)}
