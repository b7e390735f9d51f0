"""Write a synthetic RIPREE register (SPEC §7 CSV) of N charge points, for benchmarks.

Real Spanish sites (the DGT/MITERD sample in ../shared/data, CC BY 4.0) serve as
templates for names, operators, opening hours, connectors and power; each generated
installation copies one of them into a Spanish municipality taken from the same sample
(plus the island capitals, Ceuta and Melilla), a few hundred metres from its centre.
Seeded, so the same arguments write the same file; rows are written as generated.

    python bench/generate_register.py 100000 /tmp/register.csv [--seed 1] [--vary 0.01]
    python bench/generate_register.py 100000 /tmp/register.geojson
"""

import argparse
import csv
import json
import random
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from sgv.registry.rows import COLUMNS

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "data" / "es_dgt_electrolineras_2024-06-03.json"
# DATEX II connector names in the sample → OCPI 2.2.1 ConnectorType.
CONNECTORS = {
    "iec62196T2": "IEC_62196_T2",
    "iec62196T2COMBO": "IEC_62196_T2_COMBO",
    "chademo": "CHADEMO",
    "domesticF": "DOMESTIC_F",
}
# Places the sample lacks, so every area of SPEC §7's checks gets sites.
EXTRA_PLACES = [
    ("Ceuta", "Ceuta", "51001", 35.8894, -5.3198),
    ("Melilla", "Melilla", "52001", 35.2923, -2.9381),
    ("Eivissa", "Balears, Illes", "07800", 38.9067, 1.4206),
    ("Maó", "Balears, Illes", "07701", 39.8885, 4.2658),
    ("Arrecife", "Palmas, Las", "35500", 28.9630, -13.5477),
    ("Puerto del Rosario", "Palmas, Las", "35600", 28.5004, -13.8627),
    ("San Cristóbal de La Laguna", "Santa Cruz de Tenerife", "38201", 28.4874, -16.3159),
    ("Santa Cruz de La Palma", "Santa Cruz de Tenerife", "38700", 28.6835, -17.7642),
    ("Valverde", "Santa Cruz de Tenerife", "38900", 27.8090, -17.9150),
]
STREETS = [
    "Calle Mayor",
    "Calle Real",
    "Avenida de la Constitución",
    "Plaza de España",
    "Calle de la Iglesia",
    "Avenida de Andalucía",
    "Calle San Roque",
    "Carretera Nacional",
    "Paseo Marítimo",
    "Polígono Industrial",
]
JITTER = 0.006  # degrees, about 600 m: stays inside Ceuta's and Melilla's boxes


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


def load_sample(path: Path = SAMPLE) -> tuple[list[dict], list[tuple]]:
    """Return the sample's sites as templates, and its municipalities as places."""
    data = json.loads(path.read_text(encoding="utf-8"))
    templates, places = [], {}
    for site in data["payload"]["energyInfrastructureTable"]["energyInfrastructureSite"]:
        reference = site["locationReference"]
        address = reference["_locationReferenceExtension"]["facilityLocation"]["address"]
        labels = dict(
            line["text"]["values"]["value"].split(": ", 1)
            for line in _as_list(address["addressLine"])
        )
        point = reference["coordinatesForDisplay"]
        place = (labels["Municipio"], labels["Provincia"], f"{int(address['postcode']):05d}")
        places.setdefault(place[:2], (*place, point["latitude"], point["longitude"]))
        station = site["energyInfrastructureStation"]
        points = []
        for refill in _as_list(station["refillPoint"]):
            connectors = _as_list(refill["connector"])
            types = dict.fromkeys(CONNECTORS[c["connectorType"]] for c in connectors)
            watts = max(c["maxPowerAtSocket"] for c in connectors)
            points.append(("|".join(types), f"{watts / 1000:g}"))
        evse_id = _as_list(station["refillPoint"])[0]["name"]["values"]["value"]
        hours = site["operatingHours"]["label"]
        templates.append(
            {
                "operator_name": site["operator"]["name"]["values"]["value"],
                "party_id": evse_id.split("*")[1] if evse_id.startswith("ES*") else "XXX",
                "name": site["name"]["values"]["value"],
                "opening_hours": "24/7" if hours.startswith("24x7") else hours,
                "points": points,
            }
        )
    return templates, [*places.values(), *EXTRA_PLACES]


def generate_rows(count: int, seed: int = 1, vary: float = 0.0) -> Iterator[list[str]]:
    """Yield `count` charge-point rows in COLUMNS order; `vary` halves that share of powers."""
    templates, places = load_sample()
    rng, vary_rng = random.Random(seed), random.Random(seed + 1)
    written = installation = 0
    while written < count:
        installation += 1
        template = rng.choice(templates)
        municipality, province, postcode, latitude, longitude = rng.choice(places)
        operator = template["operator_name"]
        site = [
            f"ES-RIPREE-{installation:07d}",
            f"B{zlib.crc32(operator.encode()) % 10**8:08d}",  # synthetic tax id
            operator,
            "ES",
            template["party_id"],
            template["name"],
            f"{rng.choice(STREETS)}, {rng.randint(1, 150)}",
            postcode,
            municipality,
            province,
            f"{latitude + rng.uniform(-JITTER, JITTER):.6f}",
            f"{longitude + rng.uniform(-JITTER, JITTER):.6f}",
            template["opening_hours"],
            "restricted" if rng.random() < 0.05 else "public",
        ]
        for number, (connectors, power) in enumerate(template["points"], 1):
            if written == count:
                break
            if vary_rng.random() < vary:
                power = f"{float(power) / 2:g}"
            evse_ref = f"ES*{template['party_id']}*E{installation:07d}{number:02d}"
            yield [*site, evse_ref, power, connectors]
            written += 1


def write_register(out: TextIO, count: int, seed: int = 1, vary: float = 0.0) -> None:
    """Write `count` charge points as a §7 CSV."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(generate_rows(count, seed, vary))


def write_geojson(out: TextIO, count: int, seed: int = 1, vary: float = 0.0) -> None:
    """Write the same charge points as a GeoJSON FeatureCollection, one feature a line."""
    out.write('{"type": "FeatureCollection", "features": [\n')
    for index, row in enumerate(generate_rows(count, seed, vary)):
        properties = dict(zip(COLUMNS, row, strict=True))
        point = [float(properties.pop("longitude")), float(properties.pop("latitude"))]
        properties["max_power_kw"] = float(properties["max_power_kw"])
        properties["connector_types"] = properties["connector_types"].split("|")
        geometry = {"type": "Point", "coordinates": point}
        feature = {"type": "Feature", "geometry": geometry, "properties": properties}
        out.write(("," if index else "") + json.dumps(feature, ensure_ascii=False) + "\n")
    out.write("]}\n")


def main() -> None:
    """Write the register named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="charge points to write")
    parser.add_argument("output", type=Path, help="file to write: .geojson or else CSV")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--vary", type=float, default=0.0, help="share of powers to change")
    args = parser.parse_args()
    write = write_geojson if args.output.suffix == ".geojson" else write_register
    with args.output.open("w", encoding="utf-8", newline="") as out:
        write(out, args.count, args.seed, args.vary)
    print(f"wrote {args.count} charge points to {args.output}")


if __name__ == "__main__":
    main()
