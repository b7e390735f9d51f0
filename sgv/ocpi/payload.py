"""Reading an OCPI request body: JSON, then the version's marshmallow schema."""

import json
from collections.abc import Callable
from typing import Any

from flask import current_app, g, request
from marshmallow import ValidationError

from sgv.core.refusals import Kind, Refused
from sgv.ocpi.envelope import ProtocolKind
from sgv.ocpi.schemas import LoadResult, describe

BODY = "sgv.json_body"  # the parsed body, kept with the request (g may outlive it in tests)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def json_body() -> Any:
    """Return the parsed JSON body, or answer 400/2001 naming what is wrong with it.

    Bodies over SGV_MAX_BODY never get here: Werkzeug answers 413 while reading. Parsed
    once per request: peek_json() may have read it before the caller was authenticated.
    """
    if BODY not in request.environ:
        raw = request.get_data(cache=True)
        try:
            request.environ[BODY] = json.loads(raw, parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError) as error:
            raise Refused(ProtocolKind.NOT_JSON, f"Body is not valid JSON: {error}") from None
    return request.environ[BODY]


def peek_json() -> Any:
    """Return the parsed JSON body without answering yet: None if it is not JSON.

    A body of unknown or excessive length is not read (None): who is calling is checked
    first, so an unknown caller gets 401 whatever it sends, as on every endpoint.
    """
    length = request.content_length
    if length is None or length > current_app.config["MAX_CONTENT_LENGTH"]:
        return None
    try:
        return json_body()
    except Refused:
        return None


def load(loader: Callable[..., LoadResult], body: Any, **options: Any) -> LoadResult:
    """Validate a body with the request's OCPI version; invalid → 400/2001 naming the field."""
    try:
        return loader(g.ocpi_version, body, **options)
    except ValidationError as error:
        raise Refused(Kind.INVALID, describe(error)) from None
