"""Configuration defaults; every value can be overridden by an `SGV_<NAME>` variable."""

import ipaddress
from typing import Any

from sgv.pool import CheckedPool

# The cluster that scripts/run and scripts/test start (scripts/lib/postgres.sh).
DEFAULT_DATABASE_URL = "postgresql://sgv@127.0.0.1:54320/sgv"


class Defaults:
    """Working defaults for a developer machine; production overrides them by environment."""

    DATABASE_URL = DEFAULT_DATABASE_URL
    CACHE_URL = ""  # empty: in-process cache; redis://… in production
    # A streaming replica for the public door's reads (sgv/core/replica.py); empty: none.
    REPLICA_URL = ""
    REPLICA_MAX_WAIT = 0.2  # seconds a public read waits for the replica, then reads the primary
    PUBLIC_URL = "http://127.0.0.1:5000"
    PARTY_ID = "SGV"
    COUNTRY_CODE = "ES"
    ENVIRONMENT = "production"  # or "staging": publishes nothing
    TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    TILE_ATTRIBUTION = (
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    )
    TOKEN_DAYS = 365
    MAX_BODY = 1_000_000  # bytes; larger OCPI bodies get 413
    CLOCK_SKEW = 900  # seconds a pushed last_updated may be ahead of our clock (SPEC §3)
    CHECK_INTERVAL = 3600  # seconds between data-quality checks
    CHECK_FAILURES = 3  # consecutive failed checks before a CPO's EVSEs show UNKNOWN
    HTTP_TIMEOUT = 10.0  # seconds for every outbound call to a CPO, connect and reads in all
    # Loopback, private … addresses SGV may call: 0 none, 1 all (tests, closed networks), or
    # a comma-separated list of networks (sgv/ocpi/client/guard.py). Public ones always.
    OUTBOUND_ALLOW_PRIVATE = False
    CHECK_CPO_DEADLINE = 300.0  # seconds the hourly check may spend on one CPO
    CHECK_OVERLAP = 900  # seconds a check's date_from reaches back before the last one
    FULL_SYNC_HOURS = 24  # hours between full pulls, which catch silently removed objects
    CHECK_RETRY_DELAY = 5.0  # seconds before the one retry of a failed pull
    CHECK_PAGE_SIZE = 100  # objects asked per page when pulling
    CHECK_MAX_PAGES = 1000  # pages after which a pull stops (runaway pagination)
    HISTORY_DAYS = 35  # days of EVSE status history kept (prune-history); ≥ 29
    STALE_HOURS = 24  # a status older than this counts as stale in the quality report
    OPENDATA_OVERLAP = 120  # seconds a delta reaches back before `since` (changes mid-poll)
    OPENDATA_CACHE_SECONDS = 3600  # longest a full export's gzip copy is kept
    OPENDATA_CACHE_MAX_BYTES = 16_000_000  # full exports larger than this are not cached
    OPENDATA_GZIP_LEVEL = 1  # fast: exports are large and compress well anyway
    LIVE_REFRESH = 5  # seconds: the map's live data follows pushes at most this often
    # Rate limits per client address (sgv/core/limits.py; docs/security.md sizes them).
    RATELIMIT_ENABLED = True  # false switches every limit off (load tests from one address)
    RATELIMIT_AUTH = "60/minute"  # failed OCPI authentications; a valid token is never limited
    RATELIMIT_PUBLIC = "1200/minute"  # map page and documents, installation pages, open data
    FORCE_HTTPS = False  # true: redirect http:// to https:// (HSTS is sent over https anyway)
    CACHE_DEFAULT_TIMEOUT = 300
    # Threads per gunicorn worker (gunicorn.conf.py reads it too): each holds at most one
    # database connection, so it also sizes each process's pool. Four, not eight: on 2
    # cores, under a burst of status pushes at 32 connections, 2 × 4 threads answered as
    # many pushes or more than 2 × 8 with a p99 of 34–46 ms instead of 50–57 (fewer threads
    # fighting for the GIL, fewer backends for PostgreSQL's commits; docs/performance.md).
    THREADS = 4
    # Proxies whose X-Forwarded-For names the client (comma-separated addresses or
    # networks; empty: none, the peer is the client). Production: 127.0.0.1, the nginx
    # of deploy/nginx.conf on the same host; gunicorn.conf.py reads it too.
    TRUSTED_PROXIES = ""
    # Prometheus metrics (sgv/core/metrics.py): empty, off; a port, served there by the
    # gunicorn master on METRICS_ADDRESS, never on the public port (README, Operations).
    METRICS_PORT = ""
    METRICS_ADDRESS = "127.0.0.1"
    LOG_FORMAT = "text"  # or "json": one JSON object per line, with the OCPI message ids
    # Days kept of what grows without bound (`sgv maintenance prune`, sgv/quality/retention.py);
    # 0 keeps forever. The reports read 30 days back: check runs and rejections keep more.
    RETAIN_CHECK_RUNS_DAYS = 90
    RETAIN_REJECTIONS_DAYS = 90
    RETAIN_AUDIT_DAYS = 730  # routine audit rows; state changes are kept for ever

    JSON_SORT_KEYS = False


ENVIRONMENTS = ("production", "staging")


def sqlalchemy_url(url: str) -> str:
    """Return the URL with the psycopg 3 driver, so a plain postgresql:// URL works."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def engine_options(threads: int) -> dict:
    """SQLAlchemy engine options for a process serving `threads` requests at once.

    A pool smaller than the threads would open and close a connection per request. The
    pool discards a connection the server has closed without asking it (sgv/pool.py).
    """
    return {"poolclass": CheckedPool, "pool_size": threads}


def replica_binds(replica_url: str) -> dict:
    """Map SGV_REPLICA_URL onto Flask-SQLAlchemy binds: the replica as bind "replica"."""
    if not replica_url:
        return {}
    if not replica_url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        raise ValueError(
            f"SGV_REPLICA_URL must be empty or a postgresql:// URL, not {replica_url!r}"
        )
    return {"replica": sqlalchemy_url(replica_url)}


def outbound_allowance(value: Any) -> bool | tuple:
    """Read SGV_OUTBOUND_ALLOW_PRIVATE: 1 or 0 (true, false …) or a list of IP networks."""
    if isinstance(value, bool) or value in (0, 1):
        return bool(value)
    if isinstance(value, tuple | list):
        return tuple(ipaddress.ip_network(item) for item in value)
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on", "", "0", "false", "no", "off"):
        return text in ("1", "true", "yes", "on")
    try:
        return tuple(ipaddress.ip_network(item.strip()) for item in text.split(","))
    except ValueError:
        raise ValueError(
            "SGV_OUTBOUND_ALLOW_PRIVATE must be 1, 0 or a comma-separated list of IP "
            f"networks (e.g. 10.20.0.0/16,127.0.0.1), not {value!r}"
        ) from None


def ratelimit_storage(cache_url: str) -> str:
    """Map SGV_CACHE_URL onto a flask-limiter storage: the same Redis, else this process."""
    if cache_url.startswith("unix://"):
        return "redis+unix://" + cache_url.removeprefix("unix://")
    return cache_url or "memory://"


def cache_config(cache_url: str) -> dict:
    """Map SGV_CACHE_URL onto Flask-Caching settings."""
    if not cache_url:
        return {"CACHE_TYPE": "SimpleCache"}
    if cache_url.startswith(("redis://", "rediss://", "unix://")):
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": cache_url}
    raise ValueError(f"SGV_CACHE_URL must be empty or a redis:// URL, not {cache_url!r}")
