"""The credentials handshake against a real CPO server on 127.0.0.1 (SPEC §3)."""

import json

import pytest

from sgv.extensions import db
from sgv.models import AuditEntry, Party
from tests.cpo_server import CpoServer
from tests.ocpi_helpers import example, headers, make_created_party
from tests.public_helpers import add_installation
from tests.servers import free_port


@pytest.fixture
def created(app):
    """A CPO ES*CPO as `cpo add` leaves it, with its TOKEN_A."""
    return make_created_party("ES", "CPO")


def post(client, token, body, version="2.2.1", method="post", form="base64"):
    return getattr(client, method)(
        f"/api/{version}/credentials", json=body, headers=headers(token, form)
    )


def party() -> Party:
    db.session.expire_all()
    return db.session.scalars(db.select(Party)).one()


@pytest.mark.parametrize(
    ("offered", "url_version", "agreed", "form"),
    [
        (("2.2.1",), "2.2.1", "2.2.1", "base64"),
        (("2.1.1",), "2.1.1", "2.1.1", "raw"),
        # OCPI: registration is for the version of the endpoint called, not the highest
        # common one (before, this CPO was registered on 2.2.1 and answered in 2.1.1).
        (("2.1.1", "2.2.1"), "2.1.1", "2.1.1", "raw"),
        (("2.1.1", "2.2.1"), "2.2.1", "2.2.1", "base64"),
        (("2.2",), "2.2", "2.2", "base64"),
    ],
)
def test_handshake_registers_the_cpo_and_swaps_tokens(
    client, created, offered, url_version, agreed, form
):
    _, token_a = created
    with CpoServer(versions=offered) as cpo:
        response = post(client, token_a, cpo.credentials(url_version), url_version, form=form)
        assert response.status_code == 200, response.json
        details = cpo.requests_to("details")
    data = response.json["data"]
    token_c = data["token"]
    if url_version == "2.1.1":
        assert (data["country_code"], data["party_id"]) == ("ES", "SGV")
    else:
        assert data["roles"] == [
            {
                "role": "NSP",
                "country_code": "ES",
                "party_id": "SGV",
                "business_details": data["roles"][0]["business_details"],
            }
        ]
    assert data["url"] == "http://sgv.test/api/versions/"
    assert len(token_c) >= 43 and token_c != token_a
    stored = party()
    assert (stored.state, stored.version, stored.token_b) == (
        "registered",
        agreed,
        "token-b-from-the-cpo",
    )
    assert set(stored.endpoints) == {"credentials", "locations", "tariffs"}
    assert details and details[-1].path.endswith(f"/ocpi/{agreed}")
    # TOKEN_A is dead, TOKEN_C opens the modules.
    assert client.get("/api/versions", headers=headers(token_a)).status_code == 401
    response = client.get("/api/2.2.1/locations/ES/CPO/NONE", headers=headers(token_c))
    assert response.status_code == 404  # authenticated: the location is just unknown


def test_handshake_calls_the_cpo_with_token_b_in_the_version_form(client, created):
    _, token_a = created
    with CpoServer(versions=("2.2.1",), accept="base64") as cpo:
        assert post(client, token_a, cpo.credentials("2.2.1")).status_code == 200
        sent = [r.token for r in cpo.requests]
    assert set(sent) == {"dG9rZW4tYi1mcm9tLXRoZS1jcG8="}  # base64("token-b-from-the-cpo")


def test_handshake_retries_the_other_token_form_and_remembers_it(client, created):
    _, token_a = created
    with CpoServer(versions=("2.2.1",), accept="raw") as cpo:
        assert post(client, token_a, cpo.credentials("2.2.1")).status_code == 200
    assert party().token_b_encoding == "raw"


def unreachable(cpo: CpoServer) -> None:
    cpo.versions_data = None
    cpo.stop()


@pytest.mark.parametrize(
    ("breakage", "status_code", "words"),
    [
        (lambda cpo: cpo.fail("versions", http_status=500), 3001, "500"),
        (lambda cpo: cpo.fail("details", body=b"<html>"), 3001, "JSON"),
        (lambda cpo: cpo.fail("versions", status_code=3000), 3001, "3000"),
        (lambda cpo: cpo.fail("versions", delay=1.5), 3001, "no HTTP answer within"),
        (lambda cpo: setattr(cpo, "versions", ["2.0"]), 3002, "2.0"),
        (lambda cpo: setattr(cpo, "modules", ["credentials", "locations"]), 3003, "tariffs"),
        (lambda cpo: setattr(cpo, "role", "RECEIVER"), 3003, "locations"),
    ],
)
def test_failed_handshake_answers_3xxx_and_changes_nothing(
    app, client, created, breakage, status_code, words
):
    app.config["HTTP_TIMEOUT"] = 0.5
    _, token_a = created
    with CpoServer(versions=["2.2.1"]) as cpo:
        breakage(cpo)
        response = post(client, token_a, cpo.credentials("2.2.1"))
    assert response.status_code == 400
    assert response.json["status_code"] == status_code
    assert words.lower() in response.json["status_message"].lower()
    stored = party()
    assert (stored.state, stored.token_b, stored.token_c_digest) == ("created", None, None)
    assert client.get("/api/versions", headers=headers(token_a)).status_code == 200


def test_unreachable_cpo_answers_3001(client, created):
    _, token_a = created
    body = {
        "token": "b",
        "url": f"http://127.0.0.1:{free_port()}/ocpi/versions",
        "roles": [
            {
                "role": "CPO",
                "country_code": "ES",
                "party_id": "CPO",
                "business_details": {"name": "x"},
            }
        ],
    }
    response = post(client, token_a, body)
    assert (response.status_code, response.json["status_code"]) == (400, 3001)
    assert party().state == "created"


@pytest.fixture
def registered(client, created):
    """ES*CPO after a successful 2.2.1 handshake, with its CPO server still up."""
    _, token_a = created
    with CpoServer(versions=("2.2.1",)) as cpo:
        token_c = post(client, token_a, cpo.credentials("2.2.1")).json["data"]["token"]
        yield cpo, token_a, token_c


def test_second_post_is_refused_with_405(client, registered):
    cpo, _, token_c = registered
    response = post(client, token_c, cpo.credentials("2.2.1"))
    assert (response.status_code, response.json["status_code"]) == (405, 2000)


@pytest.mark.parametrize("method", ["put", "delete"])
def test_put_and_delete_before_registration_are_refused_with_405(client, created, method):
    _, token_a = created
    response = post(client, token_a, {}, method=method)
    assert (response.status_code, response.json["status_code"]) == (405, 2000)


def test_credentials_of_another_party_are_refused_with_405(client, created):
    _, token_a = created
    with CpoServer(versions=("2.2.1",), party_id="XYZ") as cpo:
        response = post(client, token_a, cpo.credentials("2.2.1"))
        assert cpo.requests == []  # refused before calling anybody
    assert (response.status_code, response.json["status_code"]) == (405, 2000)
    assert "XYZ" in response.json["status_message"]


def test_invalid_credentials_body_gets_2001(client, created):
    _, token_a = created
    response = post(client, token_a, {"token": "has space", "url": "x", "roles": []})
    assert (response.status_code, response.json["status_code"]) == (400, 2001)


def test_put_by_the_cpo_issues_a_new_token_c(client, registered):
    cpo, _, token_c = registered
    cpo.token = "token-b-renewed"  # the CPO renews its own token and tells us
    body = cpo.credentials("2.2.1")
    response = post(client, token_c, body, method="put")
    assert response.status_code == 200, response.json
    new_token = response.json["data"]["token"]
    assert new_token != token_c
    assert client.get("/api/versions", headers=headers(token_c)).status_code == 401
    assert client.get("/api/versions", headers=headers(new_token)).status_code == 200
    assert party().token_b == "token-b-renewed"


def test_post_on_a_version_the_cpo_does_not_offer_gets_3002(client, created):
    _, token_a = created
    with CpoServer(versions=("2.2.1",)) as cpo:
        response = post(client, token_a, cpo.credentials("2.1.1"), "2.1.1", form="raw")
    assert (response.status_code, response.json["status_code"]) == (400, 3002)
    assert "2.1.1" in response.json["status_message"]
    assert party().state == "created"
    assert client.get("/api/versions", headers=headers(token_a)).status_code == 200


def test_put_on_another_version_switches_the_cpo_to_it(client, created):
    _, token_a = created
    with CpoServer(versions=("2.1.1", "2.2.1")) as cpo:
        token_c = post(client, token_a, cpo.credentials("2.1.1"), "2.1.1", form="raw")
        token_c = token_c.json["data"]["token"]
        assert party().version == "2.1.1"
        response = post(client, token_c, cpo.credentials("2.2.1"), "2.2.1", method="put")
        assert response.status_code == 200, response.json
        # Answered in the 2.2.1 shape, and the CPO is now on 2.2.1 (its 2.2.1 endpoints).
        assert response.json["data"]["roles"][0]["role"] == "NSP"
        stored = party()
        assert stored.version == "2.2.1"
        assert stored.endpoints["locations"]["SENDER"].endswith("/ocpi/cpo/2.2.1/locations")
        entry = db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.action == "credentials_update")
        ).one()
        assert entry.details["version"] == "2.2.1"


def test_put_on_a_version_the_cpo_does_not_offer_gets_3002_and_keeps_all(client, registered):
    cpo, _, token_c = registered
    before = party()
    kept = (before.version, dict(before.endpoints), before.token_b)
    response = post(client, token_c, cpo.credentials("2.1.1"), "2.1.1", method="put", form="raw")
    assert (response.status_code, response.json["status_code"]) == (400, 3002)
    after = party()
    assert (after.version, after.endpoints, after.token_b) == kept
    assert client.get("/api/versions", headers=headers(token_c)).status_code == 200


def test_get_returns_our_credentials_with_the_callers_token(client, registered):
    _, _, token_c = registered
    data = client.get("/api/2.2.1/credentials", headers=headers(token_c)).json["data"]
    assert data["token"] == token_c
    assert data["roles"][0]["role"] == "NSP"


def test_delete_unregisters_and_the_token_stops_working(client, registered):
    _, _, token_c = registered
    response = client.delete("/api/2.2.1/credentials", headers=headers(token_c))
    assert response.json["status_code"] == 1000
    assert party().state == "deregistered"
    assert client.get("/api/versions", headers=headers(token_c)).status_code == 401
    actions = [e.action for e in db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id))]
    assert actions[-1] == "deregister"


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["sgv", "cpo", *args, "--json"])
    return result.exit_code, json.loads(result.output) if result.output.strip() else None


def test_platform_renewal_puts_new_credentials_to_the_cpo(app, client, registered):
    cpo, _, token_c = registered
    code, result = run(app, "renew", "ES", "CPO")
    assert code == 0, result
    [put] = [r for r in cpo.requests_to("credentials") if r.method == "PUT"]
    new_token = put.json()["token"]
    assert put.json()["roles"][0]["role"] == "NSP"
    assert client.get("/api/versions", headers=headers(new_token)).status_code == 200
    assert client.get("/api/versions", headers=headers(token_c)).status_code == 401


def test_failed_platform_renewal_keeps_the_current_token(app, client, registered):
    cpo, _, token_c = registered
    cpo.fail("credentials", http_status=500)
    code, result = run(app, "renew", "ES", "CPO")
    assert code == 1
    assert "renewal failed" in result["error"]
    assert client.get("/api/versions", headers=headers(token_c)).status_code == 200


def test_reset_issues_a_new_token_a_for_reintegration(app, client, created):
    _, old_token_a = created
    code, result = run(app, "reset", "ES", "CPO")
    assert code == 0
    assert client.get("/api/versions", headers=headers(old_token_a)).status_code == 401
    assert client.get("/api/versions", headers=headers(result["token_a"])).status_code == 200


def test_cpo_add_prints_token_a_and_versions_url(app, client):
    add_installation("INST-1", party_id="NEW", refs=())
    code, result = run(app, "add", "es", "new", "--name", "Nueva Recarga", "--phone", "900100200")
    assert code == 0
    assert result["versions_url"] == "http://sgv.test/api/versions/"
    assert (result["country_code"], result["party_id"], result["state"]) == ("ES", "NEW", "created")
    assert client.get("/api/versions", headers=headers(result["token_a"])).status_code == 200


def test_cpo_add_requires_the_party_in_ripree(app):
    code, result = run(app, "add", "ES", "NEW", "--name", "Nueva")
    assert code == 1
    assert "RIPREE" in result["error"]


@pytest.mark.parametrize("args", [("ESP", "NEW"), ("ES", "NEWER"), ("E1", "NEW")])
def test_cpo_add_refuses_bad_identities_in_one_line(app, args):
    result = app.test_cli_runner().invoke(args=["sgv", "cpo", "add", *args, "--name", "x"])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1


def test_example_credentials_load(app):
    assert example("2.2.1", "credentials_example")["token"]
