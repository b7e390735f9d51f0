"""The versions module and authentication (SPEC §3)."""

import base64

import pytest

from tests.ocpi_helpers import headers, make_created_party, make_party


@pytest.fixture
def token(app):
    return make_party()[1]


def test_versions_lists_the_four_versions_with_trailing_slash_urls(client, token):
    response = client.get("/api/versions", headers=headers(token))
    assert response.status_code == 200
    assert response.json["status_code"] == 1000
    assert response.json["data"] == [  # 2.3.0 added on purpose (issue #16)
        {"version": "2.3.0", "url": "http://sgv.test/api/2.3.0/"},
        {"version": "2.2.1", "url": "http://sgv.test/api/2.2.1/"},
        {"version": "2.2", "url": "http://sgv.test/api/2.2/"},
        {"version": "2.1.1", "url": "http://sgv.test/api/2.1.1/"},
    ]


@pytest.mark.parametrize("version", ["2.3.0", "2.2.1", "2.2"])
def test_version_details_2_2_x_list_receiver_endpoints(client, token, version):
    data = client.get(f"/api/{version}", headers=headers(token)).json["data"]
    assert data["version"] == version
    assert {(e["identifier"], e["role"]) for e in data["endpoints"]} == {
        ("credentials", "RECEIVER"),
        ("locations", "RECEIVER"),
        ("tariffs", "RECEIVER"),
    }
    assert all(e["url"].endswith("/") for e in data["endpoints"])
    assert f"http://sgv.test/api/{version}/locations/" in {e["url"] for e in data["endpoints"]}


def test_version_details_2_1_1_have_no_roles(client, token):
    data = client.get("/api/2.1.1", headers=headers(token, "raw")).json["data"]
    assert [e["identifier"] for e in data["endpoints"]] == ["credentials", "locations", "tariffs"]
    assert all("role" not in e for e in data["endpoints"])


@pytest.mark.parametrize(
    "path", ["/api/versions/", "/api//versions//", "/api/2.2.1/", "/api//2.1.1//"]
)
def test_paths_with_trailing_or_doubled_slashes_are_accepted(client, token, path):
    response = client.get(path, headers=headers(token))
    assert response.status_code == 200
    assert response.json["status_code"] == 1000


def test_message_ids_are_echoed(client, token):
    response = client.get(
        "/api/versions",
        headers=headers(token, **{"X-Request-ID": "r-1", "X-Correlation-ID": "c-1"}),
    )
    assert response.headers["X-Request-ID"] == "r-1"
    assert response.headers["X-Correlation-ID"] == "c-1"


@pytest.mark.parametrize("form", ["base64", "raw"])
@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_both_token_forms_work_in_every_version(client, token, form, version):
    response = client.get(f"/api/{version}", headers=headers(token, form))
    assert response.status_code == 200


def test_base64_token_with_trailing_newline_is_accepted(client, token):
    encoded = base64.b64encode((token + "\n").encode()).decode()
    response = client.get("/api/versions", headers={"Authorization": f"Token {encoded}"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Token", "Token nope", "Bearer abc", "Token " + base64.b64encode(b"x").decode()],
)
def test_missing_or_unknown_token_gets_401_2000(client, token, authorization):
    sent = {} if authorization is None else {"Authorization": authorization}
    response = client.get("/api/versions", headers=sent)
    assert response.status_code == 401
    assert response.json["status_code"] == 2000
    assert response.json["timestamp"].endswith("Z")


def test_expired_token_gets_401(app, client):
    from datetime import timedelta

    _, token = make_party(expires_in=timedelta(seconds=-1))
    response = client.get("/api/versions", headers=headers(token))
    assert response.status_code == 401
    assert "expired" in response.json["status_message"].lower()


def test_token_a_opens_versions_but_not_locations(app, client):
    _, token_a = make_created_party()
    assert client.get("/api/versions", headers=headers(token_a)).status_code == 200
    response = client.get("/api/2.2.1/locations/ES/ABC/LOC1", headers=headers(token_a))
    assert response.status_code == 401
    assert response.json["status_code"] == 2000
    assert "TOKEN_A" in response.json["status_message"]
