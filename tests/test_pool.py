"""The database pool lends no connection the server has closed, and asks nothing to know.

SGV's pool (sgv/pool.py) looks at an idle connection's socket at checkout instead of
sending a query: PostgreSQL's goodbye (a restart, a terminated backend) makes it
readable, and the pool connects a fresh one in its place.
"""

import time

import psycopg
import sqlalchemy as sa

from sgv.config import engine_options, sqlalchemy_url
from sgv.extensions import db
from tests.ocpi_helpers import example, headers, make_party

URL = "/api/2.2.1/locations/BE/BEC/LOC1"


def terminate(database_url: str, pids: set[int]) -> None:
    """End these backends as an operator or a restart would, and let their goodbye land."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        for pid in pids:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
    time.sleep(0.3)


def test_a_connection_whose_backend_ended_is_replaced_at_checkout(committed_database):
    engine = sa.create_engine(sqlalchemy_url(committed_database), **engine_options(2))
    try:
        with engine.connect() as conn:
            ended = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        terminate(committed_database, {ended})
        with engine.connect() as conn:  # the same pooled connection, unless replaced
            now = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        assert now != ended
    finally:
        engine.dispose()


def test_an_idle_connection_is_lent_without_a_query(committed_database, monkeypatch):
    engine = sa.create_engine(sqlalchemy_url(committed_database), **engine_options(2))
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        sent = []
        execute = psycopg.Cursor.execute
        monkeypatch.setattr(
            psycopg.Cursor, "execute", lambda cursor, query, *a, **k: sent.append(query)
        )
        raw = engine.raw_connection()  # checkout, then back to the pool
        raw.close()
        monkeypatch.setattr(psycopg.Cursor, "execute", execute)
        assert sent == []
    finally:
        engine.dispose()


def test_pushes_and_reads_go_on_when_every_pooled_backend_ended(committed_app, committed_database):
    client = committed_app.test_client()
    _, token = make_party("BE", "BEC")
    location = example("2.2.1", "location_example")
    assert client.put(URL, json=location, headers=headers(token)).status_code == 201
    pushed = {"status": "CHARGING", "last_updated": "2026-01-01T10:00:00Z"}
    assert client.patch(URL + "/3256", json=pushed, headers=headers(token)).status_code == 200
    assert client.get("/opendata/installations.json").status_code == 200
    db.session.remove()
    with psycopg.connect(committed_database, autocommit=True) as conn:
        pids = {
            pid
            for (pid,) in conn.execute(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        }
    assert pids  # the app's pooled connections
    terminate(committed_database, pids)
    later = {"status": "BLOCKED", "last_updated": "2026-01-01T11:00:00Z"}
    assert client.patch(URL + "/3256", json=later, headers=headers(token)).status_code == 200
    assert client.get(URL, headers=headers(token)).json["data"]["evses"][0]["status"] == "BLOCKED"
    assert client.get("/opendata/installations.json").status_code == 200
