"""The credentials module: a CPO registers, updates and unregisters (SPEC §3)."""

from flask import g

from sgv.core.refusals import Kind, Refused
from sgv.extensions import db
from sgv.ocpi import VERSION_RULE
from sgv.ocpi.auth import authenticate
from sgv.ocpi.blueprint import bp
from sgv.ocpi.envelope import ocpi_response
from sgv.ocpi.payload import json_body, load
from sgv.ocpi.registration import our_credentials, register, unregister, update
from sgv.ocpi.schemas import load_credentials

URL = VERSION_RULE + "/credentials"


def registered_party():
    """Authenticate a CPO that must already be registered (TOKEN_C), else answer 405."""
    party = authenticate(allow_token_a=True)
    if g.token_kind != "C":
        raise Refused(Kind.NOT_REGISTERED, "Not registered: POST your credentials first")
    return party


@bp.get(URL)
def get_credentials():
    """Return the platform's credentials, with the token the caller presented."""
    authenticate(allow_token_a=True)
    return ocpi_response(our_credentials(g.ocpi_version, g.token))


@bp.post(URL)
def post_credentials():
    """Register a CPO holding a TOKEN_A: call it back, then hand over TOKEN_C."""
    party = authenticate(allow_token_a=True)
    if g.token_kind != "A":
        raise Refused(Kind.ALREADY_REGISTERED, "Already registered: use PUT to update credentials")
    credentials = load(load_credentials, json_body())
    issued = register(party, g.token, credentials.data, g.ocpi_version)
    db.session.commit()
    return ocpi_response(our_credentials(g.ocpi_version, issued.token))


@bp.put(URL)
def put_credentials():
    """Update a registered CPO's credentials: call it back again, issue a new TOKEN_C."""
    party = registered_party()
    credentials = load(load_credentials, json_body())
    issued = update(party, credentials.data, g.ocpi_version)
    db.session.commit()
    return ocpi_response(our_credentials(g.ocpi_version, issued.token))


@bp.delete(URL)
def delete_credentials():
    """Unregister the CPO: its tokens stop working and its live data is hidden."""
    party = registered_party()
    unregister(party, actor="cpo")
    db.session.commit()
    return ocpi_response()
