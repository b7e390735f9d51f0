"""The OCPI credentials handshake with a CPO, both ways (SPEC §3, credentials).

TOKEN_A (from `cpo add`/`cpo reset`) lets a CPO register once; registration calls the
CPO back with its TOKEN_B, and issues TOKEN_C, the only token that opens the modules.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app

from sgv.core.refusals import Kind, Refused
from sgv.extensions import db
from sgv.models import Party
from sgv.ocpi import client
from sgv.ocpi.tokens import digest, new_token
from sgv.ocpi.versions import public_url
from sgv.parties.lifecycle import audit, locked, transition


@dataclass
class Issued:
    """A token we just issued, with the party it belongs to."""

    party: Party
    token: str


def issue_token_a(party: Party, *, actor: str) -> str:
    """Give the CPO a new one-time TOKEN_A for a (re-)integration."""
    token = new_token()
    party.token_a_digest = digest(token)
    audit(party, "token_a", actor=actor, from_state=party.state, to_state=party.state)
    return token


def our_credentials(version: str, token: str) -> dict:
    """Return the platform's credentials object in `version`: role NSP, country ES."""
    config = current_app.config
    business = {
        "name": "SGV – Sistema de Gestión y Visualización de puntos de recarga",
        "website": config["PUBLIC_URL"],
    }
    identity = {"country_code": config["COUNTRY_CODE"], "party_id": config["PARTY_ID"]}
    url = public_url("api", "versions")
    if version == "2.1.1":
        return {"token": token, "url": url, "business_details": business, **identity}
    return {
        "token": token,
        "url": url,
        "roles": [{"role": "NSP", "business_details": business, **identity}],
    }


def own_cpo_role(party: Party, credentials: dict) -> None:
    """Refuse credentials that do not name this CPO among their CPO roles (SPEC §3)."""
    for role in credentials.get("roles", []):
        if (
            role.get("role") == "CPO"
            and role.get("country_code", "").upper() == party.country_code
            and role.get("party_id", "").upper() == party.party_id
        ):
            return
    named = ", ".join(
        f"{r.get('country_code')}*{r.get('party_id')}" for r in credentials.get("roles", [])
    )
    raise Refused(
        Kind.NOT_CREATED,
        f"Party {named or '(none)'} is not created on the platform for this token: "
        f"the token was issued to {party.country_code}*{party.party_id} (role CPO)",
    )


def negotiate(credentials: dict, version: str) -> client.Negotiation:
    """Call the CPO back with its TOKEN_B; a CPO failure refuses the credentials.

    `version` is the version of the credentials endpoint the CPO called: OCPI registers
    the CPO for that one (3002 when its versions list lacks it).
    """
    try:
        return client.negotiate(
            credentials["url"],
            credentials["token"],
            version=version,
            timeout=current_app.config["HTTP_TIMEOUT"],
            allow_private=current_app.config["OUTBOUND_ALLOW_PRIVATE"],
        )
    except client.CpoError as error:
        raise Refused(error.kind, str(error)) from error


def store_connection(party: Party, credentials: dict, deal: client.Negotiation) -> str:
    """Keep what we learnt about the CPO and issue it a new TOKEN_C; return the token."""
    token_c = new_token()
    party.token_b = credentials["token"]
    party.token_b_encoding = deal.encoding
    party.versions_url = credentials["url"]
    party.version = deal.version
    party.endpoints = deal.endpoints
    party.roles = credentials.get("roles", [])
    party.token_c_digest = digest(token_c)
    party.token_c_pending_digest = None  # a CPO's own PUT ends any renewal of ours
    party.token_c_expires_at = datetime.now(UTC) + timedelta(days=current_app.config["TOKEN_DAYS"])
    return token_c


def register(party: Party, token_a: str, credentials: dict, version: str) -> Issued:
    """Complete a CPO's POST on `version`: call it back, store its endpoints, issue TOKEN_C."""
    own_cpo_role(party, credentials)
    deal = negotiate(credentials, version)  # outbound HTTP before any lock or write
    party = locked(party)
    if party.token_a_digest != digest(token_a):
        raise Refused(Kind.ALREADY_REGISTERED, "Already registered: use PUT to update credentials")
    token_c = store_connection(party, credentials, deal)
    party.token_a_digest = None
    party.registered_at = datetime.now(UTC)
    if party.state == "created":
        transition(party, "register", actor="cpo", version=deal.version)
    else:
        audit(
            party,
            "reintegrate",
            actor="cpo",
            from_state=party.state,
            to_state=party.state,
            version=deal.version,
        )
    return Issued(party, token_c)


def update(party: Party, credentials: dict, version: str) -> Issued:
    """Complete a CPO's PUT on `version`: the same checks, a new TOKEN_C; switches version."""
    own_cpo_role(party, credentials)
    deal = negotiate(credentials, version)
    party = locked(party)
    token_c = store_connection(party, credentials, deal)
    audit(
        party,
        "credentials_update",
        actor="cpo",
        from_state=party.state,
        to_state=party.state,
        version=deal.version,
    )
    return Issued(party, token_c)


def unregister(party: Party, *, actor: str) -> None:
    """Forget the CPO's connection; its live data behaves as deregistered (SPEC §3, §4)."""
    party = locked(party)
    party.token_b = party.token_b_encoding = party.token_c_digest = None
    party.token_c_pending_digest = None
    party.token_c_expires_at = None
    party.endpoints = {}
    if party.state != "deregistered":
        transition(party, "deregister", actor=actor, reason="credentials DELETE")


def renew(party: Party, *, actor: str) -> Issued:
    """Renew our side: PUT new credentials to the CPO; the new TOKEN_C works from the start.

    OCPI's credentials update lets the CPO call our versions endpoint with the new token
    before it answers the PUT, so that token is accepted (pending) during the exchange,
    beside the current one: committed before the call, so any worker sees it. The old
    token is retired when the CPO accepts; the pending one dropped when it refuses, which
    changes nothing else. Commits (no transaction stays open across the outbound call).
    """
    url = client.endpoint_url(party.endpoints or {}, "credentials")
    if not party.token_b or not url:
        raise Refused(Kind.NOT_REGISTERED, "Not registered: nothing to renew")
    token_c = new_token()
    party = locked(party)
    party.token_c_pending_digest = digest(token_c)
    version, token_b = party.version, party.token_b
    encoding = party.token_b_encoding or "base64"
    db.session.commit()
    try:
        theirs = client.put_credentials(
            url,
            token_b,
            our_credentials(version, token_c),
            version=version,
            encoding=encoding,
            timeout=current_app.config["HTTP_TIMEOUT"],
            allow_private=current_app.config["OUTBOUND_ALLOW_PRIVATE"],
        )
    except client.CpoError as error:
        party = locked(party)
        party.token_c_pending_digest = None
        db.session.commit()
        raise Refused(error.kind, str(error)) from error
    party = locked(party)
    party.token_c_digest = digest(token_c)
    party.token_c_pending_digest = None
    party.token_c_expires_at = datetime.now(UTC) + timedelta(days=current_app.config["TOKEN_DAYS"])
    if isinstance(theirs, dict) and theirs.get("token"):
        party.token_b = theirs["token"]
        party.versions_url = theirs.get("url", party.versions_url)
    audit(party, "renew", actor=actor, from_state=party.state, to_state=party.state)
    return Issued(party, token_c)
