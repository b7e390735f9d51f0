"""What the benchmarks share: throw-away databases on the project's cluster.

The admin URL comes from SGV_BENCH_DATABASE_URL (else SGV_TEST_DATABASE_URL, else the
cluster scripts/run starts); each database is created, migrated and dropped again.
"""

import os
import secrets
import signal
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from sgv import create_app
from sgv.extensions import db

ROOT = Path(__file__).resolve().parent.parent
ADMIN_URL = os.environ.get(
    "SGV_BENCH_DATABASE_URL",
    os.environ.get("SGV_TEST_DATABASE_URL", "postgresql://sgv@127.0.0.1:54320/postgres"),
)


def settings(url: str) -> dict:
    """Settings for an app on `url` that reads no environment."""
    return {"TESTING": True, "DATABASE_URL": url, "CACHE_TYPE": "SimpleCache"}


def admin_execute(sql: str) -> None:
    """Run one statement on the cluster's maintenance database, outside a transaction."""
    with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


@contextmanager
def throwaway_database(label: str) -> Iterator[str]:
    """Create and migrate a database for one benchmark; drop it afterwards."""
    name = f"sgv_bench_{os.getpid()}_{secrets.token_hex(3)}_{label}"
    admin_execute(f'CREATE DATABASE "{name}"')
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        app = create_app(settings(url))
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            db.engine.dispose()
        yield url
    finally:
        admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def begin_run(label: str) -> Path:
    """Start a bench that runs servers: print the machine's load, return a log file for them.

    SIGTERM unwinds like Ctrl-C, so servers and throw-away databases are cleaned up.
    """
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    log = Path(tempfile.mkstemp(prefix=f"sgv-bench-{label}-", suffix=".log")[1])
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; server logs: {log}")
    return log
