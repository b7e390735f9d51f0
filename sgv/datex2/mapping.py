"""OCPI and RIPREE values as DATEX II v3.7 AFIR enumerations (docs/datex2.md has the tables).

A value without an exact DATEX II twin becomes `other` (a connector) or `unknown` (a
status): nothing is guessed.
"""

from decimal import ROUND_HALF_UP, Decimal

# OCPI 2.2.1 ConnectorType → aegi:ConnectorTypeEnum (the inverse of the register's reading,
# sgv/demo/dgt_fields.py).
CONNECTOR_TYPES = {
    "CHADEMO": "chademo",
    **{f"DOMESTIC_{letter}": f"domestic{letter}Type" for letter in "ABCDEFGHIJKLMNO"},
    "IEC_60309_2_single_16": "iec60309x2single16",
    "IEC_60309_2_three_16": "iec60309x2three16",
    "IEC_60309_2_three_32": "iec60309x2three32",
    "IEC_60309_2_three_64": "iec60309x2three64",
    "IEC_62196_T1": "iec62196T1",
    "IEC_62196_T1_COMBO": "iec62196T1COMBO",
    "IEC_62196_T2": "iec62196T2",
    "IEC_62196_T2_COMBO": "iec62196T2COMBO",
    "IEC_62196_T3A": "iec62196T3A",
    "IEC_62196_T3C": "iec62196T3C",
    "PANTOGRAPH_BOTTOM_UP": "pantographBottomUp",
    "PANTOGRAPH_TOP_DOWN": "pantographTopDown",
    "TESLA_R": "teslaR",
    "TESLA_S": "teslaS",
}
# Standards that deliver direct current (the rest: alternating current).
DC_STANDARDS = {"CHADEMO", "IEC_62196_T1_COMBO", "IEC_62196_T2_COMBO"}

# OCPI 2.2.1 ConnectorFormat → aegi:ConnectorFormatTypeEnum: a tethered cable is mode 3
# (AC) or 4 (DC) equipment, which DATEX II names cableMode3 (as the DGT register does).
FORMATS = {"SOCKET": "socket", "CABLE": "cableMode3"}

# OCPI 2.2.1 EVSE Status → aegi:RefillPointStatusEnum.
STATUSES = {
    "AVAILABLE": "available",
    "BLOCKED": "blocked",
    "CHARGING": "charging",
    "INOPERATIVE": "inoperative",
    "OUTOFORDER": "outOfOrder",
    "PLANNED": "planned",
    "REMOVED": "removed",
    "RESERVED": "reserved",
    "UNKNOWN": "unknown",
}
# A charge point whose dynamic data is no longer public (a ?since withdrawal).
WITHDRAWN = "unknown"

CENT = Decimal("0.01")


def connector_type(standard: str) -> str:
    """Return the DATEX II connector type of an OCPI standard (`other` if none is exact)."""
    return CONNECTOR_TYPES.get(standard, "other")


def is_dc(standard: str, power_type: str | None = None) -> bool:
    """Tell whether a connector delivers direct current: its OCPI power type if known, else
    its standard (CHAdeMO and the CCS combos)."""
    return power_type == "DC" if power_type else standard in DC_STANDARDS


def current_type(dc: list[bool]) -> str:
    """Return `dc` when any of a charge point's connectors is a DC one, else `ac`."""
    return "dc" if any(dc) else "ac"


def charging_mode(standard: str, dc: bool) -> str | None:
    """Return the IEC 61851 mode a connector implies: mode 4 for DC, mode 3 for an IEC 62196
    AC connector (DATEX II names mode 3 `mode3AC3p` only), None otherwise."""
    if dc:
        return "mode4DC"
    return "mode3AC3p" if standard.startswith("IEC_62196") else None


def refill_point_status(ocpi_status: str | None) -> str:
    """Return the DATEX II status of an OCPI EVSE status (None: withdrawn → unknown)."""
    return STATUSES.get(ocpi_status or "", WITHDRAWN)


def watts(kw: Decimal | None) -> str | None:
    """Return kW as W, the unit DATEX II counts power in."""
    return None if kw is None else str(float(Decimal(kw) * 1000))


def rate_id(country_code: str, party_id: str, tariff_id: str) -> str:
    """Return the id of a tariff's aegi:energyRate: OCPI tariff ids are unique per CPO only,
    so it is qualified with the site's operator (country*party*tariff)."""
    return f"{country_code}*{party_id}*{tariff_id}"


def money(value: Decimal) -> str:
    """Return an amount as afac:AmountOfMoney allows it: two decimals, half up (the schema's
    limit: 0.349 €/kWh is published as 0.35; the JSON exports keep every decimal)."""
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


# aegi:ConnectorTypeEnum → OCPI 2.2.1, looked up case-insensitively; the DGT register (v3.5)
# spells the domestic plugs `domesticF`, v3.7 `domesticFType`: both are read.
OCPI_CONNECTORS = {
    **{datex.casefold(): ocpi for ocpi, datex in CONNECTOR_TYPES.items()},
    **{f"domestic{letter}".casefold(): f"DOMESTIC_{letter}" for letter in "ABCDEFGHIJKLMNO"},
}
