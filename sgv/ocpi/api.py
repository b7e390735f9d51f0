"""Every OCPI endpoint on the one blueprint, for the app factory to register."""

from flask import Flask

from sgv.ocpi import credentials, receiver, versions  # noqa: F401  (their routes are on bp)
from sgv.ocpi.blueprint import NormaliseOcpiPaths, bp


def init_app(app: Flask) -> None:
    """Register the OCPI views and the path normaliser."""
    app.register_blueprint(bp)
    app.wsgi_app = NormaliseOcpiPaths(app.wsgi_app)
