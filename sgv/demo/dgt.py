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
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path

from sgv.demo.dgt_fields import (
    ADDRESS_LABELS,
    CONNECTOR_LOOKUP,
    EVSE_ID,
    INSTALLATION_PREFIX,
    ChargePoint,
    ConversionError,
    Site,
    Stats,
    as_list,
    clean,
    degrees,
    fold,
    in_spain,
    kilowatts,
    opening_hours,
    postal_code,
    text,
)
from sgv.registry.rows import COLUMNS


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
        if datex.casefold() not in CONNECTOR_LOOKUP:
            raise ConversionError(
                f"site {site!r}, charge point {ref!r}: connector type {datex!r} "
                "has no OCPI 2.2.1 equivalent"
            )
        types.add(CONNECTOR_LOOKUP[datex.casefold()])
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
