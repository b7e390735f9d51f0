"""OCPI 2.3.0 beside 2.2.1, 2.2 and 2.1.1 (issue #16): handshake, receivers, storage, pull.

The official 2.3.0 examples (tests/fixtures/ocpi-examples/2.3.0, tag v2.3.0) are pushed
as they are; parking places, the help phone and Plug & Charge land in their columns; a
parking reference that does not resolve is refused and changes nothing.
"""

import pytest

from sgv.extensions import db
from sgv.models import Connector, Evse, Location, ParkingPlace, Party, Rejection, Tariff
from tests.cpo_server import CpoServer
from tests.ocpi_helpers import EXAMPLES, example, headers, make_created_party, make_party
from tests.quality_helpers import check, connect, stamp

LOCATIONS_230 = sorted(p.stem for p in (EXAMPLES / "2.3.0").glob("location_example*.json"))
# tariff_put_example lacks last_updated, as in 2.2.1 (a known-invalid official example)
TARIFFS_230 = sorted(
    p.stem for p in (EXAMPLES / "2.3.0").glob("tariff_*.json") if p.stem != "tariff_put_example"
)


def put(client, token, path, body, version="2.3.0"):
    return client.put(f"/api/{version}/{path}", json=body, headers=headers(token))


def patch(client, token, path, body, version="2.3.0"):
    return client.patch(f"/api/{version}/{path}", json=body, headers=headers(token))


def get(client, token, path, version="2.3.0"):
    return client.get(f"/api/{version}/{path}", headers=headers(token))


def places() -> list[tuple[str, bool, bool, bool]]:
    db.session.expire_all()
    rows = db.session.scalars(db.select(ParkingPlace).order_by(ParkingPlace.position))
    return [(p.parking_id, p.trucks, p.vans, p.reservation_required) for p in rows]


def truck_location() -> dict:
    """The official example with a truck bay and a van bay, EVSE 3257 using the truck bay."""
    body = example("2.3.0", "location_example")
    body["help_phone"] = "+34 900 123 456"
    body["parking_places"][2] |= {
        "vehicle_types": ["RIGID", "TRUCK_WITH_TRAILER"],
        "max_vehicle_weight": 44000,
        "max_vehicle_height": 400,
        "reservation_required": True,
        "drive_through": True,
    }
    body["parking_places"][1]["vehicle_types"] = ["PERSONAL_VEHICLE", "VAN"]
    body["evses"][1]["parking"] = [{"parking_id": "3", "evse_position": "LEFT"}]
    body["evses"][0]["connectors"][0]["capabilities"] = ["ISO_15118_2_PLUG_AND_CHARGE"]
    return body


@pytest.fixture
def bec(app):
    """A registered 2.3.0 CPO BE*BEC, the owner of the official location_example."""
    return make_party("BE", "BEC", version="2.3.0")[1]


# --- versions and handshake ----------------------------------------------------------


def test_version_details_2_3_0_list_receiver_endpoints_under_2_3_0(client, bec):
    response = get(client, bec, "")
    assert response.status_code == 200
    assert response.json["data"] == {
        "version": "2.3.0",
        "endpoints": [
            {"identifier": m, "url": f"http://sgv.test/api/2.3.0/{m}/", "role": "RECEIVER"}
            for m in ("credentials", "locations", "tariffs")
        ],
    }


def test_a_2_3_0_cpo_registers_on_2_3_0_with_hub_party_id_tolerated(client, app):
    _, token_a = make_created_party("ES", "CPO")
    with CpoServer(versions=("2.2.1", "2.3.0")) as cpo:
        credentials = cpo.credentials("2.3.0") | {"hub_party_id": "NLHUB"}
        response = client.post("/api/2.3.0/credentials", json=credentials, headers=headers(token_a))
        assert response.status_code == 200, response.json
        details = cpo.requests_to("details")
    assert details[-1].path.endswith("/ocpi/2.3.0")
    assert details[-1].headers["Authorization"] != f"Token {cpo.token}"  # base64, as 2.2+
    data = response.json["data"]
    assert [r["role"] for r in data["roles"]] == ["NSP"]
    db.session.expire_all()
    party = db.session.scalars(db.select(Party)).one()
    assert (party.state, party.version) == ("registered", "2.3.0")
    # 2.3.0 endpoints carry roles: the Sender interfaces are found under SENDER
    assert party.endpoints["locations"] == {"SENDER": cpo.endpoint_url("locations", "2.3.0")}
    token_c = data["token"]
    assert get(client, token_c, "locations/ES/CPO/NONE").status_code == 404  # token works


def test_a_hub_role_is_a_warning_in_2_3_0_not_a_refusal(app):
    from sgv.ocpi.schemas import load_credentials

    body = example("2.3.0", "credentials_example") | {"hub_party_id": "NLHUB"}
    body["roles"].append({**body["roles"][0], "role": "HUB"})
    assert load_credentials("2.3.0", body).warnings == ["roles[1].role: unknown value 'HUB' (kept)"]
    assert load_credentials("2.2.1", body).warnings == []  # HUB is a 2.2.1 role


# --- the official examples -----------------------------------------------------------


@pytest.mark.parametrize("name", LOCATIONS_230)
def test_official_2_3_0_locations_are_accepted_and_read_back_equal(client, app, name):
    body = example("2.3.0", name)
    _, token = make_party(body["country_code"], body["party_id"], version="2.3.0")
    path = f"locations/{body['country_code']}/{body['party_id']}/{body['id']}"
    response = put(client, token, path, body)
    assert response.status_code == 201, response.json
    assert response.json["status_code"] == 1000
    assert get(client, token, path).json["data"] == body
    stored = [p.parking_id for p in db.session.scalars(db.select(ParkingPlace))]
    assert stored == [p["id"] for p in body.get("parking_places", [])]


def test_bare_parking_ids_of_the_tag_examples_are_read_with_a_warning(client, bec):
    response = put(client, bec, "locations/BE/BEC/LOC1", example("2.3.0", "location_example"))
    assert response.status_code == 201
    assert "evses[0].parking[0]: a bare id '1'" in response.json["status_message"]
    parking = dict(db.session.execute(db.select(Evse.uid, Evse.parking_ids)).all())
    assert parking == {"3256": ["1", "2"], "3257": ["2", "3"]}


@pytest.mark.parametrize("name", TARIFFS_230)
def test_official_2_3_0_tariffs_are_accepted_and_read_back_equal(client, app, name):
    body = example("2.3.0", name)
    _, token = make_party(body["country_code"], body["party_id"], version="2.3.0")
    path = f"tariffs/{body['country_code']}/{body['party_id']}/{body['id']}"
    response = put(client, token, path, body)
    assert response.status_code == 201, response.json
    assert response.json.get("status_message") is None  # no warning either
    assert get(client, token, path).json["data"] == body
    assert db.session.scalar(db.select(Tariff.tax_included)) == body["tax_included"]


def test_a_2_3_0_tariff_without_tax_included_is_refused(client, app):
    body = example("2.3.0", "tariff_1_simple_2hour")
    del body["tax_included"]
    _, token = make_party("DE", "ALL", version="2.3.0")
    response = put(client, token, "tariffs/DE/ALL/12", body)
    assert (response.status_code, response.json["status_code"]) == (400, 2001)
    assert "tax_included" in response.json["status_message"]
    body["tax_included"] = "MAYBE"
    response = put(client, token, "tariffs/DE/ALL/12", body)
    assert "tax_included: must be one of YES, NO, N/A" in response.json["status_message"]
    assert db.session.scalar(db.select(db.func.count(Tariff.id))) == 0


# --- what a 2.3.0 location adds, stored ----------------------------------------------


def test_parking_places_help_phone_and_plug_and_charge_are_stored(client, bec):
    response = put(client, bec, "locations/BE/BEC/LOC1", truck_location())
    assert response.status_code == 201, response.json
    assert places() == [
        ("1", False, False, False),
        ("2", False, True, False),
        ("3", True, False, True),
    ]
    assert db.session.scalar(db.select(Location.help_phone)) == "+34 900 123 456"
    capabilities = db.session.scalars(
        db.select(Connector.capabilities).join(Evse).order_by(Evse.uid, Connector.position)
    )
    assert list(capabilities) == [["ISO_15118_2_PLUG_AND_CHARGE"], None, None]
    truck = db.session.scalars(db.select(ParkingPlace).where(ParkingPlace.trucks)).one()
    assert (truck.max_vehicle_weight, truck.max_vehicle_height, truck.drive_through) == (
        44000,
        400,
        True,
    )
    # a PATCH replaces the parking places; EVSEs still naming a kept one
    body = {
        "parking_places": [truck_location()["parking_places"][i] for i in (0, 1, 2)][::-1],
        "last_updated": "2015-06-29T20:40:00Z",
    }
    assert patch(client, bec, "locations/BE/BEC/LOC1", body).status_code == 200
    assert [p[0] for p in places()] == ["3", "2", "1"]


def unchanged_after(client, token, method, path, body, named: str) -> None:
    """Send a push that must be refused with 2001 naming `named`, and nothing changed."""
    before = get(client, token, "locations/BE/BEC/LOC1").json["data"]
    stored = places()
    response = getattr(client, method)(f"/api/2.3.0/{path}", json=body, headers=headers(token))
    assert (response.status_code, response.json["status_code"]) == (400, 2001), response.json
    assert named in response.json["status_message"]
    assert get(client, token, "locations/BE/BEC/LOC1").json["data"] == before
    assert places() == stored
    assert db.session.scalar(db.select(db.func.count(Rejection.id))) >= 1


def test_a_parking_id_that_does_not_resolve_is_refused_and_changes_nothing(client, bec):
    assert put(client, bec, "locations/BE/BEC/LOC1", truck_location()).status_code == 201
    message = "parking_id '9' is not the id of a parking place of location 'LOC1'"
    body = truck_location()
    body["evses"][0]["parking"] = [{"parking_id": "9"}]
    unchanged_after(client, bec, "put", "locations/BE/BEC/LOC1", body, message)
    evse = truck_location()["evses"][0] | {"parking": [{"parking_id": "9"}]}
    unchanged_after(client, bec, "put", "locations/BE/BEC/LOC1/3256", evse, message)
    change = {"parking": ["9"], "last_updated": "2015-06-29T20:40:00Z"}
    unchanged_after(client, bec, "patch", "locations/BE/BEC/LOC1/3257", change, message)
    # dropping a parking place an EVSE still names
    drop = {"parking_places": truck_location()["parking_places"][:2], "last_updated": stamp()}
    unchanged_after(
        client, bec, "patch", "locations/BE/BEC/LOC1", drop, "parking_id '3' is not the id"
    )


def test_a_new_location_naming_an_unknown_parking_place_is_not_created(client, bec):
    body = truck_location()
    body["evses"][1]["parking"] = [{"parking_id": "B3"}]
    response = put(client, bec, "locations/BE/BEC/LOC1", body)
    assert (response.status_code, response.json["status_code"]) == (400, 2001)
    assert "evses 3257 parking: parking_id 'B3'" in response.json["status_message"]
    assert db.session.scalar(db.select(db.func.count(Location.id))) == 0
    assert places() == []


def test_parking_ids_twice_in_one_location_are_refused(client, bec):
    body = truck_location()
    body["parking_places"][1]["id"] = "1"
    response = put(client, bec, "locations/BE/BEC/LOC1", body)
    assert (response.status_code, response.json["status_code"]) == (400, 2001)
    assert "parking_places.1.id: '1' appears twice" in response.json["status_message"]


def test_new_open_enum_values_are_kept_with_warnings_and_bounded(client, bec):
    body = truck_location()
    body["parking_places"][0]["vehicle_types"] = ["HOVERCRAFT"]
    body["evses"][0]["parking_restrictions"] = ["TAXIS", "ROBOTS_ONLY"]
    body["evses"][0]["connectors"][1]["capabilities"] = ["ISO_15118_20_PLUG_AND_CHARGE", "V2G"]
    body["evses"][0]["connectors"][1]["standard"] = "MCS"
    response = put(client, bec, "locations/BE/BEC/LOC1", body)
    assert response.status_code == 201, response.json
    message = response.json["status_message"]
    assert "parking_places[0].vehicle_types[0]: unknown value 'HOVERCRAFT' (kept)" in message
    assert "evses[0].parking_restrictions[1]: unknown value 'ROBOTS_ONLY' (kept)" in message
    assert "evses[0].connectors[1].capabilities[1]: unknown value 'V2G' (kept)" in message
    assert "TAXIS" not in message and "MCS" not in message  # known in 2.3.0
    body["parking_places"][0]["vehicle_types"] = ["X" * 33]
    body["parking_places"][1]["max_vehicle_weight"] = 200_000
    response = put(client, bec, "locations/BE/BEC/LOC1", body)
    assert (response.status_code, response.json["status_code"]) == (400, 2001)
    message = response.json["status_message"]
    assert "parking_places.0.vehicle_types.0: longer than maximum length 32" in message
    assert "parking_places.1.max_vehicle_weight: out of bounds: 0 to 100,000 kg" in message


def test_a_2_2_1_push_with_2_3_0_fields_keeps_them_raw_but_they_mean_nothing(client, app):
    _, token = make_party("BE", "BEC")
    body = truck_location()
    body["evses"][0]["parking"] = [{"parking_id": "nowhere"}]  # unknown in 2.2.1: ignored
    response = put(client, token, "locations/BE/BEC/LOC1", body, version="2.2.1")
    assert response.status_code == 201, response.json
    assert get(client, token, "locations/BE/BEC/LOC1", "2.2.1").json["data"] == body
    assert places() == []
    assert db.session.scalar(db.select(Location.help_phone)) is None
    assert set(db.session.scalars(db.select(Evse.parking_ids))) == {None}
    tariff = example("2.3.0", "tariff_20_simple_north_american_inclusive")
    tariff |= {"country_code": "BE", "party_id": "BEC"}
    response = put(client, token, "tariffs/BE/BEC/12", tariff, version="2.2.1")
    assert response.status_code == 201
    assert db.session.scalar(db.select(Tariff.tax_included)) is None


# --- the hourly pull from a 2.3.0 sender ---------------------------------------------


def test_a_2_3_0_sender_is_pulled_with_its_own_schema(app):
    app.config["CHECK_RETRY_DELAY"] = 0.01
    with CpoServer(versions=("2.3.0",)) as cpo:
        party, _ = connect(cpo, version="2.3.0")
        location = truck_location() | {"country_code": "ES", "party_id": "CPO"}
        tariff = example("2.3.0", "tariff_12_025kwh_min_price")
        tariff |= {"country_code": "ES", "party_id": "CPO", "tax_included": "YES"}
        cpo.add("locations", location)
        cpo.add("tariffs", tariff)
        run = check(party)
        assert (run.reachable, run.rejected, run.not_pushed) == (True, 0, 2), run.details
        sent = cpo.requests_to("locations")[0].headers
        assert sent["OCPI-from-party-id"] == "SGV"  # routing headers, as from 2.2 on
    assert places()[2] == ("3", True, False, True)
    assert db.session.scalar(db.select(Tariff.tax_included)) == "YES"
