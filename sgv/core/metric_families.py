"""The metrics SGV records (sgv/core/metrics.py), defined once metrics are on.

Imported only then: with SGV_METRICS_PORT unset, no process pays for prometheus-client.
Every family has labels, so none holds a sample (nor opens a samples file) before a
recorder asks for its child.
"""

from prometheus_client import Counter, Gauge, Histogram

# Seconds: a status push takes a few milliseconds, an export or a CPO call up to seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

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
