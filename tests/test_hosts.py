"""Several hosts: two gunicorns on one primary, one streaming replica and one Redis (SPEC §9).

Each "host" is a gunicorn of its own on its own port, configured as production would be
(SGV_CACHE_URL: the shared Redis; SGV_REPLICA_URL: the replica), and its operator runs
`flask sgv …` with the same environment. A revocation through either host's command is
gone from every public surface of both hosts on the very next request (the promise is
one second); and what the hosts build for a data version, they build once between them:
Redis reports every write of a document's key (keyspace notifications), and each
document key is written once.
"""

import gzip
import json
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.request import Request, urlopen

import pytest
import redis
from sqlalchemy.engine import make_url

from tests.ocpi_helpers import send
from tests.pg_cluster import Replica
from tests.public_helpers import add_installation, live_cpo, push_status
from tests.scale_helpers import SURFACES, showing_live_data
from tests.servers import BIN, ROOT, gunicorn, sgv_environment

EVSE = "/api/2.2.1/locations/ES/ABC/INST1/U1"
DOCUMENTS = ("sgv:map-site:", "sgv:map-live:latest:", "sgv:opendata:body:")


def http_get(base_url: str):
    """Return a Get on one host, asking for gzip as browsers and most clients do."""

    def get(path: str) -> bytes:
        request = Request(base_url + path, headers={"Accept-Encoding": "gzip"})
        with urlopen(request, timeout=30) as response:
            body = response.read()
            zipped = response.headers.get("Content-Encoding") == "gzip"
            return gzip.decompress(body) if zipped else body

    return get


class KeyWrites:
    """Count the writes of each cache key, as Redis reports them (keyspace notifications)."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url)  # held: its pool holds the subscription
        self.client.config_set("notify-keyspace-events", "K$")  # string commands: SET
        self.counts: Counter = Counter()
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.psubscribe(**{"__keyspace@0__:*": self._seen})
        self.thread = self.pubsub.run_in_thread(sleep_time=0.01, daemon=True)

    def _seen(self, message: dict) -> None:
        key = message["channel"].decode().split(":", 1)[1]
        if message["data"] == b"set" and not key.endswith(":building"):
            self.counts[key.removeprefix("flask_cache_")] += 1

    def documents(self) -> Counter:
        """Return the writes of document keys since the last call, and start again."""
        time.sleep(0.2)  # the last notifications in flight
        found = Counter({k: n for k, n in self.counts.items() if k.startswith(DOCUMENTS)})
        self.counts.clear()
        return found

    def stop(self) -> None:
        self.thread.stop()
        self.client.close()


@pytest.fixture
def hosts(committed_app, committed_database, redis_url, caught_up_replica: Replica) -> Iterator:
    """INST1 with ES*ABC live; two hosts serving it; each host's environment."""
    client = committed_app.test_client()
    add_installation()
    token = live_cpo(client)
    push_status(client, token, "CHARGING", "2025-06-01T00:00:00Z")
    name = make_url(committed_database).database
    settings = {"CACHE_URL": redis_url, "REPLICA_URL": caught_up_replica.url(name)}
    with (
        gunicorn(committed_database, workers=2, **settings) as host_a,
        gunicorn(committed_database, workers=2, **settings) as host_b,
    ):
        environment = sgv_environment(committed_database, **settings)
        yield {host: {"environment": environment, "token": token} for host in (host_a, host_b)}


def operator(environment: dict, *args: str) -> dict:
    """Run `flask sgv ARGS --json` as that host's operator would."""
    result = subprocess.run(
        [str(BIN / "flask"), "--app", "app", "sgv", *args, "--json"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def everywhere(base_urls: list[str]) -> dict[str, set[str]]:
    """Ask every surface of every host at once; return what shows live data, per host."""
    jobs = [(url, name) for url in base_urls for name in SURFACES]
    with ThreadPoolExecutor(len(jobs)) as pool:
        bodies = list(pool.map(lambda job: http_get(job[0])(SURFACES[job[1]][0]), jobs))
    shown: dict[str, set[str]] = {url: set() for url in base_urls}
    for (url, name), body in zip(jobs, bodies, strict=True):
        if SURFACES[name][1](body):
            shown[url].add(name)
    return shown


def test_a_revocation_on_either_host_leaves_both_hosts_at_once_built_once(hosts, redis_url):
    urls = list(hosts)
    writes = KeyWrites(redis_url)
    try:
        assert everywhere(urls) == {url: set(SURFACES) for url in urls}
        writes.documents()
        for url, host in hosts.items():  # through host A's command, then host B's
            environment = host["environment"]
            assert operator(environment, "cpo", "revoke", "ES", "ABC", "--reason", "q")
            assert everywhere(urls) == {u: set() for u in urls}, f"revoked on {url}"
            built = writes.documents()
            assert built and set(built.values()) == {1}, built  # once, not once per host
            assert {key.split(":")[1] for key in built} >= {"map-site", "map-live", "opendata"}
            assert operator(environment, "cpo", "restore", "ES", "ABC")
            assert everywhere(urls) == {u: set(SURFACES) for u in urls}
            writes.documents()
    finally:
        writes.stop()


def test_after_each_push_the_hosts_build_each_document_once_between_them(hosts, redis_url):
    host_a, host_b = urls = list(hosts)
    token = hosts[host_a]["token"]
    writes = KeyWrites(redis_url)
    try:
        assert showing_live_data(http_get(host_a)) == set(SURFACES)
        assert writes.documents()
        assert showing_live_data(http_get(host_b)) == set(SURFACES)
        assert writes.documents() == Counter()  # host B took host A's documents from Redis
        for minute, status in enumerate(("AVAILABLE", "BLOCKED", "CHARGING")):
            when = f"2025-06-02T00:{minute:02}:00Z"
            patch = {"status": status, "last_updated": when}
            assert send(host_a, "PATCH", EVSE, token, patch)[0] == 200
            everywhere(urls + urls)  # every surface, twice on each host, all at once
            built = writes.documents()
            assert built and set(built.values()) == {1}, built
    finally:
        writes.stop()
