"""An EVSE without connectors does not sink its Location (issue #16, SPEC §3 Acceptance).

Real feeds publish planned EVSEs with `"connectors": []`. SGV accepts the Location (and
such an EVSE PUT), keeps that EVSE out of every public reader, and tells the CPO: in the
push's status_message, and in `cpo show` (text and JSON). The hourly pull loads with the
same schemas, so it accepts the Location too.
"""

import json

import pytest

from sgv import public
from sgv.extensions import db
from sgv.models import Location
from tests.cpo_server import CpoServer
from tests.ocpi_helpers import headers, make_party
from tests.public_helpers import add_installation, location_body, push_status
from tests.quality_helpers import check, connect, location

URL = "/api/2.2.1/locations/ES/ABC/INST1"


@pytest.fixture
def cpo(app):
    """INST1 (charge points ES*ABC*E1 and E2) in RIPREE, and its CPO ABC, live."""
    add_installation()
    return make_party("ES", "ABC", state="live")[1]


def planned(body: dict, index: int = 1) -> dict:
    """The location with one EVSE (the second by default) published without connectors."""
    body["evses"][index]["connectors"] = []
    return body


def cpo_show(app, *extra: str):
    return app.test_cli_runner().invoke(args=["sgv", "cpo", "show", "ES", "ABC", *extra])


def public_evse_ids(client) -> list:
    """What the public sees of INST1: the evse_id of each charge point's live data."""
    points = public.installation("INST1").charge_points
    shown = [p.live.evse_id if p.live else None for p in points]
    detail = client.get("/map/installations/INST1.json").json["charge_points"]
    assert [p["status"] is not None for p in detail] == [e is not None for e in shown]
    exported = client.get("/opendata/status.json").json["charge_points"]
    assert sorted(p["evse_id"] for p in exported) == sorted(e for e in shown if e)
    return shown


def test_a_location_with_an_evse_without_connectors_is_accepted_and_that_evse_hidden(
    app, client, cpo
):
    response = client.put(URL, json=planned(location_body()), headers=headers(cpo))
    assert response.status_code == 201, response.json
    message = response.json["status_message"]
    assert message.startswith("Accepted with warnings: ")
    assert "evses[1].connectors: none, so EVSE U2 is accepted but kept out of public data" in (
        message
    )
    stored = client.get(URL, headers=headers(cpo)).json["data"]
    assert [(e["uid"], len(e["connectors"])) for e in stored["evses"]] == [("U1", 1), ("U2", 0)]
    assert public_evse_ids(client) == ["ES*ABC*E1", None]
    # A status change of the planned EVSE does not make it public either.
    push_status(client, cpo, "AVAILABLE", "2025-01-01T11:00:00Z", evse="U2")
    assert public_evse_ids(client) == ["ES*ABC*E1", None]

    shown = json.loads(cpo_show(app, "--json").output)
    assert shown["evses_without_connectors"] == [
        {"location_id": "INST1", "uid": "U2", "evse_id": "ES*ABC*E2"}
    ]
    text = cpo_show(app).output
    assert "WARNING: EVSEs without connectors, kept out of public data: 1" in text
    assert "  INST1/U2" in text


def test_an_evse_put_without_connectors_is_accepted_hidden_and_heals_with_connectors(
    app, client, cpo
):
    body = location_body()
    assert client.put(URL, json=body, headers=headers(cpo)).status_code == 201
    assert public_evse_ids(client) == ["ES*ABC*E1", "ES*ABC*E2"]
    evse = {**body["evses"][1], "connectors": [], "last_updated": "2025-01-01T11:00:00Z"}
    response = client.put(f"{URL}/U2", json=evse, headers=headers(cpo))
    assert response.status_code == 200, response.json
    assert "connectors: none, so this EVSE is accepted" in response.json["status_message"]
    assert public_evse_ids(client) == ["ES*ABC*E1", None]
    assert json.loads(cpo_show(app, "--json").output)["evses_without_connectors"] != []

    healed = {**body["evses"][1], "last_updated": "2025-01-01T12:00:00Z"}
    response = client.put(f"{URL}/U2", json=healed, headers=headers(cpo))
    assert (response.status_code, response.json.get("status_message")) == (200, None)
    assert public_evse_ids(client) == ["ES*ABC*E1", "ES*ABC*E2"]
    assert json.loads(cpo_show(app, "--json").output)["evses_without_connectors"] == []
    assert "EVSEs without connectors" not in cpo_show(app).output


def test_a_patch_with_an_empty_connectors_list_changes_no_connector(client, cpo):
    assert client.put(URL, json=location_body(), headers=headers(cpo)).status_code == 201
    patch = {"connectors": [], "last_updated": "2025-01-01T11:00:00Z"}
    response = client.patch(f"{URL}/U2", json=patch, headers=headers(cpo))
    assert (response.status_code, response.json.get("status_message")) == (200, None)
    assert public_evse_ids(client) == ["ES*ABC*E1", "ES*ABC*E2"]


def test_a_2_1_1_location_with_an_evse_without_connectors_is_accepted(app, client):
    _, token = make_party("ES", "ABC", version="2.1.1")
    body = planned(location_body(), 0)
    body["evses"] = body["evses"][:1]  # its only EVSE, planned
    for key in ("country_code", "party_id"):
        body.pop(key)
    body["type"] = "ON_STREET"
    response = client.put(
        "/api/2.1.1/locations/ES/ABC/INST1", json=body, headers=headers(token, "raw")
    )
    assert response.status_code == 201, response.json
    assert "evses[0].connectors: none" in response.json["status_message"]


def test_an_evse_without_its_connectors_field_is_still_refused(client, cpo):
    body = location_body()
    del body["evses"][1]["connectors"]
    response = client.put(URL, json=body, headers=headers(cpo))
    assert (response.status_code, response.json["status_code"]) == (400, 2001)
    assert "evses.1.connectors" in response.json["status_message"]


def test_the_pull_accepts_such_a_location_and_reports_the_evse(app):
    app.config["CHECK_RETRY_DELAY"] = 0.01
    with CpoServer() as server:
        party, _ = connect(server)
        good, with_planned = location(1), location(2)
        with_planned["evses"][0]["connectors"] = []
        server.add("locations", good, with_planned)
        run = check(party)
    assert (run.reachable, run.rejected) == (True, 0), run.details
    assert sorted(db.session.scalars(db.select(Location.location_id))) == ["LOC1", "LOC2"]
    stored = db.session.scalars(db.select(Location).where(Location.location_id == "LOC2")).one()
    assert any("evses[0].connectors: none" in w for w in stored.warnings)
    result = app.test_cli_runner().invoke(args=["sgv", "cpo", "show", "ES", "CPO", "--json"])
    [missing] = json.loads(result.output)["evses_without_connectors"]
    assert missing["location_id"] == "LOC2"
