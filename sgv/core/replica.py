"""Public reads on a streaming replica (SGV_REPLICA_URL, SPEC §9).

The public blueprints' requests (the map, its documents, installation pages, the open
data) read from the replica; everything else — OCPI, operator commands, the hourly
check, /healthz — from the primary, as before. A replica lags: it must never put old
data under a new data version, nor show a CPO that a revocation has hidden. So before a
public request's first query the versions are read on the primary with the WAL position
recorded at their bump (sgv/core/dataversion.py), and the request waits until the
replica has replayed that far, at most SGV_REPLICA_MAX_WAIT seconds (0.2); past that,
or when the replica does not answer, the request reads the primary. Every public read
taken from the replica is thus at least as new as the versions it is cached or tagged
under, cached or not.

How far the replica has replayed only grows, so each process remembers the furthest
position it has seen: a request whose target lies behind it reads the replica at once,
without asking.
"""

import threading
import time

from flask import Blueprint, Flask, current_app, has_request_context, request
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from sgv.core import dataversion, metrics
from sgv.extensions import ROUTE, db

BIND = "replica"  # the Flask-SQLAlchemy bind (sgv/config.py replica_binds)
POLL = 0.005  # seconds between two looks at the replica's replay position
DOWN_SECONDS = 5.0  # after a failed connection, the primary serves for this long

_seen: dict[str, int] = {}  # replica URL → furthest replay position seen (monotonic)
_down_until: dict[str, float] = {}
_lock = threading.Lock()


def init_app(app: Flask, public: tuple[Blueprint, ...]) -> None:
    """Route the `public` blueprints' reads to the replica, when SGV_REPLICA_URL is set."""
    if not app.config["REPLICA_URL"]:
        return
    names = {blueprint.name for blueprint in public}

    @app.before_request
    def route_reads() -> None:
        # The choice lives in the request (a streamed export reads after its view has
        # returned); the session only learns where to ask.
        info = db.session.info
        if info.pop(ROUTE, None) is not None:  # an earlier request in this app context
            db.session.remove()  # (tests): start afresh, on the primary
        if request.blueprint in names:
            request.environ[dataversion.PRIMARY] = {}
            db.session.info[ROUTE] = choose


def choose() -> Engine | None:
    """Return the engine this public request reads from, deciding at its first query.

    None outside a public request (the session's default: the primary).
    """
    if not has_request_context() or dataversion.PRIMARY not in request.environ:
        return None
    state = request.environ[dataversion.PRIMARY]
    if "engine" not in state:
        target = dataversion.on_primary().lsn
        replica = db.engines[BIND]
        state["engine"] = replica if caught_up(replica, target) else db.engines[None]
    return state["engine"]


# Where the replica is, and how far behind in time (the last replayed commit's age).
REPLAYED = """SELECT pg_last_wal_replay_lsn()::text,
                     extract(epoch FROM now() - pg_last_xact_replay_timestamp())"""


def caught_up(replica: Engine, target: int) -> bool:
    """Wait until `replica` has replayed WAL position `target`; False after the longest wait."""
    url = str(replica.url)
    if _seen.get(url, -1) >= target:
        return True
    if _down_until.get(url, 0.0) > time.monotonic():
        return False
    deadline = time.monotonic() + current_app.config["REPLICA_MAX_WAIT"]
    try:
        with replica.connect() as conn:
            while True:
                replayed, lag = conn.execute(text(REPLAYED)).one()
                if lag is not None:
                    metrics.set_replica_lag(float(lag))
                if replayed is None:  # not a standby (promoted?): its data may be another's
                    current_app.logger.warning(
                        "SGV_REPLICA_URL is not a standby; reading the primary"
                    )
                    return False
                position = dataversion.lsn_number(replayed)
                with _lock:
                    _seen[url] = max(_seen.get(url, -1), position)
                if position >= target:
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                time.sleep(min(POLL, left))
    except SQLAlchemyError:
        current_app.logger.warning(
            "The replica does not answer; reading the primary", exc_info=True
        )
        _down_until[url] = time.monotonic() + DOWN_SECONDS
        return False
