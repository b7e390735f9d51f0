"""The OCPI blueprint under /api, and the path normaliser every CPO client needs (SPEC §3)."""

import functools
import re
from collections.abc import Callable, Iterable

from flask import Blueprint, Response, current_app, g, request

bp = Blueprint("ocpi", __name__, url_prefix="/api")

# The functional modules whose answers carry OCPI's routing headers (2.2 and later).
ROUTED_MODULES = ("locations", "tariffs")
# What a request's OCPI-from-* may hold to be echoed: CiString(2) and CiString(3).
COUNTRY = re.compile("[A-Za-z]{2}")
PARTY = re.compile("[A-Za-z0-9]{3}")


@bp.url_value_preprocessor
def pull_version(endpoint: str | None, values: dict | None) -> None:
    """Keep the URL's OCPI version on `g` for views, schemas and answers."""
    if values and "version" in values:
        g.ocpi_version = values.pop("version")


@bp.url_defaults
def add_version(endpoint: str, values: dict) -> None:
    """Build URLs in the version of the current request unless one is given."""
    if "version" not in values and "ocpi_version" in g:
        values["version"] = g.ocpi_version


def routed_module() -> bool:
    """Say whether this request reached a functional module of OCPI 2.2 or later."""
    rule = request.url_rule
    return rule is not None and _routed(g.get("ocpi_version"), rule.rule)


@functools.lru_cache(maxsize=256)  # versions × URL rules: few, known in advance
def _routed(version: str | None, rule: str) -> bool:
    if not version or version.startswith(("2.0", "2.1")):
        return False
    return any(f"/{module}/" in rule + "/" for module in ROUTED_MODULES)


@bp.after_request
def add_routing_headers(response: Response) -> Response:
    """Answer a locations/tariffs request with OCPI-from/to headers (OCPI 2.2.1 §4.1.2).

    A response reverses the request: from is SGV, to is the party that called (its own
    OCPI-from-* headers when it sent both, else the party its token belongs to). Also on
    refusals; "to" is left out only when the caller is unknown (no valid token, no headers).
    """
    if not routed_module():
        return response
    config, asked, answered = current_app.config, request.headers, response.headers
    answered["OCPI-from-country-code"] = config["COUNTRY_CODE"]
    answered["OCPI-from-party-id"] = config["PARTY_ID"]
    country = asked.get("OCPI-from-country-code", "").strip()
    party_id = asked.get("OCPI-from-party-id", "").strip()
    party = g.get("party")
    sent = COUNTRY.fullmatch(country) and PARTY.fullmatch(party_id)
    if not sent and party is not None:
        country, party_id = party.country_code, party.party_id
    elif not sent:
        return response
    answered["OCPI-to-country-code"] = country
    answered["OCPI-to-party-id"] = party_id
    return response


class NormaliseOcpiPaths:
    """Accept OCPI URLs with a trailing slash or doubled slashes (SPEC §3).

    Done before routing, rather than by Werkzeug's redirects, because many CPO clients
    do not follow a redirect on PUT or PATCH.
    """

    def __init__(self, wsgi_app: Callable) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(("/api", "//")):
            path = re.sub("/{2,}", "/", path)
            if path.startswith("/api/") and len(path) > 5:
                path = path.rstrip("/")
            environ["PATH_INFO"] = path
        return self.wsgi_app(environ, start_response)
