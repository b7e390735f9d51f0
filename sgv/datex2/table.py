"""/opendata/datex2/table.xml: every public installation as an AFIR
EnergyInfrastructureTablePublication (DATEX II v3.7; paths in docs/datex2.md).

One site per RIPREE installation, one station per site, one refill point
(aegi:ElectricChargingPoint, id = the EVSE-ID) per RIPREE charge point. Its connectors are
the CPO's public OCPI connectors where there are some (richer: standard, format, power,
voltage and current per connector, read through sgv/public/connectors.py), else one per
RIPREE connector type at the charge point's power. Each tariff its public connectors name
is defined as an aegi:energyRate (ad hoc, its currency): status.xml's energyRateUpdate
elements refer to it and carry the prices, which change with the time of day.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import islice

from lxml import etree

from sgv.datex2 import amenities, mapping
from sgv.datex2.xml import (
    XSI_TYPE,
    element,
    multilingual,
    payload,
    qname,
    sub,
    timestamp,
    version,
)
from sgv.public import (
    ChargePoint,
    ConnectorDetails,
    Installation,
    Rate,
    connector_details,
    connector_rates,
)

TABLE_ID = "SGV-ES"
FACILITY = "afac:FacilityObject"
BATCH = 500  # sites whose OCPI connector details are read at once


@dataclass(frozen=True)
class Plug:
    """One connector as the table shows it."""

    standard: str
    power_kw: Decimal | None
    dc: bool
    format: str | None = None
    voltage: int | None = None
    amperage: int | None = None


@dataclass(frozen=True)
class Details:
    """What the OCPI data adds to a batch of sites, per charge point: connectors and rates."""

    connectors: dict[int, list[ConnectorDetails]]
    rates: dict[int, list[Rate]]


def table_xml(sites: Iterable[Installation], at: datetime, table_version: str) -> Iterator[bytes]:
    """Stream the table publication of these installations."""
    table = {"id": TABLE_ID, "version": table_version}
    defined: set[str] = set()  # energy rate ids: each is defined once in the document
    parts = (site_element(site, details, defined) for site, details in with_details(sites))
    return payload("aegi:EnergyInfrastructureTablePublication", at, parts, table=table)


def with_details(sites: Iterable[Installation]) -> Iterator[tuple[Installation, Details]]:
    """Yield each site with the OCPI details of its public connectors, read per batch."""
    stream = iter(sites)
    while batch := list(islice(stream, BATCH)):
        ids = [p.id for site in batch for p in site.charge_points if p.live is not None]
        details = Details(connector_details(ids), connector_rates(ids)) if ids else Details({}, {})
        yield from ((site, details) for site in batch)


def station_id(site_id: str) -> str:
    """Return the id of a site's one station (the register knows no stations)."""
    return f"{site_id}-1"


def site_element(site: Installation, details: Details, defined: set[str]) -> etree._Element:
    """Return one aegi:energyInfrastructureSite (energy rates not in `defined` defined)."""
    v = version(site.updated_at)
    root = element("aegi:energyInfrastructureSite", id=site.id, version=v)
    multilingual(root, "afac:name", site.name)
    sub(root, "afac:lastUpdated", timestamp(site.updated_at))
    if site.opening_hours:
        hours = sub(
            root, "afac:operatingHours", xsi_type="afac:OperatingHoursSpecification",
            id=f"{site.id}-hours", version=v,
        )  # fmt: skip
        sub(hours, "afac:label", site.opening_hours)
        period = sub(hours, "afac:overallPeriod")
        sub(period, "com:overallStartTime", timestamp(site.updated_at))
    location(root, site)
    operator(root, site)
    amenities.helpdesk(root, site)  # FacilityObject's order: operator, helpdesk, …,
    amenities.vehicles(root, site)  # applicableForVehicles, then the site's own elements
    station = sub(root, "aegi:energyInfrastructureStation", id=station_id(site.id), version=v)
    sub(station, "aegi:numberOfRefillPoints", len(site.charge_points))
    for point in site.charge_points:
        found = refill_point(station, point, v, plugs(point, details.connectors.get(point.id, [])))
        for rate in details.rates.get(point.id, []):
            energy_rate(found, site, rate, defined)
    return root


def location(root: etree._Element, site: Installation) -> None:
    """Append the site's coordinates and postal address."""
    place = sub(root, "afac:locationReference", xsi_type="loc:PointLocation")
    coordinates = sub(place, "loc:coordinatesForDisplay")
    sub(coordinates, "loc:latitude", repr(site.latitude))
    sub(coordinates, "loc:longitude", repr(site.longitude))
    extension = sub(sub(place, "loc:_locationExtension"), "afac:afirFacilityLocation")
    address = sub(extension, "afac:address")
    sub(address, "locx:postcode", site.postal_code)
    multilingual(address, "locx:city", site.municipality)
    sub(address, "locx:countryCode", "ES")
    for order, (kind, text) in enumerate(
        (("street", site.address), ("town", site.municipality), ("region", site.province)), 1
    ):
        line = sub(address, "locx:addressLine", order=str(order))
        sub(line, "locx:type", kind)
        multilingual(line, "locx:text", text)


def operator(root: etree._Element, site: Installation) -> None:
    """Append the operator: its name, NIF, phone and its ES*XXX identity."""
    found = sub(root, "afac:operator", xsi_type="afac:AnOrganisation")
    multilingual(found, "afac:name", site.operator_name)
    if site.operator_tax_id:
        sub(found, "afac:nationalOrganisationNumber", site.operator_tax_id)
    if site.operator_phone:
        contact = sub(sub(found, "afac:organisationUnit"), "afac:contactInformation")
        sub(contact, "afac:telephoneNumber", site.operator_phone)
    identity = sub(found, "afac:externalIdentifier")
    sub(identity, "afac:identifier", f"{site.country_code}*{site.party_id}")
    sub(identity, "afac:otherTypeOfIdentifier", "eMI3 operator id (country*party)")


def refill_point(
    station: etree._Element, point: ChargePoint, v: str, connectors: list[Plug]
) -> etree._Element:
    """Append one charge point as an aegi:ElectricChargingPoint with its connectors."""
    found = sub(
        station, "aegi:refillPoint", xsi_type="aegi:ElectricChargingPoint",
        id=point.evse_ref, version=v,
    )  # fmt: skip
    multilingual(found, "afac:name", point.evse_ref)
    identity = sub(found, "afac:externalIdentifier")
    sub(identity, "afac:identifier", point.evse_ref)
    sub(identity, "afac:otherTypeOfIdentifier", "eMI3 EVSE ID")
    sub(found, "aegi:deliveryUnit", "kWh")
    sub(found, "aegi:currentType", mapping.current_type([c.dc for c in connectors]))
    sub(found, "aegi:numberOfConnectors", len(connectors))
    sub(found, "aegi:availableChargingPower", mapping.watts(point.max_power_kw))
    modes = {mapping.charging_mode(c.standard, c.dc) for c in connectors} - {None}
    if len(modes) == 1:  # the point's one mode; a multi-standard post has several
        sub(found, "aegi:chargingMode", modes.pop())
    for plug in connectors:
        connector = sub(found, "aegi:connector")
        kind = mapping.connector_type(plug.standard)
        sub(connector, "aegi:connectorType", kind)
        if kind == "other":
            sub(connector, "aegi:otherConnector", plug.standard)
        if plug.format in mapping.FORMATS:
            sub(connector, "aegi:connectorFormat", mapping.FORMATS[plug.format])
        sub(connector, "aegi:maxPowerAtSocket", mapping.watts(plug.power_kw))
        if plug.voltage is not None:
            sub(connector, "aegi:voltage", float(plug.voltage))
        if plug.amperage is not None:
            sub(connector, "aegi:maximumCurrent", float(plug.amperage))
    return found


def energy_rate(point: etree._Element, site: Installation, rate: Rate, defined: set[str]) -> None:
    """Define a tariff of the refill point as an ad hoc aegi:energyRate, without prices; or
    refer to it if it is in `defined` (the schema wants each rate id once per document).

    RefillPoint's sequence puts energyProduct after the delivery fields and before the
    charging point's own (currentType, connectors…): after deliveryUnit and the rates
    already defined.
    """
    product = etree.Element(qname("aegi:energyProduct"))
    product.set(XSI_TYPE, "aegi:ElectricEnergy")
    ident = mapping.rate_id(site.country_code, site.party_id, rate.tariff_id)
    if ident in defined:
        sub(product, "aegi:energyRateByReference", id=ident, targetClass="aegi:EnergyRate")
    else:
        defined.add(ident)
        found = sub(product, "aegi:energyRate", id=ident)
        sub(found, "aegi:ratePolicy", "adHoc")
        sub(found, "aegi:lastUpdated", timestamp(rate.last_updated))
        sub(found, "aegi:applicableCurrency", rate.currency)
        multilingual(found, "aegi:rateName", rate.tariff_id)
        note = "prices in status.xml, excluding VAT, as they apply now"
        multilingual(found, "aegi:additionalInformation", note)
    products = point.findall(qname("aegi:energyProduct"))
    (products[-1] if products else point.find(qname("aegi:deliveryUnit"))).addnext(product)


def plugs(point: ChargePoint, details: list[ConnectorDetails]) -> list[Plug]:
    """Return a charge point's connectors: its CPO's public ones (OCPI: power, format,
    voltage, amperage per connector), else one per RIPREE connector type at its power."""
    if details:
        return [
            Plug(
                d.standard,
                d.power_kw if d.power_kw is not None else point.max_power_kw,
                mapping.is_dc(d.standard, d.power_type),
                d.format,
                d.max_voltage,
                d.max_amperage,
            )
            for d in details
        ]
    return [
        Plug(standard, point.max_power_kw, mapping.is_dc(standard))
        for standard in point.connector_types
    ]
