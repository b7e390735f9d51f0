"""Per-request metrics: requests by route and status, OCPI pushes by CPO (sgv/core/metrics.py).

Two hooks on the app, installed only when SGV_METRICS_PORT is set: with metrics off a
request pays nothing. The route is the URL rule that matched (`unmatched` for 404s of
unknown paths), so a client cannot grow the label set by inventing URLs.
"""

import time

from flask import Flask, Response, g, request

from sgv.core import metrics


def init_app(app: Flask) -> None:
    """Turn metrics on if SGV_METRICS_PORT is set, and count every request."""
    metrics.enable(app.config.get("METRICS_PORT"))
    if metrics.enabled():
        app.before_request(_start)
        app.after_request(_count)


def _start() -> None:
    g.metrics_start = time.perf_counter()


def _count(response: Response) -> Response:
    rule = request.url_rule.rule if request.url_rule is not None else "unmatched"
    started = g.get("metrics_start")
    elapsed = time.perf_counter() - started if started is not None else 0.0
    metrics.request_done(rule, request.method, response.status_code, elapsed)
    party = g.get("party")  # set by OCPI authentication: an admitted CPO
    if party is not None and request.method in metrics.WRITES and rule.startswith("/api/"):
        module = rule.split("/")[3] if rule.count("/") >= 3 else "other"
        metrics.push_done(party.country_code, party.party_id, module, response.status_code)
    return response
