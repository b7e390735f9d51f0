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

WRITES = frozenset(("PUT", "PATCH", "POST", "DELETE"))
families: Any = None  # sgv/core/metric_families.py, imported once metrics are on

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
    if _enabled:
        _load()


def _load() -> None:
    """Import the metric families (and so prometheus-client), once."""
    global families
    if families is None:
        from sgv.core import metric_families

        families = metric_families


def for_job(job: str) -> None:
    """Write this process's samples under the job's name (one process per job and host).

    Called with the job's advisory lock held (sgv/core/joblock.py), before the job records
    anything: across runs its counters add up in one file instead of a file per run.
    """
    global _enabled
    if _wanted and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import values

        name = "job-" + job.removeprefix("sgv.").replace("_", "-")
        values.ValueClass = values.MultiProcessValue(lambda: name)
        _enabled = True
        _load()


@functools.lru_cache(maxsize=4096)
def _child(metric: Any, *labels: str) -> Any:
    """Return the metric's child for these label values, found once (half a push's cost)."""
    return metric.labels(*labels)


def request_done(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request by its URL rule."""
    _child(families.REQUESTS, route, method, str(status)).inc()
    _child(families.DURATION, route).observe(seconds)


def push_done(country_code: str, party_id: str, module: str, status: int) -> None:
    """Count one OCPI write of an authenticated CPO."""
    _child(families.PUSHES, country_code, party_id, module, str(status)).inc()


def bumped(*versions: str) -> None:
    """Count data-version bumps (names as in sgv/core/dataversion.py)."""
    if _enabled:
        for version in versions:
            _child(families.BUMPS, version.removesuffix("_data_version")).inc()


def cache_lookup(document: str, hit: bool) -> None:
    """Count a cache lookup of a public document."""
    if _enabled:
        _child(families.CACHE, document, "hit" if hit else "miss").inc()


def set_replica_lag(seconds: float, replica: str = "default") -> None:
    """Record the replica's replay lag in seconds (for the replica's reader to call)."""
    if _enabled:
        families.REPLICA_LAG.labels(replica).set(seconds)


def checks_done(summaries: list[dict]) -> None:
    """Count each CPO's check by outcome and keep its failure streak (`check run` results)."""
    if not _enabled:
        return
    for run in summaries:
        cpo = (run["country_code"], run["party_id"])
        outcome = {True: "ok", False: "failed", None: "error"}[run["reachable"]]
        families.CHECKS.labels(*cpo, "skipped" if run["skipped"] else outcome).inc()
        families.CHECK_FAILURES.labels(*cpo).set(run["consecutive_failures"])
        families.CHECK_LAST.labels(*cpo).set(run["started_at"].timestamp())


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
        families.OUTBOUND.labels(method, outcome).observe(time.perf_counter() - start)
        raise
    status = call.get("status")
    outcome = f"{status // 100}xx" if isinstance(status, int) else "error"
    families.OUTBOUND.labels(method, outcome).observe(time.perf_counter() - start)
