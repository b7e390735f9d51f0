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
from functools import lru_cache, partial
from itertools import groupby

from lxml import etree

from sgv.datex2 import mapping
from sgv.datex2.table import FACILITY, TABLE_ID, station_id
from sgv.datex2.xml import LANG, element, escape, payload, timestamp
from sgv.public.refill_points import RefillPoint
from sgv.public.tariffs import Price

MINUTES = Decimal(60)
# Each site is written as text, not built with lxml: about 22 elements per refill point at
# 45,000 refill points cost seconds as objects (docs/performance.md). Every value that is
# not a constant of this module goes through xml.escape(); the document is still
# validated against the schemas, hostile data included (tests/test_datex2.py). The
# snapshot (no ?since) is written by PostgreSQL from the same constants (status_sql.py).
WITHDRAWN_DESCRIPTION = (
    "<afac:statusDescription><com:values>"
    f'<com:value lang="{LANG}">no public dynamic data</com:value>'
    "</com:values></afac:statusDescription>"
)
# The fixed text around the values, which status_sql.py writes in SQL too.
SITE = ("<aegi:energyInfrastructureSiteStatus>", "<aegi:energyInfrastructureStationStatus>")
SITE_END = "</aegi:energyInfrastructureStationStatus></aegi:energyInfrastructureSiteStatus>"
POINT = (
    '<aegi:refillPointStatus xsi:type="aegi:ElectricChargingPointStatus">',
    "</aegi:refillPointStatus>",
)
REFERENCE = ('<afac:reference id="', f'" targetClass="{FACILITY}"/>')
UPDATED = ("<afac:lastUpdated>", "</afac:lastUpdated>")
STATUS = ("<aegi:status>", "</aegi:status>")
RATE = "<aegi:energyRateUpdate><aegi:lastUpdated>"
RATE_REFERENCE = '</aegi:lastUpdated><aegi:energyRateReference id="'


def status_xml(points: Iterable[RefillPoint], at: datetime) -> Iterator[bytes]:
    """Stream the status publication of these charge points (grouped by installation)."""
    parts = (
        site_status(site_id, list(group))
        for site_id, group in groupby(points, key=lambda point: point.site_id)
    )
    return payload("aegi:EnergyInfrastructureStatusPublication", at, parts, lead=[table()])


def table() -> etree._Element:
    """Return the aegi:tableReference to table.xml's table."""
    found = element("aegi:tableReference", id=TABLE_ID)
    found.set("targetClass", "aegi:EnergyInfrastructureTable")
    return found


def reference(ident: str) -> str:
    """Return the afac:reference to the table's facility `ident`."""
    return f"{REFERENCE[0]}{escape(ident)}{REFERENCE[1]}"


def site_status(site_id: str, points: list[RefillPoint]) -> bytes:
    """Return one aegi:energyInfrastructureSiteStatus with its station's refill points."""
    text = [SITE[0], reference(site_id), SITE[1], reference(station_id(site_id))]
    text.extend(refill_point_status(point) for point in points)
    text.append(SITE_END)
    return "".join(text).encode()


def refill_point_status(point: RefillPoint) -> str:
    """Return one aegi:refillPointStatus: status, its time, and the prices shown now."""
    status = f"{STATUS[0]}{mapping.refill_point_status(point.status)}{STATUS[1]}"
    text = [POINT[0], reference(point.evse_ref)]
    if point.status is None:
        text += [WITHDRAWN_DESCRIPTION, status]
    else:
        at = timestamp(point.status_at)
        text += [f"{UPDATED[0]}{at}{UPDATED[1]}", status]
        rate = partial(mapping.rate_id, point.country_code, point.party_id)
        text.extend(rate_update(price, rate(price.tariff_id), at) for price in point.prices)
    text.append(POINT[1])
    return "".join(text)


def rate_update(price: Price, rate: str, at: str) -> str:
    """Return an aegi:energyRateUpdate of the energy rate `rate` (table.xml defines it) with
    the tariff's components now, excluding VAT."""
    return f"{RATE}{at}{RATE_REFERENCE}{escape(rate)}{rate_figures(price)}"


@lru_cache(maxsize=4096)
def rate_figures(price: Price) -> str:
    """Return what follows a rate update's rate id: the end of the reference, the prices."""
    return f'" targetClass="aegi:EnergyRate"/>{energy_prices(price)}</aegi:energyRateUpdate>'


@lru_cache(maxsize=4096)
def energy_prices(price: Price) -> str:
    """Return the aegi:energyPrice elements of a price (the same for every point it applies to)."""
    components = [
        ("pricePerKWh", price.energy_excl_vat, price.vat_rate, None),
        ("basePrice", price.flat, None, None),
        ("pricePerMinute", per_minute(price.time_per_hour), None, None),
        ("other", per_minute(price.parking_per_hour), None, "parking, per minute"),
    ]
    if price.free:
        components = [("free", Decimal(0), None, None)]
    text = []
    for kind, value, vat, note in components:
        if value is None:
            continue
        text.append(
            "<aegi:energyPrice><aegi:priceGroupIndex>0</aegi:priceGroupIndex>"  # applied together
            f"<aegi:priceType>{kind}</aegi:priceType>"
            f"<aegi:value>{mapping.money(value)}</aegi:value>"
            "<aegi:taxIncluded>false</aegi:taxIncluded>"
        )
        if vat is not None:
            text.append(f"<aegi:taxRate>{float(vat)}</aegi:taxRate>")
        if note:
            text.append(
                "<aegi:additionalInformation><com:values>"
                f'<com:value lang="{LANG}">{note}</com:value>'
                "</com:values></aegi:additionalInformation>"
            )
        text.append("</aegi:energyPrice>")
    return "".join(text)


def per_minute(per_hour: Decimal | None) -> Decimal | None:
    """Return a price per hour as a price per minute."""
    return None if per_hour is None else per_hour / MINUTES
