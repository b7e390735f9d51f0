"""CORS (SPEC §8): any web page may read open data and the map's JSON, nothing else.

Every answer of a public document carries `Access-Control-Allow-Origin: *` — 200, 304,
400, 404 — and a browser's preflight is answered with the methods and headers a poller
needs. The OCPI interface, /healthz and the HTML pages carry no CORS header at all.
"""

import pytest

from sgv.core import dataversion
from sgv.extensions import db
from tests.public_helpers import add_installation, live_cpo

ORIGIN = {"Origin": "https://apps.example.org"}
DOCUMENTS = (
    "/opendata/installations.json",
    "/opendata/installations.geojson",
    "/opendata/installations.csv",
    "/opendata/status.json",
    "/opendata/openapi.json",
    "/map/sites.json",
    "/map/ids.json",
    "/map/places.json",
    "/map/live.json",
    "/map/installations/INST1.json",
)
VALIDATED = [url for url in DOCUMENTS if url != "/opendata/openapi.json"]  # those with ETags
NOT_SHARED = ("/api/versions", "/api/2.2.1", "/healthz", "/", "/opendata/", "/installations/INST1")


def ask(client, url: str, method: str = "GET", **headers: str):
    """Send a request with an Origin; read and close the answer (exports stream)."""
    response = client.open(url, method=method, headers={**ORIGIN, **headers})
    response.get_data()
    response.close()
    return response


@pytest.fixture
def world(app, client) -> None:
    add_installation()
    live_cpo(client)
    dataversion.touch(dataversion.STATIC)
    db.session.commit()


@pytest.mark.parametrize("url", DOCUMENTS)
def test_every_public_document_is_readable_from_any_origin(world, client, url):
    response = ask(client, url)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in response.headers


@pytest.mark.parametrize("url", VALIDATED)
def test_a_304_carries_the_cors_header_too(world, client, url):
    etag = ask(client, url).headers["ETag"]
    again = ask(client, url, **{"If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/opendata/installations.json?bbox=1,2,3", 400),
        ("/opendata/status.json?colour=red", 400),
        ("/map/installations/NOPE.json", 404),
    ],
)
def test_an_error_from_a_public_document_is_readable_too(world, client, url, status):
    response = ask(client, url)
    assert response.status_code == status
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("url", DOCUMENTS)
def test_a_preflight_is_answered_with_the_methods_and_headers_allowed(world, client, url):
    preflight = {
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "if-none-match",
    }
    response = ask(client, url, "OPTIONS", **preflight)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    methods = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "HEAD", "OPTIONS"} <= methods and "PUT" not in methods
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "if-none-match" in allowed and "if-modified-since" in allowed


@pytest.mark.parametrize("url", NOT_SHARED)
@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
def test_ocpi_health_and_pages_are_never_shared(world, client, url, method):
    response = ask(client, url, method, **{"Access-Control-Request-Method": "GET"})
    assert response.status_code < 500
    assert not [h for h in response.headers.keys() if h.lower().startswith("access-control-")]
