"""Error answers by audience: OCPI envelope under /api/, JSON under /opendata/ and /map/,
HTML elsewhere.

Handlers are registered on the app, not on blueprints, because blueprint handlers never
see URLs that matched no route (Flask docs, "Handling Application Errors").
"""

import uuid

import psycopg
from flask import Flask, Response, current_app, g, jsonify, make_response, render_template, request
from jinja2 import TemplateNotFound
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from sgv.core import limits
from sgv.core.headers import ocpi
from sgv.core.refusals import Refused
from sgv.extensions import db
from sgv.models import Rejection
from sgv.ocpi import envelope
from sgv.ocpi.payload import shown

OBJECT_IDS = ("location_id", "evse_uid", "connector_id", "tariff_id")
# SQLSTATEs of a database that is going away or not back yet: class 08 (connection
# exception), admin_shutdown, crash_shutdown, cannot_connect_now. None: no answer at all.
OUTAGE_STATES = ("08", "57P01", "57P02", "57P03")
RETRY_AFTER = 5  # seconds: a PostgreSQL restart or failover takes a few


def audience() -> str:
    """Say who is asking, from the path: 'ocpi', 'opendata' (JSON, the map's too) or 'html'."""
    if ocpi():
        return "ocpi"
    path = request.path
    if path.startswith("/opendata/") and path != "/opendata/":
        return "opendata"
    if path.startswith("/map/"):  # the map's JSON documents
        return "opendata"
    return "html"


def http_error(error: HTTPException) -> Response | tuple:
    """Answer an HTTP error in the form the asker reads."""
    code = error.code or 500
    kind = audience()
    if code == 429:
        error = limits.with_retry_after(error)
    retry_after = [(name, value) for name, value in error.get_headers() if name == "Retry-After"]
    if kind == "ocpi":
        status_code = envelope.http_error_code(code)
        record_rejection(code, status_code, error.description)
        response = envelope.ocpi_response(
            http_status=code, status_code=status_code, message=error.description
        )
        response.headers.extend(retry_after)
        return response
    if kind == "opendata":
        response = jsonify(code=code, name=error.name, description=error.description)
        response.status_code = code
        response.headers.extend(  # e.g. a 405's Allow (RFC 9110 §15.5.6)
            (name, value) for name, value in error.get_headers() if name != "Content-Type"
        )
        return response
    try:
        body = render_template(f"errors/{code}.html", error=error)
    except TemplateNotFound:
        body = render_template("errors/error.html", error=error)
    headers = [(name, value) for name, value in error.get_headers() if name != "Content-Type"]
    return body, code, headers


def record_rejection(http_status: int, status_code: int, reason: str) -> None:
    """Undo the refused request's changes, then keep its reason for the CPO's report.

    The rollback comes first, so the rejection is committed in a transaction of its own
    and nothing of the refused request survives (SPEC §3).
    """
    party_key = g.get("party_key")
    if party_key is None:
        return
    current_app.logger.info("OCPI %s %s refused: %s", request.method, shown(request.path), reason)
    db.session.rollback()
    ids = [str(request.view_args[k]) for k in OBJECT_IDS if k in (request.view_args or {})]
    try:
        db.session.add(
            Rejection(
                party_fk=party_key,
                method=request.method,
                # What the CPO sent may hold what PostgreSQL refuses (NUL): escaped.
                endpoint=shown(request.path)[:512],
                object_id=shown("/".join(ids))[:160] or None,
                http_status=http_status,
                status_code=status_code,
                reason=shown(reason)[:2000],
            )
        )
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("Could not record a rejection for party %s", party_key)


def refused(error: Refused) -> Response | tuple:
    """Answer a refused OCPI request as SPEC §3's table says, recording it for the CPO."""
    if audience() != "ocpi":
        return unexpected_error(error)  # no service refuses outside the OCPI views
    http_status, status_code = envelope.REFUSALS[error.kind]
    record_rejection(http_status, status_code, error.message)
    return envelope.ocpi_response(
        http_status=http_status, status_code=status_code, message=error.message
    )


def unexpected_error(error: Exception) -> Response | tuple:
    """Log an unexpected failure under an id and answer 500 without a stack trace."""
    incident = uuid.uuid4().hex[:12]
    db.session.rollback()
    current_app.logger.exception(
        "Unexpected error %s on %s %s", incident, request.method, request.path
    )
    description = f"Something went wrong on our side (incident {incident})."
    return http_error(InternalServerError(description=description))


def database_outage(error: Exception) -> bool:
    """Tell whether an error means the database is unreachable, not that a query failed."""
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig
    if not isinstance(error, psycopg.OperationalError):
        return False
    return error.sqlstate is None or error.sqlstate.startswith(OUTAGE_STATES)


def database_unavailable(error: Exception) -> Response | tuple:
    """Answer 503 with Retry-After while the database is away (SPEC §3: 503, OCPI 3000)."""
    if not database_outage(error):
        return unexpected_error(error)
    try:
        db.session.rollback()
    except SQLAlchemyError:
        pass  # the connection is gone; the session is discarded at the end of the request
    current_app.logger.warning(
        "Database unavailable on %s %s: %s", request.method, request.path, error
    )
    message = "The database is unavailable; try again in a few seconds."
    if audience() == "ocpi":  # no rejection recorded: there is nowhere to record it
        response = envelope.ocpi_response(
            http_status=503, status_code=envelope.http_error_code(503), message=message
        )
    elif audience() == "opendata" or request.path.startswith("/map/"):
        response = jsonify(code=503, name="Service Unavailable", description=message)
        response.status_code = 503
    else:
        response = make_response(http_error(ServiceUnavailable(description=message)))
    response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def echo_message_ids(response: Response) -> Response:
    """Echo or create X-Request-ID and X-Correlation-ID on every OCPI answer (OCPI 2.2 §4.1)."""
    if audience() == "ocpi":
        sent, answered = request.headers, response.headers  # every OCPI answer: looked up once
        for header in ("X-Request-ID", "X-Correlation-ID"):
            answered[header] = sent.get(header) or str(uuid.uuid4())
    return response


def register(app: Flask) -> None:
    """Install the error handlers and the OCPI message-id echo."""
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(Refused, refused)
    app.register_error_handler(Exception, unexpected_error)
    app.register_error_handler(DBAPIError, database_unavailable)
    app.register_error_handler(psycopg.OperationalError, database_unavailable)
    app.after_request(echo_message_ids)
