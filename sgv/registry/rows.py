"""One RIPREE row (SPEC §7): its columns and the checks it must pass on its own.

Checks across rows (duplicates, site fields that disagree) run in SQL on the staging
table, in sgv/registry/importer.py, so that no check holds the whole file in memory.
"""

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sgv.ocpi.schemas.enums import CONNECTOR_TYPES_221

COLUMNS = (
    "installation_id",
    "operator_tax_id",
    "operator_name",
    "country_code",
    "party_id",
    "name",
    "address",
    "postal_code",
    "municipality",
    "province",
    "latitude",
    "longitude",
    "opening_hours",
    "access",
    "evse_ref",
    "max_power_kw",
    "connector_types",
)
OPTIONAL = frozenset({"operator_tax_id", "opening_hours"})
# Fields of the installation, which all of its rows must repeat identically.
SITE_COLUMNS = COLUMNS[1:14]

# The lengths of the installations and charge_points columns.
MAX_LENGTH = {
    "installation_id": 64,
    "operator_tax_id": 32,
    "operator_name": 255,
    "name": 255,
    "address": 255,
    "municipality": 128,
    "province": 64,
    "evse_ref": 64,
}

# The register speaks OCPI 2.2.1 connector standards (SPEC §7).
CONNECTOR_TYPES = CONNECTOR_TYPES_221
# "iec62196T2COMBO" (DATEX II, the register's own spelling) → "IEC_62196_T2_COMBO", as a hint.
_CONNECTOR_HINTS = {re.sub(r"[^a-z0-9]", "", value.lower()): value for value in CONNECTOR_TYPES}

# Boxes (south, north, west, east) in degrees around the land areas of Spain. Coarse on
# purpose: they catch swapped, zeroed and foreign coordinates, not a site in Portugal.
AREAS = {
    "the peninsula and the Balearic Islands": (35.95, 43.85, -9.40, 4.40),
    "the Canary Islands": (27.60, 29.45, -18.20, -13.30),
    "Ceuta": (35.86, 35.93, -5.39, -5.27),
    "Melilla": (35.26, 35.33, -2.97, -2.92),
}
OUTSIDE_SPAIN = "outside Spain (peninsula, Balearic and Canary Islands, Ceuta, Melilla)"
# More than this many kW is megawatt charging at best; the register's usual slip is watts.
MAX_PLAUSIBLE_KW = Decimal(1000)
ACCESS = ("public", "restricted")
_POSTCODE = re.compile(r"\d{5}")
Complain = Callable[[str, str], None]  # (field, reason)
_PARTY_ID = re.compile(r"[A-Z0-9]{3}")


@dataclass(frozen=True, slots=True)
class RowProblem:
    """What is wrong with one field of one row: CSV line or GeoJSON feature index."""

    line: int
    field: str
    reason: str
    unit: str = "line"  # "line" (CSV, physical line) or "feature" (index in `features`)

    def __str__(self) -> str:
        return f"{place(self.line, self.unit)}: {self.field}: {self.reason}"

    def as_dict(self) -> dict:
        """Return the problem as JSON-ready keys: line or feature, field, reason."""
        return {self.unit: self.line, "field": self.field, "reason": self.reason}


def place(line: int, unit: str) -> str:
    """Say where a row is, as the operator finds it: "line 12" or "features[3]"."""
    return f"line {line}" if unit == "line" else f"features[{line}]"


def in_spain(latitude: float, longitude: float) -> str | None:
    """Name the area of Spain whose box holds the point, or None."""
    for area, (south, north, west, east) in AREAS.items():
        if south <= latitude <= north and west <= longitude <= east:
            return area
    return None


def check_row(
    raw: dict[str, str | None], line: int, unit: str = "line"
) -> tuple[tuple | None, list[RowProblem], list[RowProblem]]:
    """Validate one raw row; return its staging tuple (None when bad), problems, warnings."""
    problems: list[RowProblem] = []
    warnings: list[RowProblem] = []

    def bad(field: str, reason: str) -> None:
        problems.append(RowProblem(line, field, reason, unit))

    row: dict[str, str | None] = {}
    for column in COLUMNS:
        value = (raw.get(column) or "").strip() or None
        if value is None and column not in OPTIONAL:
            bad(column, "required")
        elif value is not None and len(value) > MAX_LENGTH.get(column, len(value)):
            bad(column, f"longer than {MAX_LENGTH[column]} characters")
        elif value is not None and "\x00" in value:
            bad(column, "contains a NUL character")  # PostgreSQL text cannot hold one
        row[column] = value

    if row["country_code"] and row["country_code"] != "ES":
        bad("country_code", "must be ES")
    if row["party_id"] and not _PARTY_ID.fullmatch(row["party_id"]):
        bad("party_id", "must be 3 capital letters or digits")
    if row["access"] and row["access"] not in ACCESS:
        bad("access", "must be public or restricted")
    if postcode := row["postal_code"]:
        if len(postcode) == 4 and postcode.isdigit():
            # The register exports postcodes as numbers: 07011 arrives as 7011 (research §0.5).
            postcode = row["postal_code"] = "0" + postcode
            warnings.append(RowProblem(line, "postal_code", f"4 digits, read as {postcode}", unit))
        if not _POSTCODE.fullmatch(postcode):
            bad("postal_code", "must be 5 digits")
        elif not "01" <= postcode[:2] <= "52":
            bad("postal_code", f"no Spanish province has the prefix {postcode[:2]}")
    _check_coordinates(row, bad)
    if row["max_power_kw"]:
        row["max_power_kw"] = _check_power(row["max_power_kw"], bad)
    if row["connector_types"]:
        row["connector_types"] = _check_connectors(row["connector_types"], bad)

    if problems:
        return None, problems, warnings
    return (line, *row.values()), problems, warnings


def _number(value: str | None, field: str, bad: Complain) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        bad(field, "not a number" + (" (use a decimal point)" if "," in value else ""))
        return None
    return number


def _check_coordinates(row: dict[str, str | None], bad: Complain) -> None:
    latitude = _number(row["latitude"], "latitude", bad)
    longitude = _number(row["longitude"], "longitude", bad)
    if latitude is None or longitude is None:
        return
    # repr() is the shortest text that PostgreSQL reads back as the very same double.
    row["latitude"], row["longitude"] = repr(latitude), repr(longitude)
    if in_spain(latitude, longitude):
        return
    if in_spain(longitude, latitude):
        bad("latitude/longitude", "latitude and longitude look swapped")
    else:
        bad("latitude/longitude", OUTSIDE_SPAIN)


def _check_power(value: str, bad: Complain) -> str:
    try:
        power = Decimal(value)
    except InvalidOperation:
        power = Decimal("NaN")
    if not power.is_finite():
        bad("max_power_kw", "not a number" + (" (use a decimal point)" if "," in value else ""))
    elif power < Decimal("0.005"):  # stored with 2 decimals: 0.001 would become 0
        bad("max_power_kw", "must be greater than 0")
    elif power > MAX_PLAUSIBLE_KW:
        bad("max_power_kw", f"{value} looks like W, not kW")
    return str(power)  # Python reads "1_000" too; PostgreSQL needs it plain


def _check_connectors(value: str, bad: Complain) -> str:
    standards: list[str] = []
    for standard in (part.strip() for part in value.split("|")):
        if not standard:
            bad("connector_types", "empty entry in the |-separated list")
        elif standard not in CONNECTOR_TYPES:
            hint = _CONNECTOR_HINTS.get(re.sub(r"[^a-z0-9]", "", standard.lower()))
            suggestion = f"; did you mean {hint}?" if hint else ""
            bad("connector_types", f"{standard!r} is not an OCPI 2.2.1 ConnectorType{suggestion}")
        elif standard not in standards:
            standards.append(standard)
    return "|".join(standards)
