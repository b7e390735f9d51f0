"""Property-based fuzzing of every OCPI receiver endpoint, in every version (issue #14).

For each endpoint and version, hypothesis sends valid-ish pushes (official examples and
objects read off the marshmallow schemas) with hostile mutations (tests/fuzz_strategies.py)
to the app, on a real PostgreSQL, with a real CPO on 127.0.0.1 for the credentials
handshake. For every example:

* never a 5xx;
* refused ⇒ every table identical (a checksum of each) but the rejection log, which gains
  exactly one row (SPEC §3);
* accepted ⇒ the CPO's installation page, its detail JSON, the map documents and the
  exports still answer 200 and parse.

A fixed seed (derandomize) and SGV_FUZZ_EXAMPLES examples per endpoint and version
(default 20; raise it for a longer run, e.g. SGV_FUZZ_EXAMPLES=500). Hypothesis keeps
no example database and writes its caches to a temporary directory, not the repository.
"""

import csv
import io
import json
import os
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote

import hypothesis
import psycopg
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from sgv.extensions import db
from sgv.models import Party
from sgv.ocpi import VERSIONS
from sgv.ocpi.schemas import SCHEMAS
from sgv.ocpi.tokens import digest, new_token
from tests.cpo_server import CpoServer
from tests.fuzz_strategies import encoded, for_schema, hostile_id, mutated, seeds, stamped
from tests.hostile_helpers import changed_tables, state
from tests.ocpi_helpers import headers, make_created_party, make_party
from tests.public_helpers import TARIFF, add_installation, location_body
from tests.servers import free_port

EXAMPLES = int(os.environ.get("SGV_FUZZ_EXAMPLES", "20"))
# The folder of official examples (tests/fixtures/ocpi-examples) for each version served.
FOLDERS = {"2.3.0": "2.3.0", "2.2.1": "2.2.1", "2.2": "2.2.1", "2.1.1": "2.1.1"}
STATS: Counter = Counter()


@dataclass(frozen=True)
class Endpoint:
    """A receiver endpoint: the method, the kind of object, the ids in its URL."""

    method: str
    kind: str
    ids: tuple[str, ...] = ()

    @property
    def module(self) -> str:
        return {"tariff": "tariffs", "credentials": "credentials"}.get(self.kind, "locations")


ENDPOINTS = {
    "location PUT": Endpoint("PUT", "location", ("INST1",)),
    "location PATCH": Endpoint("PATCH", "location", ("INST1",)),
    "EVSE PUT": Endpoint("PUT", "evse", ("INST1", "U1")),
    "EVSE PATCH": Endpoint("PATCH", "evse", ("INST1", "U1")),
    "connector PUT": Endpoint("PUT", "connector", ("INST1", "U1", "1")),
    "connector PATCH": Endpoint("PATCH", "connector", ("INST1", "U1", "1")),
    "tariff PUT": Endpoint("PUT", "tariff", ("T1",)),
    "tariff PATCH": Endpoint("PATCH", "tariff", ("T1",)),
    "tariff DELETE": Endpoint("DELETE", "tariff", ("T1",)),
    "credentials POST": Endpoint("POST", "credentials"),
    "credentials PUT": Endpoint("PUT", "credentials"),
}


def endpoint_name(endpoint: Endpoint) -> str:
    return next(name for name, known in ENDPOINTS.items() if known == endpoint)


def test_every_version_served_is_fuzzed():
    assert set(FOLDERS) == set(VERSIONS), "add the new version to FOLDERS"


@pytest.fixture(scope="module", autouse=True)
def hypothesis_outside_the_repository(tmp_path_factory, request):
    """Keep hypothesis's caches out of the working tree; report the figures at the end."""
    hypothesis.configuration.set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))
    started = time.monotonic()
    yield
    hypothesis.configuration.set_hypothesis_home_dir(None)
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None and STATS["examples"]:
        seconds = time.monotonic() - started
        with capture.global_and_fixture_disabled():
            reporter.write_line(
                f"\nOCPI fuzz ({EXAMPLES} per endpoint and version): {STATS['examples']} "
                f"examples, {STATS['accepted']} accepted, {STATS['refused']} refused, "
                f"{STATS['5xx']} 5xx, {seconds:.1f} s"
            )
            for name in ENDPOINTS:
                reporter.write_line(
                    f"  {name}: {STATS[name, 'accepted']} accepted of {STATS[name]}"
                )


# --- the world a CPO pushes into -------------------------------------------------------


class World:
    """The app, a live CPO ES*ABC matched to RIPREE site INST1, and a CPO server for
    the handshake of ES*CPO; what each example needs to send and check."""

    def __init__(self, app, connection: psycopg.Connection, cpo: CpoServer) -> None:
        self.app, self.connection, self.cpo = app, connection, cpo
        self.client = app.test_client()
        add_installation("INST1")
        _, self.token = make_party("ES", "ABC", state="live")
        self.push("PUT", "/api/2.2.1/locations/ES/ABC/INST1", location_body("INST1"))
        self.push("PUT", "/api/2.2.1/tariffs/ES/ABC/T1", TARIFF)
        self.created, _ = make_created_party("ES", "CPO")
        self.documents = public_documents(app)

    def push(self, method: str, path: str, body: dict) -> None:
        response = self.client.open(path, method=method, json=body, headers=headers(self.token))
        assert response.status_code in (200, 201), response.json

    def credentials_token(self, endpoint: Endpoint) -> str:
        """Give ES*CPO what the endpoint needs: a fresh TOKEN_A (POST) or its TOKEN_C."""
        party = db.session.get(Party, self.created.id)
        token = new_token()
        if endpoint.method == "POST":
            party.token_a_digest = digest(token)
        else:
            party.state, party.token_c_digest = "registered", digest(token)
            party.token_c_expires_at = None
        db.session.commit()
        return token


def public_documents(app) -> list[str]:
    """The installation page, its detail JSON, every map document and every export."""
    paths = {"/installations/INST1", "/map/installations/INST1.json"}
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments:
            if rule.rule.startswith(("/map/", "/opendata/")) and "." in rule.rule:
                paths.add(rule.rule)
    return sorted(paths)


class Html(HTMLParser):
    def error(self, message: str) -> None:
        raise AssertionError(message)


def parse(path: str, body: bytes) -> None:
    """Read a document as its format says; fail on anything a reader could not parse."""
    text = body.decode("utf-8")
    if path.endswith((".json", ".geojson")):
        json.loads(text)
    elif path.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(text)))
        assert rows and all(len(row) == len(rows[0]) for row in rows), path
    elif path.endswith(".xml"):
        ElementTree.fromstring(body)
    else:
        Html().feed(text)


@pytest.fixture
def world(committed_app, committed_database):
    committed_app.config["HTTP_TIMEOUT"] = 2.0
    with (
        psycopg.connect(committed_database, autocommit=True) as connection,
        CpoServer(versions=tuple(FOLDERS), party_id="CPO") as cpo,
    ):
        yield World(committed_app, connection, cpo)


# --- what is sent ----------------------------------------------------------------------


def adapted(world: World, endpoint: Endpoint, version: str, body: dict, ids: list) -> dict:
    """Make a seed or a generated object this CPO's, at this URL, newer than what is held."""
    own = {"location": "id", "tariff": "id", "evse": "uid", "connector": "id"}[endpoint.kind]
    body = dict(body)
    patch = endpoint.method == "PATCH"
    if not patch or own in body:
        body[own] = ids[-1]
    for key, value in {"country_code": "ES", "party_id": "ABC"}.items():
        if endpoint.kind in ("location", "tariff") and (not patch or key in body):
            body[key] = value
    if patch:
        body.setdefault("last_updated", "")  # required in 2.2.x; stamped below
    return stamped(body)


def credentials(world: World, version: str, body: dict, reachable: bool) -> dict:
    """Make credentials name ES*CPO and its server: reachable, or a port nobody serves."""
    url = world.cpo.versions_url if reachable else f"http://127.0.0.1:{free_port()}/versions"
    return {**body, **world.cpo.credentials(version), "url": url}


@st.composite
def pushes(draw, world: World, endpoint: Endpoint, version: str) -> tuple[str, bytes | None]:
    """Draw one request: its path (ids mostly usual, now and then hostile) and its body."""
    ids = list(endpoint.ids)
    if ids and draw(st.integers(0, 3)) == 0:  # one request in four: one hostile id
        which = draw(st.sampled_from(range(len(ids))))
        ids[which] = draw(hostile_id(ids[which]))
    body = None
    if endpoint.method != "DELETE" or draw(st.booleans()):
        partial = endpoint.method == "PATCH"
        official = seeds(FOLDERS[version], endpoint.kind, partial)
        generated = for_schema(SCHEMAS[version][endpoint.kind], partial=partial)
        base = draw(st.sampled_from(official) | generated if official else generated)
        if endpoint.kind == "credentials":
            base = credentials(world, version, base, reachable=draw(st.integers(0, 4)) > 0)
        else:
            base = adapted(world, endpoint, version, base, ids)
        body = draw(mutated(base))
    if endpoint.kind == "credentials":
        path = f"/api/{version}/credentials"
    else:
        quoted = "/".join(quote(i.encode("utf-8", "surrogatepass"), safe="") for i in ids)
        path = f"/api/{version}/{endpoint.module}/ES/ABC/{quoted}"
    return path, None if body is None else draw(encoded(body))


# --- the property ----------------------------------------------------------------------


def check(world: World, endpoint: Endpoint, version: str, path: str, raw: bytes | None) -> None:
    """Send one request; assert SPEC §3's promises about its answer and the state."""
    if endpoint.kind == "credentials":
        token = world.credentials_token(endpoint)
    else:
        token = world.token
        if endpoint.method == "DELETE":  # something to delete, most of the time
            world.push("PUT", "/api/2.2.1/tariffs/ES/ABC/T1", stamped(TARIFF))
    before = state(world.connection)
    response = world.client.open(
        path,
        method=endpoint.method,
        data=raw,
        content_type="application/json",
        headers=headers(token, "raw" if version == "2.1.1" else "base64"),
    )
    note(f"{endpoint.method} {path} {raw[:500] if raw else raw!r}")
    note(f"→ {response.status_code} {response.get_data()[:500]!r}")
    STATS["examples"] += 1
    STATS[endpoint_name(endpoint)] += 1
    STATS["5xx"] += response.status_code >= 500
    assert response.status_code < 500
    envelope = response.json
    assert isinstance(envelope["status_code"], int) and envelope["timestamp"].endswith("Z")
    after = state(world.connection)
    if response.status_code < 300:
        STATS["accepted"] += 1
        STATS[endpoint_name(endpoint), "accepted"] += 1
        assert after.rejections == before.rejections
        for document in world.documents:
            answer = world.client.get(document)
            assert answer.status_code == 200, (document, answer.get_data()[:500])
            parse(document, answer.get_data())
    else:
        STATS["refused"] += 1
        assert changed_tables(before, after) == []
        assert after.rejections == before.rejections + 1


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", ENDPOINTS)
def test_fuzz_receiver_endpoint(world, name, version):
    endpoint = ENDPOINTS[name]

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request=pushes(world, endpoint, version))
    def fuzz(request: tuple[str, bytes | None]) -> None:
        check(world, endpoint, version, *request)

    fuzz()
