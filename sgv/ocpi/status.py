"""The status PATCH in one call: the token, the EVSE, the update and the bump (SPEC §3, §9).

Most pushes are an EVSE's status, `{"status", "last_updated"}`, tens of thousands a
minute. Here the caller's token is checked, the EVSE found and updated in one statement
(auth.CALLER_CTES, then ingest/fast.py's EVSE_PATCH_CTES), which commits by itself; then
the dynamic data version is bumped. Both run in one round trip, inside a procedure of
the connection's own (below): no ORM session, no token query, no BEGIN or COMMIT.

The token is checked in the statement that applies the push, so a revoked or renewed
token is refused at once by every worker and host: nothing is cached. Only what
authenticate() plainly accepts is applied here; anything else (no or unknown token,
TOKEN_A, an expired TOKEN_C, another party's URL) returns None, with nothing changed,
and the general path answers it as before.
"""

import re
from collections import namedtuple
from datetime import UTC, datetime

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.pool import PoolProxiedConnection

from sgv.core import dataversion
from sgv.extensions import autocommitted
from sgv.ingest.fast import EVSE_PATCH_CTES, STAMP, evse_patch_outcome, evse_patch_values
from sgv.ingest.rules import Outcome
from sgv.ocpi.auth import CALLER_CTES, remember
from sgv.ocpi.tokens import digest

STATUS_PATCH = text(
    "WITH"
    + CALLER_CTES
    + ","
    + EVSE_PATCH_CTES.format(party="(SELECT id FROM pusher)", stamp=STAMP)
    + """
SELECT caller.id, caller.country_code, caller.party_id, caller.state,
       caller.token_c_digest, caller.token_c_pending_digest,
       pusher.id IS NOT NULL AS accepted,
       found.location_pk, found.evse_pk, (SELECT count(*) FROM evse) AS applied
FROM caller LEFT JOIN pusher ON pusher.id = caller.id LEFT JOIN found ON true
"""
)

# The statement must commit before the bump, so that a reader who sees the new version
# sees the push (sgv/core/dataversion.py); as two statements, that is two round trips,
# and the second one cost a PATCH about a tenth of its CPU on each side
# (docs/performance.md). A procedure may COMMIT between the two: one CALL runs the
# statement, commits it, then bumps. It lives in the connection's own temporary schema,
# made from the statement above when the connection first needs it, so the SQL has one
# definition, here, and no migration carries a copy that could drift from it.
PARAMETERS = {  # the statement's binds, in the procedure's order, with their types
    "digests": "text[]",
    "now": "timestamptz",
    "country_code": "text",
    "party_id": "text",
    "location_id": "text",
    "uid": "text",
    "fields": "text",
    "cleared": "text[]",
    "status": "text",
    "moment": "timestamptz",
}
RESULT = {  # the statement's columns, then the bump's
    "id": "integer",
    "country_code": "text",
    "party_id": "text",
    "state": "text",
    "token_c_digest": "text",
    "token_c_pending_digest": "text",
    "accepted": "boolean",
    "location_pk": "integer",
    "evse_pk": "integer",
    "applied": "bigint",
    "version": "bigint",  # nextval() of the dynamic version, when the push applied
    "lsn": "text",  # the primary's WAL position after it (kept when there is a replica)
}
PROCEDURE = "pg_temp.sgv_status_patch"


def _procedure_sql() -> str:
    """Return CREATE PROCEDURE for the statement: its binds become $1…, its row OUTs."""
    statement = str(STATUS_PATCH.compile(dialect=PGDialect_psycopg()))
    binds = set(re.findall(r"%\((\w+)\)s", statement))
    if binds != set(PARAMETERS):  # the statement changed: say which binds it has now
        raise RuntimeError(f"PARAMETERS must name the statement's binds: {sorted(binds)}")
    for position, name in enumerate(PARAMETERS, start=1):
        statement = statement.replace(f"%({name})s", f"${position}")
    statement = statement.replace("%%", "%")
    inputs = [f"in_{name} {kind}" for name, kind in PARAMETERS.items()] + ["in_commit boolean"]
    outputs = [f"OUT {name} {kind}" for name, kind in RESULT.items()]
    columns = ", ".join(list(RESULT)[:-2])
    return f"""
CREATE OR REPLACE PROCEDURE {PROCEDURE}({", ".join(inputs + outputs)})
LANGUAGE plpgsql AS $procedure$
#variable_conflict use_column
BEGIN
    {statement.strip()}
    INTO {columns};
    IF in_commit THEN
        COMMIT;
    END IF;
    IF applied > 0 THEN
        {dataversion.bump_sql((dataversion.DYNAMIC,), True)} INTO version, lsn;
    END IF;
END
$procedure$
"""


CREATE_PROCEDURE = _procedure_sql()
# Lists are the costly values for psycopg to send (it inspects every element, per
# cursor): the one or two digests go as two strings, and the cleared fields, nearly
# always none, as NULL for none.
ARGUMENTS = {
    **{name: f"CAST(%({name})s AS {kind})" for name, kind in PARAMETERS.items()},
    "digests": "ARRAY[CAST(%(digest)s AS text), CAST(%(other_digest)s AS text)]",
    "cleared": "COALESCE(CAST(%(cleared)s AS text[]), '{}')",
}
CALL = f"CALL {PROCEDURE}({', '.join(ARGUMENTS.values())}, %(commit)s"
CALL += ", NULL" * len(RESULT) + ")"
# The statement's row, then the bump's: a plain tuple made into one, not a class per row.
Found = namedtuple("Found", RESULT)
CURSOR = "sgv.status_cursor"  # in a pooled connection's info: its cursor, with the procedure


def _call(pooled: PoolProxiedConnection, values: dict) -> Found:
    """Run the statement, commit it unless in a transaction, bump if it applied."""
    cursor = pooled.info.get(CURSOR) or _prepare(pooled)
    alone = cursor.connection.info.transaction_status is TransactionStatus.IDLE
    values = {**values, "commit": alone}
    try:
        row = cursor.execute(CALL, values).fetchone()
    except psycopg.errors.UndefinedFunction:
        if not alone:
            raise
        # Its temporary schema was emptied (DISCARD by a pooler, say): nothing ran.
        row = _prepare(pooled).execute(CALL, values).fetchone()
    return Found._make(row)


def _prepare(pooled: PoolProxiedConnection) -> psycopg.Cursor:
    """Create the procedure on the pooled connection; return the cursor that calls it."""
    driver = pooled.driver_connection
    driver.execute(CREATE_PROCEDURE)
    cursor = driver.cursor()
    # In a transaction (the tests' rolled-back one) the procedure goes with it.
    if driver.info.transaction_status is TransactionStatus.IDLE:
        pooled.info[CURSOR] = cursor
    return cursor


def apply_status(
    tokens: list[str], cc: str, pid: str, location_id: str, evse_uid: str, raw: dict, data: dict
) -> Outcome | None:
    """Apply a validated PATCH of an EVSE's own fields if its token plainly allows it.

    `tokens`: what the Authorization header may carry (tokens.candidates). Returns None,
    having changed nothing, when authenticate() must judge the caller; raises Refused
    (404) for an unknown location or EVSE of an accepted caller.
    """
    digests = {digest(token): token for token in tokens}  # one or two: tokens.candidates
    first, *other = digests
    values = {
        **evse_patch_values(location_id, evse_uid, raw, data),
        "digest": first,
        "other_digest": other[0] if other else first,
        "now": datetime.now(UTC),
        "country_code": cc.upper(),
        "party_id": pid.upper(),
    }
    values["cleared"] = values["cleared"] or None
    with autocommitted() as pooled:
        found = _call(pooled, values)
    if not found.accepted:
        return None
    token = next(
        token
        for hashed, token in digests.items()
        if hashed in (found.token_c_digest, found.token_c_pending_digest)
    )
    remember(found, token, "C")
    outcome = evse_patch_outcome(found, location_id, evse_uid)
    if found.version is not None:
        dataversion.bumped((dataversion.DYNAMIC,), (found.version, found.lsn))
    return outcome
