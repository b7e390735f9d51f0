"""Helpers for hostile-input tests: what the database holds, and whether a refusal kept it.

SPEC §3: a rejected request leaves the stored state exactly as it was, and is recorded
in the rejection log. `State` reads both in one round trip: a checksum per table
(every table but the log) and the log's row count.
"""

from typing import NamedTuple

import psycopg

from sgv.extensions import db

LOG = "rejections"  # the one table a refusal writes to (SPEC §3)


class State(NamedTuple):
    """What the database holds: a checksum of every table but the log, and the log's size."""

    tables: dict[str, str]
    rejections: int


def checksum_query() -> str:
    """Return one query giving (table, checksum) for every table of the app."""
    parts = [
        f"SELECT '{table.name}', count(*) || ':' || "
        f"coalesce(md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))), '') "
        f'FROM "{table.name}" t'
        for table in db.metadata.sorted_tables
    ]
    return " UNION ALL ".join(parts)


def state(connection: psycopg.Connection) -> State:
    """Read the state of the database through an autocommit connection."""
    rows = dict(connection.execute(checksum_query()).fetchall())
    log = rows.pop(LOG)
    return State(rows, int(log.split(":", 1)[0]))


def changed_tables(before: State, after: State) -> list[str]:
    """Name the tables (the log excluded) whose contents differ."""
    return sorted(name for name in before.tables if before.tables[name] != after.tables[name])
