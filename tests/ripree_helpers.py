"""Shared by the RIPREE import tests: a small real-looking register and its writers."""

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from sgv.extensions import db
from sgv.registry import RegisterError, import_register
from sgv.registry.rows import COLUMNS

MADRID = {
    "installation_id": "ES-MAD-0001",
    "operator_tax_id": "A95758389",
    "operator_name": "IBERDROLA CLIENTES S.A.U",
    "country_code": "ES",
    "party_id": "IBD",
    "name": "M-MADRID-060",
    "address": "Calle de Alcalá, 45",
    "postal_code": "28014",
    "municipality": "Madrid",
    "province": "Madrid",
    "latitude": "40.418889",
    "longitude": "-3.696944",
    "opening_hours": "24/7",
    "access": "public",
    "evse_ref": "ES*IBD*E0001A1",
    "max_power_kw": "22",
    "connector_types": "IEC_62196_T2",
}
PALMA = MADRID | {
    "installation_id": "ES-PMI-0002",
    "operator_name": "Motor Box Mallorca SL",
    "party_id": "915",
    "name": "Centro Porsche Baleares CP2",
    "address": "Camí dels Reis 166",
    "postal_code": "07011",
    "municipality": "Palma",
    "province": "Balears, Illes",
    "latitude": "39.5948",
    "longitude": "2.63586",
    "opening_hours": "Lunes (00:00 - 23:59)\tMartes (08:30 - 17:30)",
    "evse_ref": "ES*915*EES000256",
    "max_power_kw": "350",
    "connector_types": "IEC_62196_T2_COMBO|CHADEMO",
}
REGISTER = [
    MADRID,
    MADRID | {"evse_ref": "ES*IBD*E0001A2", "max_power_kw": "50", "connector_types": "CHADEMO"},
    PALMA,
]


def write_csv(path: Path, rows: list[dict], header: tuple[str, ...] = COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, header, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def number_or_text(value: str) -> float | str:
    try:
        return float(value)
    except ValueError:
        return value


def write_geojson(path: Path, rows: list[dict]) -> Path:
    """Write rows as features: a Point geometry when the coordinates are numbers."""

    def feature(row: dict) -> dict:
        properties = row | {
            "max_power_kw": number_or_text(row["max_power_kw"]),
            "connector_types": row["connector_types"].split("|"),
        }
        point = [number_or_text(row["longitude"]), number_or_text(row["latitude"])]
        geometry = None
        if all(isinstance(coordinate, float) for coordinate in point):
            geometry = {"type": "Point", "coordinates": point}
            del properties["latitude"], properties["longitude"]
        return {"type": "Feature", "geometry": geometry, "properties": properties}

    collection = {"type": "FeatureCollection", "features": [feature(row) for row in rows]}
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


def imported(path: Path, prune: bool = False):
    report = import_register(path, prune=prune)
    db.session.commit()
    return report


def problems_in(path: Path) -> list[str]:
    with pytest.raises(RegisterError) as raised:
        import_register(path)
    db.session.rollback()
    return [str(problem) for problem in raised.value.problems]


def static_version() -> int:
    """Return the static data version, 0 before the first bump (a fresh sequence says 1)."""
    sql = "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM static_data_version"
    return db.session.scalar(text(sql))


def snapshot() -> tuple[list, list]:
    """Return every installation and charge point as stored, timestamps included."""
    installations = db.session.execute(
        text(
            "SELECT id, operator_tax_id, operator_name, party_id, name, address, postal_code, "
            "municipality, province, ST_AsText(geom), opening_hours, access, retired_at, "
            "updated_at FROM installations ORDER BY id"
        )
    ).all()
    charge_points = db.session.execute(
        text(
            "SELECT id, installation_id, evse_ref, max_power_kw, connector_types "
            "FROM charge_points ORDER BY installation_id, evse_ref"
        )
    ).all()
    return installations, charge_points
