"""Flask extensions, created unbound and initialised in the app factory."""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session
from sqlalchemy import Engine, MetaData
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import PoolProxiedConnection

# Deterministic constraint names, so migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


ROUTE = "sgv_route"  # Session.info: a callable that picks this session's engine (or None)


class RoutingSession(Session):
    """Flask-SQLAlchemy's session, which a public read may send to a replica.

    sgv/core/replica.py puts a chooser in `info[ROUTE]` for the public blueprints' requests;
    every other session (OCPI, commands, the hourly check) uses the primary as before.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):  # type: ignore[no-untyped-def]
        route = self.info.get(ROUTE)
        if bind is None and route is not None and (chosen := route()) is not None:
            return chosen
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
cache = Cache()
migrate = Migrate()


# Keyed on request.remote_addr: behind nginx, ProxyFix makes it the real client's address.
limiter = Limiter(key_func=get_remote_address)  # on the public blueprints (core/limits.py)


def autocommit_session() -> None:
    """Run the session's statements without a transaction around them, if it has none yet.

    For a request whose only write is one statement (atomic by itself): it saves the
    BEGIN and COMMIT round trips. A session bound to a connection already in a
    transaction (the tests' rolled-back one) keeps running inside it.
    """
    if isinstance(db.engine, Engine) and not db.session().in_transaction():
        db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


@contextmanager
def autocommitted() -> Iterator[PoolProxiedConnection]:
    """Lend a primary pooled connection whose every statement commits by itself.

    For one statement that is atomic by itself and needs none of the session's work: no
    BEGIN and COMMIT round trips, no ORM, and no SQLAlchemy Connection around the pool's
    (its isolation-level machinery cost a status PATCH ~30 µs of CPU; the pool's own
    liveness check and reset still apply). Its `driver_connection` is psycopg's, and its
    `info` lives as long as that connection. A primary bound to a connection already in
    a transaction (the tests' rolled-back one) runs it there, in a savepoint.
    """
    bind = db.engines[None]
    if not isinstance(bind, Engine):
        with bind.begin_nested():
            yield bind.connection
        return
    pooled = bind.raw_connection()
    driver = pooled.driver_connection
    try:
        driver.autocommit = True
        yield pooled
    finally:
        try:
            driver.autocommit = False  # as the pool lends it to everyone else
        except psycopg.Error:  # broken, or left in a transaction: not for anyone else
            pooled.invalidate()
        pooled.close()
