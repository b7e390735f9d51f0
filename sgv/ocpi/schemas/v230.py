"""OCPI 2.3.0 objects, as differences from 2.2.1 (issue #16; the AFIR additions).

Locations gain parking places (Parking, linked from EVSE.parking), the help phone, the
eMSPs an EVSE accepts and the connector's capabilities (Plug & Charge); tariffs say
whether their prices include taxes (`tax_included`), and their limits are PriceLimits.
What they mean for SGV's public figures is sgv/public/taxes.py.
"""

from typing import Any

from marshmallow import ValidationError, fields, post_load, pre_load, validate

from sgv.ocpi.schemas import v221
from sgv.ocpi.schemas.enums import (
    CONNECTOR_CAPABILITIES,
    EVSE_POSITIONS,
    PARKING_DIRECTIONS,
    PARKING_RESTRICTIONS_230,
    ROLES_230,
    TAX_INCLUDED,
    VEHICLE_TYPES,
)
from sgv.ocpi.schemas.values import ID, URL, Boolean, Lenient, chars, many, number, one

# --- locations -------------------------------------------------------------------------


class Parking(v221.Wire):
    id = chars(ID, required=True)  # CiString(36) in OCPI; SGV's id limit (SPEC §3)
    physical_reference = chars(12)
    vehicle_types = many(Lenient(VEHICLE_TYPES, max_length=32), required=True)
    max_vehicle_weight = number(within="vehicle_weight")
    max_vehicle_height = number(within="vehicle_size")
    max_vehicle_length = number(within="vehicle_size")
    max_vehicle_width = number(within="vehicle_size")
    parking_space_length = number(within="vehicle_size")
    parking_space_width = number(within="vehicle_size")
    dangerous_goods_allowed = Boolean()
    direction = Lenient(PARKING_DIRECTIONS, max_length=16)
    drive_through = Boolean()
    restricted_to_type = Boolean(required=True)
    reservation_required = Boolean(required=True)
    time_limit = number(within="time_limit")
    roofed = Boolean()
    images = many(v221.Image)
    lighting = Boolean()
    refrigeration_outlet = Boolean()
    standards = many(chars(36))
    apds_reference = chars(URL)


class EvseParking(v221.Wire):
    parking_id = chars(ID, required=True)
    evse_position = Lenient(EVSE_POSITIONS, max_length=16)


class Connector(v221.Connector):
    capabilities = many(Lenient(CONNECTOR_CAPABILITIES, max_length=64))


class Evse(v221.Evse):
    connectors = many(Connector, required=True, empty=True)
    parking_restrictions = many(Lenient(PARKING_RESTRICTIONS_230))
    parking = many(EvseParking)
    accepted_service_providers = many(chars(50))

    @pre_load
    def _bare_parking_ids(self, data: Any, **kwargs: Any) -> Any:
        """Read a bare parking id as {"parking_id": id}: the v2.3.0 tag's own examples
        write them so (the errata use EVSEParking objects); warnings() reports it."""
        if isinstance(data, dict) and isinstance(data.get("parking"), list):
            parking = [{"parking_id": p} if isinstance(p, str) else p for p in data["parking"]]
            data = {**data, "parking": parking}
        return data


class Location(v221.Location):
    evses = many(Evse)
    parking_places = many(Parking)
    help_phone = chars(25)

    @post_load
    def _distinct_parking(self, data: dict, **kwargs: Any) -> dict:
        """Refuse two parking places with one id: EVSEs name them by it (OCPI MUST)."""
        seen: set[str] = set()
        for index, place in enumerate(data.get("parking_places") or []):
            key = place["id"].lower()
            if key in seen:
                raise ValidationError(
                    f"'{place['id']}' appears twice: a parking place id is unique in its Location",
                    f"parking_places.{index}.id",
                )
            seen.add(key)
        return data


# --- tariffs ---------------------------------------------------------------------------


class PriceLimit(v221.Wire):
    before_taxes = number(required=True, within="price_limit")
    after_taxes = number(within="price_limit")


class Tariff(v221.Tariff):
    min_price = one(PriceLimit)
    max_price = one(PriceLimit)
    preauthorize_amount = number(within="preauthorize")
    # Whether prices include taxes; `vat` absent then means no VAT applies (0 %), not
    # unknown as in 2.2.1. What SGV shows from them: sgv/public/taxes.py.
    tax_included = fields.String(
        required=True,
        validate=validate.OneOf(TAX_INCLUDED, error="Must be one of YES, NO, N/A."),
    )


# --- credentials -----------------------------------------------------------------------


class CredentialsRole(v221.CredentialsRole):
    role = Lenient(ROLES_230, required=True)  # HUB is gone: a hub names hub_party_id


class Credentials(v221.Credentials):
    hub_party_id = chars(5)  # tolerated: SGV talks to CPOs, routed or not
    roles = many(CredentialsRole, required=True)


def warnings(kind: str, body: Any) -> list[str]:
    """Name what a 2.3.0 body writes in a form SGV reads but OCPI does not (bare ids)."""
    evses = [body] if kind == "evse" else body.get("evses") or [] if kind == "location" else []
    found = []
    for i, evse in enumerate(evses if isinstance(evses, list) else []):
        parking = evse.get("parking") if isinstance(evse, dict) else None
        where = "parking" if kind == "evse" else f"evses[{i}].parking"
        for j, item in enumerate(parking if isinstance(parking, list) else []):
            if isinstance(item, str):
                found.append(
                    f'{where}[{j}]: a bare id \'{item}\', read as {{"parking_id": "{item}"}} '
                    "(OCPI 2.3.0 wants an EVSEParking object)"
                )
    return found
