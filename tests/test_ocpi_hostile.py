"""Hostile bodies and URLs get 400/413 with code 2001, never a 500 (issue #14, SPEC §3).

Every refusal here must name the problem, leave every table as it was, and add exactly
one row to the rejection log. Chunked bodies are tested through the Flask test client
and against a real gunicorn, over a socket.
"""

import base64
import http.client
import json
import socket
import threading
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

import psycopg
import pytest

from sgv.config import Defaults
from tests.cpo_server import CpoServer
from tests.hostile_helpers import changed_tables, state
from tests.ocpi_helpers import example, headers, make_created_party, make_party
from tests.servers import gunicorn

LOCATION = "/api/2.2.1/locations/ES/HOS/LOC1"
TARIFF = "/api/2.1.1/tariffs/ES/HOS/T1"
EVSE = "/api/2.2/locations/ES/HOS/LOC1/3256"
LIMIT = Defaults.MAX_BODY
CHUNK = 64 * 1024


def location() -> dict:
    return {**example("2.2.1", "location_example"), "country_code": "ES", "party_id": "HOS"}


def tariff() -> dict:
    body = example("2.1.1", "tariff_put_example")
    return {**body, "id": "T1", "last_updated": "2026-01-01T10:00:00Z"}


def status() -> dict:
    return {"status": "CHARGING", "last_updated": "2026-01-01T10:00:00Z"}


@pytest.fixture
def database(committed_database) -> Iterator[psycopg.Connection]:
    with psycopg.connect(committed_database, autocommit=True) as connection:
        yield connection


@pytest.fixture
def cpo(committed_app):
    """A registered CPO ES*HOS holding one location and one tariff; its client and token."""
    _, token = make_party("ES", "HOS")
    client = committed_app.test_client()
    assert client.put(LOCATION, json=location(), headers=headers(token)).status_code == 201
    assert client.put(TARIFF, json=tariff(), headers=headers(token, "raw")).status_code == 201
    return client, token


def assert_refused(database, before, response, http_status: int, *words: str) -> None:
    """A refusal: its answer names the problem, nothing changed, one rejection recorded."""
    envelope = response.json
    assert (response.status_code, envelope["status_code"]) == (http_status, 2001), envelope
    for word in words:
        assert word in envelope["status_message"], envelope["status_message"]
    after = state(database)
    assert changed_tables(before, after) == []
    assert after.rejections == before.rejections + 1


# --- defect 2: bad input that used to give a 500 ----------------------------------------


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def with_raw_field(body: dict, raw: str) -> bytes:
    """Return the body as JSON with an extra (unknown) field whose value is raw JSON text."""
    text = json.dumps(body)
    return (text[:-1] + f', "extension": {raw}}}').encode()


def set_name(body: dict, value: str) -> bytes:
    if "evses" in body:
        body["evses"][0]["connectors"][0]["id"] = value
    elif "elements" in body:
        body["tariff_alt_text"] = [{"language": "es", "text": value}]
    else:
        body["status"] = value
    return json.dumps(body).encode()


def where_name(body: dict) -> str:
    if "evses" in body:
        return "evses.0.connectors.0.id"
    return "tariff_alt_text.0.text" if "elements" in body else "status"


# (label, body -> raw bytes, words the answer must hold)
HOSTILE = [
    ("100,000-deep nesting", lambda b: with_raw_field(b, deep(100_000)), ["nested", "32"]),
    ("100,000-deep body", lambda b: deep(100_000).encode(), ["nested", "32"]),
    ("33-deep nesting", lambda b: with_raw_field(b, deep(33)), ["nested", "32"]),
    ("NUL in a string", lambda b: set_name(b, "1\u0000"), ["U+0000", "{where}"]),
    ("NUL in a field name", lambda b: json.dumps({**b, "a\u0000": 1}).encode(), ["U+0000"]),
    ("lone surrogate", lambda b: set_name(b, "\ud800"), ["U+D800", "{where}"]),
    ("control character", lambda b: set_name(b, "1\u001b[2J"), ["U+001B", "{where}"]),
    ("401-digit number", lambda b: with_raw_field(b, "1" + "0" * 400), ["401 digits"]),
    ("401-digit negative", lambda b: with_raw_field(b, "-" + "9" * 401), ["401 digits"]),
    ("long fraction", lambda b: with_raw_field(b, "0." + "3" * 400), ["digits"]),
    ("float overflow", lambda b: with_raw_field(b, "1e400"), ["1e400", "range"]),
]
ENDPOINTS = [
    ("PUT", LOCATION, location, "base64"),
    ("PUT", TARIFF, tariff, "raw"),
    ("PATCH", EVSE, status, "base64"),
]


@pytest.mark.parametrize(("label", "build", "words"), HOSTILE, ids=[h[0] for h in HOSTILE])
@pytest.mark.parametrize(
    ("method", "path", "body", "form"), ENDPOINTS, ids=[f"{e[0]} {e[1]}" for e in ENDPOINTS]
)
def test_hostile_body_is_refused_naming_the_problem(
    cpo, database, label, build, words, method, path, body, form
):
    client, token = cpo
    raw = build(body())
    before = state(database)
    response = client.open(
        path,
        method=method,
        data=raw,
        content_type="application/json",
        headers=headers(token, form),
    )
    words = [word.replace("{where}", where_name(body())) for word in words]
    assert_refused(database, before, response, 400, *words)


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("PUT", "/api/2.2.1/locations/ES/HOS/LOC%00", "location_id"),
        ("GET", "/api/2.2.1/locations/ES/HOS/LOC1/3256%00", "evse_uid"),
        ("PATCH", "/api/2.2/locations/ES/HOS/LOC1/3256/%00", "connector_id"),
        ("DELETE", "/api/2.1.1/tariffs/ES/HOS/T%001", "tariff_id"),
        ("PUT", "/api/2.2.1/tariffs/ES/HOS/T%1B1", "tariff_id"),
    ],
)
def test_control_character_in_a_url_id_is_refused_naming_the_id(cpo, database, method, path, field):
    client, token = cpo
    before = state(database)
    response = client.open(path, method=method, json=location(), headers=headers(token))
    assert_refused(database, before, response, 400, field, "U+00")
    assert "\u0000" not in response.get_data(as_text=True)


@pytest.fixture
def cpo_server():
    with CpoServer(versions=("2.2.1", "2.1.1")) as server:
        yield server


def credentials(server: CpoServer, version: str, name: str) -> dict:
    body = server.credentials(version)
    if version == "2.1.1":
        body["business_details"]["name"] = name
    else:
        body["roles"][0]["business_details"]["name"] = name
    return body


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
@pytest.mark.parametrize("method", ["POST", "PUT"])
@pytest.mark.parametrize("name", ["CPO\u0000", "CPO\udfff"])
def test_bad_credentials_are_refused_before_calling_the_cpo(
    committed_app, database, cpo_server, version, method, name
):
    if method == "POST":
        _, token = make_created_party("ES", "CPO")
    else:
        _, token = make_party("ES", "CPO")
    client = committed_app.test_client()
    before = state(database)
    response = client.open(
        f"/api/{version}/credentials",
        method=method,
        json=credentials(cpo_server, version, name),
        headers=headers(token, "raw" if version == "2.1.1" else "base64"),
    )
    assert_refused(database, before, response, 400, "business_details.name", "U+")
    assert cpo_server.requests == []  # no outbound call was made


# --- defect 3: SGV_MAX_BODY, with or without Content-Length -----------------------------


def padded(size: int) -> Iterator[bytes]:
    """Yield a valid location followed by spaces up to `size` bytes, lazily, in chunks."""
    head = json.dumps(location()).encode()
    yield head
    left = size - len(head)
    while left > 0:
        yield b" " * min(CHUNK, left)
        left -= CHUNK


class Counted:
    """A body stream that counts what the app read from it."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self.chunks = iter(chunks)
        self.pending = b""
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        while (size < 0 or len(self.pending) < size) and (chunk := next(self.chunks, None)):
            self.pending += chunk
        size = len(self.pending) if size < 0 else size
        out, self.pending = self.pending[:size], self.pending[size:]
        self.read_bytes += len(out)
        return out

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


SIZES = {"2.6 MB": 2_600_000, "50 MB": 50_000_000}


def put_chunked(client, token: str, stream: Counted):
    """PUT the location as a chunked body through the test client: no Content-Length."""
    return client.put(
        LOCATION,
        content_type="application/json",
        headers={**headers(token), "Transfer-Encoding": "chunked"},
        # What a server that decodes chunked bodies (gunicorn, Werkzeug's) hands the app.
        environ_overrides={"wsgi.input": stream, "wsgi.input_terminated": True},
    )


def test_body_over_the_limit_with_content_length_is_413(cpo, database):
    client, token = cpo
    before = state(database)
    body = b"".join(padded(LIMIT + 1))
    response = client.put(
        LOCATION, data=body, content_type="application/json", headers=headers(token)
    )
    assert_refused(database, before, response, 413, "SGV_MAX_BODY")


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_chunked_body_over_the_limit_is_413_without_reading_it_all(cpo, database, size):
    client, token = cpo
    before = state(database)
    stream = Counted(padded(size))
    response = put_chunked(client, token, stream)
    assert_refused(database, before, response, 413, "SGV_MAX_BODY")
    assert stream.read_bytes <= LIMIT + CHUNK  # reading stopped at the limit


def test_chunked_body_within_the_limit_is_read_whole(cpo):
    client, token = cpo
    body = location()
    body["name"] = "Chunked"
    stream = Counted([json.dumps(body).encode(), b" " * (LIMIT - len(json.dumps(body)))])
    response = put_chunked(client, token, stream)
    assert response.status_code == 200, response.json
    assert client.get(LOCATION, headers=headers(token)).json["data"]["name"] == "Chunked"


def chunked_put(base_url: str, path: str, token: str, chunks: Iterable[bytes]):
    """PUT a body with Transfer-Encoding: chunked over a socket, reading the answer while
    still sending; return (HTTP status, envelope, bytes sent when the answer came)."""
    address = urlsplit(base_url)
    sock = socket.create_connection((address.hostname, address.port), timeout=30)
    encoded = base64.b64encode(token.encode()).decode()
    sock.sendall(
        (
            f"PUT {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
            f"Authorization: Token {encoded}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        ).encode()
    )
    sent = [0]

    def send() -> None:
        try:
            for chunk in chunks:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent[0] += len(chunk)
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed: stop sending

    sender = threading.Thread(target=send)
    sender.start()
    try:
        response = http.client.HTTPResponse(sock)
        response.begin()
        answered_after = sent[0]
        envelope = json.loads(response.read())
    finally:
        sock.close()
        sender.join(timeout=30)
    return response.status, envelope, answered_after


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_chunked_body_over_the_limit_is_413_under_gunicorn(
    committed_app, committed_database, database, size
):
    _, token = make_party("ES", "HOS")
    before = state(database)
    with gunicorn(committed_database, workers=1) as base_url:
        http_status, envelope, answered_after = chunked_put(base_url, LOCATION, token, padded(size))
        assert (http_status, envelope["status_code"]) == (413, 2001), envelope
        assert "SGV_MAX_BODY" in envelope["status_message"]
        if size == SIZES["50 MB"]:
            assert answered_after < size  # answered without waiting for the whole body
        after = state(database)
        assert changed_tables(before, after) == []
        assert after.rejections == before.rejections + 1
        # A chunked body within the limit is still welcome.
        small_status, small, _ = chunked_put(base_url, LOCATION, token, padded(10_000))
        assert (small_status, small["status_code"]) == (201, 1000), small
