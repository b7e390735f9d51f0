"""The status PATCH in one statement: the token, the EVSE and the update (SPEC §3, §9).

Most pushes are an EVSE's status, `{"status", "last_updated"}`, tens of thousands a
minute. Here the caller's token is checked, the EVSE found and updated in one statement
(auth.CALLER_CTES, then ingest/fast.py's EVSE_PATCH_CTES) on a connection without a
transaction around it, then the dynamic data version is bumped on the same connection,
once the statement has committed: no ORM session, no token query, no BEGIN or COMMIT.

The token is checked in the statement that applies the push, so a revoked or renewed
token is refused at once by every worker and host: nothing is cached. Only what
authenticate() plainly accepts is applied here; anything else (no or unknown token,
TOKEN_A, an expired TOKEN_C, another party's URL) returns None, with nothing changed,
and the general path answers it as before.
"""

from datetime import UTC, datetime

from psycopg.rows import namedtuple_row
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

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
# …in psycopg's own form (%(name)s), compiled once: it runs on the driver's cursor, since
# SQLAlchemy's result machinery cost a PATCH more than the statement's own client side.
# SQLAlchemy's pool still lends the connection (pre-ping, reset, the tests' savepoint).
STATUS_PATCH_SQL = str(STATUS_PATCH.compile(dialect=PGDialect_psycopg()))


def apply_status(
    tokens: list[str], cc: str, pid: str, location_id: str, evse_uid: str, raw: dict, data: dict
) -> Outcome | None:
    """Apply a validated PATCH of an EVSE's own fields if its token plainly allows it.

    `tokens`: what the Authorization header may carry (tokens.candidates). Returns None,
    having changed nothing, when authenticate() must judge the caller; raises Refused
    (404) for an unknown location or EVSE of an accepted caller.
    """
    digests = {digest(token): token for token in tokens}
    values = evse_patch_values(location_id, evse_uid, raw, data)
    with autocommitted() as driver, driver.cursor(row_factory=namedtuple_row) as cursor:
        found = cursor.execute(
            STATUS_PATCH_SQL,
            {
                **values,
                "digests": list(digests),
                "now": datetime.now(UTC),
                "country_code": cc.upper(),
                "party_id": pid.upper(),
            },
        ).fetchone()
        if found is None or not found.accepted:
            return None
        token = next(
            token
            for hashed, token in digests.items()
            if hashed in (found.token_c_digest, found.token_c_pending_digest)
        )
        remember(found, token, "C")
        outcome = evse_patch_outcome(found, location_id, evse_uid)
        if outcome is Outcome.UPDATED:
            # Committed by itself, visible to every reader: bump now, on the same
            # connection (the one door's rule, sgv/core/dataversion.py).
            dataversion.bump_on(driver, dataversion.DYNAMIC)
    return outcome
