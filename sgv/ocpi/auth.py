"""Who is calling: the Authorization token resolved to a CPO (SPEC §3, Authentication)."""

import hmac
from datetime import UTC, datetime

from flask import g, request
from sqlalchemy import ARRAY, Row, String, any_, bindparam, or_, select

from sgv.core import limits
from sgv.core.refusals import Refused
from sgv.extensions import db
from sgv.models import Party
from sgv.ocpi.envelope import ProtocolKind
from sgv.ocpi.tokens import candidates, digest

# Only what the views need, in one query for both token forms: this runs on every push,
# so it is built once, on the table (no ORM entities to compile), with the digests bound
# as one array.
_parties = Party.__table__.c
_digests = bindparam("digests", type_=ARRAY(String))
CALLER = select(
    _parties.id,
    _parties.country_code,
    _parties.party_id,
    _parties.state,
    _parties.token_a_digest,
    _parties.token_c_digest,
    _parties.token_c_expires_at,
    _parties.token_c_pending_digest,
).where(
    or_(
        _parties.token_c_digest == any_(_digests),
        _parties.token_a_digest == any_(_digests),
        _parties.token_c_pending_digest == any_(_digests),
    )
)

# authenticate()'s rule in SQL, for the status PATCH that checks the token in the very
# statement that applies the push (sgv/ocpi/status.py). `pusher` holds the caller only
# when authenticate() would accept it for this URL's party, and only in the plain case:
# exactly one CPO holds one of the candidate digests, no candidate is its TOKEN_A, and it
# is its TOKEN_C not expired at :now, or the pending TOKEN_C. Any other case leaves
# `pusher` empty and the request to authenticate(), which accepts or refuses it as ever.
# Binds: :digests (text[]), :now, :country_code and :party_id (the URL's, upper-cased).
CALLER_CTES = """
caller AS (
    SELECT id, country_code, party_id, state, token_c_digest, token_c_pending_digest,
           coalesce(token_c_digest = ANY(:digests), false) AS c_match,
           coalesce(token_c_expires_at > :now, token_c_expires_at IS NULL) AS c_alive,
           coalesce(token_c_pending_digest = ANY(:digests), false) AS pending_match,
           coalesce(token_a_digest = ANY(:digests), false) AS a_match
    FROM parties
    WHERE token_c_digest = ANY(:digests) OR token_a_digest = ANY(:digests)
       OR token_c_pending_digest = ANY(:digests)
),
pusher AS (
    SELECT id FROM caller
    WHERE (SELECT count(*) FROM caller) = 1 AND NOT a_match
      AND (c_match AND c_alive OR pending_match AND NOT c_match)
      AND country_code = :country_code AND party_id = :party_id
)
"""


def authenticate(*, allow_token_a: bool) -> Row:
    """Return the CPO (id, country_code, party_id, state) whose token the request carries.

    Answers 401 otherwise; a token that matches no CPO (or none) also counts against the
    client address's failed-authentication limit, 429 past it (sgv/core/limits.py).
    Sets g.party, g.party_key, g.token (as presented, decoded) and g.token_kind ("A" or "C").
    """
    header = request.headers.get("Authorization")
    tokens = {digest(token): token for token in candidates(header)}
    found = db.session.execute(CALLER, {"digests": list(tokens)}).all() if tokens else []
    for party in found:
        for hashed, token in tokens.items():
            if hmac.compare_digest(party.token_c_digest or "", hashed):
                expiry = party.token_c_expires_at
                if expiry is not None and expiry <= datetime.now(UTC):
                    raise Refused(
                        ProtocolKind.UNAUTHENTICATED, "Token expired: renew the credentials"
                    )
                return remember(party, token, "C")
            # The TOKEN_C our renewal PUT is handing over: valid while that exchange runs,
            # since the CPO may call our versions endpoint with it before it answers.
            if hmac.compare_digest(party.token_c_pending_digest or "", hashed):
                return remember(party, token, "C")
            if hmac.compare_digest(party.token_a_digest or "", hashed):
                if not allow_token_a:
                    raise Refused(
                        ProtocolKind.UNAUTHENTICATED,
                        "TOKEN_A only opens the versions and credentials modules",
                    )
                return remember(party, token, "A")
    limits.failed_authentication()  # 429 past SGV_RATELIMIT_AUTH from this address
    if not header:
        raise Refused(
            ProtocolKind.UNAUTHENTICATED, "Missing Authorization header ('Token <token>')"
        )
    raise Refused(ProtocolKind.UNAUTHENTICATED, "Unknown token")


def remember(party: Row, token: str, kind: str) -> Row:
    """Keep the authenticated caller on `g` for the views, answers, logs and metrics."""
    here = g._get_current_object()  # one look-up through the proxy, not four (every push)
    here.party, here.party_key, here.token, here.token_kind = party, party.id, token, kind
    return party
