"""RIPREE import (SPEC §7): every bad row reported by line, field and reason; bad files refused."""

import io
import json
import re

import pytest

from sgv.registry import MAX_PROBLEMS, RegisterError, import_register
from sgv.registry.files import geojson_rows
from sgv.registry.rows import COLUMNS, OUTSIDE_SPAIN
from tests.ripree_helpers import MADRID, PALMA, REGISTER, problems_in, write_csv, write_geojson

# --- bad rows ------------------------------------------------------------------------

BAD_ROWS = [
    ({"installation_id": ""}, "installation_id: required"),
    ({"installation_id": "X" * 65}, "installation_id: longer than 64 characters"),
    ({"operator_name": " "}, "operator_name: required"),
    ({"name": ""}, "name: required"),
    ({"evse_ref": ""}, "evse_ref: required"),
    ({"evse_ref": "E" * 65}, "evse_ref: longer than 64 characters"),
    ({"country_code": "PT"}, "country_code: must be ES"),
    ({"party_id": "IB"}, "party_id: must be 3 capital letters or digits"),
    ({"party_id": "ibd"}, "party_id: must be 3 capital letters or digits"),
    ({"postal_code": "280140"}, "postal_code: must be 5 digits"),
    ({"postal_code": "28O14"}, "postal_code: must be 5 digits"),
    ({"postal_code": "99001"}, "postal_code: no Spanish province has the prefix 99"),
    ({"latitude": "norte"}, "latitude: not a number"),
    ({"longitude": "-3,70"}, "longitude: not a number (use a decimal point)"),
    (
        {"latitude": "-3.696944", "longitude": "40.418889"},
        "latitude/longitude: latitude and longitude look swapped",
    ),
    (
        {"latitude": "-15.4363", "longitude": "28.1235"},
        "latitude/longitude: latitude and longitude look swapped",
    ),
    ({"latitude": "48.8566", "longitude": "2.3522"}, f"latitude/longitude: {OUTSIDE_SPAIN}"),
    ({"latitude": "0", "longitude": "0"}, f"latitude/longitude: {OUTSIDE_SPAIN}"),
    ({"max_power_kw": "22000"}, "max_power_kw: 22000 looks like W, not kW"),
    ({"max_power_kw": "0"}, "max_power_kw: must be greater than 0"),
    ({"max_power_kw": "-7.4"}, "max_power_kw: must be greater than 0"),
    ({"max_power_kw": "rápida"}, "max_power_kw: not a number"),
    ({"max_power_kw": "nan"}, "max_power_kw: not a number"),
    (
        {"connector_types": "IEC_62196_T2|TYPE_2"},
        "connector_types: 'TYPE_2' is not an OCPI 2.2.1 ConnectorType",
    ),
    (
        {"connector_types": "iec62196T2COMBO"},
        "connector_types: 'iec62196T2COMBO' is not an OCPI 2.2.1 ConnectorType;"
        " did you mean IEC_62196_T2_COMBO?",
    ),
    ({"connector_types": "CHADEMO||IEC_62196_T2"}, "connector_types: empty entry in the"),
    ({"access": "private"}, "access: must be public or restricted"),
]


@pytest.mark.parametrize(("change", "expected"), BAD_ROWS)
def test_bad_row_is_reported_by_line_field_and_reason(committed_app, tmp_path, change, expected):
    path = write_csv(tmp_path / "r.csv", [PALMA, MADRID | change])
    problems = problems_in(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"line 3: {expected}")


@pytest.mark.parametrize(("change", "expected"), BAD_ROWS[::4])
def test_bad_feature_is_reported_by_its_index(committed_app, tmp_path, change, expected):
    path = write_geojson(tmp_path / "r.geojson", [PALMA, MADRID | change])
    assert [problem.split(": ", 1)[0] for problem in problems_in(path)] == ["features[1]"]
    assert problems_in(path)[0].startswith(f"features[1]: {expected}")


def test_every_bad_row_is_reported_with_its_physical_line(committed_app, tmp_path):
    rows = [
        PALMA | {"address": "Camí dels Reis 166\nlocal 2"},  # one record on lines 2 and 3
        MADRID | {"access": "private"},
        MADRID | {"evse_ref": "ES*IBD*E0001A2", "max_power_kw": "50000", "country_code": "FR"},
    ]
    assert problems_in(write_csv(tmp_path / "r.csv", rows)) == [
        "line 4: access: must be public or restricted",
        "line 5: country_code: must be ES",
        "line 5: max_power_kw: 50000 looks like W, not kW",
    ]


def test_rows_of_one_installation_must_agree_on_the_site(committed_app, tmp_path):
    rows = [MADRID, MADRID | {"evse_ref": "ES*IBD*E0001A2", "name": "Otro", "latitude": "40.5"}]
    assert problems_in(write_csv(tmp_path / "r.csv", rows)) == [
        "line 3: name: differs from line 2 of the same installation_id",
        "line 3: latitude: differs from line 2 of the same installation_id",
    ]


def test_duplicate_charge_point_is_reported(committed_app, tmp_path):
    path = write_csv(tmp_path / "r.csv", [MADRID, PALMA, MADRID])
    assert problems_in(path) == ["line 4: evse_ref: installation_id and evse_ref repeat line 2"]


def test_row_with_the_wrong_number_of_fields_is_reported(committed_app, tmp_path):
    path = write_csv(tmp_path / "r.csv", [MADRID])
    with path.open("a", encoding="utf-8") as out:
        out.write("ES-X,too,few\n")
    assert problems_in(path) == ["line 3: row: 3 fields where the header has 17"]


def test_problems_are_all_counted_and_the_first_ones_kept(committed_app, tmp_path):
    rows = [MADRID | {"evse_ref": f"E{n}", "access": "private"} for n in range(1500)]
    with pytest.raises(RegisterError) as raised:
        import_register(write_csv(tmp_path / "r.csv", rows))
    assert raised.value.count == 1500
    assert len(raised.value.problems) == MAX_PROBLEMS
    assert str(raised.value.problems[0]).startswith("line 2: access")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        (",".join(COLUMNS) + "\n", "no charge points in the file"),
        (",".join(COLUMNS[:-1]) + "\n", "the header lacks the column(s) connector_types"),
        ('{"type": "FeatureCollection", "features": [', "invalid JSON"),
        ('{"type": "Feature", "features": []}', "not a FeatureCollection"),
        ("installation_id\n\xff\n", "not UTF-8"),
    ],
)
def test_unreadable_register_is_rejected_with_one_message(
    committed_app, tmp_path, content, message
):
    path = tmp_path / "r.csv"
    path.write_bytes(content.encode("latin-1") if "\xff" in content else content.encode())
    with pytest.raises(RegisterError, match=re.escape(message)) as raised:
        import_register(path)
    assert raised.value.problems == []


# --- reading GeoJSON as a stream -----------------------------------------------------


def test_geojson_is_read_the_same_whatever_the_chunk_size(tmp_path):
    rows = [PALMA, *REGISTER[:2]]
    collection = json.loads(write_geojson(tmp_path / "r.geojson", rows).read_text())
    collection = {"name": "RIPREE", "bbox": [-3.7, 39.5, 2.7, 40.5]} | collection
    collection["crs"] = {"type": "name", "properties": {"name": "EPSG:4326"}}
    content = json.dumps(collection, indent=1)
    whole = list(geojson_rows(io.StringIO(content)))
    assert [row["evse_ref"] for _, row in whole] == [row["evse_ref"] for row in rows]
    for chunk_size in (1, 7, 64):
        assert list(geojson_rows(io.StringIO(content), chunk_size)) == whole


def test_feature_without_a_point_is_reported(committed_app, tmp_path):
    path = write_geojson(tmp_path / "r.geojson", [MADRID, PALMA])
    collection = json.loads(path.read_text())
    collection["features"][1]["geometry"] = {"type": "LineString", "coordinates": [[0, 0]]}
    path.write_text(json.dumps(collection))
    assert problems_in(path) == ["features[1]: geometry: not a Point [longitude, latitude]"]
