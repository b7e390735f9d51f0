"""CORS for public documents: any web page may read the open data and the map's JSON (SPEC §8).

A view opts in with @shared, and a blueprint that has such views registers answer() once
(share()), so every answer of a shared view carries the headers: 200, 304, 400, 404, an
error page, and the preflight OPTIONS Flask answers by itself. Nothing else is shared: the
OCPI interface (/api/), /healthz and the HTML pages carry no CORS header, so a foreign page
can never read them with a visitor's browser.
"""

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, Response, current_app, request

ORIGIN = "*"  # public data: no credentials, no cookies, any origin
METHODS = "GET, HEAD, OPTIONS"
HEADERS = "If-None-Match, If-Modified-Since"  # what a poller sends beyond the safelisted ones
EXPOSED = "ETag, Last-Modified, Link"  # ETag and Link are not readable otherwise
MAX_AGE = "86400"  # a day of cached preflights
MARK = "sgv_cors_shared"

View = TypeVar("View", bound=Callable)


def shared(view: View) -> View:
    """Mark a view whose answers any origin may read."""
    setattr(view, MARK, True)
    return view


def share(bp: Blueprint) -> None:
    """Answer CORS on every view of `bp` marked @shared."""
    bp.after_request(answer)


def answer(response: Response) -> Response:
    """Add the CORS headers when the request went to a shared view."""
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, MARK, False):
        return response
    response.headers["Access-Control-Allow-Origin"] = ORIGIN
    response.headers["Access-Control-Expose-Headers"] = EXPOSED
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = METHODS
        response.headers["Access-Control-Allow-Headers"] = HEADERS
        response.headers["Access-Control-Max-Age"] = MAX_AGE
    return response
