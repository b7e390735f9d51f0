"""OCPI routing headers on answers of the functional modules (OCPI 2.2.1 §4.1.2, SPEC §3).

A response reverses the request: from is SGV, to is the CPO that called. Locations and
tariffs in 2.2.x carry them, refusals included; 2.1.1 (no such headers) and the
configuration modules (versions, credentials) do not.
"""

import pytest

from tests.ocpi_helpers import example, headers, make_party

ROUTING = (
    "OCPI-from-country-code",
    "OCPI-from-party-id",
    "OCPI-to-country-code",
    "OCPI-to-party-id",
)


@pytest.fixture
def cpo(app):
    """A registered 2.2.1 CPO BE*BEC, the owner of the official location_example."""
    return make_party("BE", "BEC")


def routing(response) -> tuple:
    return tuple(response.headers.get(name) for name in ROUTING)


@pytest.mark.parametrize("version", ["2.2.1", "2.2"])
def test_locations_answers_carry_sgv_as_from_and_the_caller_as_to(client, cpo, version):
    _, token = cpo
    body = example("2.2.1", "location_example")
    url = f"/api/{version}/locations/BE/BEC/LOC1"
    put = client.put(url, json=body, headers=headers(token))
    assert put.status_code == 201, put.json
    assert routing(put) == ("ES", "SGV", "BE", "BEC")
    assert routing(client.get(url, headers=headers(token))) == ("ES", "SGV", "BE", "BEC")


@pytest.mark.parametrize(
    ("method", "path", "body", "http_status"),
    [
        ("get", "locations/BE/BEC/NONE", None, 404),  # unknown location
        ("put", "locations/BE/BEC/LOC1", {"id": "LOC1"}, 400),  # invalid object
        ("put", "locations/ES/XYZ/LOC1", {"id": "LOC1"}, 403),  # another party
        ("get", "tariffs/BE/BEC/NONE", None, 404),  # unknown tariff
        ("delete", "tariffs/BE/BEC/NONE", None, 405),  # nothing to delete
    ],
)
def test_refusals_of_the_modules_carry_the_routing_headers_too(
    client, cpo, method, path, body, http_status
):
    _, token = cpo
    response = getattr(client, method)(f"/api/2.2.1/{path}", json=body, headers=headers(token))
    assert response.status_code == http_status
    assert routing(response) == ("ES", "SGV", "BE", "BEC")


def test_the_requests_own_from_headers_become_the_answers_to(client, cpo):
    _, token = cpo
    sent = headers(token) | {"OCPI-from-country-code": "BE", "OCPI-from-party-id": "XXX"}
    response = client.get("/api/2.2.1/tariffs/BE/BEC/NONE", headers=sent)
    assert routing(response) == ("ES", "SGV", "BE", "XXX")


def test_unauthenticated_refusal_names_sgv_and_no_unknown_caller(client, cpo):
    response = client.get("/api/2.2.1/locations/BE/BEC/LOC1", headers=headers("wrong"))
    assert response.status_code == 401
    assert routing(response) == ("ES", "SGV", None, None)


def test_2_1_1_answers_and_configuration_modules_carry_none(client):
    party, token = make_party("BE", "BEC", version="2.1.1")
    answers = [
        client.get("/api/2.1.1/locations/BE/BEC/NONE", headers=headers(token, "raw")),
        client.get("/api/2.2.1/credentials", headers=headers(token)),
        client.get("/api/2.2.1", headers=headers(token)),
        client.get("/api/versions", headers=headers(token)),
    ]
    for response in answers:
        assert routing(response) == (None, None, None, None), response.request.path
