"""The values of the DGT register's DATEX II records: what each field holds and how it is read.

Readers for one field at a time (coordinates, postcodes, opening hours, powers, connector
types) and the records they fill; sgv/demo/dgt.py puts whole sites together.
"""

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

INSTALLATION_PREFIX = "DGT-"

# DATEX II v3 ConnectorTypeEnum → OCPI 2.2.1 ConnectorType where both name the same standard
# (looked up case-insensitively: DATEX versions spell iec60309x2three16 / …Three16). Values
# without an exact OCPI twin (cee3, cee5, yazaki, domestic, mcs, teslaConnector*, other) are
# refused, not guessed.
CONNECTOR_TYPES = {
    "chademo": "CHADEMO",
    **{f"domestic{letter}": f"DOMESTIC_{letter}" for letter in "ABCDEFGHIJKLMNO"},
    "iec60309x2single16": "IEC_60309_2_single_16",
    "iec60309x2three16": "IEC_60309_2_three_16",
    "iec60309x2three32": "IEC_60309_2_three_32",
    "iec60309x2three64": "IEC_60309_2_three_64",
    "iec62196T1": "IEC_62196_T1",
    "iec62196T1COMBO": "IEC_62196_T1_COMBO",
    "iec62196T2": "IEC_62196_T2",
    "iec62196T2COMBO": "IEC_62196_T2_COMBO",
    "iec62196T3A": "IEC_62196_T3A",
    "iec62196T3C": "IEC_62196_T3C",
    "pantographBottomUp": "PANTOGRAPH_BOTTOM_UP",
    "pantographTopDown": "PANTOGRAPH_TOP_DOWN",
    "teslaR": "TESLA_R",
    "teslaS": "TESLA_S",
}
CONNECTOR_LOOKUP = {key.casefold(): value for key, value in CONNECTOR_TYPES.items()}

# (lat min, lat max, lon min, lon max), generous boxes around each part of Spain.
SPAIN_BOXES = {
    "mainland": (35.9, 43.9, -9.5, 3.4),
    "Balearic Islands": (38.6, 40.2, 1.1, 4.4),
    "Canary Islands": (27.5, 29.5, -18.3, -13.3),
    "Ceuta": (35.85, 35.93, -5.40, -5.27),
    "Melilla": (35.26, 35.33, -2.98, -2.91),
}

# eMI3 EVSE-ID: country, party (3 alphanumerics), "E", id; the separators are optional.
EVSE_ID = re.compile(r"^([A-Z]{2})\*?([A-Z0-9]{3})\*?E[A-Z0-9*]{1,30}$", re.IGNORECASE)
ALWAYS_OPEN = re.compile(r"^24\s*[x/]\s*7(\s*horas)?$", re.IGNORECASE)
ADDRESS_LABELS = {"direccion": "address", "municipio": "municipality", "provincia": "province"}


class ConversionError(ValueError):
    """The register holds something the §7 format cannot express without guessing."""


@dataclass
class Stats:
    """What one conversion read, wrote and noticed."""

    sites: int = 0
    rows: int = 0
    connectors: int = 0
    operators: Counter[str] = field(default_factory=Counter)  # sites per operator name
    parties: Counter[str] = field(default_factory=Counter)  # charge points per party_id
    always_open: int = 0
    postcodes_padded: int = 0
    postcodes_invalid: list[str] = field(default_factory=list)  # installation ids
    party_from_operator: list[str] = field(default_factory=list)  # installation ids
    party_from_name: list[str] = field(default_factory=list)  # installation ids
    mixed_parties: list[str] = field(default_factory=list)  # installation ids
    refs_not_evse_ids: list[str] = field(default_factory=list)  # evse_refs
    duplicate_refs: list[str] = field(default_factory=list)  # evse_refs
    implausible_power: list[str] = field(default_factory=list)  # evse_refs, < 1 kW or > 1 MW
    outside_spain: list[str] = field(default_factory=list)  # installation ids

    def summary(self) -> str:
        """Describe the conversion in a few readable lines."""
        parties = ", ".join(f"{party} {count}" for party, count in self.parties.most_common())
        notes = {
            "postcodes with the leading zero restored": self.postcodes_padded,
            "postcodes left empty (invalid)": len(self.postcodes_invalid),
            "sites always open (24/7)": self.always_open,
            "sites whose party_id came from the operator's other sites": len(
                self.party_from_operator
            ),
            "sites whose party_id was derived from the operator name": len(self.party_from_name),
            "sites whose EVSE-IDs name several parties": len(self.mixed_parties),
            "charge points whose reference is not an EVSE-ID": len(self.refs_not_evse_ids),
            "duplicate charge point references": len(self.duplicate_refs),
            "charge points with implausible power": len(self.implausible_power),
            "sites outside Spain's bounding boxes": len(self.outside_spain),
        }
        lines = [
            f"{self.sites} sites, {self.rows} charge points, {self.connectors} connectors, "
            f"{len(self.operators)} operators",
            f"party ids (charge points): {parties}",
            *(f"{label}: {count}" for label, count in notes.items()),
        ]
        return "\n".join(lines)


@dataclass
class ChargePoint:
    ref: str
    party: tuple[str, str] | None  # (country_code, party_id) from its EVSE-ID
    max_power_kw: str
    connector_types: str


@dataclass
class Site:
    operator_name: str
    name: str
    address: str
    postal_code: str
    municipality: str
    province: str
    latitude: str
    longitude: str
    opening_hours: str
    points: list[ChargePoint]
    installation_id: str = ""


def as_list(node: Any) -> list:
    """Return a child that may be missing, a single object or a list as a list."""
    if node is None:
        return []
    return node if isinstance(node, list) else [node]


def clean(value: str) -> str:
    """Collapse runs of whitespace (tabs, newlines) into single spaces."""
    return " ".join(value.split())


def text(node: Any) -> str:
    """Return the first non-empty text of a DATEX value, whatever its JSON shape."""
    if isinstance(node, bool) or node is None:
        return ""
    if isinstance(node, str | int | float):
        return clean(str(node))
    if isinstance(node, list):
        return next((found for item in node if (found := text(item))), "")
    if isinstance(node, dict):
        keys = ("values", "value", "#text", "_", "$", "text")
        return next((found for key in keys if key in node and (found := text(node[key]))), "")
    return ""


def fold(value: str) -> str:
    """Return `value` without accents, case-folded, for comparing labels."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def degrees(value: Any, what: str, site: str) -> str:
    """Return a coordinate as plain decimal degrees with a dot (never exponent notation)."""
    try:
        number = float(str(value).replace(",", "."))
    except ValueError:
        raise ConversionError(f"site {site!r}: {what} {value!r} is not a number") from None
    if number != number or abs(number) > 180:  # NaN or out of range
        raise ConversionError(f"site {site!r}: {what} {value!r} is not a coordinate")
    return format(Decimal(repr(number)), "f")


def in_spain(latitude: float, longitude: float) -> bool:
    """Tell whether a point lies in one of Spain's bounding boxes."""
    return any(
        lat_min <= latitude <= lat_max and lon_min <= longitude <= lon_max
        for lat_min, lat_max, lon_min, lon_max in SPAIN_BOXES.values()
    )


def postal_code(value: Any) -> tuple[str, bool]:
    """Return the postcode as 5 digits and whether a lost leading zero was restored."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    digits = "" if value is None or isinstance(value, bool) else str(value).strip()
    if not digits.isdigit() or not 4 <= len(digits) <= 5:
        return "", False
    code = digits.zfill(5)
    return (code, len(digits) == 4) if 1 <= int(code[:2]) <= 52 else ("", False)


def opening_hours(label: Any) -> str:
    """Return "24/7" for an always-open site, else the register's text with tabs as "; "."""
    raw = label if isinstance(label, str) else text(label)
    parts = [clean(part) for part in raw.split("\t")]
    hours = "; ".join(part for part in parts if part)
    return "24/7" if ALWAYS_OPEN.match(hours) else hours


def kilowatts(watts: Any) -> Decimal:
    """Return a power given in W as kW."""
    return Decimal(str(watts)) / 1000
