"""Retention: `sgv maintenance prune` deletes old rows and keeps what the reports read."""

import json
from datetime import UTC, datetime, timedelta

from sgv.core.joblock import PRUNE, exclusive
from sgv.extensions import db
from sgv.models import AuditEntry, CheckRun, Party, Rejection
from sgv.parties.report import report
from sgv.quality.check import streak_start
from sgv.quality.report import quality_summary
from tests.ocpi_helpers import make_party

NOW = datetime.now(UTC)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["sgv", *args])


def runs(party: Party, days: range, reachable: bool | None = True) -> None:
    for day in days:
        db.session.add(
            CheckRun(
                party_fk=party.id,
                started_at=days_ago(day),
                finished_at=days_ago(day),
                reachable=reachable,
                objects_returned=10,
                not_pushed=1,
                details={},
            )
        )


def rejections(party: Party, count: int, age: float, reason: str) -> None:
    for n in range(count):
        db.session.add(
            Rejection(
                party_fk=party.id,
                at=days_ago(age) + timedelta(seconds=n),
                method="PUT",
                endpoint="/api/2.2.1/locations/ES/CPO/LOC1",
                object_id="LOC1",
                http_status=400,
                status_code=2001,
                reason=reason,
            )
        )


def audit(party: Party, action: str, age: float, before: str | None, after: str | None) -> None:
    db.session.add(
        AuditEntry(
            party_id=party.id,
            action=action,
            actor="operator",
            from_state=before,
            to_state=after,
            at=days_ago(age),
            details={},
        )
    )


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def figures(party: Party) -> dict:
    """What `cpo show` reports that retention must not change."""
    summary = quality_summary(party, NOW)
    shown = report(party)
    return {
        "last_7_days": summary["last_7_days"],
        "last_30_days": summary["last_30_days"],
        "last_check": summary["last_check"],
        "latest_rejections": shown["rejections"]["latest"],
        "state_changes": [e for e in shown["history"] if e["from_state"] != e["to_state"]],
    }


def test_prune_deletes_old_rows_and_the_cpo_report_keeps_its_figures(app):
    party, _ = make_party("ES", "CPO", state="live")
    quiet, _ = make_party("ES", "QUI", state="live")
    runs(party, range(0, 120))  # one check a day for 120 days
    rejections(party, 40, 100, "evses.0.status: Must be one of …")
    rejections(party, 12, 5, "coordinates.latitude: out of range")
    rejections(quiet, 15, 200, "id: longer than 39 characters")  # nothing recent
    audit(party, "add", 1000, None, "created")
    audit(party, "approve", 1000, "registered", "live")
    audit(party, "credentials_update", 1000, "live", "live")
    audit(party, "maintenance_add", 800, None, None)
    audit(party, "credentials_update", 10, "live", "live")
    db.session.commit()
    before = figures(party)
    quiet_latest = report(quiet)["rejections"]["latest"]

    dry = cli(app, "maintenance", "prune", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert count(CheckRun) == 120  # nothing deleted
    result = cli(app, "maintenance", "prune", "--json")
    assert result.exit_code == 0, result.output

    tables = json.loads(result.output)["tables"]
    assert json.loads(dry.output)["tables"] == tables
    assert tables == {
        "check_runs": {"days": 90, "deleted": 30},  # days 90 … 119
        "rejections": {"days": 90, "deleted": 40 + 5},  # the quiet CPO keeps its latest 10
        "audit_log": {"days": 730, "deleted": 2},  # routine rows; state changes stay
    }
    oldest = db.session.scalar(db.select(db.func.min(CheckRun.started_at)))
    assert oldest >= days_ago(90)
    assert figures(party) == before
    assert report(quiet)["rejections"]["latest"] == quiet_latest
    assert [
        e.action for e in db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id))
    ] == [
        "add",
        "approve",
        "credentials_update",
    ]


def test_prune_keeps_where_an_old_failure_streak_began(app):
    # A CPO failing for 200 days shows UNKNOWN from its first failure (SPEC §4): the check
    # dates that from the runs, so the prune keeps the last success and the first failure.
    party, _ = make_party("ES", "CPO", state="live")
    runs(party, range(210, 250))
    runs(party, range(0, 201), reachable=False)
    db.session.commit()
    began = streak_start(party)
    assert began == days_ago(200)

    result = cli(app, "maintenance", "prune")

    assert result.exit_code == 0, result.output
    assert "check_runs: deleted" in result.output
    assert streak_start(party) == began
    assert count(CheckRun) == 90 + 2  # the last 90 days (0 … 89), the success and the start


def test_retention_shorter_than_the_report_is_refused_and_deletes_nothing(app):
    party, _ = make_party("ES", "CPO", state="live")
    runs(party, range(0, 60))
    db.session.commit()
    app.config["RETAIN_CHECK_RUNS_DAYS"] = 7

    result = cli(app, "maintenance", "prune")

    assert result.exit_code == 2
    assert "SGV_RETAIN_CHECK_RUNS_DAYS must be 0 (keep for ever) or at least 30 days" in (
        result.output
    )
    assert count(CheckRun) == 60


def test_zero_keeps_for_ever(app):
    party, _ = make_party("ES", "CPO", state="live")
    runs(party, range(0, 400, 10))
    db.session.commit()
    app.config["RETAIN_CHECK_RUNS_DAYS"] = 0

    result = cli(app, "maintenance", "prune", "--json")

    assert json.loads(result.output)["tables"]["check_runs"] == {"days": 0, "deleted": 0}
    assert count(CheckRun) == 40


def test_prune_while_another_host_prunes_does_nothing(app):
    party, _ = make_party("ES", "CPO", state="live")
    runs(party, range(0, 200, 10))
    db.session.commit()

    with exclusive(PRUNE) as mine:
        assert mine
        result = cli(app, "maintenance", "prune", "--json")

    assert result.exit_code == 0
    assert "another host is running it" in json.loads(result.output)["not_run"]
    assert count(CheckRun) == 20
