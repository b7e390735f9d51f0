"""Scheduled jobs on exactly one host: a PostgreSQL advisory lock per job (SPEC §9).

A local `flock` only keeps one host from overlapping itself; the lock lives in the
database every host shares. It is a session-level lock on a connection of its own, opened
for the job and closed after it: the app's pooled session commits many times (a
transaction-level lock would go at the first commit) and goes back to the pool (a
session-level lock there would outlive the job). A killed process takes its connection,
and so its lock, with it.
"""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from flask import current_app
from sqlalchemy import create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from sgv.core import metrics

CHECK = "sgv.check"  # `check run`, with or without --due or a CPO
RENEW_TOKENS = "sgv.renew-tokens"  # `check renew-tokens` and `cpo renew`
PRUNE = "sgv.prune"  # `maintenance prune`
AVAILABILITY = "sgv.availability"  # `history build`: the hour-of-week aggregates
JOBS = (CHECK, RENEW_TOKENS, PRUNE, AVAILABILITY)


def lock_key(job: str) -> int:
    """Return the job's advisory lock key: a signed 64-bit number fixed by its name."""
    digest = hashlib.sha256(job.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def held_message(command: str, job: str) -> str:
    """Say in one line that another host holds the job's lock and nothing was done."""
    return f"{command}: another host is running it (PostgreSQL advisory lock '{job}'); nothing done"


@contextmanager
def exclusive(job: str) -> Iterator[bool]:
    """Hold the job's advisory lock for the block; yield False if another session holds it.

    The lock is taken without waiting, on a connection outside the pool (NullPool: closing
    it really closes it), so the lock ends with the block, or with the process.
    """
    if job not in JOBS:
        raise ValueError(f"unknown job {job!r}: one of {', '.join(JOBS)}")
    engine = create_engine(current_app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            key = lock_key(job)
            taken = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            if taken:
                metrics.for_job(job)  # one holder per job: its samples go under its name
            try:
                yield taken
            finally:
                if taken:
                    # A connection already lost has dropped the lock: closing is enough.
                    with suppress(SQLAlchemyError):
                        conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    finally:
        engine.dispose()
