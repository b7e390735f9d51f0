"""Read a DATEX II v3 EnergyInfrastructureTablePublication (the ministry's register as the DGT
publishes it, or SGV's own datex2/table.xml) as RIPREE rows, streamed with lxml iterparse.

Lenient where the ministry's file is not valid DATEX II: elements are read by local name
(v3.5 `egi`/`fac` or v3.7 `aegi`/`afac`), and the register's known defects are fixed with
a warning naming the site — power in kW where W is due, swapped coordinates, a postcode
without its leading zero, a missing province (from the postcode) — or the site is skipped
with a warning (no id, no usable coordinates). What remains goes through check_row like
any other row: the file is still all or nothing. One site is in memory at a time.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from lxml import etree

from sgv.datex2.mapping import OCPI_CONNECTORS
from sgv.registry.files import FileError, RawRow
from sgv.registry.provinces import province_of
from sgv.registry.rows import RowProblem, in_spain

PUBLICATION = "EnergyInfrastructureTablePublication"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
LABELS = {"dirección": "address", "municipio": "municipality", "provincia": "province"}
LINE_TYPES = {"street": "address", "town": "municipality", "region": "province"}
KW_IN_W = Decimal(1000)  # below 1,000 "W" a charge point's power is surely in kW


@dataclass(frozen=True, slots=True)
class RowWarning(RowProblem):
    """A defect of the file fixed or skipped on reading: a warning, never a rejection."""


def local(element: etree._Element) -> str:
    """Return an element's name without its namespace ('' for a comment)."""
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def child(parent: etree._Element | None, name: str) -> etree._Element | None:
    """Return the first child with this local name, in any namespace."""
    return None if parent is None else parent.find(f"{{*}}{name}")


def under(parent: etree._Element, name: str) -> list[etree._Element]:
    """Return every element under `parent` with this local name (searched by libxml2)."""
    return list(parent.iter(f"{{*}}{name}"))


def words(element: etree._Element | None) -> str:
    """Return an element's text, or its MultilingualString's first value, spaces collapsed."""
    if element is None:
        return ""
    value = next(element.iter("{*}value"), None)
    raw = element.text if value is None else value.text
    return " ".join((raw or "").split())


def number(text: str) -> Decimal | None:
    try:
        found = Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None
    return found if found.is_finite() else None


def xml_rows(binary: BinaryIO) -> Iterator[RawRow]:
    """Yield (XML line of the site, row or RowWarning) for each refill point of each site."""
    parser = etree.iterparse(
        binary,
        events=("start", "end"),
        tag=("{*}payload", "{*}energyInfrastructureSite"),  # libxml2 skips the rest
        resolve_entities=False,
        no_network=True,
    )
    root, sites = None, 0
    try:
        for event, element in parser:
            if root is None:
                root = element.getroottree().getroot()
                kind = (root.get(XSI_TYPE) or "").rpartition(":")[2]
                if local(root) != "payload" or kind != PUBLICATION:
                    raise FileError(f"not a DATEX II v3 {PUBLICATION} (d2:payload)")
            if event == "end" and local(element) == "energyInfrastructureSite":
                sites += 1
                yield from Site(element).rows()
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]  # the sites already read
    except etree.XMLSyntaxError as exc:
        raise FileError(f"not well-formed XML: {exc}") from None
    if root is None:
        raise FileError(f"not a DATEX II v3 {PUBLICATION} (d2:payload)")
    if not sites:
        raise FileError(f"the {PUBLICATION} has no energyInfrastructureSite")


class Site:
    """One energyInfrastructureSite read as RIPREE rows."""

    def __init__(self, element: etree._Element) -> None:
        self.element = element
        self.line = element.sourceline or 0
        self.id = (element.get("id") or "").strip()
        self.name = words(child(element, "name"))
        self.warnings: list[RowWarning] = []

    def warn(self, field: str, reason: str) -> None:
        who = f"site {self.id or self.name!r}"
        self.warnings.append(RowWarning(self.line, field, f"{who}: {reason}"))

    def rows(self) -> Iterator[RawRow]:
        site = self.fields()
        points = [] if site is None else self.points()
        yield from ((self.line, warning) for warning in self.warnings)
        yield from ((self.line, {**site, **point}) for point in points)

    def fields(self) -> dict[str, str | None] | None:
        """Return the site's columns, None (with a warning) when it cannot be placed."""
        if not self.id:
            self.warn("installation_id", "no id: skipped")
            return None
        coordinates = self.coordinates()
        if coordinates is None:
            return None
        operator = child(self.element, "operator")
        country, party = self.identity(operator)
        hours = [words(e) for e in under(self.element, "label")]
        return {
            "installation_id": self.id,
            "operator_tax_id": words(child(operator, "nationalOrganisationNumber")) or None,
            "operator_name": words(child(operator, "name")),
            "country_code": country,
            "party_id": party,
            "name": self.name,
            **self.address(),
            "latitude": coordinates[0],
            "longitude": coordinates[1],
            "opening_hours": next((h for h in hours if h), None),
            "access": "public",
        }

    def identity(self, operator: etree._Element | None) -> tuple[str, str]:
        """Return the operator's (country, party) from its ES*XXX id."""
        ident = "" if operator is None else (operator.get("id") or "")
        if "*" not in ident and operator is not None:
            ident = next((words(e) for e in under(operator, "identifier")), "")
        country, _, party = ident.partition("*")
        return country.strip().upper(), party.strip().upper()

    def coordinates(self) -> tuple[str, str] | None:
        place = next(iter(under(self.element, "coordinatesForDisplay")), None)
        lat = number(words(child(place, "latitude")))
        lon = number(words(child(place, "longitude")))
        if lat is None or lon is None:
            self.warn("latitude/longitude", "no usable coordinates: skipped")
            return None
        if not in_spain(float(lat), float(lon)) and in_spain(float(lon), float(lat)):
            self.warn("latitude/longitude", f"latitude and longitude swapped ({lat}, {lon})")
            lat, lon = lon, lat
        return str(lat), str(lon)

    def address(self) -> dict[str, str]:
        found = {"address": "", "municipality": "", "province": ""}
        for line in under(self.element, "addressLine"):
            text = words(child(line, "text"))
            label, colon, rest = text.partition(":")
            if colon and label.strip().casefold() in LABELS:
                found[LABELS[label.strip().casefold()]] = rest.strip()
            elif (kind := words(child(line, "type"))) in LINE_TYPES:
                found[LINE_TYPES[kind]] = text
        postcode = next((words(e) for e in under(self.element, "postcode")), "")
        if len(postcode) == 4 and postcode.isdigit():
            self.warn("postal_code", f"{postcode} lost its leading zero: read as 0{postcode}")
            postcode = "0" + postcode
        if not found["province"] and (province := province_of(postcode)):
            self.warn("province", f"none given: {province}, from postcode {postcode}")
            found["province"] = province
        return {**found, "postal_code": postcode}

    def points(self) -> list[dict[str, str]]:
        rows = []
        for point in under(self.element, "refillPoint"):
            ref = words(child(point, "name"))
            if not ref:
                ref = point.get("id") or ""
                self.warn("evse_ref", f"refill point without an EVSE-ID: its id {ref!r} used")
            types, powers = [], []
            for connector in point.iterchildren("{*}connector"):
                datex = words(child(connector, "connectorType"))
                ocpi = OCPI_CONNECTORS.get(datex.casefold())
                if ocpi is None:
                    self.warn("connector_types", f"{ref}: connector type {datex!r} skipped")
                elif ocpi not in types:
                    types.append(ocpi)
                if (watts := number(words(child(connector, "maxPowerAtSocket")))) is not None:
                    powers.append(self.kilowatts(watts, ref))
            available = number(words(child(point, "availableChargingPower")))
            power = self.kilowatts(available, ref) if available else max(powers, default=None)
            rows.append(
                {
                    "evse_ref": ref,
                    "max_power_kw": "" if power is None else str(power),
                    "connector_types": "|".join(types),
                }
            )
        return rows

    def kilowatts(self, watts: Decimal, ref: str) -> Decimal:
        """Return W as kW; a value below 1,000 is taken as kW already, with a warning."""
        if 0 < watts < KW_IN_W:
            self.warn("max_power_kw", f"{ref}: {watts} W read as {watts} kW")
            return watts
        return watts / KW_IN_W
