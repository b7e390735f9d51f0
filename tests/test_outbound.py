"""Every call SGV makes to a CPO: no SSRF, nothing reflected, a deadline per call (issue #15).

Every address aimed at here is on loopback (127.0.0.0/8, ::1), with a real server
listening there that records whether anything connected. The classification of
link-local, private, multicast and reserved addresses is tested as a pure function on
ipaddress objects: nothing ever connects to such an address.
"""

import shutil
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address, ip_network

import pytest

from sgv import create_app
from sgv.demo.load import PROFILES, load
from sgv.extensions import db
from sgv.models import Party
from sgv.ocpi import client
from sgv.quality.check import run_checks
from tests.conftest import app_settings
from tests.cpo_server import CpoServer
from tests.ocpi_helpers import headers, make_created_party, make_party
from tests.raw_server import RawServer, drip, garbage, http_response, silence, tripwire
from tests.servers import free_port

ONLY_127_0_0_1 = "127.0.0.1/32"  # SGV_OUTBOUND_ALLOW_PRIVATE as a network list
VERSIONS = {"data": [], "status_code": 1000, "timestamp": "2026-01-01T00:00:00Z"}


@pytest.fixture
def guarded(app):
    """The app as deployed: private addresses refused (tests otherwise allow them)."""
    app.config["OUTBOUND_ALLOW_PRIVATE"] = False
    app.config["HTTP_TIMEOUT"] = 2.0
    return app


@pytest.fixture
def created(app):
    """ES*CPO as `cpo add` leaves it, with its TOKEN_A."""
    return make_created_party("ES", "CPO")


def post_credentials(client, token_a: str, versions_url: str):
    """POST ES*CPO's credentials naming `versions_url`, as a CPO (or an attacker) would."""
    role = {"role": "CPO", "country_code": "ES", "party_id": "CPO"}
    role["business_details"] = {"name": "x"}
    body = {"token": "token-b", "url": versions_url, "roles": [role]}
    return client.post("/api/2.2.1/credentials", json=body, headers=headers(token_a))


def assert_nothing_changed(client, token_a: str) -> None:
    db.session.expire_all()
    party = db.session.scalars(db.select(Party)).one()
    assert (party.state, party.token_b, party.versions_url) == ("created", None, None)
    assert client.get("/api/versions", headers=headers(token_a)).status_code == 200


# -- SSRF: loopback targets, refused before any connection ---------------------------------


@pytest.fixture(params=["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def loopback_target(request):
    """A real server listening on a loopback address, and the URL host that leads to it."""
    address = {"localhost": "127.0.0.1"}.get(request.param, request.param)
    with RawServer(tripwire(), host=address) as server:
        yield server, server.url(host=request.param if request.param == "localhost" else None)


def test_credentials_naming_a_loopback_host_are_refused_and_it_is_never_called(
    guarded, client, created, loopback_target
):
    server, url = loopback_target
    response = post_credentials(client, created[1], url)
    assert (response.status_code, response.json["status_code"]) == (400, 3001)
    message = response.json["status_message"]
    assert f"GET {url}: not called" in message
    assert "public internet addresses" in message
    assert server.connections == []  # not even a TCP handshake
    assert_nothing_changed(client, created[1])


def test_a_name_is_checked_on_the_address_it_resolves_to(guarded):
    """`localhost` is no IP literal: only its resolution (127.0.0.1) can be refused."""
    assert all(ip_address(a[4][0]).is_loopback for a in socket.getaddrinfo("localhost", 80))
    with RawServer(tripwire()) as server:
        with pytest.raises(client.CpoUnreachable, match="not called"):
            client.negotiate(server.url(host="localhost"), "t", timeout=2)
    assert server.connections == []


def test_the_connection_goes_to_the_address_that_was_checked(app, monkeypatch):
    """DNS rebinding: the name answers 127.0.0.1 (allowed) once, then 127.0.0.2 (refused).

    A check that resolved and then let the HTTP library resolve again would connect to
    127.0.0.2. Each page of the check's pull is a new connection (HTTP/1.0 server): the
    first page shows the connection pinned to the checked address, the second (a `Link`)
    and the retry that the name is resolved and checked again for each.
    """
    app.config.update(OUTBOUND_ALLOW_PRIVATE=(ip_network(ONLY_127_0_0_1),), CHECK_RETRY_DELAY=0)
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1"])

    def rebinding(host, port, *args, **kwargs):
        if host != "cpo.rebind.test":
            return real(host, port, *args, **kwargs)
        address = next(answers, "127.0.0.2")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with CpoServer(link="relative", max_limit=1) as cpo:
        cpo.add("locations", {"id": "L1"}, {"id": "L2"})
        with RawServer(tripwire(), "127.0.0.2", cpo.port) as other:
            [run] = run_checks([connect_party("CPO", f"http://cpo.rebind.test:{cpo.port}")])
    assert run.reachable is False and "not called" in run.error
    [first] = cpo.requests_to("locations")
    assert first.headers["Host"] == f"cpo.rebind.test:{cpo.port}"  # the name, not the address
    assert other.connections == []


class Versions(BaseHTTPRequestHandler):
    """Answer every GET with an empty OCPI versions list."""

    def do_GET(self) -> None:
        self.wfile.write(http_response(VERSIONS))

    def log_message(self, *args) -> None:
        pass


@pytest.mark.skipif(not shutil.which("openssl"), reason="needs the openssl command")
def test_https_to_a_pinned_address_keeps_the_name_for_sni_and_the_certificate(
    tmp_path, monkeypatch
):
    """The connection goes to 127.0.0.1, yet TLS speaks to and verifies `localhost`."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", key, "-out", cert, "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))  # trust it, as a closed PKI would
    names = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Versions)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        url = f"https://localhost:{server.server_address[1]}/ocpi/versions"
        with pytest.raises(client.NoCommonVersion):  # TLS verified, the answer read
            client.negotiate(url, "t", timeout=5, allow_private=True)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert names == ["localhost"]


def test_a_redirect_to_a_refused_address_is_not_followed(app, client, created):
    """The first host is allowed (SGV_OUTBOUND_ALLOW_PRIVATE=127.0.0.1/32), the redirect's not.

    The redirect target is a real server on 127.0.0.2: the proof is that it never sees
    a connection, because every connection, redirects included, passes the same check.
    """
    app.config["OUTBOUND_ALLOW_PRIVATE"] = (ip_network(ONLY_127_0_0_1),)
    with CpoServer() as cpo, RawServer(tripwire(), "127.0.0.2") as inside:
        cpo.fail("versions", http_status=302, body="", headers={"Location": inside.url()})
        response = post_credentials(client, created[1], cpo.versions_url)
    assert (response.status_code, response.json["status_code"]) == (400, 3001)
    assert "a redirect was not followed" in response.json["status_message"]
    assert len(cpo.requests_to("versions")) == 1
    assert inside.connections == []
    assert_nothing_changed(client, created[1])


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("fe80::1", "link-local"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("::ffff:10.1.2.3", "private"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "special-purpose"),  # carrier-grade NAT
        ("64:ff9b::a00:1", "reserved"),  # NAT64 of 10.0.0.1 (in ::/8)
        ("2002:a00:1::1", "special-purpose"),  # 6to4 of 10.0.0.1
        ("192.0.2.1", "private"),  # documentation
        ("8.8.8.8", None),
        ("2a00:1450:4003:80e::200e", None),
    ],
)
def test_addresses_are_classified_without_connecting(address, kind):
    from sgv.ocpi.client.guard import allowed, classify

    parsed = ip_address(address)
    assert classify(parsed) == kind
    assert allowed(parsed, False) is (kind is None)
    assert allowed(parsed, True) is True
    assert allowed(parsed, (ip_network("10.0.0.0/8"),)) is (kind is None or address == "10.0.0.1")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("0", False),
        ("", False),
        ("true", True),
        ("10.20.0.0/16, 127.0.0.1", (ip_network("10.20.0.0/16"), ip_network("127.0.0.1/32"))),
    ],
)
def test_the_setting_reads_a_flag_or_networks(rolled_back_database, value, expected):
    app = create_app(app_settings(rolled_back_database, OUTBOUND_ALLOW_PRIVATE=value))
    assert app.config["OUTBOUND_ALLOW_PRIVATE"] == expected


def test_a_bad_setting_stops_the_app_naming_it(rolled_back_database):
    with pytest.raises(ValueError, match="SGV_OUTBOUND_ALLOW_PRIVATE must be 1, 0 or"):
        create_app(app_settings(rolled_back_database, OUTBOUND_ALLOW_PRIVATE="sometimes"))


# -- messages: one wording for every network failure, no byte of an answer ----------------


def test_closed_port_garbage_and_silence_read_the_same(app, client, created):
    """An attacker must not tell an open port from a closed one by SGV's message."""
    app.config["HTTP_TIMEOUT"] = 1.0
    closed = f"http://127.0.0.1:{free_port()}/v"
    said = {post_credentials(client, created[1], closed).json["status_message"].replace(closed, "")}
    for behaviour in (garbage(), silence()):
        with RawServer(behaviour) as server:
            response = post_credentials(client, created[1], server.url("/v"))
            assert server.connections  # it was reached: only the wording hides it
        said.add(response.json["status_message"].replace(server.url("/v"), ""))
    assert said == {"GET : no HTTP answer within 1 s (the connection failed, broke or timed out)"}
    assert_nothing_changed(client, created[1])


@pytest.mark.parametrize(
    "answer",
    [
        http_response("<html>root:x:0:0 SECRET</html>"),
        b"HTTP/1.1 200 OK\r\nContent-Length: 23\r\n\r\nroot:x:0:0:SECRET<html>",
        http_response({"status_code": 3000, "status_message": "SECRET db at 10.0.0.5"}),
        http_response({"status_code": 2001, "status_message": "SECRET"}, "500 Oops"),
    ],
    ids=["JSON string", "plain text", "OCPI error", "HTTP error"],
)
def test_no_byte_of_an_answer_is_reflected(app, client, created, answer):
    with RawServer(drip(answer, 0)) as server:
        response = post_credentials(client, created[1], server.url())
    assert response.json["status_code"] == 3001
    assert "SECRET" not in response.json["status_message"]
    assert "root" not in response.json["status_message"]


# -- deadlines: per call, and per CPO for the hourly check --------------------------------


def test_a_dripping_cpo_is_refused_within_the_deadline(app, client, created):
    """One byte a second never trips a per-read timeout; the per-call deadline does."""
    app.config["HTTP_TIMEOUT"] = 2.0
    with RawServer(drip(http_response(VERSIONS), 1.0)) as server:
        started = time.monotonic()
        response = post_credentials(client, created[1], server.url())
        elapsed = time.monotonic() - started
    assert (response.status_code, response.json["status_code"]) == (400, 3001)
    assert "no HTTP answer within 2 s" in response.json["status_message"]
    assert elapsed < 3 * 2.0  # a correctness bound with margin, not a speed target
    assert_nothing_changed(client, created[1])


MODULES = ("locations", "tariffs")


def connect_party(party_id: str, base_url: str) -> Party:
    """A live CPO whose Sender interfaces are at base_url."""
    party, _ = make_party("ES", party_id, state="live")
    party.token_b, party.token_b_encoding = "token-b-from-the-cpo", "base64"
    party.endpoints = {
        m: {"SENDER": f"{base_url}/ocpi/cpo/2.2.1/{m}"} for m in ("credentials", *MODULES)
    }
    db.session.commit()
    return party


def test_the_check_stops_a_dripping_cpo_at_its_deadline_and_goes_on(app):
    app.config.update(HTTP_TIMEOUT=2.0, CHECK_CPO_DEADLINE=3.0, CHECK_RETRY_DELAY=0.1)
    with (
        RawServer(drip(http_response({"data": [], "status_code": 1000}), 1.0)) as slow,
        CpoServer() as healthy,
    ):
        parties = [connect_party("DRP", slow.url("")), connect_party("CPO", healthy.base_url)]
        started = time.monotonic()
        runs = run_checks(parties)
        elapsed = time.monotonic() - started
    assert [run.reachable for run in runs] == [False, True]
    assert "stopped at its deadline of 3 s (SGV_CHECK_CPO_DEADLINE)" in runs[0].error
    assert (runs[0].finished_at - runs[0].started_at).total_seconds() < 3 * 3.0
    assert len(healthy.requests_to("locations")) == 1  # the next CPO was checked
    assert elapsed < 3 * 3.0 + 5


def test_the_check_deadline_also_ends_a_long_crawl_of_quick_pages(app):
    """Each page answers within SGV_HTTP_TIMEOUT, but 40 of them would take 8 s."""
    app.config.update(HTTP_TIMEOUT=2.0, CHECK_CPO_DEADLINE=1.5, CHECK_RETRY_DELAY=0.1)
    with CpoServer(max_limit=1) as cpo:
        cpo.add("locations", *({"id": f"L{n}"} for n in range(40)))
        cpo.fail("locations", delay=0.2)
        [run] = run_checks([connect_party("CPO", cpo.base_url)])
    assert run.reachable is False
    assert "stopped at its deadline of 1.5 s" in run.error
    assert 2 <= len(cpo.requests_to("locations")) < 20


def test_demo_load_reaches_its_own_loopback_cpos_with_private_addresses_refused(committed_app):
    """`demo load` allows loopback for its own SGV instance; the operator sets nothing."""
    committed_app.config["OUTBOUND_ALLOW_PRIVATE"] = False
    report = load(limit=1)
    assert {cpo["party_id"]: cpo["state"] for cpo in report.cpos} == {
        p.party_id: p.target for p in PROFILES
    }
    assert committed_app.config["OUTBOUND_ALLOW_PRIVATE"] is False
