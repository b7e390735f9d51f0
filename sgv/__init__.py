"""SGV: Spain's national access point for public EV charging data."""

from collections.abc import Callable
from typing import Any

from flask import Flask

from sgv.config import (
    ENVIRONMENTS,
    Defaults,
    cache_config,
    engine_options,
    outbound_allowance,
    replica_binds,
    sqlalchemy_url,
)
from sgv.core.proxy import TrustedProxyFix, trusted_networks
from sgv.extensions import cache, db, migrate


class SgvFlask(Flask):
    """Flask, asking once per function whether it is a coroutine function.

    Flask asks for every hook, view and handler of every request (a dozen for an OCPI
    push, through inspect); the answer never changes for a function.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._callables: dict[Callable, Callable] = {}

    def ensure_sync(self, func: Callable) -> Callable:
        try:
            return self._callables[func]
        except KeyError:
            made = self._callables[func] = super().ensure_sync(func)
            return made


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the SGV application."""
    app = SgvFlask(__name__, template_folder="../templates", static_folder="../static")
    app.config.from_object(Defaults)
    if test_config is None:
        app.config.from_prefixed_env("SGV")
    else:
        app.config.update(test_config)
    _derive_settings(app)

    db.init_app(app)
    cache.init_app(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))

    from sgv import errors, health, maps, models, opendata  # noqa: F401  (models: register the tables)
    from sgv.cli import sgv_cli
    from sgv.core import headers, limits, logs, metrics_http, replica
    from sgv.ocpi import api as ocpi_api
    from sgv.operators import views as operators

    logs.init_app(app)
    metrics_http.init_app(app)
    public = (opendata.bp, maps.bp, operators.bp)
    limits.init_app(app, public=public)
    replica.init_app(app, public=public)
    headers.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(opendata.bp)
    app.register_blueprint(maps.bp)
    app.register_blueprint(operators.bp)
    ocpi_api.init_app(app)
    errors.register(app)
    app.cli.add_command(sgv_cli)
    networks = trusted_networks(app.config["TRUSTED_PROXIES"])
    if networks:
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, networks)  # type: ignore[method-assign]
    return app


def _derive_settings(app: Flask) -> None:
    """Turn the SGV_* settings into what Flask and its extensions read."""
    config = app.config
    if config["ENVIRONMENT"] not in ENVIRONMENTS:
        raise ValueError(
            f"SGV_ENVIRONMENT must be one of {', '.join(ENVIRONMENTS)}, "
            f"not {config['ENVIRONMENT']!r}"
        )
    config.setdefault("SQLALCHEMY_DATABASE_URI", sqlalchemy_url(config["DATABASE_URL"]))
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", engine_options(int(config["THREADS"])))
    config.setdefault("SQLALCHEMY_BINDS", replica_binds(config["REPLICA_URL"]))
    config["REPLICA_MAX_WAIT"] = float(config["REPLICA_MAX_WAIT"])
    for key, value in cache_config(config["CACHE_URL"]).items():
        config.setdefault(key, value)
    config["MAX_CONTENT_LENGTH"] = config["MAX_BODY"]
    config["OUTBOUND_ALLOW_PRIVATE"] = outbound_allowance(config["OUTBOUND_ALLOW_PRIVATE"])
