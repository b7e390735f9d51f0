"""Values SGV can still use, but the CPO should fix: accepted, and reported (issue #16).

Defect 6: an invalid `time_zone` (silently shown in Europe/Madrid), `country: "ES"` (not
ISO 3166-1 alpha-3), empty strings in optional fields. Defect 7: a Location PATCH naming
an EVSE SGV does not know. Each is accepted where the rest is usable, told to the CPO in
status_message and listed in `cpo show` (JSON key `warnings`) until a later push fixes it.
"""

import json

import pytest

from sgv.extensions import db
from sgv.models import Evse, Location
from tests.ocpi_helpers import headers, make_party
from tests.public_helpers import add_installation, location_body

URL = "/api/2.2.1/locations/ES/ABC/INST1"


@pytest.fixture
def cpo(app):
    """INST1 in RIPREE and its CPO ABC, live; returns its TOKEN_C."""
    add_installation()
    return make_party("ES", "ABC", state="live")[1]


def shown(app) -> dict:
    """Return `flask sgv cpo show ES ABC --json`."""
    result = app.test_cli_runner().invoke(args=["sgv", "cpo", "show", "ES", "ABC", "--json"])
    return json.loads(result.output)


def stored() -> Location:
    db.session.expire_all()
    return db.session.scalars(db.select(Location)).one()


@pytest.mark.parametrize(
    ("field", "value", "warning"),
    [
        ("time_zone", "Europe/Madird", "time_zone: 'Europe/Madird' is not an IANA time zone"),
        ("time_zone", "CET+1", "time_zone: 'CET+1' is not an IANA time zone"),
        ("country", "ES", "country: 'ES' is not an ISO 3166-1 alpha-3 code (ESP?)"),
        ("country", "esp", "country: 'esp' is not an ISO 3166-1 alpha-3 code (ESP?)"),
        ("postal_code", "", "postal_code: empty string, read as absent"),
        ("name", "", "name: empty string, read as absent"),
    ],
)
def test_a_usable_but_wrong_value_is_accepted_and_reported(app, client, cpo, field, value, warning):
    body = location_body()
    body[field] = value
    response = client.put(URL, json=body, headers=headers(cpo))
    assert response.status_code == 201, response.json
    assert warning in response.json["status_message"]
    assert client.get(URL, headers=headers(cpo)).json["data"][field] == value  # kept as sent
    [reported] = shown(app)["warnings"]
    assert reported["object"] == "location INST1"
    assert any(warning in w for w in reported["warnings"])


def test_an_invalid_time_zone_falls_back_to_the_sites_zone_not_to_a_guess(client, cpo):
    body = location_body()
    body["time_zone"] = "Atlantic/Canarias"
    assert client.put(URL, json=body, headers=headers(cpo)).status_code == 201
    # Stored as absent: the public zone is then the site's place's (Atlantic/Canary in the
    # Canary Islands), never a silent Europe/Madrid for an unreadable name.
    assert stored().time_zone is None


def test_an_empty_evse_id_in_an_evse_is_read_as_absent_and_reported(app, client, cpo):
    body = location_body()
    body["evses"][1]["evse_id"] = ""
    body["evses"][1]["floor_level"] = ""
    response = client.put(URL, json=body, headers=headers(cpo))
    assert response.status_code == 201, response.json
    message = response.json["status_message"]
    assert "evses[U2].evse_id: empty string, read as absent" in message
    assert "evses[U2].floor_level: empty string, read as absent" in message
    evse = db.session.scalars(db.select(Evse).where(Evse.uid == "U2")).one()
    assert evse.evse_id is None
    assert len(shown(app)["warnings"][0]["warnings"]) == 2


def test_a_clean_push_clears_the_reported_warnings(app, client, cpo):
    body = location_body()
    body["country"] = "ES"
    assert client.put(URL, json=body, headers=headers(cpo)).status_code == 201
    assert shown(app)["warnings"] != []
    body["country"], body["last_updated"] = "ESP", "2025-01-01T11:00:00Z"
    response = client.put(URL, json=body, headers=headers(cpo))
    assert (response.status_code, response.json.get("status_message")) == (200, None)
    assert shown(app)["warnings"] == []


def test_a_location_patch_applies_the_known_evses_and_reports_the_unknown_one(app, client, cpo):
    assert client.put(URL, json=location_body(), headers=headers(cpo)).status_code == 201
    when = "2025-01-01T11:00:00Z"
    patch = {
        "last_updated": when,
        "evses": [
            {"uid": "U1", "status": "CHARGING", "last_updated": when},
            {"uid": "U9", "status": "AVAILABLE", "last_updated": when},
        ],
    }
    response = client.patch(URL, json=patch, headers=headers(cpo))
    # OCPI is silent (ocpi/ocpi#285, #540); SGV reads a Location PATCH as a PATCH of each
    # EVSE it names: U1 is applied, U9 (never PUT) is not created, and the CPO is told.
    assert (response.status_code, response.json["status_code"]) == (200, 1000), response.json
    assert "evses[U9]: unknown EVSE, not applied" in response.json["status_message"]
    statuses = dict(db.session.execute(db.select(Evse.uid, Evse.status)).all())
    assert statuses == {"U1": "CHARGING", "U2": "AVAILABLE"}
    [reported] = shown(app)["warnings"]
    assert any("evses[U9]: unknown EVSE" in w for w in reported["warnings"])
    # Once U9 is PUT, the warning about it goes.
    evse = {**location_body()["evses"][0], "uid": "U9", "evse_id": None, "last_updated": when}
    assert client.put(f"{URL}/U9", json=evse, headers=headers(cpo)).status_code == 201
    assert shown(app)["warnings"] == []
