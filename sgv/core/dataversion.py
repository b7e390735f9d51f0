"""Data versions that key public caches (STYLE §5): bumped after every committed change.

Two sequences: `static` for the registry, matching and CPO visibility (rare), `dynamic`
for pushes (frequent). Bumped after the commit, never inside it: a reader that cached
pre-commit data under the new number would keep serving it.
"""

import functools
import threading

import psycopg
from flask import current_app
from sqlalchemy import text
from sqlalchemy.engine import make_url

from sgv.extensions import db

STATIC = "static_data_version"
DYNAMIC = "dynamic_data_version"

# nextval() is never rolled back, so it needs no transaction: a few idle autocommit
# connections bump in one round trip each, instead of a second session transaction on
# every push (the hot path of SPEC §9).
_idle: dict[str, list[psycopg.Connection]] = {}
_lock = threading.Lock()


@functools.cache
def _dsn(uri: str) -> str:
    """Return the libpq form of the app's database URL (parsed once, not per push)."""
    return make_url(uri).set(drivername="postgresql").render_as_string(hide_password=False)


def bump(*sequences: str) -> None:
    """Advance the named data versions now (call only after the change is committed)."""
    if not sequences:
        return
    dsn = _dsn(current_app.config["SQLALCHEMY_DATABASE_URI"])
    calls = ", ".join(f"nextval('{name}')" for name in sequences)
    with _lock:
        pool = _idle.setdefault(dsn, [])
        conn = pool.pop() if pool else None
    try:
        if conn is None or conn.closed:
            conn = psycopg.connect(dsn, autocommit=True)
        conn.execute(f"SELECT {calls}")
    except psycopg.OperationalError:  # the server restarted: one fresh connection
        if conn is not None:
            conn.close()
        conn = psycopg.connect(dsn, autocommit=True)
        conn.execute(f"SELECT {calls}")
    with _lock:
        _idle.setdefault(dsn, []).append(conn)


def close() -> None:
    """Close the idle bumping connections (tests drop their databases afterwards)."""
    with _lock:
        connections = [conn for pool in _idle.values() for conn in pool]
        _idle.clear()
    for conn in connections:
        conn.close()


def commit(*sequences: str) -> None:
    """Commit the session, then bump the named data versions."""
    db.session.commit()
    bump(*sequences)


def current() -> dict[str, int]:
    """Return the current static and dynamic data versions."""
    # A fresh sequence reads last_value 1 both before and after its first nextval():
    # is_called tells them apart, so the first bump counts too.
    row = db.session.execute(
        text(
            "SELECT "
            + ", ".join(
                f"(SELECT last_value + is_called::int FROM {name})" for name in (STATIC, DYNAMIC)
            )
        )
    ).one()
    return {"static": row[0], "dynamic": row[1]}
