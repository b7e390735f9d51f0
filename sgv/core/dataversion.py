"""Data versions that key public caches (STYLE §5): the one bump door.

Two sequences: `static` for the registry, matching and CPO visibility (rare), `dynamic`
for pushes (frequent). Services `touch()` what they change; one listener on the session
bumps it after the commit, never inside it: a reader that cached pre-commit data under
the new number would keep serving it. Every commit site is a plain `db.session.commit()`.
"""

import functools
import threading

import psycopg
from flask import current_app
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, SessionTransaction

from sgv.core import metrics
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
    metrics.bumped(*sequences)


def close() -> None:
    """Close the idle bumping connections (tests drop their databases afterwards)."""
    with _lock:
        connections = [conn for pool in _idle.values() for conn in pool]
        _idle.clear()
    for conn in connections:
        conn.close()


TOUCHED = "sgv_touched_versions"  # key in Session.info: versions the pending work changed


def touch(*sequences: str, session: Session | None = None) -> None:
    """Record that the session's pending work changes these data versions."""
    info = (session or db.session).info
    info.setdefault(TOUCHED, set()).update(sequences)


# Listening on the scoped session listens on its sessionmaker's own Session subclass, so
# this is registered once per process (at import) and covers every session of `db`.
@event.listens_for(db.session, "after_commit")
def _bump_touched(session: Session) -> None:
    """Bump what the committed work touched, now that readers can see it."""
    # after_commit also fires when a SAVEPOINT is released (begin_nested): that work is
    # not committed yet, so its touches wait for the outermost commit. An autocommit
    # connection (the one-statement status PATCH) still ends its SessionTransaction with
    # commit(), so it arrives here too.
    if session.in_nested_transaction():
        return
    sequences = session.info.pop(TOUCHED, None)
    if sequences:
        bump(*sorted(sequences))


@event.listens_for(db.session, "after_transaction_end")
def _forget_touched(session: Session, transaction: SessionTransaction) -> None:
    """Forget the touches of outermost work that ended without a commit."""
    # Not after_rollback: that also fires when a savepoint rolls back (one refused object
    # of the hourly check), which must not drop what the rest of the transaction touched;
    # and a session closed without a rollback (teardown after an error) ends here too.
    # After a commit, _bump_touched has already taken them.
    if transaction.parent is None:
        session.info.pop(TOUCHED, None)


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
