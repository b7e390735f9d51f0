"""The locations receiver: every answer of SPEC §3's table, and the last_updated rules."""

import json

import pytest

from sgv.extensions import db
from sgv.models import Evse, Location
from tests.ocpi_helpers import example, headers, make_party

LOCATION_EXAMPLES_221 = [
    "location_example",
    "location_example_uc2_destination_charger",
    "location_example_uc3_destination_charger_not_published",
    "location_example_uc4_limited_visibility",
    "location_example_uc5_home_charge_point",
    "location_example_parking_garage_opening_hours",
]


def put(client, token, path, body, version="2.2.1", form="base64"):
    return client.put(f"/api/{version}/locations/{path}", json=body, headers=headers(token, form))


def patch(client, token, path, body, version="2.2.1", form="base64"):
    return client.patch(f"/api/{version}/locations/{path}", json=body, headers=headers(token, form))


def get(client, token, path, version="2.2.1"):
    return client.get(f"/api/{version}/locations/{path}", headers=headers(token))


@pytest.fixture
def cpo(app):
    """A registered CPO BE*BEC, the owner of the official location_example."""
    return make_party("BE", "BEC")


@pytest.fixture
def stored(client, cpo):
    """The official 2.2.1 location_example, pushed by its owner."""
    _, token = cpo
    body = example("2.2.1", "location_example")
    assert put(client, token, "BE/BEC/LOC1", body).status_code == 201
    return token, body


@pytest.mark.parametrize("name", LOCATION_EXAMPLES_221)
def test_official_2_2_1_locations_are_accepted_and_read_back_equal(app, client, name):
    body = example("2.2.1", name)
    _, token = make_party(body["country_code"], body["party_id"])
    path = f"{body['country_code']}/{body['party_id']}/{body['id']}"
    response = put(client, token, path, body)
    assert response.status_code == 201, response.json
    assert response.json["status_code"] == 1000
    assert get(client, token, path).json["data"] == body


def test_official_2_1_1_location_is_accepted_and_read_back_equal(app, client):
    body = example("2.1.1", "location_example")
    _, token = make_party("NL", "TNM", version="2.1.1")
    response = put(client, token, f"NL/TNM/{body['id']}", body, version="2.1.1", form="raw")
    assert response.status_code == 201, response.json
    assert get(client, token, f"NL/TNM/{body['id']}", version="2.1.1").json["data"] == body


def test_second_put_of_the_same_location_answers_200(client, stored):
    token, body = stored
    response = put(client, token, "BE/BEC/LOC1", body)
    assert response.status_code == 200
    assert response.json["status_code"] == 1000


def test_unknown_fields_are_kept(client, stored):
    token, body = stored
    body["help_phone"] = "+34 900 000 000"  # an OCPI 2.3 field
    body["evses"][0]["parking_places"] = [{"x": 1}]
    put(client, token, "BE/BEC/LOC1", body)
    data = get(client, token, "BE/BEC/LOC1").json["data"]
    assert data["help_phone"] == "+34 900 000 000"
    assert data["evses"][0]["parking_places"] == [{"x": 1}]


def test_ids_are_compared_case_insensitively_and_stored_as_the_url_gives(client, cpo):
    _, token = cpo
    body = example("2.2.1", "location_example")
    body["id"] = "loc1"
    assert put(client, token, "be/bec/LOC1", body).status_code == 201
    assert get(client, token, "BE/BEC/Loc1").json["data"]["id"] == "loc1"
    assert db.session.scalar(db.select(Location.location_id)) == "LOC1"


def test_official_add_evse_example_is_rejected_naming_the_field(client, stored):
    token, _ = stored
    response = put(
        client, token, "BE/BEC/LOC1/3256", example("2.2.1", "location_put_example_add_evse")
    )
    assert response.status_code == 400
    assert response.json["status_code"] == 2001
    assert (
        "physical_reference" in response.json["status_message"]
        or "connectors" in (response.json["status_message"])
    )


def test_patch_status_changes_the_evse_and_propagates_last_updated(client, stored):
    token, _ = stored
    body = {"status": "CHARGING", "last_updated": "2026-01-01T10:00:00Z"}
    assert patch(client, token, "BE/BEC/LOC1/3256", body).status_code == 200
    evse = get(client, token, "BE/BEC/LOC1/3256").json["data"]
    assert evse["status"] == "CHARGING"
    assert evse["last_updated"] == "2026-01-01T10:00:00Z"
    assert get(client, token, "BE/BEC/LOC1").json["data"]["last_updated"] == "2026-01-01T10:00:00Z"


def test_patch_with_older_last_updated_is_acknowledged_not_applied(client, stored):
    token, _ = stored
    patch(
        client,
        token,
        "BE/BEC/LOC1/3256",
        {"status": "CHARGING", "last_updated": "2026-01-01T10:00:00Z"},
    )
    response = patch(
        client,
        token,
        "BE/BEC/LOC1/3256",
        {"status": "AVAILABLE", "last_updated": "2026-01-01T09:59:59Z"},
    )
    assert response.status_code == 200
    assert response.json["status_code"] == 1000
    assert "not applied" in response.json["status_message"].lower()
    assert get(client, token, "BE/BEC/LOC1/3256").json["data"]["status"] == "CHARGING"


def test_patch_with_equal_last_updated_is_applied(client, stored):
    token, _ = stored
    moment = "2026-01-01T10:00:00Z"
    patch(client, token, "BE/BEC/LOC1/3256", {"status": "CHARGING", "last_updated": moment})
    patch(client, token, "BE/BEC/LOC1/3256", {"status": "BLOCKED", "last_updated": moment})
    assert get(client, token, "BE/BEC/LOC1/3256").json["data"]["status"] == "BLOCKED"


def test_patch_without_last_updated_is_refused_in_2_2_1(client, stored):
    token, _ = stored
    response = patch(client, token, "BE/BEC/LOC1/3256", {"status": "CHARGING"})
    assert response.status_code == 400
    assert response.json["status_code"] == 2001
    assert "last_updated" in response.json["status_message"]
    assert get(client, token, "BE/BEC/LOC1/3256").json["data"]["status"] == "AVAILABLE"


def test_patch_without_last_updated_is_stamped_in_2_1_1(app, client):
    body = example("2.1.1", "location_example")
    _, token = make_party("NL", "TNM", version="2.1.1")
    put(client, token, f"NL/TNM/{body['id']}", body, version="2.1.1", form="raw")
    evse_uid = body["evses"][0]["uid"]
    response = patch(
        client,
        token,
        f"NL/TNM/{body['id']}/{evse_uid}",
        {"status": "CHARGING"},
        version="2.1.1",
        form="raw",
    )
    assert response.status_code == 200, response.json
    evse = get(client, token, f"NL/TNM/{body['id']}/{evse_uid}", version="2.1.1").json["data"]
    assert evse["status"] == "CHARGING"
    assert evse["last_updated"] > body["evses"][0]["last_updated"]


def test_connector_patch_propagates_to_evse_and_location(client, stored):
    token, _ = stored
    body = {"tariff_ids": ["15"], "last_updated": "2026-05-05T05:05:05Z"}
    assert patch(client, token, "BE/BEC/LOC1/3256/1", body).status_code == 200
    assert get(client, token, "BE/BEC/LOC1/3256/1").json["data"]["tariff_ids"] == ["15"]
    assert (
        get(client, token, "BE/BEC/LOC1/3256").json["data"]["last_updated"] == body["last_updated"]
    )
    assert get(client, token, "BE/BEC/LOC1").json["data"]["last_updated"] == body["last_updated"]


def test_location_patch_merges_fields(client, stored):
    token, body = stored
    response = patch(
        client, token, "BE/BEC/LOC1", {"name": "Gent Noord", "last_updated": "2026-01-01T00:00:00Z"}
    )
    assert response.status_code == 200
    data = get(client, token, "BE/BEC/LOC1").json["data"]
    assert data["name"] == "Gent Noord"
    assert data["address"] == body["address"]


def test_evse_put_adds_an_evse_and_removed_status_keeps_it(client, stored):
    token, body = stored
    evse = json.loads(json.dumps(body["evses"][0]))
    evse.update(uid="NEW1", evse_id="BE*BEC*E0001", last_updated="2026-01-01T00:00:00Z")
    assert put(client, token, "BE/BEC/LOC1/NEW1", evse).status_code == 201
    removed = {"status": "REMOVED", "last_updated": "2026-01-02T00:00:00Z"}
    assert patch(client, token, "BE/BEC/LOC1/NEW1", removed).status_code == 200
    uids = [e["uid"] for e in get(client, token, "BE/BEC/LOC1").json["data"]["evses"]]
    assert "NEW1" in uids
    assert db.session.scalar(db.select(Evse.status).where(Evse.uid == "NEW1")) == "REMOVED"


def test_location_put_without_an_evse_marks_it_removed(client, stored):
    token, body = stored
    body["evses"] = body["evses"][:1]
    body["last_updated"] = "2026-01-01T00:00:00Z"
    put(client, token, "BE/BEC/LOC1", body)
    statuses = {e.uid: e.status for e in db.session.scalars(db.select(Evse))}
    assert statuses == {"3256": "AVAILABLE", "3257": "REMOVED"}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "BE/BEC/NOPE", None),
        ("get", "BE/BEC/LOC1/NOPE", None),
        ("get", "BE/BEC/LOC1/3256/9", None),
        ("patch", "BE/BEC/NOPE", {"name": "x", "last_updated": "2026-01-01T00:00:00Z"}),
        (
            "patch",
            "BE/BEC/LOC1/NOPE",
            {"status": "CHARGING", "last_updated": "2026-01-01T00:00:00Z"},
        ),
        ("put", "BE/BEC/NOPE/3256", "evse"),
    ],
)
def test_unknown_objects_get_404_2003(client, stored, method, path, body):
    token, location = stored
    if body == "evse":
        body = location["evses"][0]
        body["uid"] = "3256"
    response = getattr(client, method)(
        f"/api/2.2.1/locations/{path}", json=body, headers=headers(token)
    )
    assert response.status_code == 404
    assert response.json["status_code"] == 2003


def test_write_under_another_party_is_forbidden_and_changes_nothing(client, stored):
    _, body = stored
    _, other = make_party("ES", "XYZ")
    response = patch(
        client,
        other,
        "BE/BEC/LOC1/3256",
        {"status": "CHARGING", "last_updated": "2026-01-01T00:00:00Z"},
    )
    assert response.status_code == 403
    assert response.json["status_code"] == 2000
    assert db.session.scalar(db.select(Evse.status).where(Evse.uid == "3256")) == "AVAILABLE"


def test_body_owner_must_match_the_url(client, cpo):
    _, token = cpo
    body = example("2.2.1", "location_example")
    body["party_id"] = "XXX"
    response = put(client, token, "BE/BEC/LOC1", body)
    assert response.status_code == 400
    assert response.json["status_code"] == 2001
    assert "party_id" in response.json["status_message"]


def test_body_id_must_match_the_url(client, cpo):
    _, token = cpo
    response = put(client, token, "BE/BEC/OTHER", example("2.2.1", "location_example"))
    assert response.status_code == 400
    assert response.json["status_code"] == 2001
    assert "id" in response.json["status_message"]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.update(id="L" * 40), "id"),
        (lambda b: b["coordinates"].update(latitude="91.000000"), "latitude"),
        (lambda b: b["evses"][0].update(status="BROKEN"), "status"),
        (lambda b: b.pop("address"), "address"),
        (lambda b: b.update(publish="yes"), "publish"),
    ],
)
def test_invalid_locations_get_400_2001_naming_the_field(client, cpo, mutate, field):
    _, token = cpo
    body = example("2.2.1", "location_example")
    mutate(body)
    response = put(client, token, f"BE/BEC/{body['id']}", body)
    assert response.status_code == 400
    assert response.json["status_code"] == 2001
    assert field in response.json["status_message"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Location)) == 0


def test_ids_of_39_characters_are_accepted(client, cpo):
    _, token = cpo
    body = example("2.2.1", "location_example")
    body["id"] = "L" * 39
    assert put(client, token, f"BE/BEC/{body['id']}", body).status_code == 201


def test_body_that_is_not_json_gets_400_2001(client, stored):
    token, _ = stored
    response = client.put(
        "/api/2.2.1/locations/BE/BEC/LOC1",
        data="{not json",
        headers=headers(token, **{"Content-Type": "application/json"}),
    )
    assert response.status_code == 400
    assert response.json["status_code"] == 2001


def test_body_over_the_limit_gets_413_2001(client, stored):
    token, body = stored
    body["directions"] = [{"language": "en", "text": "x" * 1_100_000}]
    response = put(client, token, "BE/BEC/LOC1", body)
    assert response.status_code == 413
    assert response.json["status_code"] == 2001


@pytest.mark.parametrize("path", ["BE/BEC/LOC1", "BE/BEC/LOC1/3256"])
def test_an_unknown_caller_gets_401_before_its_body_is_judged(client, stored, path):
    oversized = {"status": "CHARGING", "directions": [{"text": "x" * 1_100_000}]}
    for sent in ("{not json", json.dumps(oversized)):
        response = client.patch(
            f"/api/2.2.1/locations/{path}",
            data=sent,
            headers=headers("not-a-token", **{"Content-Type": "application/json"}),
        )
        assert (response.status_code, response.json["status_code"]) == (401, 2000)


def test_zone_less_times_are_read_as_utc(client, stored):
    token, _ = stored
    patch(
        client,
        token,
        "BE/BEC/LOC1/3256",
        {"status": "CHARGING", "last_updated": "2026-01-01T10:00:00"},
    )
    evse = db.session.scalars(db.select(Evse).where(Evse.uid == "3256")).one()
    assert evse.status_updated_at.isoformat() == "2026-01-01T10:00:00+00:00"


def test_unknown_descriptive_values_are_accepted_kept_and_reported(client, cpo):
    _, token = cpo
    body = example("2.2.1", "location_example")
    body["facilities"] = ["SPACEPORT"]
    body["evses"][0]["connectors"][0]["standard"] = "MCS_FUTURE"
    response = put(client, token, "BE/BEC/LOC1", body)
    assert response.status_code == 201
    assert "SPACEPORT" in response.json["status_message"]
    assert "MCS_FUTURE" in response.json["status_message"]
    data = get(client, token, "BE/BEC/LOC1").json["data"]
    assert data["facilities"] == ["SPACEPORT"]
    assert db.session.scalar(db.select(Location.warnings))


@pytest.mark.parametrize("level", ["evse", "connector"])
def test_an_id_listed_twice_gets_2001(client, cpo, level):
    _, token = cpo
    body = example("2.2.1", "location_example")
    if level == "evse":
        body["evses"][1]["uid"] = body["evses"][0]["uid"].lower()
    else:
        body["evses"][0]["connectors"].append(dict(body["evses"][0]["connectors"][0]))
    response = put(client, token, "BE/BEC/LOC1", body)
    assert (response.status_code, response.json["status_code"]) == (400, 2001)
    assert "appears twice" in response.json["status_message"]
