"""Every refusal answers SPEC §3's row: the table holds every kind, real requests prove it."""

from collections.abc import Callable

import pytest
from werkzeug.exceptions import ServiceUnavailable, TooManyRequests

from sgv.core.refusals import Kind, Refused
from sgv.extensions import db
from sgv.models import Rejection
from sgv.ocpi.envelope import REFUSALS, ProtocolKind
from tests.cpo_server import CpoServer
from tests.ocpi_helpers import example, headers, make_created_party, make_party
from tests.servers import free_port

# SPEC §3, "Answers", copied by hand: the implementation's table must equal it.
SPEC = {
    ProtocolKind.NOT_JSON: (400, 2001),
    ProtocolKind.TOO_LARGE: (413, 2001),
    Kind.INVALID: (400, 2001),
    ProtocolKind.UNAUTHENTICATED: (401, 2000),
    ProtocolKind.NOT_YOUR_PARTY: (403, 2000),
    Kind.UNKNOWN_LOCATION: (404, 2003),
    Kind.UNKNOWN_TARIFF: (404, 2000),
    Kind.NOTHING_TO_DELETE: (405, 2000),
    Kind.CPO_UNREACHABLE: (400, 3001),
    Kind.NO_COMMON_VERSION: (400, 3002),
    Kind.MISSING_ENDPOINTS: (400, 3003),
    Kind.NOT_CREATED: (405, 2000),
    Kind.ALREADY_REGISTERED: (405, 2000),
    Kind.NOT_REGISTERED: (405, 2000),
    ProtocolKind.TOO_MANY_REQUESTS: (429, 2000),
    ProtocolKind.DATABASE_UNAVAILABLE: (503, 3000),
    ProtocolKind.UNEXPECTED: (500, 3000),
    # Werkzeug's routing answers, in the envelope (not rows of SPEC's table).
    ProtocolKind.NO_ROUTE: (404, 2000),
    ProtocolKind.WRONG_METHOD: (405, 2000),
}

LOCATION = "/api/2.2.1/locations/ES/ABC/LOC1"
TARIFF = "/api/2.2.1/tariffs/ES/ABC/T1"
CREDENTIALS = "/api/2.2.1/credentials"


@pytest.mark.parametrize("kind", [*Kind, *ProtocolKind], ids=lambda kind: kind.name)
def test_every_kind_has_the_answer_of_its_spec_row(kind):
    assert REFUSALS[kind] == SPEC[kind]


def test_the_table_holds_nothing_but_the_kinds():
    assert set(REFUSALS) == {*Kind, *ProtocolKind} == set(SPEC)


# --- real requests, one or more per kind -----------------------------------------------


def location_body() -> dict:
    body = example("2.2.1", "location_example")
    return {**body, "country_code": "ES", "party_id": "ABC", "id": "LOC1"}


def patch_last_updated() -> dict:
    return {"last_updated": "2024-01-01T00:00:00Z"}


def registered(client) -> str:
    return make_party("ES", "ABC")[1]


def not_json(client):
    return client.put(LOCATION, data="{", headers=headers(registered(client)))


def too_large(client):
    body = {**location_body(), "directions": [{"language": "en", "text": "x" * 1_100_000}]}
    return client.put(LOCATION, json=body, headers=headers(registered(client)))


def invalid(client):
    body = {k: v for k, v in location_body().items() if k != "coordinates"}
    return client.put(LOCATION, json=body, headers=headers(registered(client)))


def no_token(client):
    return client.get("/api/versions")


def another_party(client):
    return client.get("/api/2.2.1/locations/ES/XYZ/LOC1", headers=headers(registered(client)))


def get_unknown_location(client):
    return client.get(LOCATION, headers=headers(registered(client)))


def patch_unknown_location(client):
    return client.patch(LOCATION, json=patch_last_updated(), headers=headers(registered(client)))


def put_evse_under_unknown_location(client):
    evse = location_body()["evses"][0]
    path = f"{LOCATION}/{evse['uid']}"
    return client.put(path, json=evse, headers=headers(registered(client)))


def get_unknown_tariff(client):
    return client.get(TARIFF, headers=headers(registered(client)))


def patch_unknown_tariff(client):
    return client.patch(TARIFF, json=patch_last_updated(), headers=headers(registered(client)))


def delete_unknown_tariff(client):
    return client.delete(TARIFF, headers=headers(registered(client)))


def handshake(client, cpo: CpoServer, break_it: Callable[[CpoServer], None]):
    _, token_a = make_created_party("ES", "CPO")
    break_it(cpo)
    return client.post(CREDENTIALS, json=cpo.credentials("2.2.1"), headers=headers(token_a))


def cpo_unreachable(client):
    _, token_a = make_created_party("ES", "CPO")
    with CpoServer() as cpo:
        body = {**cpo.credentials("2.2.1"), "url": f"http://127.0.0.1:{free_port()}/versions"}
    return client.post(CREDENTIALS, json=body, headers=headers(token_a))


def no_common_version(client):
    with CpoServer() as cpo:
        return handshake(client, cpo, lambda cpo: setattr(cpo, "versions", ["2.0"]))


def missing_endpoints(client):
    with CpoServer() as cpo:
        return handshake(client, cpo, lambda cpo: setattr(cpo, "modules", ["credentials"]))


def not_created(client):
    with CpoServer(party_id="OTH") as cpo:
        return handshake(client, cpo, lambda cpo: None)


def posted_twice(client):
    _, token_a = make_created_party("ES", "CPO")
    with CpoServer() as cpo:
        first = client.post(CREDENTIALS, json=cpo.credentials("2.2.1"), headers=headers(token_a))
        token_c = first.json["data"]["token"]
        return client.post(CREDENTIALS, json=cpo.credentials("2.2.1"), headers=headers(token_c))


def put_not_registered(client):
    _, token_a = make_created_party("ES", "CPO")
    with CpoServer() as cpo:
        return client.put(CREDENTIALS, json=cpo.credentials("2.2.1"), headers=headers(token_a))


def delete_not_registered(client):
    _, token_a = make_created_party("ES", "CPO")
    return client.delete(CREDENTIALS, headers=headers(token_a))


def raising(error: Exception) -> Callable:
    """Return a request that reaches a test route under /api/ raising `error`."""

    def request(client):
        def fail():
            raise error

        client.application.add_url_rule("/api/2.2.1/fail", "fail", fail)
        return client.get("/api/2.2.1/fail")

    return request


def no_route(client):
    return client.get("/api/9.9/nothing")


def wrong_method(client):
    return client.delete(LOCATION, headers=headers(registered(client)))


REQUESTS = [
    (ProtocolKind.NOT_JSON, not_json),
    (ProtocolKind.TOO_LARGE, too_large),
    (Kind.INVALID, invalid),
    (ProtocolKind.UNAUTHENTICATED, no_token),
    (ProtocolKind.NOT_YOUR_PARTY, another_party),
    (Kind.UNKNOWN_LOCATION, get_unknown_location),
    (Kind.UNKNOWN_LOCATION, patch_unknown_location),
    (Kind.UNKNOWN_LOCATION, put_evse_under_unknown_location),
    (Kind.UNKNOWN_TARIFF, get_unknown_tariff),
    (Kind.UNKNOWN_TARIFF, patch_unknown_tariff),
    (Kind.NOTHING_TO_DELETE, delete_unknown_tariff),
    (Kind.CPO_UNREACHABLE, cpo_unreachable),
    (Kind.NO_COMMON_VERSION, no_common_version),
    (Kind.MISSING_ENDPOINTS, missing_endpoints),
    (Kind.NOT_CREATED, not_created),
    (Kind.ALREADY_REGISTERED, posted_twice),
    (Kind.NOT_REGISTERED, put_not_registered),
    (Kind.NOT_REGISTERED, delete_not_registered),
    # No limiter or database outage to provoke here: Werkzeug's errors stand in for them.
    (ProtocolKind.TOO_MANY_REQUESTS, raising(TooManyRequests())),
    (ProtocolKind.DATABASE_UNAVAILABLE, raising(ServiceUnavailable())),
    (ProtocolKind.UNEXPECTED, raising(RuntimeError("boom"))),
    (ProtocolKind.NO_ROUTE, no_route),
    (ProtocolKind.WRONG_METHOD, wrong_method),
]


def test_every_kind_is_driven_by_a_request():
    assert {kind for kind, _ in REQUESTS} == set(REFUSALS)


@pytest.mark.parametrize(
    ("kind", "request_it"), REQUESTS, ids=[f"{k.name}-{r.__name__}" for k, r in REQUESTS]
)
def test_a_refused_request_gets_the_answer_of_its_spec_row(app, client, kind, request_it):
    app.config["HTTP_TIMEOUT"] = 0.5
    response = request_it(client)
    assert (response.status_code, response.json["status_code"]) == SPEC[kind], response.json
    assert response.json["status_message"]
    assert response.json["timestamp"].endswith("Z")


def test_a_refusal_is_recorded_with_the_answer_of_its_row(app, client):
    get_unknown_tariff(client)
    rejection = db.session.scalars(db.select(Rejection)).one()
    assert (rejection.http_status, rejection.status_code) == SPEC[Kind.UNKNOWN_TARIFF]
    assert (rejection.object_id, rejection.reason) == ("T1", "Unknown tariff 'T1'")


def test_a_refusal_outside_the_ocpi_interface_is_an_unexpected_error(app, client):
    def refuse():
        raise Refused(Kind.UNKNOWN_TARIFF, "not an OCPI request")

    app.add_url_rule("/opendata/refuse", "refuse", refuse)
    response = client.get("/opendata/refuse")
    assert response.status_code == 500
    assert "not an OCPI request" not in response.get_data(as_text=True)
