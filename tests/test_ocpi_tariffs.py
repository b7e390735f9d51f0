"""The tariffs receiver (SPEC §3): PUT, GET, PATCH in every version, DELETE."""

import pytest

from sgv.extensions import db
from sgv.models import Tariff
from tests.ocpi_helpers import EXAMPLES, example, headers, make_party

TARIFFS_221 = sorted(
    p.stem for p in (EXAMPLES / "2.2.1").glob("tariff_*.json") if p.stem != "tariff_put_example"
)
TARIFFS_211 = sorted(
    p.stem
    for p in (EXAMPLES / "2.1.1").glob("tariff_*.json")
    if p.stem not in ("tariff_put_example", "tariff_patch_example")
)


def url(version, path):
    return f"/api/{version}/tariffs/{path}"


@pytest.mark.parametrize(
    "name", TARIFFS_221 + [f"tariffrestriction_example_{n}" for n in ("max_power", "max_duration")]
)
def test_official_2_2_1_tariffs_are_accepted_and_read_back_equal(app, client, name):
    body = example("2.2.1", name)
    _, token = make_party(body["country_code"], body["party_id"])
    path = f"{body['country_code']}/{body['party_id']}/{body['id']}"
    response = client.put(url("2.2.1", path), json=body, headers=headers(token))
    assert response.status_code == 201, response.json
    assert client.get(url("2.2.1", path), headers=headers(token)).json["data"] == body


@pytest.mark.parametrize("name", TARIFFS_211)
def test_official_2_1_1_tariffs_are_accepted_and_read_back_equal(app, client, name):
    body = example("2.1.1", name)
    body.setdefault("last_updated", "2015-06-29T20:39:09Z")
    _, token = make_party("NL", "TNM", version="2.1.1")
    path = f"NL/TNM/{body['id']}"
    response = client.put(url("2.1.1", path), json=body, headers=headers(token, "raw"))
    assert response.status_code == 201, response.json
    assert client.get(url("2.1.1", path), headers=headers(token, "raw")).json["data"] == body


def test_official_tariff_put_example_is_rejected_with_2001(app, client):
    _, token = make_party("NL", "TNM")
    response = client.put(
        url("2.2.1", "NL/TNM/12"),
        json=example("2.2.1", "tariff_put_example"),
        headers=headers(token),
    )
    assert response.status_code == 400
    assert response.json["status_code"] == 2001
    assert db.session.scalar(db.select(db.func.count()).select_from(Tariff)) == 0


@pytest.fixture
def tariff(app, client):
    body = example("2.2.1", "tariff_8_simple_025kwh")
    _, token = make_party(body["country_code"], body["party_id"])
    path = f"{body['country_code']}/{body['party_id']}/{body['id']}"
    assert client.put(url("2.2.1", path), json=body, headers=headers(token)).status_code == 201
    return token, path, body


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_patch_is_offered_in_every_version(client, tariff, version):
    token, path, body = tariff
    response = client.patch(
        url(version, path),
        headers=headers(token),
        json={"currency": "USD", "last_updated": "2026-01-01T00:00:00Z"},
    )
    assert response.status_code == 200, response.json
    stored = client.get(url("2.2.1", path), headers=headers(token)).json["data"]
    assert stored["currency"] == "USD"
    assert stored["elements"] == body["elements"]


def test_stale_tariff_put_is_acknowledged_not_applied(client, tariff):
    token, path, body = tariff
    older = {**body, "currency": "USD", "last_updated": "2000-01-01T00:00:00Z"}
    response = client.put(url("2.2.1", path), json=older, headers=headers(token))
    assert response.status_code == 200
    assert "not applied" in response.json["status_message"].lower()
    assert client.get(url("2.2.1", path), headers=headers(token)).json["data"]["currency"] == "EUR"


def test_delete_removes_the_tariff(client, tariff):
    token, path, _ = tariff
    assert client.delete(url("2.2.1", path), headers=headers(token)).json["status_code"] == 1000
    response = client.get(url("2.2.1", path), headers=headers(token))
    assert response.status_code == 404
    assert response.json["status_code"] == 2000


@pytest.mark.parametrize(
    ("method", "http", "code"),
    [("get", 404, 2000), ("patch", 404, 2000), ("delete", 405, 2000)],
)
def test_unknown_tariff_answers(client, tariff, method, http, code):
    token, path, _ = tariff
    unknown = path.rsplit("/", 1)[0] + "/NOPE"
    response = getattr(client, method)(
        url("2.2.1", unknown),
        headers=headers(token),
        json={"currency": "EUR", "last_updated": "2026-01-01T00:00:00Z"},
    )
    assert (response.status_code, response.json["status_code"]) == (http, code)


def test_tariff_of_another_party_is_forbidden(client, tariff):
    _, path, body = tariff
    _, other = make_party("ES", "XYZ")
    response = client.put(url("2.2.1", path), json=body, headers=headers(other))
    assert response.status_code == 403
    assert response.json["status_code"] == 2000
