"""The status PATCH in one statement (sgv/ocpi/status.py): one round trip, the same answers.

The caller's token is checked in the very statement that applies the push, so whatever
the general path refuses stays refused — a revoked or renewed token at once, on every
worker — nothing of a refused push is stored, and an applied one still bumps the data
version and lands in the status history.
"""

import threading
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import text

from sgv.core import dataversion
from sgv.extensions import db
from sgv.ocpi import status
from sgv.ocpi.tokens import digest, new_token
from tests.ocpi_helpers import example, headers, make_party, send
from tests.servers import gunicorn

URL = "/api/2.2.1/locations/BE/BEC/LOC1"
EVSE = URL + "/3256"
NEWER = {"status": "CHARGING", "last_updated": "2026-01-01T10:00:00Z"}
STORED = "SELECT status, last_updated FROM evses WHERE uid = '3256'"
HISTORY = "SELECT status FROM status_history ORDER BY changed_at"


@pytest.fixture
def cpo(app, client):
    """BE*BEC with the official example location LOC1 (EVSE 3256, AVAILABLE)."""
    party, token = make_party("BE", "BEC")
    body = example("2.2.1", "location_example")
    assert client.put(URL, json=body, headers=headers(token)).status_code == 201
    return party, token


def stored() -> tuple:
    return tuple(db.session.execute(text(STORED)).one())


def renew(party) -> str:
    """Give the CPO a new TOKEN_C, as a completed renewal does; return it."""
    token = new_token()
    party.token_c_digest = digest(token)
    db.session.commit()
    return token


def expire(party) -> None:
    party.token_c_expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()


def give_token_a(party) -> str:
    token = new_token()
    party.token_a_digest = digest(token)
    db.session.commit()
    return token


def deregister(party, client, token: str) -> None:
    assert client.delete("/api/2.2.1/credentials", headers=headers(token)).status_code == 200


# (case, what happens first → the token to PATCH with, body, HTTP, OCPI code, message)
REFUSED = [
    ("unknown token", lambda p, c, t: "not-a-token", NEWER, 401, 2000, "Unknown token"),
    ("renewed: the old token", lambda p, c, t: renew(p) and t, NEWER, 401, 2000, "Unknown"),
    ("credentials DELETE", lambda p, c, t: deregister(p, c, t) or t, NEWER, 401, 2000, "Unknown"),
    ("expired TOKEN_C", lambda p, c, t: expire(p) or t, NEWER, 401, 2000, "Token expired"),
    ("TOKEN_A", lambda p, c, t: give_token_a(p), NEWER, 401, 2000, "TOKEN_A only opens"),
    ("another CPO's URL", lambda p, c, t: make_party("ES", "OTH")[1], NEWER, 403, 2000, "BE/BEC"),
    (
        "bad body, unknown token: 401 first",
        lambda p, c, t: "not-a-token",
        {"status": "BROKEN", "last_updated": "2026-01-01T10:00:00Z"},
        401,
        2000,
        "Unknown token",
    ),
    (
        "bad status",
        lambda p, c, t: t,
        {"status": "BROKEN", "last_updated": "2026-01-01T10:00:00Z"},
        400,
        2001,
        "status: must be one of",
    ),
    ("no last_updated", lambda p, c, t: t, {"status": "CHARGING"}, 400, 2001, "last_updated"),
    (
        "uid of another EVSE",
        lambda p, c, t: t,
        {**NEWER, "uid": "9999"},
        400,
        2001,
        "uid",
    ),
]


@pytest.mark.parametrize(
    ("before", "body", "http", "code", "message"),
    [case[1:] for case in REFUSED],
    ids=[case[0] for case in REFUSED],
)
def test_a_refused_status_patch_changes_nothing_and_says_why(
    cpo, client, before, body, http, code, message
):
    party, token = cpo
    token = before(party, client, token)
    was, version = stored(), dataversion.current()
    response = client.patch(EVSE, json=body, headers=headers(token))
    assert (response.status_code, response.json["status_code"]) == (http, code)
    assert message in response.json["status_message"]
    assert stored() == was
    assert dataversion.current()["dynamic"] == version["dynamic"]


def test_unknown_evse_is_refused_and_recorded_for_the_cpo(cpo, client):
    _, token = cpo
    response = client.patch(URL + "/NOPE", json=NEWER, headers=headers(token))
    assert (response.status_code, response.json["status_code"]) == (404, 2003)
    assert "Unknown EVSE 'NOPE'" in response.json["status_message"]
    rejected = db.session.execute(text("SELECT endpoint, status_code FROM rejections")).all()
    assert [tuple(row) for row in rejected] == [(URL + "/NOPE", 2003)]


@pytest.mark.parametrize("form", ["base64", "raw"])
def test_the_new_token_and_the_pending_one_push_at_once(cpo, client, form):
    party, token = cpo
    token = renew(party)  # the old one is refused above; the new one works at once
    version = dataversion.current()["dynamic"]
    response = client.patch(EVSE, json=NEWER, headers=headers(token, form))
    assert response.status_code == 200, response.json
    assert stored()[0] == "CHARGING"
    assert dataversion.current()["dynamic"] == version + 1  # bumped once
    pending = new_token()  # the TOKEN_C our renewal PUT is handing over
    party.token_c_pending_digest = digest(pending)
    db.session.commit()
    later = {"status": "BLOCKED", "last_updated": "2026-01-01T11:00:00Z"}
    assert client.patch(EVSE, json=later, headers=headers(pending, form)).status_code == 200
    assert stored()[0] == "BLOCKED"
    history = [row[0] for row in db.session.execute(text(HISTORY))]
    assert history[-2:] == ["CHARGING", "BLOCKED"]  # the trigger still records each change


def test_a_status_patch_is_one_round_trip(committed_app, committed_database, monkeypatch):
    client = committed_app.test_client()
    _, token = make_party("BE", "BEC")
    assert client.put(URL, json=example("2.2.1", "location_example"), headers=headers(token))
    db.session.remove()  # the requests below check out this one connection of the pool
    # The first push on a connection makes the procedure there (sgv/ocpi/status.py).
    assert client.patch(EVSE, json=NEWER, headers=headers(token)).status_code == 200
    sent: list[str] = []
    execute = psycopg.Cursor.execute

    def counted(cursor, query, *args, **kwargs):
        sent.append(query if isinstance(query, str) else repr(query))
        return execute(cursor, query, *args, **kwargs)

    reader = psycopg.connect(committed_database, autocommit=True)  # not the pool's
    before = reader.execute(VERSION).fetchone()[0]
    monkeypatch.setattr(psycopg.Cursor, "execute", counted)
    later = {"status": "BLOCKED", "last_updated": "2026-01-01T11:00:00Z"}
    response = client.patch(EVSE, json=later, headers=headers(token))
    monkeypatch.undo()
    assert response.status_code == 200, response.json
    # One call: the token check, the update, its commit and the data-version bump. No
    # token query of its own, no BEGIN or COMMIT, no query to check the pooled connection.
    assert len(sent) == 1, sent
    assert sent[0].startswith(f"CALL {status.PROCEDURE}(")
    with reader:
        assert reader.execute(STORED).fetchone()[0] == "BLOCKED"
        assert reader.execute(VERSION).fetchone()[0] == before + 1


def test_a_connection_that_lost_its_procedure_makes_it_again(committed_app, committed_database):
    # A pooler's DISCARD TEMP (or DISCARD ALL) empties a connection's temporary schema,
    # where the procedure lives: the next push on it still lands, and is not doubled.
    client = committed_app.test_client()
    _, token = make_party("BE", "BEC")
    assert client.put(URL, json=example("2.2.1", "location_example"), headers=headers(token))
    db.session.remove()  # from here on the pool's connections are the pushes' alone
    assert client.patch(EVSE, json=NEWER, headers=headers(token)).status_code == 200
    idle = [db.engine.raw_connection() for _ in range(db.engine.pool.checkedin())]
    count = "SELECT count(*) FROM pg_proc WHERE pronamespace = pg_my_temp_schema()"
    made = 0
    for pooled in idle:
        with pooled.driver_connection.cursor() as cursor:
            made += cursor.execute(count).fetchone()[0]
            cursor.execute("DISCARD TEMP")
            assert cursor.execute(count).fetchone()[0] == 0
        pooled.commit()
    assert made == 1  # the first push's connection
    for pooled in idle:
        pooled.close()
    with psycopg.connect(committed_database, autocommit=True) as reader:
        before = reader.execute(VERSION).fetchone()[0]
        statuses = ["BLOCKED", "AVAILABLE"] * len(idle)  # every idle connection has a turn
        for hour, status_now in enumerate(statuses, start=11):
            later = {"status": status_now, "last_updated": f"2026-01-01T{hour}:00:00Z"}
            response = client.patch(EVSE, json=later, headers=headers(token))
            assert response.status_code == 200, response.json
            assert reader.execute(STORED).fetchone()[0] == status_now
        assert reader.execute(VERSION).fetchone()[0] == before + len(statuses)
        history = [row[0] for row in reader.execute(HISTORY)]
    assert history[-len(statuses) - 1 :] == ["CHARGING", *statuses]


# A deferred trigger sleeps just before the PATCH's statement commits: for that long the
# update is invisible to everyone else, so a bump made before the commit would show.
SLOW_COMMIT = """
CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql
AS $$ BEGIN PERFORM pg_sleep(0.4); RETURN NULL; END $$;
CREATE CONSTRAINT TRIGGER slow_commit AFTER UPDATE ON evses
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit();
"""
VERSION = "SELECT last_value + is_called::int FROM dynamic_data_version"


def test_a_reader_that_sees_the_bumped_version_sees_the_pushed_status(
    committed_app, committed_database
):
    # The bump shares the statement's connection, after the statement has committed: a
    # public reader that reads the new version, then the data, never caches the old
    # status under the new number (sgv/core/dataversion.py).
    client = committed_app.test_client()
    _, token = make_party("BE", "BEC")
    assert client.put(URL, json=example("2.2.1", "location_example"), headers=headers(token))
    db.session.remove()
    answers = []

    def send_patch() -> None:
        answers.append(client.patch(EVSE, json=NEWER, headers=headers(token)))

    with psycopg.connect(committed_database, autocommit=True) as reader:
        reader.execute(SLOW_COMMIT)
        try:
            version = reader.execute(VERSION).fetchone()[0]
            push = threading.Thread(target=send_patch)
            push.start()
            seen = []  # (version, then the status read after it)
            while push.is_alive() or not seen or seen[-1][0] == version:
                now = reader.execute(VERSION).fetchone()[0]
                seen.append((now, reader.execute(STORED).fetchone()[0]))
                assert len(seen) < 10_000, "the push never bumped the version"
            push.join()
        finally:
            reader.execute("DROP TRIGGER slow_commit ON evses; DROP FUNCTION slow_commit()")
    assert answers[0].status_code == 200, answers[0].json
    assert {status for number, status in seen if number > version} == {"CHARGING"}
    assert (version, "AVAILABLE") in seen  # the reader did look while the commit was slow
    assert seen[-1][0] == version + 1


def test_a_renewed_or_revoked_token_is_refused_at_once_by_every_worker(
    committed_app, committed_database
):
    party, token = make_party("BE", "BEC")
    with gunicorn(committed_database, workers=2) as base_url:
        assert send(base_url, "PUT", URL, token, example("2.2.1", "location_example"))[0] == 201
        minutes = iter(range(60))

        def patch_from_fresh_connections(with_token: str) -> set[int]:
            # A connection each: the kernel spreads them over both workers' sockets.
            return {
                send(base_url, "PATCH", EVSE, with_token, {**NEWER, "last_updated": moment})[0]
                for moment in (f"2026-01-01T10:{next(minutes):02}:00Z" for _ in range(8))
            }

        assert patch_from_fresh_connections(token) == {200}
        with psycopg.connect(committed_database, autocommit=True) as conn:
            renewed = new_token()  # what `cpo renew` commits when the CPO accepts
            conn.execute(
                "UPDATE parties SET token_c_digest = %s WHERE id = %s", (digest(renewed), party.id)
            )
            before = conn.execute(STORED).fetchone()
            assert patch_from_fresh_connections(token) == {401}
            assert conn.execute(STORED).fetchone() == before
            assert patch_from_fresh_connections(renewed) == {200}
            assert send(base_url, "DELETE", "/api/2.2.1/credentials", renewed)[0] == 200
            before = conn.execute(STORED).fetchone()
            assert patch_from_fresh_connections(renewed) == {401}
            assert conn.execute(STORED).fetchone() == before
