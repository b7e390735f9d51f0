"""What the public sees of the status history: the page, availability.json, pruning."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from sgv.extensions import db
from sgv.history.aggregate import history
from tests.public_helpers import add_installation, live_cpo
from tests.test_opendata import errors


def cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["sgv", *args])


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
    """INST1, live: E1 CHARGING and E2 AVAILABLE for the last 20 days."""
    add_installation()
    live_cpo(client)
    set_history(
        {
            "U1": [("CHARGING", timedelta(days=20))],
            "U2": [("AVAILABLE", timedelta(days=20))],
        }
    )


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


def test_a_revocation_hides_the_whole_history_at_once(app, site, client):
    assert client.get("/opendata/availability.json").json["count"] == 1  # cached now
    assert "availability-chart" in client.get("/installations/INST1").get_data(as_text=True)
    result = cli(app, "cpo", "revoke", "ES", "ABC", "--reason", "stale data")
    assert result.exit_code == 0, result.output
    document = client.get("/opendata/availability.json").json
    assert document["installations"] == [] and document["count"] == 0
    page = client.get("/installations/INST1?lang=en").get_data(as_text=True)
    assert "availability" not in page  # no chart, no table, not even "not enough history"
    assert history("INST1") is None  # the past too, not only what follows


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
