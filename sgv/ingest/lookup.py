"""Find a CPO's stored location, EVSE or connector by id; refuse one that is unknown."""

from sgv.core.refusals import Kind, Refused
from sgv.ingest.rules import find_owned
from sgv.models import Connector, Evse, Location, Party


def find_location(party: Party, location_id: str, *, lock: bool = False) -> Location | None:
    """Return the party's location with this id (case-insensitive), locked if asked."""
    return find_owned(Location, Location.location_id, party, location_id, lock=lock)


def require_location(party: Party, location_id: str, *, lock: bool = False) -> Location:
    """Return the location or refuse it as unknown (SPEC §3: 404/2003)."""
    location = find_location(party, location_id, lock=lock)
    if location is None:
        raise Refused(Kind.UNKNOWN_LOCATION, f"Unknown location '{location_id}'")
    return location


def find_evse(location: Location, evse_uid: str) -> Evse | None:
    """Return the location's EVSE with this uid (case-insensitive)."""
    return next((e for e in location.evses if e.uid.lower() == evse_uid.lower()), None)


def require_evse(location: Location, evse_uid: str) -> Evse:
    """Return the EVSE or refuse it as unknown (SPEC §3: 404/2003)."""
    evse = find_evse(location, evse_uid)
    if evse is None:
        raise Refused(
            Kind.UNKNOWN_LOCATION,
            f"Unknown EVSE '{evse_uid}' in location '{location.location_id}'",
        )
    return evse


def find_connector(evse: Evse, connector_id: str) -> Connector | None:
    """Return the EVSE's connector with this id (case-insensitive)."""
    return next(
        (c for c in evse.connectors if c.connector_id.lower() == connector_id.lower()), None
    )


def require_connector(evse: Evse, connector_id: str) -> Connector:
    """Return the connector or refuse it as unknown (SPEC §3: 404/2003)."""
    connector = find_connector(evse, connector_id)
    if connector is None:
        raise Refused(
            Kind.UNKNOWN_LOCATION, f"Unknown connector '{connector_id}' in EVSE '{evse.uid}'"
        )
    return connector
