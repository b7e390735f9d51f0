"""Data versions that key public caches (STYLE §5): the one bump door.

Three sequences: `static` for the registry, matching and CPO visibility (rare), `dynamic`
for pushes (frequent), and `priced`, which moves with `dynamic` except for pushes that
change only EVSEs' own fields (statuses above all): what a site costs moves with
tariffs, connectors and locations, not with statuses. Services `touch()` what they
change; one listener on the session bumps it after the commit, never inside it: a reader
that cached pre-commit data under the new number would keep serving it. Every commit
site is a plain `db.session.commit()`.

With a replica (SGV_REPLICA_URL, sgv/core/replica.py) each bump also records the
primary's WAL position, read after the commit, under the version it made (in the cache,
shared by every host when it is Redis): a public read waits until the replica has
replayed that far before building anything for that version. A position the cache lost
is replaced by the primary's position now, which is later still: waiting longer, never
serving older data under a newer version.
"""

import functools
import threading
from typing import NamedTuple

import psycopg
from flask import current_app, has_request_context, request
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, SessionTransaction

from sgv.core import metrics
from sgv.extensions import cache, db

STATIC = "static_data_version"
DYNAMIC = "dynamic_data_version"
PRICED = "priced_data_version"
# The name each sequence's version has in current() and in cache keys (sgv/core/caching.py).
NAMES = {STATIC: "static", DYNAMIC: "dynamic", PRICED: "priced"}

# nextval() is never rolled back, so it needs no transaction: a few idle autocommit
# connections bump in one round trip each, instead of a second session transaction.
# The status PATCH (SPEC §9's hot path) bumps in its own procedure (sgv/ocpi/status.py).
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
    query = bump_sql(sequences, bool(current_app.config["REPLICA_URL"]))
    with _lock:
        pool = _idle.setdefault(dsn, [])
        conn = pool.pop() if pool else None
    try:
        if conn is None or conn.closed:
            conn = psycopg.connect(dsn, autocommit=True)
        row = conn.execute(query).fetchone()
    except psycopg.OperationalError:  # the server restarted: one fresh connection
        if conn is not None:
            conn.close()
        conn = psycopg.connect(dsn, autocommit=True)
        row = conn.execute(query).fetchone()
    with _lock:
        _idle.setdefault(dsn, []).append(conn)
    bumped(sequences, row)


@functools.cache
def bump_sql(sequences: tuple[str, ...], recording: bool) -> str:
    """Return the one query that advances `sequences` (and reads the WAL position)."""
    calls = ", ".join(f"nextval('{name}')" for name in sequences)
    if recording:  # after nextval: the position is past the commit that asked
        calls += ", pg_current_wal_insert_lsn()::text"
    return f"SELECT {calls}"


def bumped(sequences: tuple[str, ...], row: tuple | None) -> None:
    """Count a bump; with a replica, record the WAL position of the versions it made.

    `row`: what nextval() returned for each of `sequences`, then the WAL position read
    after them (pg_current_wal_insert_lsn()), as bump_sql() asks for.
    """
    metrics.bumped(*sequences)
    if current_app.config["REPLICA_URL"] and row is not None:
        # current() reads last_value + 1 once called: the version this bump made.
        _record({name: value + 1 for name, value in zip(sequences, row, strict=False)}, row[-1])


def lsn_key(sequence: str) -> str:
    """Return the cache key of the newest version of `sequence` and its WAL position."""
    return f"sgv:lsn:{sequence}"


def lsn_number(text: str) -> int:
    """Return a pg_lsn's text (`16/B374D848`) as a number, to compare positions."""
    high, low = text.split("/")
    return int(high, 16) << 32 | int(low, 16)


def _record(versions: dict[str, int], lsn: str) -> None:
    """Keep the primary's WAL position with the versions a bump made (one key each).

    A later version's position serves an earlier version too: it was read after that
    version's nextval(), hence after the commit that asked for it.
    """
    try:
        cache.set_many(
            {lsn_key(name): (value, lsn_number(lsn)) for name, value in versions.items()},
            timeout=0,  # one small key per sequence, overwritten: kept for good
        )
    except Exception:  # the cache is down: readers will wait for the position "now"
        current_app.logger.exception("Could not record the WAL position of a data version")


def close() -> None:
    """Close the idle bumping connections (tests drop their databases afterwards)."""
    with _lock:
        connections = [conn for pool in _idle.values() for conn in pool]
        _idle.clear()
    for conn in connections:
        conn.close()


TOUCHED = "sgv_touched_versions"  # key in Session.info: versions the pending work changed


def touch(*sequences: str, session: Session | None = None, prices: bool = True) -> None:
    """Record that the session's pending work changes these data versions.

    DYNAMIC moves PRICED too: a change of live data may change what a site costs.
    `prices=False` says the work changed only EVSEs' own fields (status, capabilities…),
    which no price depends on.
    """
    touched = set(sequences)
    if DYNAMIC in touched and prices:
        touched.add(PRICED)
    info = (session or db.session).info
    info.setdefault(TOUCHED, set()).update(touched)


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


# A fresh sequence reads last_value 1 both before and after its first nextval():
# is_called tells them apart, so the first bump counts too.
VERSIONS_SQL = "SELECT " + ", ".join(
    f"(SELECT last_value + is_called::int FROM {name})" for name in NAMES
)
# In a public request's environ (sgv/core/replica.py): its reads may come from a replica,
# so its versions are read on the primary, once.
PRIMARY = "sgv.primary_versions"


class Reading(NamedTuple):
    """Versions read on the primary, and the WAL position a replica must have replayed."""

    versions: dict[str, int]
    lsn: int


def current() -> dict[str, int]:
    """Return the current data versions, by name (static, dynamic, priced)."""
    if has_request_context() and PRIMARY in request.environ:  # a replica may serve it
        return on_primary().versions
    return _named(db.session.execute(text(VERSIONS_SQL)).one())


def on_primary() -> Reading:
    """Return this request's versions as the primary has them, read once per request.

    Sequences replicate ahead of their values (PostgreSQL logs 32 at a time), so a
    replica cannot say which version is current; the primary can, and where its WAL was.
    """
    state = request.environ.setdefault(PRIMARY, {})
    if "reading" not in state:
        with db.engines[None].connect() as conn:
            row = conn.execute(text(VERSIONS_SQL + ", pg_current_wal_insert_lsn()::text")).one()
        versions = _named(row)
        by_sequence = {sequence: versions[name] for sequence, name in NAMES.items()}
        state["reading"] = Reading(versions, _position(by_sequence, row[-1]))
    return state["reading"]


def _named(row: tuple) -> dict[str, int]:
    """Return the versions VERSIONS_SQL read (first in `row`) by name."""
    return dict(zip(NAMES.values(), row[: len(NAMES)], strict=True))


def _position(versions: dict[str, int], now: str) -> int:
    """Return the WAL position a replica must have replayed to serve `versions`.

    The position recorded with each version (or a later one) when the cache has it, else
    the primary's position `now`, which is past every commit that made these versions:
    it is recorded for them, so only the first reader after a lost record waits for it.
    """
    try:
        recorded = cache.get_many(*map(lsn_key, versions))
    except Exception:  # the cache is down: the position now (later: safe)
        return lsn_number(now)
    known, missing = [], {}
    for (name, version), item in zip(versions.items(), recorded, strict=True):
        if item is not None and item[0] >= version:
            known.append(item[1])
        else:
            missing[name] = version
    if not missing:
        return max(known)
    _record(missing, now)
    return lsn_number(now)
