"""/opendata/datex2/status.xml: the public dynamic data as an AFIR
EnergyInfrastructureStatusPublication (DATEX II v3.7; mapping in docs/datex2.md).

Per charge point whose dynamic data is public: its refill point's status and time, and an
energyRateUpdate per tariff its connectors show now — the €/kWh EXCLUDING VAT with
taxIncluded false and the VAT rate, plus the session fee (FLAT), the time price (TIME, per
minute) and the parking price (PARKING, per minute) where the tariff has them. A charge
point that lost its public data (a ?since withdrawal) has status `unknown` and no price.
References (site, station, refill point) are table.xml's ids.
"""

from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal
from itertools import groupby

from lxml import etree

from sgv.datex2 import mapping
from sgv.datex2.table import FACILITY, TABLE_ID, station_id
from sgv.datex2.xml import element, multilingual, payload, sub, timestamp
from sgv.public import ChargePoint, Installation, Price

MINUTES = Decimal(60)


def status_xml(points: Iterable[tuple[Installation, ChargePoint]], at: datetime) -> Iterator[bytes]:
    """Stream the status publication of these charge points (grouped by installation)."""
    reference = element("aegi:tableReference", id=TABLE_ID)
    reference.set("targetClass", "aegi:EnergyInfrastructureTable")
    parts = (
        site_status(site, [point for _, point in group])
        for site, group in groupby(points, key=lambda pair: pair[0])
    )
    return payload("aegi:EnergyInfrastructureStatusPublication", at, parts, lead=[reference])


def refer(parent: etree._Element, ident: str) -> None:
    """Append the afac:reference to the table's facility `ident`."""
    sub(parent, "afac:reference", id=ident, targetClass=FACILITY)


def site_status(site: Installation, points: list[ChargePoint]) -> etree._Element:
    """Return one aegi:energyInfrastructureSiteStatus with its station's refill points."""
    root = element("aegi:energyInfrastructureSiteStatus")
    refer(root, site.id)
    station = sub(root, "aegi:energyInfrastructureStationStatus")
    refer(station, station_id(site.id))
    for point in points:
        refill_point_status(station, point)
    return root


def refill_point_status(station: etree._Element, point: ChargePoint) -> None:
    """Append one aegi:refillPointStatus: status, its time, and the prices shown now."""
    found = sub(station, "aegi:refillPointStatus", xsi_type="aegi:ElectricChargingPointStatus")
    refer(found, point.evse_ref)
    live = point.live
    if live is not None:
        sub(found, "afac:lastUpdated", timestamp(live.status_at))
    else:
        multilingual(found, "afac:statusDescription", "no public dynamic data")
    sub(found, "aegi:status", mapping.refill_point_status(live.status if live else None))
    if live is None:
        return
    prices = {c.price.tariff_id: c.price for c in live.connectors if c.price is not None}
    for price in prices.values():
        rate_update(found, price, live.status_at)


def rate_update(parent: etree._Element, price: Price, at: datetime) -> None:
    """Append an aegi:energyRateUpdate with the tariff's components now, excluding VAT."""
    update = sub(parent, "aegi:energyRateUpdate")
    sub(update, "aegi:lastUpdated", timestamp(at))
    sub(update, "aegi:energyRateReference", id=price.tariff_id, targetClass="aegi:EnergyRate")
    components = [
        ("pricePerKWh", price.energy_excl_vat, price.vat_rate, None),
        ("basePrice", price.flat, None, None),
        ("pricePerMinute", per_minute(price.time_per_hour), None, None),
        ("other", per_minute(price.parking_per_hour), None, "parking, per minute"),
    ]
    if price.free:
        components = [("free", Decimal(0), None, None)]
    index = 0
    for kind, value, vat, note in components:
        if value is None:
            continue
        energy = sub(update, "aegi:energyPrice")
        sub(energy, "aegi:priceGroupIndex", 0)  # applied together
        sub(energy, "aegi:priceType", kind)
        sub(energy, "aegi:value", mapping.money(value))
        sub(energy, "aegi:taxIncluded", "false")
        if vat is not None:
            sub(energy, "aegi:taxRate", float(vat))
        if note:
            multilingual(energy, "aegi:additionalInformation", note)
        index += 1


def per_minute(per_hour: Decimal | None) -> Decimal | None:
    """Return a price per hour as a price per minute."""
    return None if per_hour is None else per_hour / MINUTES
