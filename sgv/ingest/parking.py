"""A Location's parking places (OCPI 2.3.0 Parking) and its EVSEs' references to them.

A push that carries `parking_places` replaces the location's rows (a full Location PUT
always does: what it leaves out is gone). Every EVSE that is not REMOVED must name
parking places of its own location: `EVSE.parking[].parking_id` resolves within the
Location (OCPI 2.3.0), else the push is refused (2001) and, rolled back, changes nothing.
Older versions' data never holds these fields (sgv/ocpi/schemas/v221.py, Wire).
"""

from decimal import Decimal

from sqlalchemy import delete, insert, text

from sgv.core.refusals import Kind, Refused
from sgv.extensions import db
from sgv.ingest.rules import unique_ids
from sgv.models import ParkingPlace

# The vehicle types that make a parking place "suitable for trucks" (heavy-duty: UNECE
# N2/N3, with or without trailer) and "for vans" (N1), as SGV publishes them.
TRUCK_TYPES = frozenset({"SEMI_TRACTOR", "RIGID", "TRUCK_WITH_TRAILER"})
VAN_TYPES = frozenset({"VAN"})

UNRESOLVED = text("""
SELECT e.uid, ref,
       (SELECT string_agg(pp.parking_id, ', ' ORDER BY pp.position) FROM parking_places pp
        WHERE pp.location_fk = e.location_fk) AS known
FROM evses e CROSS JOIN LATERAL unnest(e.parking_ids) AS ref
WHERE e.location_fk = :location AND e.status <> 'REMOVED'
  AND NOT EXISTS (SELECT 1 FROM parking_places pp
                  WHERE pp.location_fk = e.location_fk AND lower(pp.parking_id) = lower(ref))
ORDER BY e.position, e.id
LIMIT 1
""")


def row(location_pk: int, position: int, place: dict) -> dict:
    """Return the columns of one parking place (validated 2.3.0 Parking data)."""
    types = list(place.get("vehicle_types") or [])
    return {
        "location_fk": location_pk,
        "parking_id": place["id"],
        "position": position,
        "vehicle_types": types,
        "trucks": bool(TRUCK_TYPES & set(types)),
        "vans": bool(VAN_TYPES & set(types)),
        "reservation_required": place.get("reservation_required") is True,
        "restricted_to_type": place.get("restricted_to_type") is True,
        "max_vehicle_weight": place.get("max_vehicle_weight"),
        "max_vehicle_height": place.get("max_vehicle_height"),
        "max_vehicle_length": place.get("max_vehicle_length"),
        "drive_through": place.get("drive_through"),
        "data": _json(place),
    }


def _json(value: object) -> object:
    """Return validated data as JSON values (numbers were read as Decimal)."""
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_json(v) for v in value]
    return float(value) if isinstance(value, Decimal) else value


def replace(location_pk: int, places: list[dict], *, new: bool = False) -> bool:
    """Make the location's parking places those of `places`; say whether any changed."""
    unique_ids("parking_places", "id", places)
    removed = 0
    if not new:
        where = ParkingPlace.location_fk == location_pk
        removed = db.session.execute(delete(ParkingPlace).where(where)).rowcount
    if places:
        rows = [row(location_pk, i, place) for i, place in enumerate(places)]
        db.session.execute(insert(ParkingPlace), rows)
    return bool(removed or places)


def check(location_pk: int, location_id: str) -> None:
    """Refuse (2001) when an EVSE of the location names a parking place it does not have."""
    db.session.flush()
    found = db.session.execute(UNRESOLVED, {"location": location_pk}).first()
    if found is not None:
        raise Refused(
            Kind.INVALID,
            f"evses {found.uid} parking: parking_id '{found.ref}' is not the id of a "
            f"parking place of location '{location_id}' "
            f"(its parking_places: {found.known or 'none'})",
        )


def store(
    location_pk: int, location_id: str, data: dict, *, partial: bool, new: bool = False
) -> None:
    """Follow a Location push: replace its parking places if it carries them (a full
    PUT always does), then check its EVSEs' references when anything could have moved.

    A 2.2.1 location without parking costs one DELETE that finds nothing, no check."""
    changed = False
    if not partial or "parking_places" in data:
        changed = replace(location_pk, data.get("parking_places") or [], new=new)
    if changed or any(evse.get("parking") for evse in data.get("evses") or []):
        check(location_pk, location_id)
