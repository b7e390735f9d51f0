"""The OCPI response envelope, and the one table of what SGV answers when it refuses."""

import enum
from datetime import datetime
from typing import Any

from flask import Response, jsonify

from sgv.core import times
from sgv.core.refusals import Kind
from sgv.core.times import utc_text

# OCPI status codes used by SGV (SPEC §3 answers table).
SUCCESS = 1000
CLIENT_ERROR = 2000
INVALID_PARAMETERS = 2001
UNKNOWN_LOCATION = 2003
SERVER_ERROR = 3000
UNABLE_TO_USE_CLIENT_API = 3001
UNSUPPORTED_VERSION = 3002
NO_MATCHING_ENDPOINTS = 3003


class ProtocolKind(enum.Enum):
    """A refusal only the protocol layer makes: the body, the token, the URL, the platform."""

    NOT_JSON = "body is not JSON"
    TOO_LARGE = "body bigger than SGV_MAX_BODY"
    UNAUTHENTICATED = "no token, unknown or expired token, TOKEN_A outside its modules"
    NOT_YOUR_PARTY = "write under another party's country_code/party_id"
    TOO_MANY_REQUESTS = "too many requests"
    DATABASE_UNAVAILABLE = "database unavailable"
    UNEXPECTED = "anything unexpected"
    NO_ROUTE = "a URL that matches no route"
    WRONG_METHOD = "a method the route does not offer"


# SPEC §3, "Answers", row by row: what SGV answers for each refusal, in every version.
REFUSALS: dict[Kind | ProtocolKind, tuple[int, int]] = {
    ProtocolKind.NOT_JSON: (400, INVALID_PARAMETERS),
    ProtocolKind.TOO_LARGE: (413, INVALID_PARAMETERS),
    Kind.INVALID: (400, INVALID_PARAMETERS),
    ProtocolKind.UNAUTHENTICATED: (401, CLIENT_ERROR),
    ProtocolKind.NOT_YOUR_PARTY: (403, CLIENT_ERROR),
    Kind.UNKNOWN_LOCATION: (404, UNKNOWN_LOCATION),
    Kind.UNKNOWN_TARIFF: (404, CLIENT_ERROR),
    Kind.NOTHING_TO_DELETE: (405, CLIENT_ERROR),  # as the real SGV
    Kind.CPO_UNREACHABLE: (400, UNABLE_TO_USE_CLIENT_API),
    Kind.NO_COMMON_VERSION: (400, UNSUPPORTED_VERSION),
    Kind.MISSING_ENDPOINTS: (400, NO_MATCHING_ENDPOINTS),
    Kind.NOT_CREATED: (405, CLIENT_ERROR),
    Kind.ALREADY_REGISTERED: (405, CLIENT_ERROR),
    Kind.NOT_REGISTERED: (405, CLIENT_ERROR),
    ProtocolKind.TOO_MANY_REQUESTS: (429, CLIENT_ERROR),
    ProtocolKind.DATABASE_UNAVAILABLE: (503, SERVER_ERROR),
    ProtocolKind.UNEXPECTED: (500, SERVER_ERROR),
    # Not rows of SPEC's table: Werkzeug's routing answers, in the envelope (STYLE §4).
    ProtocolKind.NO_ROUTE: (404, CLIENT_ERROR),
    ProtocolKind.WRONG_METHOD: (405, CLIENT_ERROR),
}

# Werkzeug's own errors under /api/, raised before or around our views.
HTTP_ERRORS = {
    400: ProtocolKind.NOT_JSON,
    404: ProtocolKind.NO_ROUTE,
    405: ProtocolKind.WRONG_METHOD,
    413: ProtocolKind.TOO_LARGE,
    429: ProtocolKind.TOO_MANY_REQUESTS,
    500: ProtocolKind.UNEXPECTED,
    503: ProtocolKind.DATABASE_UNAVAILABLE,
}


def http_error_code(http_status: int) -> int:
    """Return the OCPI status_code for a Werkzeug HTTP error: 3000 for a server error."""
    kind = HTTP_ERRORS.get(http_status)
    if kind is not None:
        return REFUSALS[kind][1]
    return SERVER_ERROR if http_status >= 500 else CLIENT_ERROR


def ocpi_timestamp(moment: datetime | None = None) -> str:
    """Format a moment as OCPI wants it (core/times.py): now when none is given."""
    # Now to the second, as written: utc_text's cache then serves a second's answers.
    return utc_text(moment or times.now().replace(microsecond=0))


def ocpi_response(
    data: Any = None,
    *,
    http_status: int = 200,
    status_code: int = SUCCESS,
    message: str | None = None,
) -> Response:
    """Wrap data in the OCPI envelope; `data` is left out when there is none."""
    body: dict[str, Any] = {}
    if data is not None:
        body["data"] = data
    body["status_code"] = status_code
    if message:
        body["status_message"] = message
    body["timestamp"] = ocpi_timestamp()
    response = jsonify(body)
    response.status_code = http_status
    return response
