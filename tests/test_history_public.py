"""What the public sees of the status history: the page, availability.json, pruning.

The public reads the aggregates the job `sgv history build` stored; the door is applied
at read time.
"""

import gzip
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from sgv.core.joblock import AVAILABILITY, lock_key
from sgv.extensions import db
from sgv.history.aggregate import history
from sgv.models import Party
from sgv.parties.lifecycle import show_unknown
from tests.public_helpers import add_installation, live_cpo, push_status
from tests.test_opendata import errors


def cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["sgv", *args])


def build(app) -> dict:
    """Run the scheduled job, as a timer would."""
    result = cli(app, "history", "build", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def set_history(rows: dict[str, list[tuple[str, timedelta]]]) -> None:
    """Replace the history of EVSEs (by uid) with (status, how long ago) rows."""
    now = datetime.now(UTC)
    db.session.execute(text("DELETE FROM status_history"))
    for uid, changes in rows.items():
        evse = db.session.execute(text("SELECT id FROM evses WHERE uid = :u"), {"u": uid}).scalar()
        db.session.execute(
            text("INSERT INTO status_history (evse_fk, status, changed_at) VALUES (:e, :s, :t)"),
            [{"e": evse, "s": status, "t": now - ago} for status, ago in changes],
        )
    db.session.commit()


@pytest.fixture
def site(app, client):
    """INST1, live: E1 CHARGING and E2 AVAILABLE for the last 20 days; the CPO's token."""
    add_installation()
    token = live_cpo(client)
    set_history(
        {
            "U1": [("CHARGING", timedelta(days=20))],
            "U2": [("AVAILABLE", timedelta(days=20))],
        }
    )
    build(app)
    return token


def test_the_page_shows_the_chart_and_its_table(site, client):
    page = client.get("/installations/INST1?lang=en").get_data(as_text=True)
    assert "When it is usually free" in page
    assert 'class="availability-chart"' in page and 'role="img"' in page
    assert page.count("<rect ") == 7 * 24  # every hour observed, bars of half height
    assert "<td>50%</td>" in page and "not enough history" not in page.lower()
    assert "Simulated history" not in page
    spanish = client.get("/installations/INST1?lang=es").get_data(as_text=True)
    assert "Cuándo suele estar libre" in spanish and "<td>50\u00a0%</td>" in spanish


def test_a_new_site_says_there_is_not_enough_history(app, client):
    add_installation()
    live_cpo(client)
    set_history({"U1": [("AVAILABLE", timedelta(days=2))]})
    build(app)
    page = client.get("/installations/INST1?lang=en").get_data(as_text=True)
    assert "Not enough history yet: 7 days of live statuses are needed." in page
    assert "availability-chart" not in page


def test_availability_json_matches_its_schema(site, client):
    document = client.get("/opendata/availability.json").json
    assert errors(document, "AvailabilityExport") == []
    [entry] = document["installations"]
    assert entry["installation_id"] == "INST1" and document["count"] == 1
    assert set(entry["available_share"]) == {0.5}
    by_ref = {p["evse_ref"]: p for p in entry["charge_points"]}
    assert set(by_ref["ES*ABC*E1"]["available_share"]) == {0.0}
    assert abs(sum(by_ref["ES*ABC*E2"]["observed_hours"]) - 20 * 24) < 1  # 20 days observed
    assert client.get("/opendata/availability.json?x=1").status_code == 400


def test_requests_read_the_stored_build_and_never_compute_it(app, client):
    """Before the job has run, a request shows nothing (it used to build for minutes)."""
    add_installation()
    live_cpo(client)
    set_history(
        {"U1": [("CHARGING", timedelta(days=20))], "U2": [("AVAILABLE", timedelta(days=20))]}
    )
    before = client.get("/opendata/availability.json").json
    assert before["built_at"] is None and before["count"] == 0 and before["installations"] == []
    page = client.get("/installations/INST1?lang=en").get_data(as_text=True)
    assert "Not enough history yet" in page and "availability-chart" not in page
    job = build(app)
    assert job["installations"] == 1
    after = client.get("/opendata/availability.json").json
    assert after["built_at"] == job["built_at"] and after["count"] == 1
    assert after["window_start"] == job["window_start"]
    assert "availability-chart" in client.get("/installations/INST1").get_data(as_text=True)


def test_the_job_exits_0_doing_nothing_while_another_host_builds(app, site, client):
    """Exactly one host builds: the job holds the advisory lock 'sgv.availability'."""
    builds = db.session.execute(text("SELECT count(*) FROM availability_builds")).scalar()
    other_host = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=NullPool)
    with other_host.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": lock_key(AVAILABILITY)})
        result = cli(app, "history", "build", "--json")
        conn.execute(text("SELECT pg_advisory_unlock_all()"))
    other_host.dispose()
    assert result.exit_code == 0, result.output
    assert "another host is running it" in json.loads(result.output)["not_run"]
    assert db.session.execute(text("SELECT count(*) FROM availability_builds")).scalar() == builds


def test_a_revocation_hides_the_whole_history_at_once(app, site, client):
    first = client.get("/opendata/availability.json", headers={"Accept-Encoding": "gzip"})
    assert json.loads(gzip.decompress(first.data))["count"] == 1
    etag = first.headers["ETag"]
    again = client.get(
        "/opendata/availability.json", headers={"If-None-Match": etag, "Accept-Encoding": "gzip"}
    )
    assert again.status_code == 304 and first.headers["Access-Control-Allow-Origin"] == "*"
    assert "availability-chart" in client.get("/installations/INST1").get_data(as_text=True)
    result = cli(app, "cpo", "revoke", "ES", "ABC", "--reason", "stale data")
    assert result.exit_code == 0, result.output
    after = client.get(
        "/opendata/availability.json", headers={"If-None-Match": etag, "Accept-Encoding": "gzip"}
    )
    assert after.status_code == 200  # no build in between: read at read time
    document = json.loads(gzip.decompress(after.data))
    assert document["installations"] == [] and document["count"] == 0
    page = client.get("/installations/INST1?lang=en").get_data(as_text=True)
    assert "availability" not in page  # no chart, no table, not even "not enough history"
    assert history("INST1") is None  # the past too, not only what follows
    assert cli(app, "cpo", "restore", "ES", "ABC").exit_code == 0
    assert client.get("/opendata/availability.json").json["count"] == 1


def test_a_cpo_shown_unknown_for_failed_checks_shows_no_history(app, site, client):
    party = db.session.execute(db.select(Party).filter_by(party_id="ABC")).scalar_one()
    show_unknown(party, datetime.now(UTC))  # what the check does after N failures
    db.session.commit()
    assert client.get("/opendata/availability.json").json["count"] == 0
    page = client.get("/installations/INST1?lang=en").get_data(as_text=True)
    assert "availability-chart" not in page
    # Both EVSEs send a newer status: live again, and so is their history.
    moment = (datetime.now(UTC) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for uid in ("U1", "U2"):
        push_status(client, site, "AVAILABLE", moment, evse=uid)
    assert client.get("/opendata/availability.json").json["count"] == 1


def test_prune_removes_history_older_than_the_setting(app, site):
    set_history(
        {
            "U1": [
                ("CHARGING", timedelta(days=50)),
                ("AVAILABLE", timedelta(days=40)),
                ("CHARGING", timedelta(days=36)),  # in force at the cut-off (35 days): kept
                ("AVAILABLE", timedelta(days=10)),
            ],
            "U2": [("AVAILABLE", timedelta(days=400))],  # the only one, still in force
        }
    )
    result = cli(app, "maintenance", "prune-history", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["deleted"] == 2
    kept = db.session.execute(
        text(
            "SELECT e.uid, h.status FROM status_history h JOIN evses e ON e.id = h.evse_fk"
            " ORDER BY e.uid, h.changed_at"
        )
    ).all()
    assert [tuple(row) for row in kept] == [
        ("U1", "CHARGING"),
        ("U1", "AVAILABLE"),
        ("U2", "AVAILABLE"),
    ]


@pytest.mark.parametrize("days", [7, "many", 0])
def test_prune_refuses_a_bad_setting_and_deletes_nothing(app, site, days):
    app.config["HISTORY_DAYS"] = days
    before = db.session.execute(text("SELECT count(*) FROM status_history")).scalar()
    result = cli(app, "maintenance", "prune-history")
    assert result.exit_code == 2
    assert "SGV_HISTORY_DAYS must" in result.output
    assert db.session.execute(text("SELECT count(*) FROM status_history")).scalar() == before
