"""The OCPI protocol, versions 2.2.1, 2.2 (served by the 2.2.1 code) and 2.1.1.

Paths follow the real SGV (SPEC §3): /api/versions, /api/<version> for its details,
/api/<version>/<module>/… for the modules.
"""

import re
from collections.abc import Callable, Iterable

from flask import Blueprint, Flask, g

VERSIONS = ("2.2.1", "2.2", "2.1.1")  # highest first: the order of our preference
# The modules SGV receives in every version, and requires a CPO to offer (Sender side):
# the seed guide requires the CPO interface of both Locations and Tariffs (SPEC §3).
MODULES = ("credentials", "locations", "tariffs")
# The URL part that names a version SGV serves, e.g. /api/2.2.1/…
VERSION_RULE = "/<any(" + ",".join(f"'{v}'" for v in VERSIONS) + "):version>"

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


def init_app(app: Flask) -> None:
    """Register the OCPI views and the path normaliser."""
    from sgv.ocpi import credentials, receiver, versions  # noqa: F401  (routes on bp)

    app.register_blueprint(bp)
    app.wsgi_app = NormaliseOcpiPaths(app.wsgi_app)
