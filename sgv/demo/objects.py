"""What the demo CPOs publish: OCPI Locations and Tariffs built from the demo register.

One Location per RIPREE installation (id = installation_id), one EVSE per charge point
(evse_id = the RIPREE evse_ref), one connector per connector type, its power from the
charge point's `max_power_kw`. Everything is derived deterministically from the CSV (the
initial statuses too, seeded by the EVSE-ID), so two loads publish the same network.
Who the demo CPOs are, and why, is documented in sgv/demo/load.py.
"""

import csv
import random
import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

DATA_FILE = Path(__file__).resolve().parents[2] / "data" / "ripree_demo.csv"

# Initial EVSE statuses: mostly free, some in use, a few broken or silent.
STATUS_WEIGHTS = {"AVAILABLE": 76, "CHARGING": 17, "OUTOFORDER": 4, "UNKNOWN": 2, "BLOCKED": 1}

DC_STANDARDS = {"CHADEMO", "IEC_62196_T1_COMBO", "IEC_62196_T2_COMBO"}
CHADEMO_KW = Decimal(50)  # multi-standard DC posts give CHAdeMO at most 50 kW
DOMESTIC_KW = Decimal("3.68")  # a Schuko socket: 230 V × 16 A
AC_VOLTS = 230  # OCPI gives AC voltage line to neutral
HPC_KW = 150  # DC at or above this is priced as high-power charging

DAYS = ("Lunes", "Martes", "Miércoles", "Jueves", "Viernes", "Sábado", "Domingo")
PERIOD = re.compile(r"(\w+) \((\d{2}:\d{2}) - (\d{2}:\d{2})\)")


@dataclass(frozen=True)
class Profile:
    """A demo CPO: who it is, which OCPI version it speaks, where the demo leaves it."""

    party_id: str
    name: str
    phone: str  # fictitious on purpose: 900 000 0xx, see sgv/demo/load.py
    version: str  # "2.2.1", or "2.1.1" (tariffs without VAT)
    target: str  # "live" (approved) or "registered" (pushed, awaiting approval)
    country_code: str = "ES"


def read_register(path: Path = DATA_FILE) -> dict[str, list[dict]]:
    """Return the register's rows grouped by party_id, in file order."""
    grouped: dict[str, list[dict]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            grouped[row["party_id"]].append(row)
    return grouped


def initial_status(evse_ref: str) -> str:
    """Return an EVSE's first status, the same on every load."""
    chooser = random.Random(evse_ref)
    return chooser.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]


def tariff_for(power_type: str, kw: Decimal, profile: Profile) -> str:
    """Name the tariff a connector is billed by."""
    if profile.party_id == "IBD":
        if power_type != "DC":
            return "AC"
        return "HPC" if kw >= HPC_KW else "DC"
    return "DC" if profile.party_id == "CEP" else "HPC"


def connector(number: int, standard: str, kw: Decimal, profile: Profile, when: str) -> dict:
    """Return an OCPI connector for one standard of a charge point of `kw` kilowatts."""
    if standard in DC_STANDARDS:
        kw = min(kw, CHADEMO_KW) if standard == "CHADEMO" else kw
        power_type, form, volts = "DC", "CABLE", 500 if kw <= 100 else 920
        amps = int(kw * 1000 / volts)
    elif standard.startswith("DOMESTIC"):
        kw = min(kw, DOMESTIC_KW)
        power_type, form, volts, amps = "AC_1_PHASE", "SOCKET", AC_VOLTS, 16
    else:
        kw = min(kw, Decimal(43))
        phases = 1 if kw <= Decimal("7.4") else 3
        power_type = "AC_1_PHASE" if phases == 1 else "AC_3_PHASE"
        form, volts = ("SOCKET" if kw <= 22 else "CABLE"), AC_VOLTS
        amps = round(kw * 1000 / (AC_VOLTS * phases))
    tariff = tariff_for(power_type, kw, profile)
    found = {"id": str(number), "standard": standard, "format": form, "power_type": power_type}
    if profile.version == "2.1.1":
        return {
            **found,
            "voltage": volts,
            "amperage": amps,
            "tariff_id": tariff,
            "last_updated": when,
        }
    return {
        **found,
        "max_voltage": volts,
        "max_amperage": amps,
        "max_electric_power": int(kw * 1000),
        "tariff_ids": [tariff],
        "last_updated": when,
    }


def evse(row: dict, profile: Profile, when: str) -> dict:
    """Return the OCPI EVSE of one RIPREE charge point."""
    standards = row["connector_types"].split("|")
    kw = Decimal(row["max_power_kw"])
    capabilities = ["RFID_READER", "REMOTE_START_STOP_CAPABLE"]
    if any(s in DC_STANDARDS for s in standards):
        capabilities.append("CREDIT_CARD_PAYABLE")
    return {
        "uid": row["evse_ref"].replace("*", ""),
        "evse_id": row["evse_ref"],
        "status": initial_status(row["evse_ref"]),
        "capabilities": capabilities,
        "connectors": [
            connector(n, standard, kw, profile, when) for n, standard in enumerate(standards, 1)
        ],
        "last_updated": when,
    }


def opening_times(text: str) -> dict | None:
    """Translate the register's hours ('24/7' or 'Lunes (08:30 - 17:30); …') into OCPI Hours."""
    if text == "24/7":
        return {"twentyfourseven": True}
    periods = [
        {"weekday": DAYS.index(day) + 1, "period_begin": begin, "period_end": end}
        for day, begin, end in PERIOD.findall(text)
        if day in DAYS
    ]
    return {"twentyfourseven": False, "regular_hours": periods} if periods else None


def location(rows: list[dict], profile: Profile, when: str) -> dict:
    """Return the OCPI Location of one installation (its charge points' rows)."""
    site = rows[0]
    latitude, longitude = float(site["latitude"]), float(site["longitude"])
    canary = latitude < 30 and longitude < -12
    found = {
        "id": site["installation_id"],
        "name": site["name"],
        "address": site["address"],
        "city": site["municipality"],
        "postal_code": site["postal_code"],
        "state": site["province"],
        "country": "ESP",
        "coordinates": {"latitude": f"{latitude:.6f}", "longitude": f"{longitude:.6f}"},
        "evses": [evse(row, profile, when) for row in rows],
        "operator": {"name": profile.name},
        "time_zone": "Atlantic/Canary" if canary else "Europe/Madrid",
        "last_updated": when,
    }
    hours = opening_times(site["opening_hours"])
    if hours:
        found["opening_times"] = hours
    if profile.version == "2.1.1":  # a type instead of parking_type, no state (added in 2.2)
        del found["state"]
        return {**found, "type": "PARKING_LOT"}
    identity = {"country_code": profile.country_code, "party_id": profile.party_id}
    return {**identity, **found, "publish": True}


def locations(rows: list[dict], profile: Profile, when: str) -> list[dict]:
    """Return one Location per installation among a party's register rows."""
    sites: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        sites[row["installation_id"]].append(row)
    return [location(site_rows, profile, when) for site_rows in sites.values()]


def energy(price: str, profile: Profile) -> dict:
    """Return an ENERGY price component in €/kWh ex VAT, with VAT 21 % from 2.2 on."""
    component = {"type": "ENERGY", "price": float(price), "step_size": 1}
    return component if profile.version == "2.1.1" else {**component, "vat": 21.0}


def tariff(
    profile: Profile, tariff_id: str, elements: list[dict], es: str, en: str, when: str
) -> dict:
    """Return a Tariff in the CPO's OCPI version, described in Spanish and English."""
    alt_text = [{"language": "es", "text": es}, {"language": "en", "text": en}]
    found = {
        "id": tariff_id,
        "currency": "EUR",
        "tariff_alt_text": alt_text,
        "elements": elements,
        "last_updated": when,
    }
    if profile.version == "2.1.1":
        return found
    identity = {"country_code": profile.country_code, "party_id": profile.party_id}
    return {**identity, **found, "type": "AD_HOC_PAYMENT"}


def per_kwh(profile: Profile, tariff_id: str, price: str, when: str) -> dict:
    """Return a tariff of one energy price."""
    excl = ("", "") if profile.version == "2.1.1" else (" sin IVA", " excl. VAT")
    es, en = f"{price.replace('.', ',')} €/kWh{excl[0]}", f"{price} €/kWh{excl[1]}"
    return tariff(
        profile, tariff_id, [{"price_components": [energy(price, profile)]}], es, en, when
    )


def tariffs(profile: Profile, when: str) -> list[dict]:
    """Return the CPO's tariffs: plausible Spanish ad hoc prices of 2024, ex VAT."""
    if profile.party_id == "IBD":
        night = {"start_time": "00:00", "end_time": "08:00"}  # cheaper overnight AC
        elements = [
            {"price_components": [energy("0.39", profile)], "restrictions": night},
            {"price_components": [energy("0.49", profile)]},
        ]
        es = "0,39 €/kWh de 0 a 8 h y 0,49 €/kWh el resto del día, sin IVA"
        en = "0.39 €/kWh from midnight to 8 am, 0.49 €/kWh otherwise, excl. VAT"
        return [
            tariff(profile, "AC", elements, es, en, when),
            per_kwh(profile, "DC", "0.59", when),
            per_kwh(profile, "HPC", "0.69", when),
        ]
    if profile.version == "2.1.1":  # no VAT field in 2.1.1: shown as VAT unknown
        return [per_kwh(profile, "DC", "0.54", when)]
    idle = {"type": "PARKING_TIME", "price": 6.0, "vat": 21.0, "step_size": 60}
    elements = [{"price_components": [energy("0.62", profile), idle]}]
    es = "0,62 €/kWh y 6 €/h conectado sin cargar, sin IVA"
    en = "0.62 €/kWh and 6 €/h idle fee, excl. VAT"
    return [tariff(profile, "HPC", elements, es, en, when)]
