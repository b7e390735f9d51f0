"""OCPI 2.1.1 objects, as differences from 2.2.1, normalised to the 2.2.1 shape.

Each post_load adds the 2.2.1 key next to the 2.1.1 one, so callers read one shape.
2.2.1-only fields a 2.1.1 CPO sends anyway (vat, type, publish, …) are validated as in
2.2.1 rather than kept unchecked: callers read them with their 2.2.1 meaning.
"""

from typing import Any

from marshmallow import post_load

from sgv.ocpi.schemas import v221
from sgv.ocpi.schemas.enums import ENVIRONMENTAL_IMPACTS, LOCATION_TYPES, PARKING_TYPES
from sgv.ocpi.schemas.values import (
    ID,
    URL,
    Boolean,
    Lenient,
    chars,
    credentials_token,
    integer,
    many,
    one,
)


class EnvironmentalImpact(v221.EnvironmentalImpact):
    source = Lenient(ENVIRONMENTAL_IMPACTS, required=True)  # 2.2 renamed it `category`
    category = Lenient(ENVIRONMENTAL_IMPACTS)

    @post_load
    def _category(self, data: dict, **kwargs: Any) -> dict:
        """Copy `source` to 2.2.1's `category`."""
        data["category"] = data["source"]
        return data


class EnergyMix(v221.EnergyMix):
    environ_impact = many(EnvironmentalImpact)


class Hours(v221.Hours):
    twentyfourseven = Boolean()  # 2.1.1: a choice of regular_hours or twentyfourseven

    @post_load
    def _always_open_flag(self, data: dict, **kwargs: Any) -> dict:
        """Give the flag 2.2.1 requires: absent means regular hours were given."""
        if data.get("twentyfourseven") is None:
            data["twentyfourseven"] = False
        return data


class Connector(v221.Connector):
    voltage = integer(required=True, within="voltage")
    amperage = integer(required=True, within="amperage")
    max_voltage = integer(within="voltage")
    max_amperage = integer(within="amperage")
    tariff_id = chars(ID)

    @post_load
    def _as_221(self, data: dict, **kwargs: Any) -> dict:
        """Add max_voltage, max_amperage and tariff_ids from their 2.1.1 names."""
        if "voltage" in data:
            data["max_voltage"] = data["voltage"]
        if "amperage" in data:
            data["max_amperage"] = data["amperage"]
        if "tariff_id" in data:
            data["tariff_ids"] = [] if data["tariff_id"] is None else [data["tariff_id"]]
        return data


class Evse(v221.Evse):
    # A planned EVSE may come without connectors: accepted, kept out of public data,
    # and reported to the CPO (SPEC §3, Acceptance; schemas/__init__.py warns).
    connectors = many(Connector, required=True, empty=True)


class Location(v221.Location):
    country_code = chars(2)  # 2.1.1 has no owner fields: the URL names the owner
    party_id = chars(3)
    publish = Boolean()
    type = Lenient(LOCATION_TYPES, required=True)
    postal_code = chars(10, required=True)
    time_zone = chars(255)
    evses = many(Evse)
    opening_times = one(Hours)
    energy_mix = one(EnergyMix)

    @post_load
    def _parking_type(self, data: dict, **kwargs: Any) -> dict:
        """Derive 2.2.1's parking_type from `type`; OTHER and UNKNOWN give none."""
        if "type" in data and "parking_type" not in data:
            data["parking_type"] = data["type"] if data["type"] in PARKING_TYPES else None
        return data


class Tariff(v221.Tariff):
    country_code = chars(2)
    party_id = chars(3)
    energy_mix = one(EnergyMix)


class Credentials(v221.Wire):
    """2.1.1 credentials: one flat party instead of a list of roles."""

    token = credentials_token()
    url = chars(URL, required=True)
    business_details = one(v221.BusinessDetails, required=True)
    party_id = chars(3, required=True)
    country_code = chars(2, required=True)

    @post_load
    def _roles(self, data: dict, **kwargs: Any) -> dict:
        """Express the flat party as 2.2.1's single role, a CPO."""
        role_fields = ("party_id", "country_code", "business_details")
        data["roles"] = [{"role": "CPO", **{key: data[key] for key in role_fields}}]
        return data
