"""The bump door: what services touch is bumped once, after the commit, and only then.

Caches are real (SimpleCache, tests/conftest.py): a change that forgets to bump leaves
cached documents and ETags that still show it.
"""

import json
from contextlib import contextmanager

import psycopg
import pytest

from sgv.core import dataversion
from sgv.core.dataversion import DYNAMIC, STATIC
from sgv.extensions import db
from sgv.models import Party
from tests.ocpi_helpers import headers
from tests.public_helpers import add_installation, live_cpo, push_status


@pytest.fixture
def app(app_on_each_cache):
    """Every test here runs with the in-process cache and with a real Redis."""
    return app_on_each_cache


def moved(before: dict[str, int]) -> dict[str, int]:
    """Return how far each data version moved since `before`."""
    now = dataversion.current()
    return {name: now[name] - before[name] for name in now}


# ---- the door itself -----------------------------------------------------------------


def test_touch_then_commit_bumps_each_touched_version_exactly_once(app):
    before = dataversion.current()
    dataversion.touch(STATIC)
    dataversion.touch(STATIC, DYNAMIC)
    assert moved(before) == {"static": 0, "dynamic": 0, "priced": 0}  # nothing committed yet
    db.session.commit()
    assert moved(before) == {"static": 1, "dynamic": 1, "priced": 1}
    db.session.commit()  # the next commit has touched nothing
    assert moved(before) == {"static": 1, "dynamic": 1, "priced": 1}


def test_rolled_back_work_bumps_nothing_now_or_at_the_next_commit(app):
    before = dataversion.current()
    dataversion.touch(STATIC, DYNAMIC)
    db.session.rollback()
    db.session.commit()
    assert moved(before) == {"static": 0, "dynamic": 0, "priced": 0}


def test_work_closed_without_commit_bumps_nothing(app):
    before = dataversion.current()
    dataversion.touch(DYNAMIC)
    db.session.execute(db.select(1))
    db.session.close()  # what Flask's teardown does after an error
    db.session.commit()
    assert moved(before) == {"static": 0, "dynamic": 0, "priced": 0}


def test_released_savepoint_waits_for_the_outer_commit(app):
    before = dataversion.current()
    with db.session.begin_nested():
        dataversion.touch(STATIC)
    assert moved(before)["static"] == 0  # released, but readers cannot see it yet
    db.session.commit()
    assert moved(before)["static"] == 1


def test_savepoint_rolled_back_keeps_what_the_rest_of_the_transaction_touched(app):
    before = dataversion.current()
    dataversion.touch(DYNAMIC)
    savepoint = db.session.begin_nested()
    dataversion.touch(STATIC)
    savepoint.rollback()  # one object refused by the hourly check, say
    db.session.commit()
    assert moved(before)["dynamic"] == 1


def test_a_reader_that_sees_the_new_version_sees_the_committed_data(
    committed_app, committed_database, monkeypatch
):
    seen = []
    bump = dataversion.bump

    def bump_and_look(*sequences):
        with psycopg.connect(committed_database) as other:  # another request's connection
            seen.append(other.execute("SELECT count(*) FROM installations").fetchone()[0])
        bump(*sequences)

    monkeypatch.setattr(dataversion, "bump", bump_and_look)
    add_installation()  # commits without touching anything: no bump
    assert seen == []
    dataversion.touch(STATIC)
    add_installation("INST2")  # commits
    assert seen == [2]  # bumped only once the second installation was visible to others


# ---- the hot path: the one-statement status PATCH runs in autocommit -------------------


def test_status_patch_in_autocommit_bumps_the_dynamic_version_once(committed_app, monkeypatch):
    import sgv.ocpi.status as status

    client = committed_app.test_client()
    add_installation()
    token = live_cpo(client)
    isolation = []
    lend = status.autocommitted

    @contextmanager
    def spy():
        with lend() as conn:
            isolation.append(conn.driver_connection.autocommit)
            yield conn

    monkeypatch.setattr(status, "autocommitted", spy)
    before = dataversion.current()
    db.session.commit()  # the request shares this app context's session: leave it idle
    push_status(client, token, "CHARGING", "2026-01-01T10:00:00Z")
    assert isolation == [True]  # the fast path: no transaction around the statement
    # a status moves no price: the map keeps each EVSE's price (sgv/public/live.py)
    assert moved(before) == {"static": 0, "dynamic": 1, "priced": 0}
    push_status(client, token, "AVAILABLE", "2025-01-01T10:00:00Z")  # older: not applied
    assert moved(before) == {"static": 0, "dynamic": 1, "priced": 0}


def test_refused_push_bumps_nothing(app, client):
    add_installation()
    token = live_cpo(client)
    before = dataversion.current()
    response = client.patch(
        "/api/2.2.1/locations/ES/ABC/INST1/NOPE",
        json={"status": "CHARGING", "last_updated": "2026-01-01T10:00:00Z"},
        headers=headers(token),
    )
    assert response.status_code == 404
    assert moved(before) == {"static": 0, "dynamic": 0, "priced": 0}


# ---- the defect: credentials DELETE hid nothing that was cached ------------------------

CACHED = ("/map/live.json", "/map/installations/INST1.json", "/opendata/installations.json")


@pytest.fixture
def live_site(app, client):
    """INST1 with live data from CPO ABC, pushed, and every public document cached."""
    app.config["LIVE_REFRESH"] = 60  # a status push alone would not rebuild the map's live data
    add_installation()
    token = live_cpo(client)
    push_status(client, token, "CHARGING", "2026-01-01T10:00:00Z")
    tags = {url: client.get(url).headers["ETag"] for url in CACHED}
    assert "€" in client.get("/installations/INST1").get_data(as_text=True)
    return token, tags


def test_credentials_delete_hides_the_cpos_live_data_from_every_cached_document(client, live_site):
    token, tags = live_site
    assert client.get("/map/live.json").json["site"] != []
    response = client.delete("/api/2.2.1/credentials", headers=headers(token))
    assert response.json["status_code"] == 1000

    assert client.get("/map/live.json").json["site"] == []
    detail = client.get("/map/installations/INST1.json").json
    assert detail["live"] is False
    assert all(p["status"] is None and p["prices"] == [] for p in detail["charge_points"])
    html = client.get("/installations/INST1").get_data(as_text=True)
    assert 'id="live-note"' in html and "€" not in html and "Libre" not in html
    [site] = json.loads(client.get("/opendata/installations.json").get_data())["installations"]
    assert "CHARGING" not in str(site) and "0.45" not in str(site)
    for url, tag in tags.items():
        again = client.get(url, headers={"If-None-Match": tag})
        assert again.status_code == 200, url  # never "304: keep showing the live data"


def test_a_cpo_deregistered_by_the_operator_leaves_every_cached_document(app, client, live_site):
    _, tags = live_site
    command = ["sgv", "cpo", "deregister", "ES", "ABC", "--justification", "closing down"]
    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 0, result.output
    assert client.get("/map/live.json").json["site"] == []
    for url, tag in tags.items():
        assert client.get(url, headers={"If-None-Match": tag}).status_code == 200, url


# ---- no cached document mixes versions ------------------------------------------------


def test_status_pushes_leave_sites_json_cached_and_live_json_follows(app, client):
    app.config["LIVE_REFRESH"] = 0
    add_installation()
    token = live_cpo(client)
    sites = client.get("/map/sites.json")
    assert client.get("/map/live.json").json["site"] == [0]
    for evse in ("U1", "U2"):  # the site's every EVSE removed: no live data left
        push_status(client, token, "REMOVED", "2026-01-01T10:00:00Z", evse=evse)
    again = client.get("/map/sites.json", headers={"If-None-Match": sites.headers["ETag"]})
    assert again.status_code == 304  # the markers' document is not rebuilt by pushes
    assert client.get("/map/sites.json").json.get("live", [0]) == [0]  # so it claims nothing
    assert client.get("/map/live.json").json["site"] == []  # the live document knows


def test_unknown_after_failed_checks_shows_at_once_despite_the_refresh_throttle(app, client):
    from sgv.parties.lifecycle import show_unknown
    from sgv.public.view import database_now

    app.config["LIVE_REFRESH"] = 60
    add_installation()
    token = live_cpo(client)
    push_status(client, token, "CHARGING", "2025-06-01T10:00:00Z")
    assert client.get("/map/live.json").json["unknown"] == [0]
    party = db.session.scalars(db.select(Party)).one()
    show_unknown(party, database_now())  # what the hourly check does after N failures
    db.session.commit()
    assert client.get("/map/live.json").json["unknown"] == [2]  # not in a minute: now


def test_admitted_cpos_phone_shows_at_once(app, client):
    add_installation()
    assert client.get("/map/installations/INST1.json").json["operator"]["phone"] is None
    result = app.test_cli_runner().invoke(
        args=["sgv", "cpo", "add", "ES", "ABC", "--name", "ABC", "--phone", "+34 900 000 000"]
    )
    assert result.exit_code == 0, result.output
    assert client.get("/map/installations/INST1.json").json["operator"]["phone"] == (
        "+34 900 000 000"
    )


def test_unpublishing_a_location_hides_it_at_once_despite_the_refresh_throttle(app, client):
    app.config["LIVE_REFRESH"] = 60
    add_installation()
    token = live_cpo(client)
    assert client.get("/map/live.json").json["site"] == [0]
    response = client.patch(
        "/api/2.2.1/locations/ES/ABC/INST1",
        json={"publish": False, "last_updated": "2025-06-02T10:00:00Z"},
        headers=headers(token),
    )
    assert response.status_code == 200, response.json
    # SPEC §4: an unpublished location's live data is gone within a second, not a minute.
    assert client.get("/map/live.json").json["site"] == []
    assert client.get("/map/installations/INST1.json").json["live"] is False
