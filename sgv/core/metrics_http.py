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
    asked, here = request._get_current_object(), g._get_current_object()  # looked up once
    rule = asked.url_rule.rule if asked.url_rule is not None else "unmatched"
    started = here.get("metrics_start")
    elapsed = time.perf_counter() - started if started is not None else 0.0
    method = asked.method
    metrics.request_done(rule, method, response.status_code, elapsed)
    party = here.get("party")  # set by OCPI authentication: an admitted CPO
    if party is not None and method in metrics.WRITES and rule.startswith("/api/"):
        module = rule.split("/")[3] if rule.count("/") >= 3 else "other"
        metrics.push_done(party.country_code, party.party_id, module, response.status_code)
    return response
