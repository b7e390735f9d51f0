"""OCPI 2.2.1 objects as CPOs push them: locations, tariffs, credentials (also 2.2)."""

from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validates_schema

from sgv.ocpi.schemas.enums import (
    CAPABILITIES,
    CONNECTOR_FORMATS,
    CONNECTOR_TYPES,
    DAYS,
    ENERGY_SOURCES,
    ENVIRONMENTAL_IMPACTS,
    FACILITIES,
    IMAGE_CATEGORIES,
    PARKING_RESTRICTIONS,
    PARKING_TYPES,
    POWER_TYPES,
    RESERVATIONS,
    ROLES,
    TARIFF_DIMENSIONS,
    TARIFF_TYPES,
    TOKEN_TYPES,
)
from sgv.ocpi.schemas.values import (
    ID,
    URL,
    Boolean,
    Coordinate,
    DateTime,
    Lenient,
    chars,
    credentials_token,
    currency_code,
    evse_status,
    integer,
    local_date,
    local_time,
    many,
    number,
    one,
    stamp,
)


class Wire(Schema):
    """An OCPI object: unknown fields are accepted (OCPI 2.3.0 forbids refusing them) and
    kept in the raw object SGV stores, but left out of the loaded data, so a field a
    later version defines (2.3.0's help_phone, tax_included …) means nothing in an older
    version's push (v230.py)."""

    class Meta:
        unknown = EXCLUDE

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        """Let optional fields be null: in a PATCH an explicit null clears the field."""
        field_obj.allow_none = not field_obj.required


# --- shared classes ------------------------------------------------------------------


class DisplayText(Wire):
    language = chars(2, required=True)
    text = chars(512, required=True)


class GeoLocation(Wire):
    latitude = Coordinate(90, required=True)
    longitude = Coordinate(180, required=True)


class AdditionalGeoLocation(GeoLocation):
    name = one(DisplayText)


class Image(Wire):
    url = chars(URL, required=True)
    thumbnail = chars(URL)
    category = Lenient(IMAGE_CATEGORIES, required=True)
    type = chars(4, required=True)
    width = integer(within="pixels")
    height = integer(within="pixels")


class BusinessDetails(Wire):
    name = chars(100, required=True)
    website = chars(URL)
    logo = one(Image)


class EnergySource(Wire):
    source = Lenient(ENERGY_SOURCES, required=True)
    percentage = number(required=True, within="percentage")


class EnvironmentalImpact(Wire):
    category = Lenient(ENVIRONMENTAL_IMPACTS, required=True)
    amount = number(required=True, within="impact")


class EnergyMix(Wire):
    is_green_energy = Boolean(required=True)
    energy_sources = many(EnergySource)
    environ_impact = many(EnvironmentalImpact)
    supplier_name = chars(64)
    energy_product_name = chars(64)


# --- locations -------------------------------------------------------------------------


class PublishToken(Wire):
    uid = chars(ID)
    type = Lenient(TOKEN_TYPES)
    visual_number = chars(64)
    issuer = chars(64)
    group_id = chars(ID)


class RegularHours(Wire):
    weekday = integer(required=True, minimum=1, maximum=7)
    period_begin = local_time(required=True)
    period_end = local_time(required=True)


class ExceptionalPeriod(Wire):
    period_begin = DateTime(required=True)
    period_end = DateTime(required=True)


class Hours(Wire):
    twentyfourseven = Boolean(required=True)
    regular_hours = many(RegularHours)
    exceptional_openings = many(ExceptionalPeriod)
    exceptional_closings = many(ExceptionalPeriod)

    @validates_schema
    def _regular_hours_unless_always_open(self, data: dict, **kwargs: Any) -> None:
        """Require regular_hours when the location is not open 24/7 (OCPI Hours)."""
        if not data.get("twentyfourseven") and not data.get("regular_hours"):
            raise ValidationError("Required when twentyfourseven is not true.", "regular_hours")


class StatusSchedule(Wire):
    period_begin = DateTime(required=True)
    period_end = DateTime()
    status = evse_status(required=True)


class Connector(Wire):
    id = chars(ID, required=True)
    standard = Lenient(CONNECTOR_TYPES, max_length=32, required=True)
    format = Lenient(CONNECTOR_FORMATS, max_length=16, required=True)
    power_type = Lenient(POWER_TYPES, max_length=24, required=True)
    max_voltage = integer(required=True, within="voltage")
    max_amperage = integer(required=True, within="amperage")
    max_electric_power = integer(within="power")
    tariff_ids = many(chars(ID))
    terms_and_conditions = chars(URL)
    last_updated = stamp(required=True)


class Evse(Wire):
    uid = chars(ID, required=True)
    evse_id = chars(48)
    status = evse_status(required=True)
    status_schedule = many(StatusSchedule)
    capabilities = many(Lenient(CAPABILITIES))
    # A planned EVSE may come without connectors: accepted, kept out of public data,
    # and reported to the CPO (SPEC §3, Acceptance; schemas/__init__.py warns).
    connectors = many(Connector, required=True, empty=True)
    floor_level = chars(4)
    coordinates = one(GeoLocation)
    physical_reference = chars(16)
    directions = many(DisplayText)
    parking_restrictions = many(Lenient(PARKING_RESTRICTIONS))
    images = many(Image)
    last_updated = stamp(required=True)


class Location(Wire):
    country_code = chars(2, required=True)
    party_id = chars(3, required=True)
    id = chars(ID, required=True)
    publish = Boolean(required=True)
    publish_allowed_to = many(PublishToken)
    name = chars(255)
    address = chars(255, required=True)  # 45 in the original 2.2.1 text; 255 per erratum
    city = chars(45, required=True)
    postal_code = chars(10)
    state = chars(45)
    country = chars(3, required=True)
    coordinates = one(GeoLocation, required=True)
    related_locations = many(AdditionalGeoLocation)
    parking_type = Lenient(PARKING_TYPES)
    evses = many(Evse)
    directions = many(DisplayText)
    operator = one(BusinessDetails)
    suboperator = one(BusinessDetails)
    owner = one(BusinessDetails)
    facilities = many(Lenient(FACILITIES))
    time_zone = chars(255, required=True)
    opening_times = one(Hours)
    charging_when_closed = Boolean()
    images = many(Image)
    energy_mix = one(EnergyMix)
    last_updated = stamp(required=True)


# --- tariffs ---------------------------------------------------------------------------


class Price(Wire):
    excl_vat = number(required=True, within="session_price")
    incl_vat = number(within="session_price")


class PriceComponent(Wire):
    type = Lenient(TARIFF_DIMENSIONS, required=True)
    price = number(required=True, within="price")  # per unit, excluding VAT
    vat = number(within="vat")  # a percentage; absent means unknown, not 0 % (SPEC §3)
    step_size = integer(required=True, within="step_size")


class TariffRestrictions(Wire):
    start_time = local_time()
    end_time = local_time()
    start_date = local_date()
    end_date = local_date()
    min_kwh = number(within="kwh")
    max_kwh = number(within="kwh")
    min_current = number(within="current")
    max_current = number(within="current")
    min_power = number(within="restricted_power")
    max_power = number(within="restricted_power")
    min_duration = integer(within="duration")
    max_duration = integer(within="duration")
    day_of_week = many(Lenient(DAYS))
    reservation = Lenient(RESERVATIONS)


class TariffElement(Wire):
    price_components = many(PriceComponent, required=True)
    restrictions = one(TariffRestrictions)


class Tariff(Wire):
    country_code = chars(2, required=True)
    party_id = chars(3, required=True)
    id = chars(ID, required=True)
    currency = currency_code(required=True)
    type = Lenient(TARIFF_TYPES, max_length=32)
    tariff_alt_text = many(DisplayText)
    tariff_alt_url = chars(URL)
    min_price = one(Price)
    max_price = one(Price)
    elements = many(TariffElement, required=True)
    start_date_time = DateTime()
    end_date_time = DateTime()
    energy_mix = one(EnergyMix)
    last_updated = stamp(required=True)


# --- credentials -----------------------------------------------------------------------


class CredentialsRole(Wire):
    role = Lenient(ROLES, required=True)
    business_details = one(BusinessDetails, required=True)
    party_id = chars(3, required=True)
    country_code = chars(2, required=True)


class Credentials(Wire):
    token = credentials_token()
    url = chars(URL, required=True)
    roles = many(CredentialsRole, required=True)
