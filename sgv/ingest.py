"""Apply CPO pushes to locations, EVSEs and connectors (SPEC §3, locations).

Services flush; the view commits once. Rows are locked parent first (location, then
EVSE) so concurrent pushes to one location queue up instead of deadlocking, and the
`last_updated` rule is judged against what the previous push committed.
"""

import enum
import json
from datetime import datetime
from typing import Any

from geoalchemy2 import WKTElement
from sqlalchemy import func, text

from sgv import matching
from sgv.extensions import db
from sgv.models import Connector, Evse, Location, Party
from sgv.ocpi.envelope import INVALID_PARAMETERS, UNKNOWN_LOCATION, OcpiError, ocpi_timestamp


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
        raise OcpiError(
            400, INVALID_PARAMETERS, f"{field}: '{in_body}' does not match the URL ('{in_url}')"
        )


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
}
CONNECTOR_COLUMNS = {
    "standard": "standard",
    "format": "format",
    "power_type": "power_type",
    "max_voltage": "max_voltage",
    "max_amperage": "max_amperage",
    "max_electric_power": "max_electric_power",
}


def set_columns(obj: object, columns: dict[str, str], data: dict, partial: bool) -> None:
    """Copy normalised values onto columns; a full object clears what it leaves out."""
    for column, field in columns.items():
        if not partial or field in data:
            setattr(obj, column, data.get(field))


def find_location(party: Party, location_id: str, *, lock: bool = False) -> Location | None:
    """Return the party's location with this id (case-insensitive), locked if asked."""
    query = db.select(Location).where(
        Location.party_fk == party.id,
        func.lower(Location.location_id) == location_id.lower(),
    )
    if lock:
        query = query.with_for_update()
    return db.session.scalar(query)


def require_location(party: Party, location_id: str, *, lock: bool = False) -> Location:
    """Return the location or answer 404/2003."""
    location = find_location(party, location_id, lock=lock)
    if location is None:
        raise OcpiError(404, UNKNOWN_LOCATION, f"Unknown location '{location_id}'")
    return location


def find_evse(location: Location, evse_uid: str) -> Evse | None:
    """Return the location's EVSE with this uid (case-insensitive)."""
    return next((e for e in location.evses if e.uid.lower() == evse_uid.lower()), None)


def require_evse(location: Location, evse_uid: str) -> Evse:
    """Return the EVSE or answer 404/2003."""
    evse = find_evse(location, evse_uid)
    if evse is None:
        raise OcpiError(
            404, UNKNOWN_LOCATION, f"Unknown EVSE '{evse_uid}' in location '{location.location_id}'"
        )
    return evse


def require_connector(evse: Evse, connector_id: str) -> Connector:
    """Return the connector or answer 404/2003."""
    connector = next(
        (c for c in evse.connectors if c.connector_id.lower() == connector_id.lower()), None
    )
    if connector is None:
        raise OcpiError(
            404, UNKNOWN_LOCATION, f"Unknown connector '{connector_id}' in EVSE '{evse.uid}'"
        )
    return connector


def propagate(parent: Location | Evse, moment: datetime) -> None:
    """Carry a child's newer last_updated up to its parent (OCPI 2.2.1 §8.3.1.1)."""
    if moment > parent.last_updated:
        parent.last_updated = moment
        parent.data = {**parent.data, "last_updated": ocpi_timestamp(moment)}


# --- locations -----------------------------------------------------------------------


def apply_location(location: Location, raw: dict, data: dict, partial: bool) -> None:
    """Write a Location's own fields (not its EVSEs)."""
    set_columns(location, LOCATION_COLUMNS, data, partial)
    if not partial or "publish" in data:
        location.publish = data.get("publish") is not False
    if "coordinates" in data:
        point = data["coordinates"]
        location.geom = WKTElement(f"POINT({point['longitude']} {point['latitude']})", srid=4326)
    if "last_updated" in data:
        location.last_updated = data["last_updated"]
    location.data = merged(location.data, raw, "evses") if partial else without(raw, "evses")


def put_location(
    party: Party, location_id: str, raw: dict, data: dict, warnings: list[str]
) -> Outcome:
    """Create or replace a Location with its EVSEs and connectors."""
    same_id("id", data.get("id"), location_id)
    location = find_location(party, location_id, lock=True)
    if location is not None and stale(data["last_updated"], location.last_updated):
        return Outcome.STALE
    outcome = Outcome.UPDATED
    if location is None:
        outcome = Outcome.CREATED
        location = Location(
            party_fk=party.id,
            country_code=party.country_code,
            party_id=party.party_id,
            location_id=location_id,
            data={},
        )
        db.session.add(location)
    apply_location(location, raw, data, partial=False)
    location.warnings = warnings
    if "evses" in data:  # absent: the CPO PUTs a shell and then each EVSE
        replace_evses(location, raw.get("evses") or [], data["evses"] or [])
    db.session.flush()
    matching.match([location.id])
    return outcome


def replace_evses(location: Location, raws: list[dict], evses: list[dict]) -> None:
    """Make the location's EVSEs those of a full PUT; EVSEs left out become REMOVED.

    They are kept rather than deleted because other data refers to them and a REMOVED
    EVSE stays visible to the CPO's GET (OCPI: EVSEs are never deleted).
    """
    kept = set()
    for position, (raw, data) in enumerate(zip(raws, evses, strict=True)):
        evse = find_evse(location, data["uid"])
        if evse is None:
            evse = Evse(uid=data["uid"], data={})
            location.evses.append(evse)
        apply_evse(evse, raw, data, partial=False)
        evse.position = position
        kept.add(id(evse))
    for evse in location.evses:
        if id(evse) not in kept and evse.status != "REMOVED":
            evse.status = "REMOVED"
            evse.status_updated_at = evse.last_updated = location.last_updated
            evse.data = {
                **evse.data,
                "status": "REMOVED",
                "last_updated": ocpi_timestamp(location.last_updated),
            }


def patch_location(party: Party, location_id: str, raw: dict, data: dict) -> Outcome:
    """Merge a partial Location update; EVSEs inside it are merged by uid."""
    same_id("id", data.get("id"), location_id)
    location = require_location(party, location_id, lock=True)
    if stale(data["last_updated"], location.last_updated):
        return Outcome.STALE
    apply_location(location, raw, data, partial=True)
    for raw_evse, evse_data in zip(raw.get("evses") or [], data.get("evses") or [], strict=True):
        evse = require_evse(location, evse_data["uid"])
        if not stale(evse_data.get("last_updated", data["last_updated"]), evse.last_updated):
            apply_evse(evse, raw_evse, evse_data, partial=True)
    if {"id", "coordinates", "evses"} & data.keys():
        matching.match([location.id])
    db.session.flush()
    return Outcome.UPDATED


# --- EVSEs ---------------------------------------------------------------------------


def apply_evse(evse: Evse, raw: dict, data: dict, partial: bool) -> None:
    """Write an EVSE's fields; a full EVSE also replaces its connectors."""
    moment = data.get("last_updated", evse.last_updated)
    if not partial or "evse_id" in data:
        evse.evse_id = data.get("evse_id")
    if "status" in data:
        evse.status = data["status"]
        evse.status_updated_at = moment
    if moment is not None:
        evse.last_updated = moment
    evse.data = merged(evse.data, raw, "connectors") if partial else without(raw, "connectors")
    if not partial or "connectors" in data:
        merge_connectors(
            evse, raw.get("connectors") or [], data.get("connectors") or [], partial=partial
        )


def put_evse(party: Party, location_id: str, evse_uid: str, raw: dict, data: dict) -> Outcome:
    """Create or replace one EVSE of a known location."""
    same_id("uid", data.get("uid"), evse_uid)
    location = require_location(party, location_id, lock=True)
    evse = find_evse(location, evse_uid)
    if evse is not None and stale(data["last_updated"], evse.last_updated):
        return Outcome.STALE
    outcome = Outcome.UPDATED
    if evse is None:
        outcome = Outcome.CREATED
        evse = Evse(uid=evse_uid, data={}, position=len(location.evses))
        location.evses.append(evse)
    apply_evse(evse, raw, data, partial=False)
    propagate(location, evse.last_updated)
    matching.match([location.id])
    return outcome


# The status PATCH is most of the traffic (SPEC §9): done in two SQL statements instead
# of loading the location and its EVSEs into the ORM. A PATCH that changes the
# connectors or the EVSE-ID (which re-matches the charge point) takes the general path.
LOCK_EVSE = text("""
SELECT l.id AS location_pk, e.id AS evse_pk, e.last_updated AS evse_updated
FROM locations l
LEFT JOIN evses e ON e.location_fk = l.id AND lower(e.uid) = lower(:uid)
WHERE l.party_fk = :party AND lower(l.location_id) = lower(:location_id)
FOR UPDATE OF l
""")
APPLY_EVSE_PATCH = text("""
WITH evse AS (
    UPDATE evses SET
        data = (data || CAST(:fields AS jsonb)) - CAST(:cleared AS text[]),
        status = COALESCE(CAST(:status AS text), status),
        status_updated_at = CASE WHEN CAST(:status AS text) IS NULL THEN status_updated_at
                                 ELSE :moment END,
        last_updated = :moment, updated_at = now()
    WHERE id = :evse_pk
)
UPDATE locations SET last_updated = :moment, updated_at = now(),
    data = jsonb_set(data, '{last_updated}', to_jsonb(CAST(:stamp AS text)))
WHERE id = :location_pk AND last_updated < :moment
""")


def patch_evse_fields(
    party: Party, location_id: str, evse_uid: str, raw: dict, data: dict
) -> Outcome:
    """Apply a PATCH of an EVSE's own fields (status above all) with two statements."""
    found = db.session.execute(
        LOCK_EVSE, {"party": party.id, "location_id": location_id, "uid": evse_uid}
    ).first()
    if found is None:
        raise OcpiError(404, UNKNOWN_LOCATION, f"Unknown location '{location_id}'")
    if found.evse_pk is None:
        raise OcpiError(
            404, UNKNOWN_LOCATION, f"Unknown EVSE '{evse_uid}' in location '{location_id}'"
        )
    moment = data["last_updated"]
    if stale(moment, found.evse_updated):
        return Outcome.STALE
    db.session.execute(
        APPLY_EVSE_PATCH,
        {
            "fields": json.dumps({k: v for k, v in raw.items() if v is not None}),
            "cleared": [k for k, v in raw.items() if v is None],
            "status": data.get("status"),
            "moment": moment,
            "stamp": ocpi_timestamp(moment),
            "evse_pk": found.evse_pk,
            "location_pk": found.location_pk,
        },
    )
    return Outcome.UPDATED


def patch_evse(party: Party, location_id: str, evse_uid: str, raw: dict, data: dict) -> Outcome:
    """Merge a partial EVSE update (most often a status change) unless it is older."""
    same_id("uid", data.get("uid"), evse_uid)
    if not {"connectors", "evse_id"} & data.keys():
        return patch_evse_fields(party, location_id, evse_uid, raw, data)
    location = require_location(party, location_id, lock=True)
    evse = require_evse(location, evse_uid)
    if stale(data["last_updated"], evse.last_updated):
        return Outcome.STALE
    apply_evse(evse, raw, data, partial=True)
    propagate(location, evse.last_updated)
    if "evse_id" in data:
        matching.match([location.id])
    db.session.flush()
    return Outcome.UPDATED


# --- connectors ----------------------------------------------------------------------


def apply_connector(connector: Connector, raw: dict, data: dict, partial: bool) -> None:
    """Write a connector's fields."""
    set_columns(connector, CONNECTOR_COLUMNS, data, partial)
    if not partial or "tariff_ids" in data:
        connector.tariff_ids = list(data.get("tariff_ids") or [])
    if "last_updated" in data:
        connector.last_updated = data["last_updated"]
    connector.data = merged(connector.data, raw) if partial else without(raw)


def merge_connectors(evse: Evse, raws: list[dict], connectors: list[dict], partial: bool) -> None:
    """Apply connectors by id; a full EVSE drops the connectors it no longer lists."""
    listed = set()
    for position, (raw, data) in enumerate(zip(raws, connectors, strict=True)):
        connector = next(
            (c for c in evse.connectors if c.connector_id.lower() == data["id"].lower()), None
        )
        if connector is None:
            if partial and not {"standard", "last_updated"} <= data.keys():
                raise OcpiError(
                    400,
                    INVALID_PARAMETERS,
                    f"connectors: unknown connector '{data['id']}': PUT it first",
                )
            connector = Connector(connector_id=data["id"], data={})
            evse.connectors.append(connector)
        apply_connector(connector, raw, data, partial)
        if not partial:
            connector.position = position
        listed.add(id(connector))
    if not partial:
        for connector in [c for c in evse.connectors if id(c) not in listed]:
            evse.connectors.remove(connector)


def put_connector(
    party: Party, location_id: str, evse_uid: str, connector_id: str, raw: dict, data: dict
) -> Outcome:
    """Create or replace one connector of a known EVSE."""
    same_id("id", data.get("id"), connector_id)
    location = require_location(party, location_id, lock=True)
    evse = require_evse(location, evse_uid)
    connector = next(
        (c for c in evse.connectors if c.connector_id.lower() == connector_id.lower()), None
    )
    if connector is not None and stale(data["last_updated"], connector.last_updated):
        return Outcome.STALE
    outcome = Outcome.UPDATED
    if connector is None:
        outcome = Outcome.CREATED
        connector = Connector(connector_id=connector_id, data={}, position=len(evse.connectors))
        evse.connectors.append(connector)
    apply_connector(connector, raw, data, partial=False)
    propagate(evse, connector.last_updated)
    propagate(location, connector.last_updated)
    db.session.flush()
    return outcome


def patch_connector(
    party: Party, location_id: str, evse_uid: str, connector_id: str, raw: dict, data: dict
) -> Outcome:
    """Merge a partial connector update (e.g. new tariff_ids) unless it is older."""
    same_id("id", data.get("id"), connector_id)
    location = require_location(party, location_id, lock=True)
    evse = require_evse(location, evse_uid)
    connector = require_connector(evse, connector_id)
    if stale(data["last_updated"], connector.last_updated):
        return Outcome.STALE
    apply_connector(connector, raw, data, partial=True)
    propagate(evse, connector.last_updated)
    propagate(location, connector.last_updated)
    db.session.flush()
    return Outcome.UPDATED


# --- reading back --------------------------------------------------------------------


def location_document(location: Location) -> dict:
    """Return a Location as the CPO pushed it, with its EVSEs and connectors."""
    return {**location.data, "evses": [evse_document(e) for e in location.evses]}


def evse_document(evse: Evse) -> dict:
    """Return an EVSE as pushed, with its connectors."""
    return {**evse.data, "connectors": [dict(c.data) for c in evse.connectors]}
