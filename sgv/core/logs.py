"""The app's log lines: readable text (scripts/run) or one JSON object a line (production).

SGV_LOG_FORMAT=json gives every line of the `sgv` loggers as JSON (python-json-logger),
with, inside a request, the OCPI message ids the CPO sent (X-Request-ID,
X-Correlation-ID: OCPI 2.2 §4.1), the method, the URL rule and the CPO, so an operator
finds a CPO's complaint ("request 4f1c… was refused") in one search. Text keeps Flask's
default handler. gunicorn's own lines (its error and access logs) keep gunicorn's format.
"""

import logging
import sys

from flask import Flask, g, has_request_context, request

FORMATS = ("text", "json")
FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"


class RequestFields(logging.Filter):
    """Add the request's OCPI message ids, method, route and CPO to each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = request.headers.get("X-Request-ID")
            record.correlation_id = request.headers.get("X-Correlation-ID")
            record.method = request.method
            record.route = request.url_rule.rule if request.url_rule is not None else None
            party = g.get("party")
            record.cpo = f"{party.country_code}*{party.party_id}" if party is not None else None
        return True


class SgvJsonHandler(logging.StreamHandler):
    """The JSON handler on stderr, recognisable so that a second app does not add another."""


def init_app(app: Flask) -> None:
    """Install the log format that SGV_LOG_FORMAT names."""
    chosen = str(app.config.get("LOG_FORMAT") or "text").strip().lower()
    if chosen not in FORMATS:
        raise ValueError(f"SGV_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {chosen!r}")
    if chosen == "text":
        return
    from pythonjsonlogger.json import JsonFormatter  # only production pays for the import

    logger = logging.getLogger("sgv")  # app.logger, and every sgv.* module's logger
    if not any(isinstance(h, SgvJsonHandler) for h in logger.handlers):
        handler = SgvJsonHandler(sys.stderr)
        handler.setFormatter(
            JsonFormatter(FIELDS, rename_fields={"asctime": "time", "levelname": "level"})
        )
        handler.addFilter(RequestFields())
        logger.addHandler(handler)  # Flask then adds no default handler of its own
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
