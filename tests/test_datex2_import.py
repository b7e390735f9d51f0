"""`flask sgv ripree import FILE.xml`: the ministry's DATEX II v3 table publication (issue #17),
lenient with its known defects, all or nothing for anything else, idempotent, round trip."""

import json
import re
from pathlib import Path

from sgv.extensions import db
from sgv.models import ChargePoint, Installation
from tests.test_datex2 import fetch, schema, texts, valid  # noqa: F401 (schema: a fixture)

SAMPLE = (
    Path(__file__).resolve().parent / "fixtures" / "datex2" / "es_dgt_datex2_sample_2026-09-30.xml"
)
REAL_IDS = re.findall(r'energyInfrastructureSite [^>]*id="(\d+)"', SAMPLE.read_text("utf-8"))


def run_import(app, path: Path) -> tuple[int, dict]:
    result = app.test_cli_runner().invoke(args=["sgv", "ripree", "import", str(path), "--json"])
    return result.exit_code, json.loads(result.output or "{}")


def counts() -> tuple[int, int]:
    return db.session.query(Installation).count(), db.session.query(ChargePoint).count()


def test_the_ministry_sample_imports_with_its_defects_fixed_and_named(app, client):
    assert len(REAL_IDS) == 16
    code, report = run_import(app, SAMPLE)
    assert code == 0, report
    assert report["format"] == "datex2" and report["installations_added"] == 17
    warnings = "\n".join(report["warning_sample"])
    assert "site 'SINT-SIN-COORD': no usable coordinates: skipped" in warnings
    assert "site 'SINT-RAROS': latitude and longitude swapped" in warnings
    assert "site 'SINT-RAROS': 8028 lost its leading zero: read as 08028" in warnings
    assert "site 'SINT-RAROS': R1: 120.0 W read as 120.0 kW" in warnings
    assert "site 'SINT-RAROS': none given: Barcelona, from postcode 08028" in warnings
    palma = db.session.get(Installation, "2023002088")
    assert (palma.postal_code, palma.municipality, palma.province, palma.address) == (
        "07011",
        "Palma",
        "Balears, Illes",
        "Camí dels Reis 166",
    )
    assert (palma.country_code, palma.party_id, palma.operator_name) == (
        "ES",
        "915",
        "Motor Box Mallorca SL",
    )
    [point] = palma.charge_points
    assert (point.evse_ref, float(point.max_power_kw), point.connector_types) == (
        "ES*915*EES00025600000020000001",
        350.0,
        ["IEC_62196_T2_COMBO"],
    )
    raros = db.session.get(Installation, "SINT-RAROS")
    assert sorted(float(p.max_power_kw) for p in raros.charge_points) == [2.3, 120.0]
    listed = {s["id"] for s in client.get("/opendata/installations.json").json["installations"]}
    assert set(REAL_IDS) <= listed


def test_reimporting_changes_nothing(app):
    assert run_import(app, SAMPLE)[0] == 0
    code, report = run_import(app, SAMPLE)
    assert code == 0
    assert report["installations_added"] == report["installations_changed"] == 0
    assert report["charge_points_added"] == report["charge_points_changed"] == 0


def test_an_xml_file_that_is_not_a_table_publication_is_refused_and_changes_nothing(app, tmp_path):
    assert run_import(app, SAMPLE)[0] == 0
    before = counts()
    status = tmp_path / "status.xml"
    status.write_text(
        SAMPLE.read_text("utf-8").replace(
            'xsi:type="egi:EnergyInfrastructureTablePublication"',
            'xsi:type="egi:EnergyInfrastructureStatusPublication"',
        )
    )
    broken = tmp_path / "broken.xml"
    broken.write_text(SAMPLE.read_text("utf-8")[:5000])
    for path, reason in (
        (status, "not a DATEX II v3 EnergyInfrastructureTablePublication"),
        (broken, "not well-formed XML"),
    ):
        code, report = run_import(app, path)
        assert code == 1 and reason in report["error"], report
        assert counts() == before


def test_round_trip_import_export_validate_reimport_changes_nothing(
    app,
    client,
    schema,  # noqa: F811 (the fixture imported above)
    tmp_path,
):
    assert run_import(app, SAMPLE)[0] == 0
    body = fetch(client, "table.xml").data
    root = valid(schema, body)
    assert set(REAL_IDS) <= set(texts(root, "//aegi:energyInfrastructureSite/@id"))
    exported = tmp_path / "table.xml"
    exported.write_bytes(body)
    before = counts()
    code, report = run_import(app, exported)
    assert code == 0, report
    assert report["warnings"] == 0, report["warning_sample"]
    assert report["installations_added"] == report["installations_changed"] == 0, report
    assert report["charge_points_added"] == report["charge_points_changed"] == 0, report
    assert report["charge_points_removed"] == 0 and counts() == before


def test_entities_are_never_resolved(app, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    sample = SAMPLE.read_text("utf-8")
    doctype = f'<!DOCTYPE d2:payload [<!ENTITY leak SYSTEM "file://{secret}">]>\n'
    hostile = tmp_path / "entities.xml"
    hostile.write_text(
        sample.replace("<d2:payload", doctype + "<d2:payload", 1).replace(
            "Centro Porsche Baleares CP2", "Centro &leak; CP2"
        )
    )
    code, report = run_import(app, hostile)
    assert code == 0, report
    name = db.session.get(Installation, "2023002088").name
    assert "TOP-SECRET" not in name and name.startswith("Centro")
