"""The OCPI blueprint under /api, and the path normaliser every CPO client needs (SPEC §3)."""

import re
from collections.abc import Callable, Iterable

from flask import Blueprint, g

bp = Blueprint("ocpi", __name__, url_prefix="/api")


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
