"""Quality statistics, coverage of the live-data obligation, the revocation policy, commands."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from sgv import create_app
from sgv.extensions import db
from sgv.models import CheckRun, Evse, Party
from sgv.quality.coverage import coverage
from sgv.quality.report import breaches, quality_summary
from tests.conftest import app_settings
from tests.cpo_server import CpoServer
from tests.ocpi_helpers import make_created_party
from tests.quality_helpers import (
    check,
    connect,
    installation,
    location,
    push_location,
    stored_evse,
)
from tests.servers import free_port


@pytest.fixture
def cpo(app) -> Iterator[CpoServer]:
    app.config["CHECK_RETRY_DELAY"] = 0.01
    with CpoServer() as server:
        yield server


def cli(app, *args: str):
    """Run `flask sgv …` and return the result."""
    return app.test_cli_runner().invoke(args=["sgv", *args])


def test_summary_reports_reachability_rejected_pushes_by_reason_and_stale_statuses(
    app, client, cpo
):
    party, token = connect(cpo)
    pushed = location(1)
    push_location(client, token, pushed)
    cpo.add("locations", pushed)
    bad = location(2)
    bad["evses"][0]["status"] = "BROKEN"
    assert push_location(client, token, bad).status_code == 400
    check(party)
    cpo.fail("locations", http_status=500)
    check(party)
    old = stored_evse("LOC1", "3257")
    old.status_updated_at = datetime.now(UTC) - timedelta(hours=30)
    db.session.commit()

    report = quality_summary(db.session.get(Party, party.id))
    week = report["last_7_days"]
    assert (week["checks"], week["reachable_checks"], week["reachability_pct"]) == (2, 1, 50.0)
    assert week["objects_updated"] >= 3  # the location and its two EVSEs
    assert week["rejected_pushes"] == 1
    assert "evses.0.status" in week["rejected_by_reason"][0]["reason"]
    assert report["stale_status"] == {
        "threshold_hours": 24.0,
        "evses": 2,
        "stale": 1,
        "stale_pct": 50.0,
    }
    assert report["consecutive_failures"] == 1
    assert report["last_check"]["reachable"] is False
    assert report["coverage"] is None  # no RIPREE charge point of 43 kW or more


def test_coverage_tells_which_obliged_charge_points_have_no_live_data(client, cpo):
    fast, slow, _ = installation("SITE1", "CPO", 150, 50, 22)
    (never,) = installation("SITE9", "NOI", 60, operator="Nunca Integrada SL")
    party, token = connect(cpo)
    push_location(client, token, location(1))
    db.session.execute(db.update(Evse).where(Evse.uid == "3256").values(charge_point_id=fast.id))
    db.session.execute(db.text("UPDATE locations SET installation_id = 'SITE1'"))
    db.session.commit()

    by_operator = {o["party_id"]: o for o in coverage()}
    mine = by_operator["CPO"]
    assert (mine["obliged_charge_points"], mine["with_live_data"]) == (2, 1)
    assert [r["evse_ref"] for r in mine["without_live_data_refs"]] == [slow.evse_ref]
    assert (mine["cpo_state"], mine["integrated"]) == ("live", True)
    other = by_operator["NOI"]
    assert other["operator_name"] == "Nunca Integrada SL"
    assert (other["cpo_state"], other["integrated"]) == (None, False)
    assert (other["without_live_data"], other["without_live_data_refs"][0]["evse_ref"]) == (
        1,
        never.evse_ref,
    )

    db.session.get(Party, party.id).state = "revoked"
    db.session.commit()
    assert coverage("ES", "CPO")[0]["with_live_data"] == 0


def test_breaches_list_a_live_cpo_unknown_for_more_than_a_day(app, cpo):
    party, _ = connect(cpo)
    long_ago = datetime.now(UTC) - timedelta(hours=30)
    party.consecutive_failures, party.unknown_since = 5, long_ago
    db.session.add(CheckRun(party_fk=party.id, started_at=long_ago, reachable=False, details={}))
    db.session.commit()
    found = breaches()
    assert [(b["party_id"], [r["rule"] for r in b["breaches"]]) for b in found] == [
        ("CPO", ["unreachable"])
    ]
    result = cli(app, "cpo", "breaches", "--json")
    assert result.exit_code == 0, result.output
    output = json.loads(result.output)
    assert output["breaches"][0]["breaches"][0]["measured"] >= 30
    assert {r["rule"] for r in output["policy"]} >= {"unreachable", "reachability"}


def test_a_healthy_cpo_breaches_nothing(app, cpo):
    party, _ = connect(cpo)
    check(party)
    assert breaches() == []
    assert "No live CPO breaches" in cli(app, "cpo", "breaches").output


def test_check_run_exits_0_whatever_it_found(app, cpo):
    connect(cpo)
    cpo.stop()
    result = cli(app, "check", "run", "--json")
    assert result.exit_code == 0, result.output
    (only,) = json.loads(result.output)["checks"]
    assert (only["party_id"], only["reachable"], only["consecutive_failures"]) == ("CPO", False, 1)
    result = cli(app, "check", "run", "es", "cpo")
    assert result.exit_code == 0
    assert "ES*CPO  FAILED (2 in a row)" in result.output


def test_check_run_fails_when_it_cannot_run(app):
    result = cli(app, "check", "run", "ES", "NON", "--json")
    assert result.exit_code != 0
    assert "no CPO ES*NON" in json.loads(result.output)["error"]
    assert cli(app, "check", "run", "ES").exit_code == 2


def test_check_run_of_a_cpo_without_an_ocpi_connection_says_so(app):
    make_created_party("ES", "NEW")
    result = cli(app, "check", "run", "ES", "NEW", "--json")
    assert result.exit_code != 0
    assert "ES*NEW is created: it has no OCPI connection" in json.loads(result.output)["error"]
    assert db.session.scalar(db.select(db.func.count(CheckRun.id))) == 0  # nothing ran


def test_check_run_fails_in_one_line_when_the_database_is_down():
    down = create_app(app_settings(f"postgresql://sgv@127.0.0.1:{free_port()}/none"))
    result = cli(down, "check", "run")
    assert result.exit_code == 1
    assert result.output.startswith("error: could not run, database unavailable")
    assert len(result.output.strip().splitlines()) == 1


def test_renew_tokens_renews_only_tokens_expiring_soon(app, cpo):
    party, _ = connect(cpo)
    party.token_c_expires_at = datetime.now(UTC) + timedelta(days=10)
    db.session.commit()
    result = cli(app, "check", "renew-tokens", "--json")
    assert result.exit_code == 0, result.output
    output = json.loads(result.output)
    assert [r["party_id"] for r in output["renewed"]] == ["CPO"]
    assert [method for method, _ in cpo.received_credentials] == ["PUT"]
    again = json.loads(cli(app, "check", "renew-tokens", "--json").output)
    assert again == {"renewed": [], "failed": []}


def test_renew_tokens_reports_a_cpo_that_cannot_be_reached(app, cpo):
    party, _ = connect(cpo)
    party.token_c_expires_at = datetime.now(UTC) + timedelta(days=1)
    db.session.commit()
    cpo.stop()
    result = cli(app, "check", "renew-tokens")
    assert result.exit_code == 0
    assert "FAILED ES*CPO" in result.output


def test_coverage_command_lists_operators(app):
    installation("SITE9", "NOI", 60)
    result = cli(app, "check", "coverage")
    assert result.exit_code == 0
    assert "ES*NOI      1 of     1 without live data  (never integrated)" in result.output


def test_check_run_due_skips_cpos_checked_within_the_interval(app, cpo):
    connect(cpo)

    def due_checks() -> list:
        result = cli(app, "check", "run", "--due", "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["checks"]

    assert len(due_checks()) == 1
    assert due_checks() == []
    app.config["CHECK_INTERVAL"] = 30  # less than the minute a timer may fire early
    assert len(due_checks()) == 1
