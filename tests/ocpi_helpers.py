"""Helpers for OCPI tests: CPOs with tokens, Authorization headers, official examples."""

import base64
import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

from sgv.extensions import db
from sgv.models import Party
from sgv.ocpi.tokens import digest, new_token

# Official OCPI examples, copied verbatim from ../shared/ocpi-examples (CC BY-ND 4.0,
# see its README) so that a clone runs its tests anywhere.
EXAMPLES = Path(__file__).resolve().parent / "fixtures" / "ocpi-examples"


def example(version: str, name: str) -> dict:
    """Return a fresh copy of an official OCPI example object."""
    return copy.deepcopy(json.loads((EXAMPLES / version / f"{name}.json").read_text()))


def make_party(
    country_code: str = "ES",
    party_id: str = "ABC",
    *,
    state: str = "registered",
    expires_in: timedelta = timedelta(days=365),
    version: str = "2.2.1",
) -> tuple[Party, str]:
    """Create a CPO holding a TOKEN_C (registered unless told) and return it with the token."""
    token = new_token()
    party = Party(
        country_code=country_code.upper(),
        party_id=party_id.upper(),
        name=f"CPO {party_id}",
        state=state,
        endpoints={},
        roles=[],
        version=version,
        token_c_digest=digest(token),
        token_c_expires_at=datetime.now(UTC) + expires_in,
    )
    db.session.add(party)
    db.session.commit()
    return party, token


def make_created_party(country_code: str = "ES", party_id: str = "ABC") -> tuple[Party, str]:
    """Create a CPO as `cpo add` leaves it: state created, holding only a TOKEN_A."""
    token = new_token()
    party = Party(
        country_code=country_code,
        party_id=party_id,
        name=f"CPO {party_id}",
        state="created",
        endpoints={},
        roles=[],
        token_a_digest=digest(token),
    )
    db.session.add(party)
    db.session.commit()
    return party, token


def headers(token: str, form: str = "base64", **extra: str) -> dict[str, str]:
    """Return request headers carrying the token in base64 (2.2.x) or raw (2.1.1) form."""
    value = base64.b64encode(token.encode()).decode() if form == "base64" else token
    return {"Authorization": f"Token {value}", **extra}


def send(
    base_url: str, method: str, path: str, token: str, body: object = None
) -> tuple[int, dict]:
    """Make an OCPI request to a real server (gunicorn); return the HTTP status and envelope."""
    data = None if body is None else json.dumps(body).encode()
    request = Request(
        base_url + path,
        method=method,
        data=data,
        headers={**headers(token), "Content-Type": "application/json"},
    )
    try:
        with urlopen(request, timeout=10) as response:
            return response.status, json.load(response)
    except HTTPError as error:
        return error.code, json.load(error)
