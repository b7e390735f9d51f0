"""Apply CPO pushes to locations, EVSEs and connectors (SPEC §3, locations).

Services flush; the view commits once. Rows are locked parent first (location, then
EVSE) so concurrent pushes to one location queue up instead of deadlocking, and the
`last_updated` rule is judged against what the previous push committed.
"""

from sgv.core.dataversion import DYNAMIC, STATIC, touch
from sgv.core.times import utc_text
from sgv.extensions import db
from sgv.ingest import matching, parking
from sgv.ingest.connectors import (  # noqa: F401  (part of this module's API)
    merge_connectors,
    patch_connector,
    put_connector,
)
from sgv.ingest.fast import create_location, fits_one_statement, patch_evse_fields
from sgv.ingest.lookup import find_evse, require_evse, require_location
from sgv.ingest.notes import note
from sgv.ingest.rules import (  # noqa: F401  (Outcome, same_id: part of this module's API)
    LOCATION_COLUMNS,
    Outcome,
    assign,
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
from sgv.models import Evse, Location, Party

# --- locations -----------------------------------------------------------------------


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


def patch_location(
    party: Party, location_id: str, raw: dict, data: dict, warnings: list[str]
) -> Outcome:
    """Merge a partial Location update; EVSEs inside it are merged by uid.

    As a PATCH of each EVSE it names (OCPI is silent: ocpi/ocpi#285, #540): an unknown
    uid is not created (PUT creates) and is added to `warnings`; the rest applies.
    """
    same_id("id", data.get("id"), location_id)
    distinct_children(data)
    location = require_location(party, location_id, lock=True)
    if stale(data["last_updated"], location.last_updated):
        return Outcome.STALE
    apply_location(location, raw, data, partial=True)
    for raw_evse, evse_data in zip(raw.get("evses") or [], data.get("evses") or [], strict=True):
        evse, uid = find_evse(location, evse_data["uid"]), evse_data["uid"]
        if evse is None:
            warnings.append(f"evses[{uid}]: unknown EVSE, not applied (PUT it first)")
            continue
        note(location, [], prefix=f"evses[{uid}].", names=evse_data)
        if not stale(evse_data.get("last_updated", data["last_updated"]), evse.last_updated):
            apply_evse(evse, raw_evse, evse_data, partial=True)
    parking.store(location.id, location_id, data, partial=True)
    note(location, warnings, names=[k for k in data if k != "evses"])
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


def put_evse(
    party: Party, location_id: str, evse_uid: str, raw: dict, data: dict, warnings: list[str]
) -> Outcome:
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
    note(location, warnings, prefix=f"evses[{evse_uid}].")
    propagate(location, evse.last_updated)
    if data.get("parking"):
        parking.check(location.id, location_id)
    matching.match([location.id])
    touch(DYNAMIC)
    return outcome


def patch_evse(
    party: Party, location_id: str, evse_uid: str, raw: dict, data: dict, warnings: list[str]
) -> Outcome:
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
    note(location, warnings, prefix=f"evses[{evse_uid}].", names=data)
    propagate(location, evse.last_updated)
    if data.get("parking"):
        parking.check(location.id, location_id)
    if "evse_id" in data:
        matching.match([location.id])
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
