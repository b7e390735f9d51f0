"""Who is calling: the Authorization token resolved to a CPO (SPEC §3, Authentication)."""

import hmac
from datetime import UTC, datetime

from flask import g, request

from sgv.extensions import db
from sgv.models import Party
from sgv.ocpi.envelope import CLIENT_ERROR, OcpiError
from sgv.tokens import candidates, digest


def authenticate(*, allow_token_a: bool) -> Party:
    """Return the CPO whose TOKEN_A or TOKEN_C the request carries, or answer 401.

    Sets g.party (and its key g.party_key), g.token (as presented, decoded) and
    g.token_kind ("A" or "C").
    """
    for token in candidates(request.headers.get("Authorization")):
        hashed = digest(token)
        party = db.session.scalar(
            db.select(Party).where(
                (Party.token_c_digest == hashed) | (Party.token_a_digest == hashed)
            )
        )
        if party is None:
            continue
        if hmac.compare_digest(party.token_c_digest or "", hashed):
            expiry = party.token_c_expires_at
            if expiry is not None and expiry <= datetime.now(UTC):
                raise OcpiError(401, CLIENT_ERROR, "Token expired: renew the credentials")
            kind = "C"
        elif hmac.compare_digest(party.token_a_digest or "", hashed):
            if not allow_token_a:
                raise OcpiError(
                    401, CLIENT_ERROR, "TOKEN_A only opens the versions and credentials modules"
                )
            kind = "A"
        else:
            continue
        g.party, g.party_key, g.token, g.token_kind = party, party.id, token, kind
        return party
    if not request.headers.get("Authorization"):
        raise OcpiError(401, CLIENT_ERROR, "Missing Authorization header ('Token <token>')")
    raise OcpiError(401, CLIENT_ERROR, "Unknown token")
