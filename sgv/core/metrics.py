"""Prometheus metrics (SPEC §9): what each process counts, off unless SGV_METRICS_PORT is set.

prometheus-client in its multiprocess mode: every gunicorn worker writes its samples to
files in PROMETHEUS_MULTIPROC_DIR, which gunicorn.conf.py prepares, and one server in the
gunicorn master (sgv/core/metrics_server.py) reads them all on SGV_METRICS_PORT, never
on the public port. Scheduled jobs (`sgv check run`, token renewal) write there too, under
the job's name instead of their process id (`for_job`), so their counters add up across
runs instead of leaving a file per run.

Labels are bounded: routes are URL rules (never raw paths), CPOs only authenticated ones,
documents the cache names the code gives. Every recorder returns at once when metrics
are off, so callers need no guard.
"""

import functools
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import Counter, Gauge, Histogram, values

# Seconds: a status push takes a few milliseconds, an export or a CPO call up to seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
WRITES = frozenset(("PUT", "PATCH", "POST", "DELETE"))

REQUESTS = Counter(
    "sgv_http_requests_total",
    "HTTP requests answered, by URL rule (route), method and status.",
    ("route", "method", "status"),
)
DURATION = Histogram(
    "sgv_http_request_duration_seconds",
    "Time to answer a request (streamed bodies: until the first byte), by URL rule.",
    ("route",),
    buckets=BUCKETS,
)
PUSHES = Counter(
    "sgv_ocpi_pushes_total",
    "OCPI writes by an authenticated CPO, by module and HTTP status (4xx: rejected).",
    ("country_code", "party_id", "module", "status"),
)
BUMPS = Counter(
    "sgv_data_version_bumps_total",
    "Data-version bumps (each invalidates the public documents keyed on it).",
    ("version",),
)
CACHE = Counter(
    "sgv_cache_lookups_total",
    "Public-document cache lookups, by document and result (hit or miss).",
    ("document", "result"),
)
REPLICA_LAG = Gauge(
    "sgv_replica_lag_seconds",
    "How far the read replica's replay is behind the primary, as last measured.",
    ("replica",),
    multiprocess_mode="mostrecent",
)
CHECKS = Counter(
    "sgv_checks_total",
    "Hourly data-quality checks, by CPO and outcome (ok, failed, skipped, error).",
    ("country_code", "party_id", "outcome"),
)
CHECK_FAILURES = Gauge(
    "sgv_check_consecutive_failures",
    "Consecutive failed checks of a CPO, after its latest check (SPEC §4: N makes UNKNOWN).",
    ("country_code", "party_id"),
    multiprocess_mode="mostrecent",
)
CHECK_LAST = Gauge(
    "sgv_check_last_run_timestamp_seconds",
    "When the latest check of a CPO started (Unix time).",
    ("country_code", "party_id"),
    multiprocess_mode="mostrecent",
)
OUTBOUND = Histogram(
    "sgv_outbound_request_duration_seconds",
    "Calls to CPOs (handshake, checks, renewal), by outcome: HTTP status class or error.",
    ("method", "outcome"),
    buckets=BUCKETS,
)

_wanted = False  # SGV_METRICS_PORT is set
_enabled = False  # … and this process records


def enabled() -> bool:
    """Tell whether this process records metrics."""
    return _enabled


def enable(port: object) -> None:
    """Record metrics from now on when SGV_METRICS_PORT is set (any non-empty value).

    With a samples directory, only gunicorn's workers record from the start: any other
    process would leave a file named by its process id there for good (an operator's
    `sgv cpo approve`), so it records nothing unless it runs a job (`for_job`).
    """
    global _wanted, _enabled
    _wanted = bool(str(port or "").strip())
    shared = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
    worker = os.environ.get("SERVER_SOFTWARE", "").startswith("gunicorn")  # set by its master
    _enabled = _wanted and (worker or not shared)


def for_job(job: str) -> None:
    """Write this process's samples under the job's name (one process per job and host).

    Called with the job's advisory lock held (sgv/core/joblock.py), before the job records
    anything: across runs its counters add up in one file instead of a file per run.
    """
    global _enabled
    if _wanted and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        name = "job-" + job.removeprefix("sgv.").replace("_", "-")
        values.ValueClass = values.MultiProcessValue(lambda: name)
        _enabled = True


@functools.lru_cache(maxsize=4096)
def _child(metric: Any, *labels: str) -> Any:
    """Return the metric's child for these label values, found once (half a push's cost)."""
    return metric.labels(*labels)


def request_done(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request by its URL rule."""
    _child(REQUESTS, route, method, str(status)).inc()
    _child(DURATION, route).observe(seconds)


def push_done(country_code: str, party_id: str, module: str, status: int) -> None:
    """Count one OCPI write of an authenticated CPO."""
    _child(PUSHES, country_code, party_id, module, str(status)).inc()


def bumped(*versions: str) -> None:
    """Count data-version bumps (names as in sgv/core/dataversion.py)."""
    if _enabled:
        for version in versions:
            _child(BUMPS, version.removesuffix("_data_version")).inc()


def cache_lookup(document: str, hit: bool) -> None:
    """Count a cache lookup of a public document."""
    if _enabled:
        _child(CACHE, document, "hit" if hit else "miss").inc()


def set_replica_lag(seconds: float, replica: str = "default") -> None:
    """Record the replica's replay lag in seconds (for the replica's reader to call)."""
    if _enabled:
        REPLICA_LAG.labels(replica).set(seconds)


def checks_done(summaries: list[dict]) -> None:
    """Count each CPO's check by outcome and keep its failure streak (`check run` results)."""
    if not _enabled:
        return
    for run in summaries:
        cpo = (run["country_code"], run["party_id"])
        outcome = {True: "ok", False: "failed", None: "error"}[run["reachable"]]
        CHECKS.labels(*cpo, "skipped" if run["skipped"] else outcome).inc()
        CHECK_FAILURES.labels(*cpo).set(run["consecutive_failures"])
        CHECK_LAST.labels(*cpo).set(run["started_at"].timestamp())


@contextmanager
def outbound(method: str) -> Iterator[dict]:
    """Time a call to a CPO; the caller puts the HTTP status in the yielded dict."""
    if not _enabled:
        yield {}
        return
    call: dict = {}
    start = time.perf_counter()
    try:
        yield call
    except Exception as error:
        outcome = "timeout" if "Timeout" in type(error).__name__ else "error"
        OUTBOUND.labels(method, outcome).observe(time.perf_counter() - start)
        raise
    status = call.get("status")
    outcome = f"{status // 100}xx" if isinstance(status, int) else "error"
    OUTBOUND.labels(method, outcome).observe(time.perf_counter() - start)
