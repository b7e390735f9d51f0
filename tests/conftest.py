"""Test fixtures: real PostGIS databases, thrown away at the end of the run (STYLE §8).

Every database is a copy of the run's template, migrated once (`migrated_template`);
a module whose tests all start from one world builds it once (`module_world`), and
`sgv demo load` runs once a run (`demo_template`).

`app` rolls every test back; `committed_app` commits for real (for gunicorn, Chromium,
racing connections, rejections recorded in their own transaction) and truncates after.
`redis_url` is a real redis-server of the run's own, emptied for each test; `replica` a
real streaming replica of the test server (pg_basebackup -R), one per run, started only
when a test asks for it.
"""

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import psycopg
import pytest
import redis
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from sgv import create_app
from sgv.config import cache_config
from sgv.core import dataversion
from sgv.extensions import db
from tests import routing_cache
from tests.pg_cluster import Replica, streaming_replica
from tests.servers import RELAXED_LIMITS, redis_server

# scripts/test exports the admin URL of the project's cluster; tests create databases there.
ADMIN_URL = os.environ.get("SGV_TEST_DATABASE_URL", "postgresql://sgv@127.0.0.1:54320/postgres")
RUN_ID = f"{os.getpid()}_{secrets.token_hex(3)}"
routing_cache.install()  # every test builds an app: its URL rules compile once a run


def database_url(name: str) -> str:
    """Return the URL of database `name` on the test server."""
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def admin_execute(sql: str) -> None:
    """Run one statement on the test server's maintenance database, outside a transaction."""
    try:
        with psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)
    except psycopg.OperationalError as exc:
        pytest.exit(
            f"cannot reach the test PostgreSQL at {ADMIN_URL} ({exc}); run scripts/test",
            returncode=2,
        )


def app_settings(url: str, **overrides) -> dict:
    """Settings for an app under test: no environment read, a real in-process cache."""
    return {
        "TESTING": True,
        "DATABASE_URL": url,
        "CACHE_TYPE": "SimpleCache",
        "PUBLIC_URL": "http://sgv.test",
        "HTTP_TIMEOUT": 5.0,  # generous on a loaded machine; timeout tests set their own
        "OUTBOUND_ALLOW_PRIVATE": True,  # every test CPO is on 127.0.0.1; SSRF tests say no
        **RELAXED_LIMITS,
        **overrides,
    }


def _create_database(name: str, template: str | None = None) -> None:
    copy = f' TEMPLATE "{template}"' if template else ""
    admin_execute(f'CREATE DATABASE "{name}"{copy}')
    # Test data needs no durability; this keeps thousands of commits fast. (A copy does not
    # take its template's settings, so each database is told.)
    admin_execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')


_TEMPLATE: list[str] = []  # the run's migrated template, once made


def migrated_template() -> str:
    """Return the run's template: a database migrated to the current schema, made once.

    CREATE DATABASE … TEMPLATE copies it, PostGIS, sequences and all, in a fraction of the
    time the migrations take; nothing connects to it after it is made (a copy needs that).
    """
    if not _TEMPLATE:
        name = f"sgv_test_{RUN_ID}_template"
        _create_database(name)
        _TEMPLATE.append(name)  # dropped at the end of the run (pytest_sessionfinish)
        app = create_app(app_settings(database_url(name)))
        with app.app_context():
            upgrade(directory=os.path.join(app.root_path, "..", "migrations"))
            db.engine.dispose()
        dataversion.close()
    return _TEMPLATE[0]


def pytest_sessionfinish(session) -> None:
    while _TEMPLATE:
        admin_execute(f'DROP DATABASE IF EXISTS "{_TEMPLATE.pop()}" WITH (FORCE)')


_DEMO: list[tuple[str, object]] = []  # the run's demo-loaded template and its load's result


def demo_template() -> tuple[str, object]:
    """Return (template, result): a database where `sgv demo load --json` ran, made once a
    run, and the CliRunner result of that load (tests/test_demo.py checks it, and the state
    it left; tests/test_opendata_contract.py serves a copy)."""
    if not _DEMO:
        name = f"sgv_test_{RUN_ID}_demo_template"
        _create_database(name, migrated_template())
        _TEMPLATE.append(name)  # dropped with the other templates
        app = create_app(app_settings(database_url(name)))
        with app.app_context():
            result = app.test_cli_runner().invoke(args=["sgv", "demo", "load", "--json"])
            db.session.remove()
            db.engine.dispose()
        dataversion.close()
        # The load's own in-thread SGV has its own pool: nothing may stay connected to a
        # template when it is copied.
        admin_execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            f" WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        )
        _DEMO.append((name, result))
    return _DEMO[0]


@contextmanager
def throwaway_database(
    label: str, migrated: bool = True, template: str | None = None
) -> Iterator[str]:
    """Create a database for this run, migrated to the current schema (or a copy of
    `template`, or, not migrated, empty); drop it afterwards."""
    name = f"sgv_test_{RUN_ID}_{label}"
    _create_database(name, template or (migrated_template() if migrated else None))
    try:
        yield database_url(name)
    finally:
        dataversion.close()
        admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def seeded_database(label: str, seed: Callable[[], object]) -> Iterator[tuple[str, object]]:
    """A migrated database of its own with `seed()`'s world committed; yield (URL, result)."""
    with throwaway_database(label) as url:
        app = create_app(app_settings(url))
        with app.app_context():
            result = seed()
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
        yield url, result


def module_world(name: str, seed: Callable[[], object]) -> tuple:
    """Fixtures for a module whose tests asking for fixture `name` start from one world.

    `seed()` builds the world through the real paths, in an app context, once for the
    module and in a database of its own; each test asking for `name` gets `app` rolled back
    on top of it (and `seed()`'s result), the module's other tests the run's empty database.
    So no test sees another's writes, nor another module's. Assign the three at module level:

        demo_world, rolled_back_database, demo = module_world("demo", load_demo)
    """

    @pytest.fixture(scope="module", name=f"{name}_world")
    def world_database(request) -> Iterator[tuple[str, object]]:
        with seeded_database(request.module.__name__.rsplit(".", 1)[-1], seed) as world:
            yield world

    @pytest.fixture(name="rolled_back_database")
    def on_the_world(request, rolled_back_database: str) -> str:
        if name in request.fixturenames:
            return request.getfixturevalue(f"{name}_world")[0]
        return rolled_back_database

    @pytest.fixture(name=name)
    def world(request, app: Flask) -> object:
        return request.getfixturevalue(f"{name}_world")[1]

    return world_database, on_the_world, world


@pytest.fixture(scope="session")
def rolled_back_database() -> Iterator[str]:
    with throwaway_database("rb") as url:
        yield url


@pytest.fixture(scope="session")
def committed_database() -> Iterator[str]:
    with throwaway_database("commit") as url:
        yield url


@pytest.fixture
def empty_database() -> Iterator[str]:
    """A database with nothing in it, not even PostGIS: for migration tests."""
    with throwaway_database(f"empty_{secrets.token_hex(2)}", migrated=False) as url:
        yield url


@contextmanager
def rolled_back(app: Flask) -> Iterator[None]:
    """Run everything on one connection inside an outer transaction that is rolled back.

    The session joins that transaction with savepoints, so code under test may commit
    (flask-sqlalchemy-lite "test_isolation"); nothing reaches the database for good.
    """
    engines = db.engines
    engine = engines[None]
    connection = engine.connect()
    outer = connection.begin()
    engines[None] = connection
    session_options = db.session.session_factory.kw
    saved_options = dict(session_options)
    db.session.remove()
    session_options["join_transaction_mode"] = "create_savepoint"
    try:
        yield
    finally:
        db.session.remove()
        session_options.clear()
        session_options.update(saved_options)
        engines[None] = engine
        outer.rollback()
        connection.close()
        engine.dispose()


@pytest.fixture
def app(rolled_back_database: str) -> Iterator[Flask]:
    """An app whose every write is rolled back at the end of the test."""
    app = create_app(app_settings(rolled_back_database))
    with app.app_context(), rolled_back(app):
        yield app


@pytest.fixture(params=["in-process", "redis"])
def app_on_each_cache(request, rolled_back_database: str) -> Iterator[Flask]:
    """`app`, once with the in-process cache and once with the run's own Redis (emptied)."""
    cache = {}
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        cache = {"CACHE_URL": url, **cache_config(url)}
    app = create_app(app_settings(rolled_back_database, **cache))
    with app.app_context(), rolled_back(app):
        yield app


def truncate_all() -> None:
    """Empty every table of ours (not PostGIS's), restarting id sequences."""
    tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")


@pytest.fixture
def committed_app(committed_database: str) -> Iterator[Flask]:
    """An app whose writes are committed for real, visible to other processes; emptied after."""
    app = create_app(app_settings(committed_database))
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            truncate_all()
            db.engine.dispose()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture(scope="session")
def _redis_server() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
def redis_url(_redis_server: str) -> str:
    """The URL of the run's own redis-server (tests/servers.py), emptied for this test."""
    redis.Redis.from_url(_redis_server).flushdb()
    return _redis_server


@pytest.fixture(scope="session")
def replica() -> Iterator[Replica]:
    """A streaming replica of the test server, replaying without delay at each test's start."""
    with streaming_replica(ADMIN_URL) as server:
        yield server


@pytest.fixture
def caught_up_replica(replica: Replica) -> Iterator[Replica]:
    """The replica, replaying at once and caught up with the primary; the same after the test."""
    replica.apply_delay(0)
    replica.catch_up(ADMIN_URL)
    yield replica
    replica.apply_delay(0)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Headless Chromium (tests/browser.py), launched once a run: each test or module opens
    contexts of its own, which share nothing (cookies, storage, cache)."""
    from tests.browser import chromium  # tests.browser imports this module

    with chromium() as launched:
        yield launched
