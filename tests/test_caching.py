"""Public caches follow the data versions: a revocation is never served from a cache."""

import json

import pytest

from sgv.core import caching, dataversion
from sgv.extensions import db
from sgv.models import Party
from tests.public_helpers import add_installation, live_cpo, push_status


@pytest.fixture
def app(app_on_each_cache):
    """Every test here runs with the in-process cache and with a real Redis."""
    return app_on_each_cache


def live_ids(client) -> list[str]:
    live, ids = client.get("/map/live.json").json, client.get("/map/ids.json").json
    assert live["key"] == ids["key"]
    return [ids["id"][n] for n in live["site"]]


def test_throttled_value_follows_static_changes_at_once(app):
    calls = []

    def build():
        calls.append(1)
        return len(calls)

    assert caching.throttled("t", build, every=60, timeout=60) == 1
    dataversion.bump(dataversion.DYNAMIC)
    assert caching.throttled("t", build, every=60, timeout=60) == 1  # a push: throttled
    dataversion.bump(dataversion.STATIC)
    assert caching.throttled("t", build, every=60, timeout=60) == 2  # visibility: at once


def test_throttled_value_follows_pushes_after_the_refresh_interval(app):
    calls = []
    build = lambda: calls.append(1) or len(calls)  # noqa: E731
    caching.throttled("t", build, every=0, timeout=60)
    dataversion.bump(dataversion.DYNAMIC)
    assert caching.throttled("t", build, every=0, timeout=60) == 2


def test_revoked_cpo_leaves_the_cached_map_at_once(app, client):
    app.config["LIVE_REFRESH"] = 60
    add_installation()
    token = live_cpo(client)
    assert live_ids(client) == ["INST1"]
    push_status(client, token, "CHARGING", "2025-06-01T00:00:00Z")
    result = app.test_cli_runner().invoke(
        args=["sgv", "cpo", "revoke", "ES", "ABC", "--reason", "test", "--json"]
    )
    assert json.loads(result.output)["state"] == "revoked"
    assert live_ids(client) == []
    detail = client.get("/map/installations/INST1.json").json
    assert "€" not in json.dumps(detail) and all(
        cp.get("status") is None for cp in detail["charge_points"]
    )
    assert db.session.scalar(db.select(Party.state)) == "revoked"
