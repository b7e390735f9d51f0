"""Public reads on a real streaming replica (SGV_REPLICA_URL, SPEC §9).

The replica is a hot standby of the test server (tests/conftest.py `replica`,
pg_basebackup -R). `recovery_min_apply_delay` makes its lag certain: a commit reaches it
2 s after the primary made it. OCPI writes and operator commands in these tests would
fail on a standby (read-only), so every write here also proves they use the primary.
"""

import json
from collections.abc import Iterator

import psycopg
import pytest
from flask import Flask
from sqlalchemy.engine import make_url

from sgv import create_app
from sgv.config import cache_config
from sgv.core import dataversion
from sgv.extensions import db
from tests.conftest import app_settings, truncate_all
from tests.pg_cluster import Replica
from tests.public_helpers import add_installation, live_cpo, push_status
from tests.scale_helpers import SURFACES, client_get, showing_live_data
from tests.servers import free_port

LAG = 2.0  # seconds: recovery_min_apply_delay when the replica must lag


@pytest.fixture
def replica_app(committed_database: str, caught_up_replica: Replica) -> Iterator[Flask]:
    """A committed app whose public reads go to the replica."""
    name = make_url(committed_database).database
    app = create_app(app_settings(committed_database, REPLICA_URL=caught_up_replica.url(name)))
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            truncate_all()
            for engine in db.engines.values():
                engine.dispose()


@pytest.fixture
def live_world(replica_app: Flask, caught_up_replica: Replica, committed_database: str):
    """INST1 with ES*ABC live, pushing; the replica caught up with all of it."""
    client = replica_app.test_client()
    add_installation()
    token = live_cpo(client)
    push_status(client, token, "CHARGING", "2025-06-01T00:00:00Z")
    client.get("/map/sites.json")  # a first public read records the versions' WAL positions
    caught_up_replica.catch_up(committed_database)
    return client, token


def revoke(app: Flask) -> None:
    result = app.test_cli_runner().invoke(
        args=["sgv", "cpo", "revoke", "ES", "ABC", "--reason", "quality", "--json"]
    )
    assert result.exit_code == 0, (result.output, result.exception)
    assert json.loads(result.output)["state"] == "revoked"


def test_public_reads_come_from_the_replica(live_world, replica, committed_database):
    client, _ = live_world
    replica.apply_delay(LAG)
    # A change no data version announces (written behind SGV's back): the primary has it
    # at once, the replica only after the delay. The public door shows the replica's.
    with psycopg.connect(committed_database, autocommit=True) as conn:
        conn.execute("UPDATE installations SET name = 'Renamed' WHERE id = 'INST1'")
    detail = client.get("/map/installations/INST1.json").json
    assert detail["name"] == "Plaza Mayor"
    assert "Renamed" not in client.get("/opendata/installations.csv?operator=ABC").text


def test_a_lagging_replica_never_shows_a_revoked_cpo(live_world, replica_app, replica):
    client, _ = live_world
    get = client_get(client)
    assert showing_live_data(get) == set(SURFACES)  # every surface built and cached
    replica.apply_delay(LAG)
    revoke(replica_app)
    assert showing_live_data(get) == set()  # the replica has not replayed it: the primary
    assert "€" not in client.get("/installations/INST1").text
    replica.catch_up(replica_app.config["DATABASE_URL"], timeout=LAG * 5)
    assert showing_live_data(get) == set()  # and once it has, the replica


def test_data_read_while_the_replica_lags_is_as_new_as_its_version(live_world, replica):
    client, token = live_world
    replica.apply_delay(LAG)
    for n, status in enumerate(("AVAILABLE", "BLOCKED", "OUTOFORDER")):
        push_status(client, token, status, f"2025-06-02T00:0{n}:00Z")
        detail = client.get("/map/installations/INST1.json")
        assert detail.json["charge_points"][0]["status"] == status
        rows = client.get("/opendata/status.json?since=2025-01-01T00:00:00Z").json
        assert {p["evse_ref"]: p["status"] for p in rows["charge_points"]}["ES*ABC*E1"] == status


def test_a_version_is_never_tagged_on_data_older_than_its_bump(live_world, replica):
    """The WAL position recorded with each bump is where the replica must have replayed."""
    client, token = live_world
    replica.apply_delay(LAG)
    push_status(client, token, "BLOCKED", "2025-06-03T00:00:00Z")
    with client.application.test_request_context("/map/live.json"):
        reading = dataversion.on_primary()
    assert dataversion.lsn_number(replica.replayed()) < reading.lsn  # lagging: not served there
    replica.apply_delay(0)
    replica.catch_up(client.application.config["DATABASE_URL"])
    assert dataversion.lsn_number(replica.replayed()) >= reading.lsn


def test_a_replica_that_does_not_answer_leaves_public_reads_on_the_primary(committed_database):
    dead = f"postgresql://sgv@127.0.0.1:{free_port()}/sgv"  # nothing listens there
    app = create_app(app_settings(committed_database, REPLICA_URL=dead))
    with app.app_context():
        try:
            add_installation()
            client = app.test_client()
            assert client.get("/map/installations/INST1.json").json["name"] == "Plaza Mayor"
            assert client.get("/opendata/installations.csv").status_code == 200
        finally:
            db.session.remove()
            truncate_all()
            for engine in db.engines.values():
                engine.dispose()


@pytest.mark.parametrize("url", ["mysql://x@127.0.0.1/sgv", "127.0.0.1:5433"])
def test_a_replica_url_that_is_not_postgresql_is_refused_with_its_name(url):
    with pytest.raises(ValueError, match="SGV_REPLICA_URL"):
        create_app(app_settings("postgresql://sgv@127.0.0.1:1/x", REPLICA_URL=url))


def test_a_bump_on_one_host_tells_the_others_through_redis_how_far_to_wait(
    committed_database, replica, redis_url
):
    """Another host learns the bump's own WAL position from Redis, not a later one."""
    name = make_url(committed_database).database
    shared = {"REPLICA_URL": replica.url(name), "CACHE_URL": redis_url, **cache_config(redis_url)}
    one, other = (create_app(app_settings(committed_database, **shared)) for _ in range(2))
    alone = create_app(app_settings(committed_database, REPLICA_URL=replica.url(name)))
    try:
        with one.app_context():
            dataversion.bump(*dataversion.NAMES)  # static, dynamic and priced
        with psycopg.connect(committed_database, autocommit=True) as conn:
            conn.execute("SELECT pg_logical_emit_message(false, 'sgv-test', 'later WAL')")
            now = dataversion.lsn_number(
                conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()[0]
            )
        with other.test_request_context("/map/live.json"):
            assert dataversion.on_primary().lsn < now  # the bump's position, from Redis
        with alone.test_request_context("/map/live.json"):
            assert dataversion.on_primary().lsn >= now  # no shared cache: the position now
    finally:
        for app in (one, other, alone):
            with app.app_context():
                for engine in db.engines.values():
                    engine.dispose()
