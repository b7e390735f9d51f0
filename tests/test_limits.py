"""Rate limits per client address (SPEC §10, sgv/core/limits.py), at their default sizes.

In process (Flask test client, memory storage) the documented sizes are proved exactly:
60 failed authentications a minute, 1,200 public requests a minute. Under gunicorn with
two workers: memory storage counts per process (up to twice the limit passes), Redis at
SGV_CACHE_URL shares the counts (exactly the limit passes).
"""

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
import redis

from sgv import create_app
from sgv.config import Defaults, ratelimit_storage
from tests.conftest import app_settings, rolled_back
from tests.ocpi_helpers import headers, make_party
from tests.servers import free_port, gunicorn

AUTH = int(Defaults.RATELIMIT_AUTH.split("/")[0])  # 60
PUBLIC = int(Defaults.RATELIMIT_PUBLIC.split("/")[0])  # 1200
BAD = headers("not-a-token-of-anyone")
GUESSER = {"REMOTE_ADDR": "127.0.0.2"}
NEIGHBOUR = {"REMOTE_ADDR": "127.0.0.3"}


@pytest.fixture
def app(rolled_back_database):
    """An app with the production limits (the other tests' settings raise them)."""
    settings = app_settings(
        rolled_back_database,
        RATELIMIT_AUTH=Defaults.RATELIMIT_AUTH,
        RATELIMIT_PUBLIC=Defaults.RATELIMIT_PUBLIC,
    )
    app = create_app(settings)
    with app.app_context(), rolled_back(app):
        yield app


def fail(client, times: int, who: dict = GUESSER) -> list:
    return [client.get("/api/versions", headers=BAD, environ_base=who) for _ in range(times)]


def retry_after(response) -> int:
    value = int(response.headers["Retry-After"])
    assert 1 <= value <= 60
    return value


def test_failed_authentications_are_refused_past_60_a_minute_per_address(client):
    answers = fail(client, AUTH)
    assert {r.status_code for r in answers} == {401}
    refused = fail(client, 1)[0]
    assert refused.status_code == 429
    assert refused.json["status_code"] == 2000  # the OCPI envelope, SPEC §3
    assert "failed authentications" in refused.json["status_message"]
    assert refused.json["timestamp"].endswith("Z")
    retry_after(refused)
    assert fail(client, 1, NEIGHBOUR)[0].status_code == 401  # another address: its own count


def test_a_valid_token_passes_from_an_address_that_is_blocked(client):
    party, token = make_party()
    fail(client, AUTH + 1)
    for _ in range(3):
        answer = client.get("/api/versions", headers=headers(token), environ_base=GUESSER)
        assert answer.status_code == 200 and answer.json["status_code"] == 1000
    assert fail(client, 1)[0].status_code == 429  # guessing stays refused


def test_only_failed_authentications_count(client):
    _, token = make_party()
    for _ in range(3 * AUTH):  # a CPO's pushes: never counted
        ok = client.get("/api/versions", headers=headers(token), environ_base=GUESSER)
        assert ok.status_code == 200
    assert {r.status_code for r in fail(client, AUTH)} == {401}
    assert fail(client, 1)[0].status_code == 429


def test_missing_authorization_counts_as_a_failure(client):
    for _ in range(AUTH):
        assert client.get("/api/versions", environ_base=GUESSER).status_code == 401
    assert client.get("/api/2.2.1/credentials", environ_base=GUESSER).status_code == 429


PUBLIC_URLS = ("/map/sites.json", "/opendata/status.json", "/map/places.json")


def test_public_requests_share_1200_a_minute_per_address(client):
    for n in range(PUBLIC):
        answer = client.get(PUBLIC_URLS[n % len(PUBLIC_URLS)], environ_base=GUESSER)
        assert answer.status_code == 200, (n, answer.status_code)
    for url in PUBLIC_URLS:  # JSON under /map and /opendata
        refused = client.get(url, environ_base=GUESSER)
        assert refused.status_code == 429
        assert refused.json["code"] == 429 and "1200 per 1 minute" in refused.json["description"]
        retry_after(refused)
    for url in ("/", "/opendata/", "/installations/NOPE"):  # pages: an HTML page
        page = client.get(url, environ_base=GUESSER)
        assert page.status_code == 429 and page.mimetype == "text/html"
        assert "Too many requests from your address" in page.text
        retry_after(page)
    assert client.get("/map/sites.json", environ_base=NEIGHBOUR).status_code == 200
    assert client.get("/healthz", environ_base=GUESSER).status_code == 200  # monitoring
    _, token = make_party()  # a CPO at that address is not held back by its map use
    pushing = client.get("/api/versions", headers=headers(token), environ_base=GUESSER)
    assert pushing.status_code == 200


def test_limits_can_be_switched_off(rolled_back_database):
    app = create_app(
        app_settings(rolled_back_database, RATELIMIT_ENABLED=False, RATELIMIT_AUTH="1/minute")
    )
    with app.app_context(), rolled_back(app):
        assert {r.status_code for r in fail(app.test_client(), 5)} == {401}


@pytest.mark.parametrize("name", ["RATELIMIT_AUTH", "RATELIMIT_PUBLIC"])
def test_a_bad_limit_setting_is_refused_with_its_name(name):
    with pytest.raises(ValueError, match=f"SGV_{name} must be a rate such as '60/minute'"):
        create_app(app_settings("postgresql://x@127.0.0.1/x", **{name: "lots"}))


@pytest.mark.parametrize(
    ("cache_url", "storage"),
    [("", "memory://"), ("redis://cache:6379/0", "redis://cache:6379/0"),
     ("unix:///run/redis.sock", "redis+unix:///run/redis.sock")],
)  # fmt: skip
def test_the_counts_live_where_the_cache_does(cache_url, storage):
    assert ratelimit_storage(cache_url) == storage


# --- gunicorn, two workers ---------------------------------------------------------------


def statuses(url: str, count: int, token: str = "not-a-token-of-anyone") -> Counter:
    """GET `url` `count` times from 4 threads at once (both workers busy); count statuses."""

    def one(_: int) -> int:
        request = Request(url, headers=headers(token))
        try:
            with urlopen(request, timeout=20) as response:
                return response.status
        except HTTPError as error:
            body = json.loads(error.read())
            if error.code == 429:
                assert int(error.headers["Retry-After"]) >= 1
                assert body.get("status_code", body.get("code")) in (2000, 429)
            return error.code

    with ThreadPoolExecutor(4) as pool:
        return Counter(pool.map(one, range(count)))


LIMITS = {"RATELIMIT_AUTH": Defaults.RATELIMIT_AUTH, "RATELIMIT_PUBLIC": "40/minute"}
# Sync workers (one request at a time each) under 4 client threads: both serve, for sure;
# a gthread worker may accept every connection while the other sleeps.
SYNC = ("--worker-class", "sync", "--threads", "1")


def test_two_workers_with_memory_storage_count_each_on_its_own(committed_database):
    with gunicorn(committed_database, workers=2, args=SYNC, **LIMITS) as base_url:
        auth = statuses(f"{base_url}/api/versions", 4 * AUTH)
        public = statuses(f"{base_url}/map/sites.json", 200)
    # Each process lets its own 60 through: more than 60 in all, never more than 120.
    assert AUTH < auth[401] <= 2 * AUTH and auth[429] == 4 * AUTH - auth[401], auth
    assert 40 < public[200] <= 80 and public[429] == 200 - public[200], public


def test_two_workers_share_the_counts_in_redis(committed_database, redis_url):
    settings = {**LIMITS, "CACHE_URL": redis_url}
    with gunicorn(committed_database, workers=2, args=SYNC, **settings) as base_url:
        auth = statuses(f"{base_url}/api/versions", 4 * AUTH)
        public = statuses(f"{base_url}/map/sites.json", 200)
    assert auth == Counter({401: AUTH, 429: 3 * AUTH})
    assert public == Counter({200: 40, 429: 160})
    keys = [key.decode() for key in redis.Redis.from_url(redis_url).keys("*")]
    assert any("ocpi-auth" in key for key in keys) and any("public" in key for key in keys), keys


def test_an_unreachable_redis_lets_requests_through(rolled_back_database):
    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings = app_settings(
        rolled_back_database,
        RATELIMIT_STORAGE_URI=dead,
        RATELIMIT_AUTH=Defaults.RATELIMIT_AUTH,
        RATELIMIT_PUBLIC=Defaults.RATELIMIT_PUBLIC,
    )
    app = create_app(settings)
    with app.app_context(), rolled_back(app):
        client = app.test_client()
        assert client.get("/map/sites.json").status_code == 200  # the map stays up
        assert {r.status_code for r in fail(client, 3)} == {401}  # the 401 as ever, no 500
