"""A 2.3.0 CPO, end to end (issue #16's "done when"): it integrates over OCPI 2.3.0 with a
real CPO server on 127.0.0.1, pushes a truck parking place and a VAT-inclusive tariff, and
the public sees the truck parking, the help phone, Plug & Charge and the ex-VAT €/kWh on
the installation page and JSON, in every open-data format and through the trucks filter.
"""

import csv
import io
import json

import pytest

from tests.cpo_server import CpoServer
from tests.ocpi_helpers import headers, make_created_party
from tests.public_helpers import add_installation, location_body
from tests.test_datex2 import fetch, one, schema, texts, valid  # noqa: F401 (schema: a fixture)

REFS = (("ES*CPO*E1", 150, "IEC_62196_T2_COMBO"), ("ES*CPO*E2", 22, "IEC_62196_T2"))
PARKING = [
    {
        "id": "TRUCK1",
        "vehicle_types": ["RIGID", "TRUCK_WITH_TRAILER", "SEMI_TRACTOR"],
        "max_vehicle_weight": 44000,
        "max_vehicle_height": 400,
        "max_vehicle_length": 1875,
        "drive_through": True,
        "restricted_to_type": False,
        "reservation_required": False,
    },
    {
        "id": "CAR1",
        "vehicle_types": ["PERSONAL_VEHICLE"],
        "restricted_to_type": True,
        "reservation_required": False,
    },
]
# 0.363 €/kWh including 21 % VAT: 0.30 €/kWh excluding it (SGV's public figure)
TARIFF = {
    "country_code": "ES",
    "party_id": "CPO",
    "id": "T1",
    "currency": "EUR",
    "type": "AD_HOC_PAYMENT",
    "elements": [
        {"price_components": [{"type": "ENERGY", "price": 0.363, "vat": 21.0, "step_size": 1}]}
    ],
    "tax_included": "YES",
    "last_updated": "2025-01-01T10:00:00Z",
}


def cli(app, *args):
    result = app.test_cli_runner().invoke(args=["sgv", "cpo", *args, "--json"])
    assert result.exit_code == 0, result.output


@pytest.fixture
def world(app, client):
    """ES*CPO integrated on 2.3.0 and approved; INST1 with trucks, INST2 without."""
    add_installation("INST1", party_id="CPO", refs=REFS)
    add_installation(
        "INST2", party_id="CPO", lon="-3.6", refs=(("ES*CPO*F1", 50, "IEC_62196_T2_COMBO"),)
    )
    _, token_a = make_created_party("ES", "CPO")
    with CpoServer(versions=("2.2.1", "2.3.0")) as cpo:
        response = client.post(
            "/api/2.3.0/credentials", json=cpo.credentials("2.3.0"), headers=headers(token_a)
        )
        assert response.status_code == 200, response.json
    token = response.json["data"]["token"]
    cli(app, "approve", "ES", "CPO")
    body = location_body("INST1", party_id="CPO")
    body |= {"parking_places": PARKING, "help_phone": "+34 900 111 222"}
    body["evses"][0]["parking"] = [{"parking_id": "TRUCK1", "evse_position": "RIGHT"}]
    body["evses"][1]["parking"] = [{"parking_id": "CAR1"}]
    body["evses"][0]["connectors"][0]["capabilities"] = ["ISO_15118_2_PLUG_AND_CHARGE"]
    for path, sent in (("locations/ES/CPO/INST1", body), ("tariffs/ES/CPO/T1", TARIFF)):
        response = client.put(f"/api/2.3.0/{path}", json=sent, headers=headers(token))
        assert response.status_code == 201, response.json
    other = location_body("INST2", party_id="CPO", lon="-3.6")
    other["evses"] = other["evses"][:1]
    other["evses"][0]["evse_id"] = "ES*CPO*F1"
    response = client.put("/api/2.3.0/locations/ES/CPO/INST2", json=other, headers=headers(token))
    assert response.status_code == 201, response.json
    return token


def test_the_installation_json_shows_truck_parking_and_the_ex_vat_price(client, world):
    detail = client.get("/map/installations/INST1.json").json
    assert detail["parking"]["trucks"] is True
    assert detail["parking"]["vans"] is False
    assert detail["parking"]["places"][0] | {} == {
        "vehicle_types": ["RIGID", "TRUCK_WITH_TRAILER", "SEMI_TRACTOR"],
        "trucks": True,
        "vans": False,
        "reservation_required": False,
        "max_weight_kg": 44000,
        "max_height_cm": 400,
        "max_length_cm": 1875,
        "drive_through": True,
    }
    assert detail["help_phones"] == ["+34 900 111 222"]
    assert detail["plug_and_charge"] is True
    fast = detail["charge_points"][0]["prices"][0]
    assert fast["plug_and_charge"] is True
    assert (fast["price"]["energy_excl_vat"], fast["price"]["vat_rate"]) == (0.3, 21.0)
    assert fast["price"]["energy_incl_vat"] == 0.363
    assert detail["price_from"] == 0.3
    assert client.get("/map/installations/INST2.json").json["parking"]["trucks"] is False


def test_the_installation_page_shows_parking_help_phone_and_plug_and_charge(client, world):
    page = client.get("/installations/INST1?lang=en").get_data(as_text=True)
    assert "<h2>Parking</h2>" in page and "Suitable for trucks" in page
    assert "rigid truck, truck with trailer, semi-tractor" in page
    assert 'href="tel:+34900111222"' in page
    assert "Plug &amp; Charge (ISO 15118)" in page
    assert "0,30" in client.get("/installations/INST1?lang=es").get_data(as_text=True)
    assert "Suitable for trucks" not in client.get("/installations/INST2?lang=en").get_data(
        as_text=True
    )


def test_open_data_json_and_geojson_carry_the_2_3_0_fields(client, world):
    sites = {s["id"]: s for s in client.get("/opendata/installations.json").json["installations"]}
    site = sites["INST1"]
    assert (site["suitable_for_trucks"], site["suitable_for_vans"]) == (True, False)
    assert site["parking_reservation_required"] is False
    assert site["help_phones"] == ["+34 900 111 222"]
    assert site["plug_and_charge"] is True
    assert site["price_from"] == 0.3
    assert site["parking_places"][0]["max_vehicle_weight_kg"] == 44000
    connector = site["charge_points"][0]["connectors"][0]
    assert (connector["plug_and_charge"], connector["price"]["energy_excl_vat"]) == (True, 0.3)
    assert sites["INST2"]["suitable_for_trucks"] is False
    features = client.get("/opendata/installations.geojson").json["features"]
    assert [f["properties"]["suitable_for_trucks"] for f in features] == [True, False]


def test_the_trucks_filter_selects_sites_in_every_export_and_the_map(client, world):
    only = client.get("/opendata/installations.json?trucks=1").json
    assert [s["id"] for s in only["installations"]] == ["INST1"]
    assert only["filters"]["trucks"] is True
    geo = client.get("/opendata/installations.geojson?trucks=true").json
    assert [f["id"] for f in geo["features"]] == ["INST1"]
    rows = list(
        csv.DictReader(io.StringIO(client.get("/opendata/installations.csv?trucks=1").text))
    )
    assert {r["installation_id"] for r in rows} == {"INST1"}
    everything = client.get("/opendata/installations.json").json["installations"]
    assert len(everything) == 2
    bad = client.get("/opendata/installations.json?trucks=maybe")
    assert bad.status_code == 400 and "trucks" in bad.json["description"]
    live = client.get("/map/live.json?trucks=1").json
    ids = client.get("/map/ids.json").json["id"]
    assert [ids[n] for n in live["site"]] == ["INST1"]
    assert len(client.get("/map/live.json").json["site"]) == 2


def test_csv_appends_the_2_3_0_columns_at_the_end(client, world):
    text = client.get("/opendata/installations.csv").text
    header = next(csv.reader(io.StringIO(text)))
    assert header[-5:] == [
        "help_phone",
        "suitable_for_trucks",
        "suitable_for_vans",
        "parking_reservation_required",
        "plug_and_charge",
    ]
    assert header[:3] == ["installation_id", "name", "operator_name"]  # nothing renamed
    rows = {r["evse_ref"]: r for r in csv.DictReader(io.StringIO(text))}
    fast = rows["ES*CPO*E1"]
    assert (fast["help_phone"], fast["suitable_for_trucks"], fast["plug_and_charge"]) == (
        "'+34 900 111 222",  # a leading + is neutralised like any formula start (SPEC §8)
        "true",
        "true",
    )
    assert (fast["price_energy_excl_vat"], fast["price_energy_incl_vat"]) == ("0.3", "0.363")
    assert rows["ES*CPO*E2"]["plug_and_charge"] == "false"
    assert rows["ES*CPO*F1"]["suitable_for_trucks"] == "false"


def test_the_openapi_schema_describes_the_2_3_0_fields(client, world):
    spec = client.get("/opendata/openapi.json").json
    fields = spec["components"]["schemas"]["Installation"]["properties"]
    assert {"suitable_for_trucks", "help_phones", "parking_places", "plug_and_charge"} <= set(
        fields
    )
    parameters = spec["paths"]["/opendata/installations.json"]["get"]["parameters"]
    assert "trucks" in {p["name"] for p in parameters}
    assert json.dumps(spec).count("ParkingPlace") >= 2


def test_datex2_table_carries_the_help_phone_and_the_vehicle_types(client, world, schema):  # noqa: F811
    """DATEX II's own fields for 2.3.0 data: afac:helpdesk and afac:applicableForVehicles,
    schema-valid; a site without 2.3.0 data has neither; a revoked CPO's go at once."""
    root = valid(schema, fetch(client, "table.xml").data)
    site = one(root, "//aegi:energyInfrastructureSite[@id='INST1']")
    assert texts(site, "afac:helpdesk//afac:telephoneNumber/text()") == ["+34 900 111 222"]
    kinds = texts(site, "afac:applicableForVehicles/com:vehicleType/text()")
    assert kinds == ["lorry", "heavyGoodsVehicleWithTrailer", "articulatedVehicle", "passengerCar"]
    other = one(root, "//aegi:energyInfrastructureSite[@id='INST2']")
    assert texts(other, "afac:helpdesk") == texts(other, "afac:applicableForVehicles") == []
    cli_revoke = ["sgv", "cpo", "revoke", "ES", "CPO", "--reason", "test"]
    assert client.application.test_cli_runner().invoke(args=cli_revoke).exit_code == 0
    site = one(valid(schema, fetch(client, "table.xml").data), "//*[@id='INST1']")
    assert texts(site, "afac:helpdesk") == texts(site, "afac:applicableForVehicles") == []
