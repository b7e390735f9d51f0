"""Apply CPO pushes to connectors, alone or inside their EVSE (SPEC §3, locations).

Services flush; the view commits once. Rows are locked parent first (location, then
EVSE), as in locations.py.
"""

from sgv.core.dataversion import DYNAMIC, touch
from sgv.core.refusals import Kind, Refused
from sgv.extensions import db
from sgv.ingest.lookup import find_connector, require_connector, require_evse, require_location
from sgv.ingest.notes import note
from sgv.ingest.rules import (
    CONNECTOR_COLUMNS,
    Outcome,
    assign,
    connector_row,
    merged,
    propagate,
    same_id,
    set_columns,
    stale,
)
from sgv.models import Connector, Evse, Party

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


def _stored(location, evse, connector: Connector) -> None:
    """Carry a changed connector's time up to its EVSE and location; bump the live data."""
    propagate(evse, connector.last_updated)
    propagate(location, connector.last_updated)
    db.session.flush()
    touch(DYNAMIC)


def put_connector(
    party: Party,
    location_id: str,
    evse_uid: str,
    connector_id: str,
    raw: dict,
    data: dict,
    warnings: list[str],
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
    note(location, warnings, prefix=f"evses[{evse_uid}].connectors[{connector_id}].")
    _stored(location, evse, connector)
    return outcome


def patch_connector(
    party: Party,
    location_id: str,
    evse_uid: str,
    connector_id: str,
    raw: dict,
    data: dict,
    warnings: list[str],
) -> Outcome:
    """Merge a partial connector update (e.g. new tariff_ids) unless it is older."""
    same_id("id", data.get("id"), connector_id)
    location = require_location(party, location_id, lock=True)
    evse = require_evse(location, evse_uid)
    connector = require_connector(evse, connector_id)
    if stale(data["last_updated"], connector.last_updated):
        return Outcome.STALE
    apply_connector(connector, raw, data, partial=True)
    where = f"evses[{evse_uid}].connectors[{connector_id}]."
    note(location, warnings, prefix=where, names=data)
    _stored(location, evse, connector)
    return Outcome.UPDATED
