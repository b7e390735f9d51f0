"""The OCPI response envelope and the error that produces one."""

from datetime import datetime
from typing import Any

from flask import Response, jsonify

from sgv.core import times
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


class OcpiError(Exception):
    """A request the platform refuses, with its HTTP status and OCPI status code."""

    def __init__(self, http_status: int, status_code: int, message: str) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.status_code = status_code
        self.message = message


def ocpi_timestamp(moment: datetime | None = None) -> str:
    """Format a moment as OCPI wants it (core/times.py): now when none is given."""
    return utc_text(moment or times.now())


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
