"""Convert the DGT/MITERD charging-point register (DATEX II v3 as JSON) into the RIPREE CSV.

The input is the National Access Point's `EnergyInfrastructureTablePublication` after an
xml→json conversion: XML attributes (ids, languages) are gone, and a child that occurs once
is an object while a repeated child is a list, so every child is read through `as_list`.
The output is SPEC §7: one row per refill point (charge point), rows of one site share an
`installation_id`. The decisions taken here are documented in data/README.md.

    python -m sgv.demo.dgt SOURCE.json TARGET.csv
"""

import argparse
import csv
import hashlib
import json
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sgv.registry.rows import COLUMNS

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
_CONNECTOR_LOOKUP = {key.casefold(): value for key, value in CONNECTOR_TYPES.items()}

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


def read_charge_point(raw: dict, site: str, stats: Stats) -> ChargePoint:
    """Read one refill point: its EVSE-ID, its maximum power and its connector standards."""
    ref = text(raw.get("name"))
    connectors = as_list(raw.get("connector"))
    if not connectors:
        raise ConversionError(f"site {site!r}, charge point {ref!r}: no connector")
    types: set[str] = set()
    powers: list[Decimal] = []
    for connector in connectors:
        datex = text(connector.get("connectorType"))
        if datex.casefold() not in _CONNECTOR_LOOKUP:
            raise ConversionError(
                f"site {site!r}, charge point {ref!r}: connector type {datex!r} "
                "has no OCPI 2.2.1 equivalent"
            )
        types.add(_CONNECTOR_LOOKUP[datex.casefold()])
        if connector.get("maxPowerAtSocket") not in (None, ""):
            powers.append(kilowatts(connector["maxPowerAtSocket"]))
        stats.connectors += 1
    power = max(powers) if powers else None
    if power is not None and not 1 <= power <= 1000:
        stats.implausible_power.append(ref)
    match = EVSE_ID.match(ref)
    if not match:
        stats.refs_not_evse_ids.append(ref)
    return ChargePoint(
        ref=ref,
        party=(match.group(1).upper(), match.group(2).upper()) if match else None,
        max_power_kw="" if power is None else format(power.normalize(), "f"),
        connector_types="|".join(sorted(types)),
    )


def read_site(raw: dict, stats: Stats) -> Site:
    """Read one energyInfrastructureSite into a Site with its charge points."""
    location = raw.get("locationReference") or {}
    extension = location.get("_locationReferenceExtension") or {}
    address = (extension.get("facilityLocation") or {}).get("address") or {}
    labelled = dict.fromkeys(ADDRESS_LABELS.values(), "")
    for line in as_list(address.get("addressLine")):
        label, _, value = text(line.get("text") if isinstance(line, dict) else line).partition(":")
        if (key := ADDRESS_LABELS.get(fold(label))) and not labelled[key]:
            labelled[key] = clean(value)
    name = text(raw.get("name")) or labelled["address"]
    operator = text((raw.get("operator") or {}).get("name"))
    if not operator:
        raise ConversionError(f"site {name!r}: no operator name")
    coordinates = location.get("coordinatesForDisplay") or {}
    code, padded = postal_code(address.get("postcode"))
    stats.postcodes_padded += padded
    points = [
        read_charge_point(point, name, stats)
        for station in as_list(raw.get("energyInfrastructureStation"))
        for point in as_list(station.get("refillPoint"))
    ]
    if not points:
        raise ConversionError(f"site {name!r}: no refill point")
    site = Site(
        operator_name=operator,
        name=name,
        postal_code=code,
        latitude=degrees(coordinates.get("latitude"), "latitude", name),
        longitude=degrees(coordinates.get("longitude"), "longitude", name),
        opening_hours=opening_hours((raw.get("operatingHours") or {}).get("label", "")),
        points=points,
        **labelled,
    )
    key = "\x1f".join((site.operator_name, site.latitude, site.longitude, site.name))
    site.installation_id = INSTALLATION_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:16]
    if not code:
        stats.postcodes_invalid.append(site.installation_id)
    if not in_spain(float(site.latitude), float(site.longitude)):
        stats.outside_spain.append(site.installation_id)
    stats.always_open += site.opening_hours == "24/7"
    return site


def iter_raw_sites(publication: dict) -> Iterator[dict]:
    """Yield every energyInfrastructureSite of a table publication."""
    payload = publication.get("payload", publication)
    for table in as_list(payload.get("energyInfrastructureTable")):
        yield from as_list(table.get("energyInfrastructureSite"))


def most_common(parties: Counter[tuple[str, str]]) -> tuple[str, str]:
    """Return the most frequent party, the alphabetically first on a tie."""
    return min(parties, key=lambda party: (-parties[party], party))


def name_party(operator: str) -> tuple[str, str]:
    """Derive a party id from an operator name: its first three letters or digits."""
    letters = [c for c in fold(operator).upper() if c.isascii() and c.isalnum()]
    if len(letters) < 3:
        raise ConversionError(f"operator {operator!r}: no EVSE-ID and no party id to derive")
    return ("ES", "".join(letters[:3]))


def assign_parties(sites: list[Site], stats: Stats) -> dict[str, tuple[str, str]]:
    """Choose each site's OCPI identity: its EVSE-IDs, else its operator's, else its name."""
    by_operator: dict[str, Counter[tuple[str, str]]] = defaultdict(Counter)
    for site in sites:
        by_operator[site.operator_name].update(p.party for p in site.points if p.party)
    owners: dict[tuple[str, str], set[str]] = defaultdict(set)
    for operator, parties in by_operator.items():
        for party in parties:
            owners[party].add(operator)
    derived = {op: name_party(op) for op, parties in by_operator.items() if not parties}
    for operator, party in sorted(derived.items()):
        if owners[party] - {operator}:
            others = ", ".join(sorted(owners[party] - {operator}))
            raise ConversionError(
                f"operator {operator!r}: derived party id {party[1]} is already {others}'s"
            )
        owners[party].add(operator)
    chosen = {}
    for site in sites:
        own = Counter(p.party for p in site.points if p.party)
        if len(own) > 1:
            stats.mixed_parties.append(site.installation_id)
        if own:
            chosen[site.installation_id] = most_common(own)
        elif site.operator_name in derived:
            chosen[site.installation_id] = derived[site.operator_name]
            stats.party_from_name.append(site.installation_id)
        else:
            chosen[site.installation_id] = most_common(by_operator[site.operator_name])
            stats.party_from_operator.append(site.installation_id)
    return chosen


def check_unique(sites: list[Site], stats: Stats) -> None:
    """Refuse two sites with one installation_id; note charge point references seen twice."""
    seen: dict[str, Site] = {}
    for site in sites:
        if other := seen.get(site.installation_id):
            same = (other.operator_name, other.latitude, other.longitude, other.name) == (
                site.operator_name,
                site.latitude,
                site.longitude,
                site.name,
            )
            reason = "same operator, coordinates and name" if same else "hash collision"
            raise ConversionError(
                f"sites {other.name!r} and {site.name!r} share installation_id "
                f"{site.installation_id} ({reason})"
            )
        seen[site.installation_id] = site
    refs = Counter(point.ref for site in sites for point in site.points if point.ref)
    stats.duplicate_refs.extend(sorted(ref for ref, count in refs.items() if count > 1))


def convert(source: Path, target: Path) -> Stats:
    """Convert a DGT register JSON file into the RIPREE CSV of SPEC §7."""
    publication = json.loads(Path(source).read_text(encoding="utf-8"))
    stats = Stats()
    sites = [read_site(raw, stats) for raw in iter_raw_sites(publication)]
    check_unique(sites, stats)
    parties = assign_parties(sites, stats)
    rows = []
    for site in sites:
        country, party = parties[site.installation_id]
        stats.sites += 1
        stats.operators[site.operator_name] += 1
        for point in site.points:
            stats.parties[party] += 1
            rows.append(
                {
                    **{column: getattr(site, column, "") for column in COLUMNS},
                    "operator_tax_id": "",  # the register does not publish the CIF
                    "country_code": country,
                    "party_id": party,
                    "access": "public",  # the register lists public charging points only
                    "evse_ref": point.ref,
                    "max_power_kw": point.max_power_kw,
                    "connector_types": point.connector_types,
                }
            )
    rows.sort(key=lambda row: (row["installation_id"], row["evse_ref"]))
    stats.rows = len(rows)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return stats


def main(argv: Sequence[str] | None = None) -> int:
    """Run the converter from the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m sgv.demo.dgt",
        description="Convert the DGT/MITERD register (DATEX II as JSON) into the RIPREE CSV.",
    )
    parser.add_argument("source", type=Path, help="the register JSON file")
    parser.add_argument("target", type=Path, help="the CSV file to write")
    args = parser.parse_args(argv)
    try:
        stats = convert(args.source, args.target)
    except (ConversionError, OSError, json.JSONDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(stats.summary())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
