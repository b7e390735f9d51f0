"""Apply CPO pushes to locations, EVSEs and connectors (SPEC §3, locations).

Services flush; the view commits once. Rows are locked parent first (location, then
EVSE) so concurrent pushes to one location queue up instead of deadlocking, and the
`last_updated` rule is judged against what the previous push committed.
"""

from sgv.core.dataversion import DYNAMIC, STATIC, touch
from sgv.core.refusals import Kind, Refused
from sgv.core.times import utc_text
from sgv.extensions import db
from sgv.ingest import matching, parking
from sgv.ingest.fast import create_location, fits_one_statement, patch_evse_fields
from sgv.ingest.lookup import (
    find_connector,
    find_evse,
    require_connector,
    require_evse,
    require_location,
)
from sgv.ingest.rules import (  # noqa: F401  (Outcome, same_id: part of this module's API)
    CONNECTOR_COLUMNS,
    LOCATION_COLUMNS,
    Outcome,
    connector_row,
    distinct_children,
    evse_row,
    location_row,
    merged,
    parking_ids,
    point,
    propagate,
    same_id,
    set_columns,
    stale,
    without,
)
from sgv.models import Connector, Evse, Location, Party

# --- locations -----------------------------------------------------------------------


def assign(obj: object, values: dict, *keep: str) -> None:
    """Set an ORM object's columns from a row of values, leaving `keep` as stored."""
    for column, value in values.items():
        if column not in keep:
            setattr(obj, column, value)


def apply_location(location: Location, raw: dict, data: dict, partial: bool) -> None:
    """Write a Location's own fields (not its EVSEs)."""
    published = location.publish
    if not partial:
        assign(location, location_row(raw, data))
    else:
        set_columns(location, LOCATION_COLUMNS, data, partial)
        if "publish" in data:
            location.publish = data.get("publish") is not False
        if "coordinates" in data:
            location.geom = point(data)
        if "last_updated" in data:
            location.last_updated = data["last_updated"]
        location.data = merged(location.data, raw, "evses")
    if location.publish != published:
        touch(STATIC, DYNAMIC)  # shown or hidden: the map follows at once, not throttled


def put_location(
    party: Party, location_id: str, raw: dict, data: dict, warnings: list[str]
) -> Outcome:
    """Create or replace a Location with its EVSEs and connectors."""
    same_id("id", data.get("id"), location_id)
    distinct_children(data)
    created = create_location(party, location_id, raw, data, warnings)
    if created is not None:
        return created
    location = require_location(party, location_id, lock=True)
    if stale(data["last_updated"], location.last_updated):
        return Outcome.STALE
    apply_location(location, raw, data, partial=False)
    location.warnings = warnings
    if "evses" in data:  # absent: the CPO PUTs a shell and then each EVSE
        replace_evses(location, raw.get("evses") or [], data["evses"] or [])
    db.session.flush()
    parking.store(location.id, location_id, data, partial=False)
    matching.match([location.id])
    touch(DYNAMIC)
    return Outcome.UPDATED


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
                "last_updated": utc_text(location.last_updated),
            }


def patch_location(party: Party, location_id: str, raw: dict, data: dict) -> Outcome:
    """Merge a partial Location update; EVSEs inside it are merged by uid."""
    same_id("id", data.get("id"), location_id)
    distinct_children(data)
    location = require_location(party, location_id, lock=True)
    if stale(data["last_updated"], location.last_updated):
        return Outcome.STALE
    apply_location(location, raw, data, partial=True)
    for raw_evse, evse_data in zip(raw.get("evses") or [], data.get("evses") or [], strict=True):
        evse = require_evse(location, evse_data["uid"])
        if not stale(evse_data.get("last_updated", data["last_updated"]), evse.last_updated):
            apply_evse(evse, raw_evse, evse_data, partial=True)
    parking.store(location.id, location_id, data, partial=True)
    if {"id", "coordinates", "evses"} & data.keys():
        matching.match([location.id])
    db.session.flush()
    touch(DYNAMIC)
    return Outcome.UPDATED


# --- EVSEs ---------------------------------------------------------------------------


def apply_evse(evse: Evse, raw: dict, data: dict, partial: bool) -> None:
    """Write an EVSE's fields; a full EVSE also replaces its connectors."""
    if not partial:
        assign(evse, evse_row(raw, data), "uid")
    else:
        if "evse_id" in data:
            evse.evse_id = data.get("evse_id")
        if "parking" in data:
            evse.parking_ids = parking_ids(data)
        if "status" in data:
            evse.status = data["status"]
            evse.status_updated_at = data["last_updated"]
        evse.last_updated = data.get("last_updated", evse.last_updated)
        evse.data = merged(evse.data, raw, "connectors")
    if not partial or "connectors" in data:
        merge_connectors(
            evse, raw.get("connectors") or [], data.get("connectors") or [], partial=partial
        )


def put_evse(party: Party, location_id: str, evse_uid: str, raw: dict, data: dict) -> Outcome:
    """Create or replace one EVSE of a known location."""
    same_id("uid", data.get("uid"), evse_uid)
    distinct_children(data)
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
    if data.get("parking"):
        parking.check(location.id, location_id)
    matching.match([location.id])
    touch(DYNAMIC)
    return outcome


def patch_evse(party: Party, location_id: str, evse_uid: str, raw: dict, data: dict) -> Outcome:
    """Merge a partial EVSE update (most often a status change) unless it is older."""
    same_id("uid", data.get("uid"), evse_uid)
    distinct_children(data)
    if fits_one_statement(raw):
        return patch_evse_fields(party, location_id, evse_uid, raw, data)
    location = require_location(party, location_id, lock=True)
    evse = require_evse(location, evse_uid)
    if stale(data["last_updated"], evse.last_updated):
        return Outcome.STALE
    apply_evse(evse, raw, data, partial=True)
    propagate(location, evse.last_updated)
    if data.get("parking"):
        parking.check(location.id, location_id)
    if "evse_id" in data:
        matching.match([location.id])
    db.session.flush()
    touch(DYNAMIC)
    return Outcome.UPDATED


# --- connectors ----------------------------------------------------------------------


def apply_connector(connector: Connector, raw: dict, data: dict, partial: bool) -> None:
    """Write a connector's fields."""
    if not partial:
        assign(connector, connector_row(raw, data), "connector_id")
        return
    set_columns(connector, CONNECTOR_COLUMNS, data, partial)
    if "tariff_ids" in data:
        connector.tariff_ids = list(data.get("tariff_ids") or [])
    if "last_updated" in data:
        connector.last_updated = data["last_updated"]
    connector.data = merged(connector.data, raw)


def merge_connectors(evse: Evse, raws: list[dict], connectors: list[dict], partial: bool) -> None:
    """Apply connectors by id; a full EVSE drops the connectors it no longer lists."""
    listed = set()
    for position, (raw, data) in enumerate(zip(raws, connectors, strict=True)):
        connector = find_connector(evse, data["id"])
        if connector is None:
            if partial and not {"standard", "last_updated"} <= data.keys():
                raise Refused(
                    Kind.INVALID,
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
    connector = find_connector(evse, connector_id)
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
    touch(DYNAMIC)
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
    touch(DYNAMIC)
    return Outcome.UPDATED


# --- reading back --------------------------------------------------------------------


def location_document(location: Location) -> dict:
    """Return a Location as the CPO pushed it, with its EVSEs and connectors."""
    return {**location.data, "evses": [evse_document(e) for e in location.evses]}


def evse_document(evse: Evse) -> dict:
    """Return an EVSE as pushed, with its connectors."""
    return {**evse.data, "connectors": [dict(c.data) for c in evse.connectors]}
