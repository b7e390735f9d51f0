"""The platform's OCPI client against a real (fake) CPO on 127.0.0.1."""

import base64
import copy
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from sgv.ocpi import client
from tests.cpo_server import CpoServer
from tests.ocpi_helpers import EXAMPLES
from tests.servers import free_port

TIMEOUT = 0.3  # seconds: short, so slow-CPO tests stay fast
TOKEN = "token-b-from-the-cpo"
BASE64_TOKEN = base64.b64encode(TOKEN.encode()).decode()


@pytest.fixture
def cpo() -> Iterator[CpoServer]:
    with CpoServer() as server:
        yield server


def location(number: int, last_updated: str = "2024-03-01T10:00:00Z") -> dict:
    """Return a copy of the official 2.2.1 Location example with its own id and time."""
    example = json.loads((EXAMPLES / "2.2.1" / "location_example.json").read_text())
    obj = copy.deepcopy(example)
    obj["id"] = f"LOC{number}"
    obj["last_updated"] = last_updated
    return obj


def tariff(number: int) -> dict:
    example = json.loads((EXAMPLES / "2.2.1" / "tariff_1_simple_2hour.json").read_text())
    return {**example, "id": f"TAR{number}", "last_updated": "2024-03-01T10:00:00Z"}


# Every CPO here is on 127.0.0.1: allowed as SGV_OUTBOUND_ALLOW_PRIVATE=1 would (the refusal
# of such addresses is tested in tests/test_outbound.py).
LOOPBACK_OK = {"allow_private": True}


def negotiate(url: str, token: str, **options) -> client.Negotiation:
    return client.negotiate(url, token, **LOOPBACK_OK, **options)


def put_credentials(url: str, token: str, body: dict, **options) -> dict:
    return client.put_credentials(url, token, body, **LOOPBACK_OK, **options)


def token_form(value: str | None) -> str:
    return {TOKEN: "raw", BASE64_TOKEN: "base64"}.get(value or "", "other")


def start_pull(cpo: CpoServer, module: str = "locations", **options) -> client.Crawl:
    version = options.pop("version", cpo.versions[0])
    settings = {"encoding": client.default_encoding(version), "timeout": TIMEOUT, **LOOPBACK_OK}
    settings |= options
    return client.pull(cpo.endpoint_url(module, version), TOKEN, version=version, **settings)


# -- negotiate ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offered", "chosen"),
    [
        (("2.2.1",), "2.2.1"),
        (("2.1.1",), "2.1.1"),
        (("2.1.1", "2.2.1"), "2.2.1"),
        (("2.2",), "2.2"),
        (("2.0", "2.1.1", "2.3.0"), "2.3.0"),  # 2.3.0 spoken since issue #16
        (("2.0", "2.1.1", "3.0"), "2.1.1"),
    ],
)
def test_negotiate_picks_the_highest_common_version(offered, chosen):
    with CpoServer(offered) as cpo:
        deal = negotiate(cpo.versions_url, TOKEN, timeout=TIMEOUT)
    assert deal.version == chosen
    assert deal.version_url == cpo.details_url(chosen)
    assert deal.url("locations") == cpo.endpoint_url("locations", chosen)
    assert deal.url("tariffs") == cpo.endpoint_url("tariffs", chosen)
    assert deal.url("credentials") == cpo.endpoint_url("credentials", chosen)


def test_negotiate_keeps_2_2_1_roles_and_files_2_1_1_endpoints_under_sender():
    with CpoServer(("2.2.1",)) as cpo:
        cpo.details_data["2.2.1"] = {
            "version": "2.2.1",
            "endpoints": [
                {"identifier": "credentials", "role": "RECEIVER", "url": "/c"},
                {"identifier": "locations", "role": "SENDER", "url": "/s/locations"},
                {"identifier": "locations", "role": "RECEIVER", "url": "/r/locations"},
                {"identifier": "tariffs", "role": "SENDER", "url": "/s/tariffs"},
            ],
        }
        deal_221 = negotiate(cpo.versions_url, TOKEN, timeout=TIMEOUT)
    with CpoServer(("2.1.1",)) as old:
        deal_211 = negotiate(old.versions_url, TOKEN, timeout=TIMEOUT)
    base = cpo.base_url
    assert deal_221.endpoints == {
        "credentials": {"RECEIVER": f"{base}/c"},
        "locations": {"SENDER": f"{base}/s/locations", "RECEIVER": f"{base}/r/locations"},
        "tariffs": {"SENDER": f"{base}/s/tariffs"},
    }
    assert deal_221.url("credentials") == f"{base}/c"  # its role means nothing (OCPI)
    assert set(deal_211.endpoints) == {"credentials", "locations", "tariffs"}
    assert all(list(roles) == ["SENDER"] for roles in deal_211.endpoints.values())


@pytest.mark.parametrize(
    ("version", "accept", "encoding", "forms_sent"),
    [
        ("2.2.1", "both", "base64", ["base64", "base64"]),
        ("2.2.1", "base64", "base64", ["base64", "base64"]),
        ("2.2.1", "raw", "raw", ["base64", "raw", "raw"]),
        ("2.1.1", "both", "raw", ["base64", "raw"]),
        ("2.1.1", "raw", "raw", ["base64", "raw", "raw"]),
        ("2.1.1", "base64", "base64", ["base64", "raw", "base64"]),
    ],
)
def test_negotiate_retries_once_with_the_other_token_form_and_reports_the_one_that_worked(
    version, accept, encoding, forms_sent
):
    with CpoServer((version,), accept=accept) as cpo:
        deal = negotiate(cpo.versions_url, TOKEN, timeout=TIMEOUT)
    assert deal.encoding == encoding
    assert [token_form(request.token) for request in cpo.requests] == forms_sent


def test_negotiate_with_an_unknown_token_fails_after_one_retry(cpo):
    with pytest.raises(client.CpoUnreachable, match="HTTP 401") as caught:
        negotiate(cpo.versions_url, "not-the-token", timeout=TIMEOUT)
    assert caught.value.status_code == 3001
    assert cpo.versions_url in str(caught.value)
    assert len(cpo.requests) == 2


def test_negotiate_sends_fresh_request_ids_one_correlation_id_and_no_routing_headers(cpo):
    negotiate(cpo.versions_url, TOKEN, timeout=TIMEOUT)
    request_ids = [request.headers["X-Request-ID"] for request in cpo.requests]
    correlations = {request.headers["X-Correlation-ID"] for request in cpo.requests}
    assert [request.route for request in cpo.requests] == ["versions", "details"]
    assert len(set(request_ids)) == 2 and len(correlations) == 1
    assert all(uuid.UUID(value) for value in [*request_ids, *correlations])
    assert not any(
        name.lower().startswith("ocpi-") for request in cpo.requests for name in request.headers
    )


@pytest.mark.parametrize("how", ["closed port", "server gone down"])
def test_negotiate_with_nothing_listening_is_unreachable(how):
    if how == "closed port":
        url = f"http://127.0.0.1:{free_port()}/ocpi/versions"
    else:
        with CpoServer() as cpo:
            url = cpo.versions_url
    with pytest.raises(client.CpoUnreachable, match="no HTTP answer within") as caught:
        negotiate(url, TOKEN, timeout=TIMEOUT)
    assert caught.value.status_code == 3001
    assert url in str(caught.value)


@pytest.mark.parametrize(
    ("url", "token"),
    [("ftp://127.0.0.1/ocpi/versions", TOKEN), ("not a url", TOKEN), (None, "tökén\n")],
    ids=["scheme", "no URL", "token unfit for a header"],
)
def test_negotiate_with_an_unusable_url_or_token_is_unreachable(cpo, url, token):
    url = url or cpo.versions_url
    with pytest.raises(client.CpoUnreachable, match="cannot send the request") as caught:
        negotiate(url, token, timeout=TIMEOUT)
    assert url in str(caught.value)


FAULTS = {
    "HTTP 500": ({"http_status": 500}, "HTTP 500, OCPI status 3000"),
    "HTTP 404 as plain text": ({"http_status": 404, "body": "Not Found"}, "HTTP 404"),
    "invalid JSON": ({"body": '{"data": ['}, "not JSON"),
    "JSON without envelope": ({"body": '[{"version": "2.2.1"}]'}, "not an OCPI response"),
    "OCPI error status with HTTP 200": ({"status_code": 3000}, "OCPI error, OCPI status 3000"),
    "OCPI client error status": ({"status_code": 2001}, "OCPI status 2001"),
    "slowness": ({"delay": 1.0}, f"no HTTP answer within {TIMEOUT:g} s"),
}


@pytest.mark.parametrize("route", ["versions", "details"])
@pytest.mark.parametrize(("fault", "cause"), FAULTS.values(), ids=FAULTS.keys())
def test_negotiate_against_a_failing_cpo_is_unreachable_naming_url_and_cause(
    cpo, route, fault, cause
):
    cpo.fail(route, **fault)
    url = cpo.versions_url if route == "versions" else cpo.details_url("2.2.1")
    started = time.monotonic()
    with pytest.raises(client.CpoUnreachable) as caught:
        negotiate(cpo.versions_url, TOKEN, timeout=TIMEOUT)
    assert caught.value.status_code == 3001
    assert url in str(caught.value)
    assert cause in str(caught.value)
    assert time.monotonic() - started < 1.0


def test_negotiate_waits_for_a_slow_cpo_that_answers_within_the_timeout(cpo):
    cpo.fail("versions", delay=0.2)
    deal = negotiate(cpo.versions_url, TOKEN, timeout=1.0)
    assert deal.version == "2.2.1"


@pytest.mark.parametrize(
    ("versions", "modules", "role", "missing"),
    [
        (("2.2.1",), ("credentials", "locations"), "SENDER", ["tariffs"]),
        (("2.2.1",), ("locations", "tariffs"), "SENDER", ["credentials"]),
        (("2.2.1",), ("credentials", "locations", "tariffs"), "RECEIVER", ["locations", "tariffs"]),
        (("2.1.1",), ("credentials", "tariffs"), "SENDER", ["locations"]),
    ],
)
def test_negotiate_names_the_missing_endpoints(versions, modules, role, missing):
    with CpoServer(versions, modules=modules, role=role) as cpo:
        with pytest.raises(client.MissingEndpoints) as caught:
            negotiate(cpo.versions_url, TOKEN, timeout=TIMEOUT)
    assert caught.value.status_code == 3003
    assert caught.value.missing == missing
    assert all(name in str(caught.value) for name in missing)
    assert cpo.details_url(versions[0]) in str(caught.value)


def test_negotiate_requires_only_what_it_is_asked_for():
    with CpoServer(modules=("credentials", "locations")) as cpo:
        deal = negotiate(
            cpo.versions_url, TOKEN, timeout=TIMEOUT, required=("credentials", "locations")
        )
    assert "tariffs" not in deal.endpoints


@pytest.mark.parametrize("offered", [("2.0",), ("2.1", "3.0"), ()])
def test_negotiate_without_a_common_version_names_what_was_offered(offered):
    with CpoServer(offered) as cpo:
        with pytest.raises(client.NoCommonVersion) as caught:
            negotiate(cpo.versions_url, TOKEN, timeout=TIMEOUT)
    assert caught.value.status_code == 3002
    assert caught.value.offered == list(offered)
    assert all(version in str(caught.value) for version in offered)


@pytest.mark.parametrize(
    "versions_data",
    [{"version": "2.2.1", "url": "http://x/2.2.1"}, "2.2.1", 221],
    ids=["object", "string", "number"],
)
def test_negotiate_rejects_a_versions_answer_that_is_not_a_list(cpo, versions_data):
    cpo.versions_data = versions_data
    with pytest.raises(client.CpoUnreachable, match="data is not a list of versions"):
        negotiate(cpo.versions_url, TOKEN, timeout=TIMEOUT)


def test_negotiate_rejects_version_details_without_endpoints(cpo):
    cpo.details_data["2.2.1"] = [{"identifier": "locations"}]
    with pytest.raises(client.CpoUnreachable, match="no list of endpoints"):
        negotiate(cpo.versions_url, TOKEN, timeout=TIMEOUT)


# -- put_credentials ----------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_put_credentials_sends_ours_and_returns_the_cpos(version):
    ours = {"token": "token-c", "url": "http://sgv.test/api/versions", "roles": []}
    with CpoServer((version,)) as cpo:
        cpo.next_token = "renewed-token-b"
        theirs = put_credentials(
            cpo.endpoint_url("credentials", version),
            TOKEN,
            ours,
            version=version,
            encoding=client.default_encoding(version),
            timeout=TIMEOUT,
        )
    assert theirs["token"] == "renewed-token-b"
    assert cpo.received_credentials == [("PUT", ours)]
    [request] = cpo.requests
    assert request.headers["Content-Type"] == "application/json"
    assert token_form(request.token) == client.default_encoding(version)
    assert "X-Request-ID" in request.headers and "X-Correlation-ID" in request.headers
    assert "OCPI-from-party-id" not in request.headers


@pytest.mark.parametrize(
    "fault",
    [{"http_status": 500}, {"status_code": 3001}, {"body": '{"data": {}, "status_code": 1000}'}],
    ids=["HTTP error", "OCPI error", "no credentials in data"],
)
def test_put_credentials_to_a_failing_cpo_is_unreachable(cpo, fault):
    cpo.fail("credentials", **fault)
    url = cpo.endpoint_url("credentials")
    with pytest.raises(client.CpoUnreachable, match=f"PUT {url}"):
        put_credentials(
            url, TOKEN, {"token": "x"}, version="2.2.1", encoding="base64", timeout=TIMEOUT
        )


# -- pull ----------------------------------------------------------------------------------


def test_pull_follows_link_across_pages_and_yields_every_object_in_order(cpo):
    cpo.add("locations", *[location(n) for n in range(5)])
    crawl = start_pull(cpo, limit=2, their_party=("ES", "CPO"))
    assert [obj["id"] for obj in crawl] == [f"LOC{n}" for n in range(5)]
    assert (crawl.complete, crawl.stopped, crawl.pages, crawl.objects) == (True, None, 3, 5)
    assert (crawl.total_count, crawl.server_limit) == (5, 100)
    requests = cpo.requests_to("locations")
    assert [r.query["offset"] for r in requests] == ["0", "2", "4"]
    assert all(r.query["limit"] == "2" for r in requests)
    assert len({r.headers["X-Correlation-ID"] for r in requests}) == 1
    assert len({r.headers["X-Request-ID"] for r in requests}) == 3


def test_pull_follows_the_cpos_smaller_page_size(cpo):
    cpo.max_limit = 2
    cpo.add("tariffs", *[tariff(n) for n in range(3)])
    crawl = start_pull(cpo, "tariffs", limit=100)
    assert [obj["id"] for obj in crawl] == ["TAR0", "TAR1", "TAR2"]
    assert (crawl.complete, crawl.pages, crawl.server_limit) == (True, 2, 2)


def test_pull_of_an_empty_interface_is_one_complete_page(cpo):
    crawl = start_pull(cpo)
    assert list(crawl) == []
    assert (crawl.complete, crawl.pages) == (True, 1)


@pytest.mark.parametrize(
    ("version", "encoding", "routing"),
    [
        (
            "2.2.1",
            "base64",
            {
                "OCPI-from-country-code": "ES",
                "OCPI-from-party-id": "SGV",
                "OCPI-to-country-code": "ES",
                "OCPI-to-party-id": "CPO",
            },
        ),
        ("2.2", "base64", {"OCPI-from-party-id": "SGV", "OCPI-to-party-id": "CPO"}),
        ("2.1.1", "raw", {}),
    ],
)
def test_pull_sends_token_ids_and_routing_headers_as_the_version_wants(version, encoding, routing):
    with CpoServer((version,)) as cpo:
        list(start_pull(cpo, their_party=("ES", "CPO")))
    [request] = cpo.requests
    assert token_form(request.token) == encoding
    assert uuid.UUID(request.headers["X-Request-ID"])
    assert uuid.UUID(request.headers["X-Correlation-ID"])
    sent = {k: v for k, v in request.headers.items() if k.lower().startswith("ocpi-")}
    assert {k.lower(): v for k, v in routing.items()}.items() <= {
        k.lower(): v for k, v in sent.items()
    }.items()
    if not routing:
        assert sent == {}


@pytest.mark.parametrize(
    "date_from",
    [
        datetime(2024, 3, 1, 10, 0, 0, tzinfo=UTC),
        datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=UTC),
        datetime(2024, 3, 1, 10, 0, 0),  # naive: UTC
        datetime(2024, 3, 1, 11, 0, 0, tzinfo=timezone(timedelta(hours=1))),
    ],
    ids=["utc", "microseconds", "naive", "offset"],
)
def test_pull_sends_date_from_in_utc_with_z_and_gets_only_newer_objects(cpo, date_from):
    cpo.add("locations", location(1, "2024-03-01T09:59:59Z"), location(2, "2024-03-01T10:00:00Z"))
    crawl = start_pull(cpo, date_from=date_from)
    assert [obj["id"] for obj in crawl] == ["LOC2"]  # date_from is inclusive
    [request] = cpo.requests
    assert request.query["date_from"] == "2024-03-01T10:00:00Z"


@pytest.mark.parametrize("mode", ["empty", "multiple", "relative", "none"])
def test_pull_reaches_the_end_with_unusual_but_workable_links(cpo, mode):
    cpo.link = mode
    cpo.add("locations", *[location(n) for n in range(5)])
    crawl = start_pull(cpo, limit=2, date_from=datetime(2020, 1, 1, tzinfo=UTC))
    assert [obj["id"] for obj in crawl] == [f"LOC{n}" for n in range(5)]
    assert (crawl.complete, crawl.pages) == (True, 3)
    requests = cpo.requests_to("locations")
    assert [r.query["offset"] for r in requests] == ["0", "2", "4"]
    assert all(r.query["date_from"] == "2020-01-01T00:00:00Z" for r in requests)


@pytest.mark.parametrize(
    ("mode", "objects_seen", "reason"),
    [
        ("repeat", 2, "repeats"),
        ("stalled", 2, "does not advance"),
        ("loop", 5, "repeats"),
    ],
)
def test_pull_stops_on_a_link_that_goes_nowhere_useful(cpo, mode, objects_seen, reason):
    cpo.link = mode
    cpo.add("locations", *[location(n) for n in range(5)])
    started = time.monotonic()
    crawl = start_pull(cpo, limit=2)
    assert len(list(crawl)) == objects_seen
    assert crawl.complete is False
    assert reason in crawl.stopped
    assert time.monotonic() - started < 2
    assert all(r.headers.get("Host", "").startswith("127.0.0.1") for r in cpo.requests)


def test_a_link_to_another_host_is_replaced_by_offsets_on_the_registered_url(cpo):
    # Issue #16: an extrawest-ocpi CPO's Link names https://OCPI_HOST/…, not where it is
    # registered. The token never goes there; X-Total-Count lets the crawl page by offset.
    cpo.link = "foreign"
    cpo.add("locations", *[location(n) for n in range(5)])
    crawl = start_pull(cpo, limit=2)
    assert [obj["id"] for obj in crawl] == [f"LOC{n}" for n in range(5)]
    assert (crawl.complete, crawl.stopped, crawl.pages) == (True, None, 3)
    assert [r.query["offset"] for r in cpo.requests_to("locations")] == ["0", "2", "4"]
    assert all(r.headers.get("Host", "").startswith("127.0.0.1") for r in cpo.requests)
    [warning] = crawl.warnings
    assert "leaves the registered host" in warning and "continued by offset" in warning


def test_a_link_to_another_host_without_a_total_count_stops_the_pull(cpo):
    cpo.link = "foreign"
    cpo.add("locations", *[location(n) for n in range(5)])
    cpo.total_count = False  # nothing to page by
    crawl = start_pull(cpo, limit=2)
    assert len(list(crawl)) == 2
    assert crawl.complete is False and "no X-Total-Count" in crawl.stopped
    assert all(r.headers.get("Host", "").startswith("127.0.0.1") for r in cpo.requests)


def test_pull_stops_at_the_page_limit(cpo):
    cpo.add("locations", *[location(n) for n in range(5)])
    crawl = start_pull(cpo, limit=1, max_pages=3)
    assert len(list(crawl)) == 3
    assert crawl.complete is False and "more than 3 pages" in crawl.stopped


def test_pull_stops_on_an_empty_page_that_claims_more(cpo):
    cpo.link = "none"
    cpo.fail(
        "locations",
        body=json.dumps({"data": [], "status_code": 1000}),
        headers={"X-Total-Count": "7"},
    )
    crawl = start_pull(cpo)
    assert list(crawl) == []
    assert crawl.complete is False and "empty page" in crawl.stopped


def test_pull_raises_when_a_later_page_fails_after_yielding_the_earlier_ones(cpo):
    cpo.add("locations", *[location(n) for n in range(4)])
    cpo.fail("locations", skip=1, http_status=500)
    crawl = start_pull(cpo, limit=2)
    received = []
    with pytest.raises(client.CpoUnreachable, match="HTTP 500"):
        for obj in crawl:
            received.append(obj["id"])
    assert received == ["LOC0", "LOC1"]
    assert crawl.complete is False


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        ({"delay": 1.0}, "no HTTP answer within"),
        ({"status_code": 3000}, "OCPI status 3000"),
        ({"body": "<html>"}, "not JSON"),
        ({"body": '{"data": {"id": "LOC1"}, "status_code": 1000}'}, "data is not a list"),
    ],
    ids=["timeout", "OCPI error", "invalid JSON", "data not a list"],
)
def test_pull_from_a_failing_cpo_raises_unreachable(cpo, fault, cause):
    cpo.fail("locations", **fault)
    with pytest.raises(client.CpoUnreachable, match=cause) as caught:
        list(start_pull(cpo))
    assert cpo.endpoint_url("locations") in str(caught.value)


def test_pull_retries_a_401_with_the_other_token_form_and_reports_it():
    with CpoServer(("2.2.1",), accept="raw") as cpo:
        cpo.add("locations", *[location(n) for n in range(3)])
        crawl = start_pull(cpo, limit=2, encoding="base64")
        assert len(list(crawl)) == 3
    assert crawl.encoding == "raw"
    assert [token_form(r.token) for r in cpo.requests] == ["base64", "raw", "raw"]


def test_pull_closed_early_releases_its_connection(cpo):
    cpo.add("locations", *[location(n) for n in range(5)])
    with start_pull(cpo, limit=2) as crawl:
        assert next(crawl)["id"] == "LOC0"
    assert len(cpo.requests) == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("", None),
        ('<http://a/x?offset=2>; rel="next"', "http://a/x?offset=2"),
        (
            '<http://a/x?offset=0>; rel="prev", <http://a/x?offset=4>; rel=next',
            "http://a/x?offset=4",
        ),
        ('<http://a/x?offset=0>; rel="first"', None),
        ('<>; rel="next"', None),
        ('</x?offset=6>; rel="prev next"', "http://a/x?offset=6"),
    ],
)
def test_next_link_reads_empty_multiple_and_relative_headers(header, expected):
    assert client.next_link(header, "http://a/x?offset=0") == expected
