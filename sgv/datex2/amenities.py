"""What OCPI 2.3.0 adds to a site, in the DATEX II table (issue #16 → #17).

The help phone of the CPO's locations at the site is the facility's `afac:helpdesk`, and
the vehicle types its parking places take are its `afac:applicableForVehicles` — a truck
driver's first question. Both come from the public door (sgv/public/amenities.py): a
hidden CPO's are absent. A site without 2.3.0 data gets neither.
"""

from lxml import etree

from sgv.datex2.xml import multilingual, sub
from sgv.public import Installation

# OCPI 2.3.0 VehicleType → com:VehicleTypeEnum. DISABLED (a parking place for disabled
# drivers) is no vehicle type: DATEX II says it elsewhere, and SGV does not publish it.
VEHICLE_TYPES = {
    "MOTORCYCLE": "motorcycle",
    "PERSONAL_VEHICLE": "passengerCar",
    "PERSONAL_VEHICLE_WITH_TRAILER": "carWithTrailer",
    "VAN": "van",
    "SEMI_TRACTOR": "articulatedVehicle",
    "RIGID": "lorry",
    "TRUCK_WITH_TRAILER": "heavyGoodsVehicleWithTrailer",
    "BUS": "bus",
}


def helpdesk(root: etree._Element, site: Installation) -> None:
    """Append the site's help phone (the first, if the CPO gives several) as its helpdesk."""
    phones = site.amenities.help_phones
    if not phones:
        return
    found = sub(root, "afac:helpdesk", xsi_type="afac:AnOrganisation")
    multilingual(found, "afac:name", f"{site.operator_name or site.party_id}: ayuda")
    contact = sub(sub(found, "afac:organisationUnit"), "afac:contactInformation")
    sub(contact, "afac:telephoneNumber", phones[0])


def vehicles(root: etree._Element, site: Installation) -> None:
    """Append the vehicle types the site's parking places take, in the order first met."""
    kinds = [
        VEHICLE_TYPES[kind]
        for place in site.amenities.parking
        for kind in place.vehicle_types
        if kind in VEHICLE_TYPES
    ]
    if kinds:
        found = sub(root, "afac:applicableForVehicles")
        for kind in dict.fromkeys(kinds):
            sub(found, "com:vehicleType", kind)
