"""What OCPI 2.3.0 tells drivers about a site, where public (issue #16).

The help phone of each public location of the site, and its parking places: the vehicle
types they take (trucks: SEMI_TRACTOR, RIGID or TRUCK_WITH_TRAILER; vans: VAN), whether
a reservation is required, the limits a truck driver checks. Read from the views
`public_locations` and `public_parking` (sgv/public/rules.py), so a hidden CPO's data
never shows; a site without 2.3.0 data has no amenities (everything false or empty).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa

from sgv.extensions import db
from sgv.public.rules import public_locations, public_parking


@dataclass(frozen=True)
class Parking:
    """One public parking place, as drivers are told of it."""

    vehicle_types: tuple[str, ...]
    trucks: bool
    vans: bool
    reservation_required: bool
    max_vehicle_weight: Decimal | None  # kg
    max_vehicle_height: Decimal | None  # cm
    max_vehicle_length: Decimal | None  # cm
    drive_through: bool | None


@dataclass(frozen=True)
class Amenities:
    """A site's help phones and parking places (OCPI 2.3.0), from its public locations."""

    help_phones: tuple[str, ...] = ()
    parking: tuple[Parking, ...] = ()

    @property
    def trucks(self) -> bool:
        """Say whether a parking place takes trucks."""
        return any(p.trucks for p in self.parking)

    @property
    def vans(self) -> bool:
        """Say whether a parking place takes vans."""
        return any(p.vans for p in self.parking)

    @property
    def reservation_required(self) -> bool:
        """Say whether parking needs a reservation: every place of the site requires one."""
        return bool(self.parking) and all(p.reservation_required for p in self.parking)


NONE = Amenities()


def amenities(installation_ids: Iterable[str]) -> dict[str, Amenities]:
    """Return the amenities of the sites that have any, by installation id."""
    ids = list(installation_ids)
    if not ids:
        return {}
    loc, park = public_locations.c, public_parking.c
    phones: dict[str, list[str]] = {}
    rows = db.session.execute(
        sa.select(loc.installation_id, loc.help_phone)
        .where(loc.installation_id.in_(ids), loc.help_phone.is_not(None))
        .order_by(loc.installation_id, loc.location_pk)
    )
    for row in rows:
        found = phones.setdefault(row.installation_id, [])
        if row.help_phone not in found:
            found.append(row.help_phone)
    places: dict[str, list[Parking]] = {}
    rows = db.session.execute(
        sa.select(public_parking)
        .where(park.installation_id.in_(ids))
        .order_by(park.installation_id, park.location_pk, park.position)
    )
    for row in rows:
        places.setdefault(row.installation_id, []).append(
            Parking(
                tuple(row.vehicle_types),
                row.trucks,
                row.vans,
                row.reservation_required,
                row.max_vehicle_weight,
                row.max_vehicle_height,
                row.max_vehicle_length,
                row.drive_through,
            )
        )
    return {
        site: Amenities(tuple(phones.get(site, ())), tuple(places.get(site, ())))
        for site in set(phones) | set(places)
    }
