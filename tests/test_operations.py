"""Operations under a real gunicorn: Prometheus metrics on their own port, JSON logs.

Metrics are off unless SGV_METRICS_PORT is set; then the gunicorn master serves the
samples of every worker (and of the scheduled jobs) there, and the public port never
serves /metrics.
"""

import json
import os
import subprocess
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sgv.ocpi import receiver
from tests.cpo_server import CpoServer
from tests.ocpi_helpers import example, headers, make_party, send
from tests.quality_helpers import connect, location
from tests.servers import BIN, ROOT, free_port, gunicorn, sgv_environment

LOCATION = "/api" + receiver.LOCATION  # the URL rule, as the metrics name routes


def scrape(port: int) -> dict[tuple, float]:
    """Read the metrics port: {(sample name, sorted labels): value}."""
    with urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def listening_ports(port: int) -> set[int]:
    """Return every TCP port that the processes holding the listener on `port` listen on."""
    listeners: dict[str, int] = {}  # socket inode -> port, for every listening socket
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # LISTEN
                listeners[fields[9]] = int(fields[1].rsplit(":", 1)[1], 16)
    held: dict[int, set[str]] = {}  # pid -> socket inodes
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            links = [os.readlink(fd) for fd in (entry / "fd").iterdir()]
        except OSError:
            continue  # another user's process, or gone
        held[int(entry.name)] = {link[8:-1] for link in links if link.startswith("socket:[")}
    servers = [inodes for inodes in held.values() if any(listeners.get(i) == port for i in inodes)]
    return {listeners[i] for inodes in servers for i in inodes if i in listeners}


def test_metrics_count_requests_by_route_and_pushes_per_cpo_on_their_own_port(
    committed_app, committed_database
):
    _, token = make_party("BE", "BEC")
    body = example("2.2.1", "location_example")
    url = "/api/2.2.1/locations/BE/BEC/LOC1"
    metrics_port = free_port()
    with gunicorn(committed_database, METRICS_PORT=str(metrics_port)) as base_url:
        assert send(base_url, "PUT", url, token, body)[0] == 201
        for minute in (1, 2):
            status = {"status": "CHARGING", "last_updated": f"2026-01-01T10:0{minute}:00Z"}
            assert send(base_url, "PATCH", url + "/3256", token, status)[0] == 200
        bad = {**body, "evses": [{**body["evses"][0], "status": "BROKEN"}]}
        assert send(base_url, "PUT", url, token, bad)[0] == 400
        for _ in range(2):  # the second answer comes from the cache
            with urlopen(base_url + "/map/sites.json", timeout=10):
                pass
        try:
            urlopen(base_url + "/no/such/page", timeout=5)
        except HTTPError as error:
            assert error.code == 404
        try:
            urlopen(base_url + "/metrics", timeout=5)
            raise AssertionError("the public port served /metrics")
        except HTTPError as error:
            assert error.code == 404
        samples = scrape(metrics_port)
        assert listening_ports(int(base_url.rsplit(":", 1)[1])) == {
            int(base_url.rsplit(":", 1)[1]),
            metrics_port,
        }

    requests = "sgv_http_requests_total"
    assert value(samples, requests, route=LOCATION, method="PUT", status="201") == 1
    assert value(samples, requests, route=LOCATION, method="PUT", status="400") == 1
    assert value(samples, requests, route=LOCATION + "/<evse_uid>", method="PATCH", status="200")
    # /no/such/page and /metrics on the public port: unknown URLs, under one label.
    assert value(samples, requests, route="unmatched", method="GET", status="404") == 2
    assert not any("/no/such/page" in str(key) for key in samples)
    assert value(samples, "sgv_http_request_duration_seconds_count", route=LOCATION) == 2
    pushes = "sgv_ocpi_pushes_total"
    cpo = {"country_code": "BE", "party_id": "BEC", "module": "locations"}
    assert value(samples, pushes, **cpo, status="201") == 1
    assert value(samples, pushes, **cpo, status="200") == 2
    assert value(samples, pushes, **cpo, status="400") == 1
    assert value(samples, "sgv_data_version_bumps_total", version="dynamic") >= 3
    lookups = "sgv_cache_lookups_total"
    hits = value(samples, lookups, document="map-sites", result="hit") or 0
    misses = value(samples, lookups, document="map-sites", result="miss") or 0
    assert (hits + misses, misses >= 1) == (2, True)


def test_without_a_metrics_port_nothing_else_listens(committed_app, committed_database):
    with gunicorn(committed_database) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        assert listening_ports(port) == {port}


def test_scheduled_check_reports_its_outcomes_and_outbound_calls_to_the_metrics_port(
    committed_app, committed_database, tmp_path, monkeypatch
):
    metrics_port = free_port()
    samples_dir = tmp_path / "metrics"
    samples_dir.mkdir()
    # The jobs and gunicorn share the samples directory, as deploy/ sets it up.
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(samples_dir))
    # The failed pull's one retry follows at once, not after the production 5 s.
    env = sgv_environment(
        committed_database,
        METRICS_PORT=str(metrics_port),
        OUTBOUND_ALLOW_PRIVATE="1",
        CHECK_RETRY_DELAY="0.01",
    )

    def check_run() -> None:
        done = subprocess.run(
            [str(BIN / "flask"), "--app", "app", "sgv", "check", "run"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr

    with CpoServer() as cpo:
        cpo.add("locations", location(1))
        connect(cpo)
        check_run()
        cpo.fail("locations", http_status=500)
        check_run()
    # Started after the jobs ran: the master empties the directory of old workers' files,
    # not of the jobs' (their counters go on across restarts).
    with gunicorn(committed_database, METRICS_PORT=str(metrics_port)):
        samples = scrape(metrics_port)

    checks = "sgv_checks_total"
    assert value(samples, checks, country_code="ES", party_id="CPO", outcome="ok") == 1
    assert value(samples, checks, country_code="ES", party_id="CPO", outcome="failed") == 1
    streak = "sgv_check_consecutive_failures"
    assert value(samples, streak, country_code="ES", party_id="CPO") == 1
    outbound = "sgv_outbound_request_duration_seconds_count"
    assert value(samples, outbound, method="GET", outcome="2xx") >= 2
    assert value(samples, outbound, method="GET", outcome="5xx") >= 1
    assert any("job-check" in p.name for p in samples_dir.iterdir())


def test_json_log_lines_carry_the_cpo_request_and_correlation_ids(
    committed_app, committed_database, tmp_path
):
    _, token = make_party("BE", "BEC")
    log = tmp_path / "gunicorn.log"
    ids = {"X-Request-ID": "req-7f3a-sent-by-cpo", "X-Correlation-ID": "corr-19b2"}
    with (
        log.open("w") as stderr,
        gunicorn(committed_database, stderr=stderr, LOG_FORMAT="json") as base_url,
    ):
        request = Request(
            base_url + "/api/2.2.1/locations/BE/BEC/LOC1",
            method="PUT",
            data=b'{"id": "LOC1"}',
            headers={**headers(token), **ids, "Content-Type": "application/json"},
        )
        try:
            urlopen(request, timeout=10)
        except HTTPError as error:
            assert error.code == 400
            assert error.headers["X-Request-ID"] == ids["X-Request-ID"]
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    refused = [line for line in lines if "refused" in line["message"]]
    assert len(refused) == 1
    assert refused[0]["request_id"] == ids["X-Request-ID"]
    assert refused[0]["correlation_id"] == ids["X-Correlation-ID"]
    assert (refused[0]["cpo"], refused[0]["method"], refused[0]["level"]) == (
        "BE*BEC",
        "PUT",
        "INFO",
    )


def test_a_bad_metrics_port_stops_the_start_with_an_error_naming_it(committed_database, tmp_path):
    log = tmp_path / "gunicorn.log"
    with log.open("w") as stderr, pytest.raises(RuntimeError, match="server exited"):
        with gunicorn(committed_database, stderr=stderr, METRICS_PORT="metrics"):
            pass
    assert "SGV_METRICS_PORT must be a TCP port number (1-65535), not 'metrics'" in log.read_text()
