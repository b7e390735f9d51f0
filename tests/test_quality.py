"""The hourly check against a real CPO HTTP server on 127.0.0.1 (SPEC §4 UNKNOWN, §5)."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from sgv.core.times import utc_text
from sgv.extensions import db
from sgv.models import CheckRun, Evse, Location, MaintenanceWindow, Party
from sgv.quality.report import quality_summary
from tests.cpo_server import CpoServer
from tests.ocpi_helpers import example, headers
from tests.quality_helpers import (
    check,
    connect,
    location,
    push_location,
    push_tariff,
    stamp,
    stored_evse,
    stored_tariff_ids,
    tariff,
)


@pytest.fixture
def cpo(app) -> Iterator[CpoServer]:
    """A CPO server paginating two objects a page; the check retries almost at once."""
    app.config["CHECK_RETRY_DELAY"] = 0.01
    with CpoServer(max_limit=2) as server:
        yield server


def test_first_check_is_a_full_sync_that_pages_through_everything(cpo):
    party, _ = connect(cpo)
    cpo.add("locations", *(location(n) for n in (1, 2, 3)))
    cpo.add("tariffs", tariff(1), tariff(2))
    run = check(party)
    assert (run.reachable, run.full_sync, run.error) == (True, True, None)
    assert (run.objects_returned, run.not_pushed, run.rejected) == (5, 5, 0)
    pages = cpo.requests_to("locations")
    assert [r.query["offset"] for r in pages] == ["0", "2"]
    assert "date_from" not in pages[0].query
    assert db.session.scalar(db.select(db.func.count(Location.id))) == 3
    assert stored_tariff_ids() == ["TAR1", "TAR2"]
    party = db.session.get(Party, party.id)
    assert party.last_check_at == party.last_full_sync_at == run.started_at


def test_a_2_1_1_cpo_is_pulled_with_the_raw_token_and_its_own_schema(app):
    app.config["CHECK_RETRY_DELAY"] = 0.01
    with CpoServer(versions=("2.1.1",), accept="raw") as cpo:
        party, _ = connect(cpo, version="2.1.1", token_b_encoding="raw")
        cpo.add("locations", example("2.1.1", "location_example"))
        cpo.add("tariffs", example("2.1.1", "tariff_1_simple_2hour"))
        run = check(party)
        assert (run.reachable, run.rejected, run.not_pushed) == (True, 0, 2)
        assert "OCPI-from-party-id" not in cpo.requests_to("locations")[0].headers
    assert stored_evse("LOC1", "3256").status == "AVAILABLE"
    assert stored_tariff_ids() == ["12"]
    party = db.session.get(Party, party.id)
    assert quality_summary(party)["tariffs_without_vat"] == ["12"]


def test_objects_pushed_as_served_are_not_counted_even_if_timestamps_are_written_differently(
    client, cpo
):
    party, token = connect(cpo)
    body, fee = location(1), tariff(1)
    assert push_location(client, token, body).status_code == 201
    assert push_tariff(client, token, fee).status_code == 201
    served = location(1, body["last_updated"].replace("Z", ".000+00:00"))
    cpo.add("locations", served)
    cpo.add("tariffs", fee)
    run = check(party)
    assert (run.objects_returned, run.not_pushed) == (2, 0)


def test_a_forgotten_push_is_corrected_by_the_next_check_and_shows_in_the_report(client, cpo):
    party, token = connect(cpo)
    pushed = location(1, stamp(seconds=-120))
    push_location(client, token, pushed)
    cpo.add("locations", pushed)
    assert check(party).not_pushed == 0
    # The CPO changes a status and forgets to push it.
    cpo.objects["locations"][0] = location(1, stamp(), uid3256="CHARGING")
    run = check(party)
    assert (run.full_sync, run.not_pushed) == (False, 1)
    assert run.details["not_pushed"] == {"locations": ["LOC1"]}
    assert stored_evse("LOC1", "3256").status == "CHARGING"
    last_success = db.session.get(Party, party.id).last_check_at
    asked = cpo.requests_to("locations")[-1].query["date_from"]
    assert asked <= utc_text(last_success - timedelta(seconds=900))
    report = quality_summary(db.session.get(Party, party.id))
    assert report["last_7_days"]["not_pushed"] == 1
    assert report["last_check"]["not_pushed"] == 1


def test_an_older_object_served_is_not_applied_nor_counted(client, cpo):
    party, token = connect(cpo)
    push_location(client, token, location(1, stamp(), uid3256="CHARGING"))
    cpo.add("locations", location(1, stamp(seconds=-600)))
    run = check(party)
    assert run.not_pushed == 0
    assert run.details["older_than_stored"] == {"locations": ["LOC1"]}
    assert stored_evse("LOC1", "3256").status == "CHARGING"


def test_a_newer_evse_inside_an_older_location_is_applied(client, cpo):
    party, token = connect(cpo)
    push_location(client, token, location(1, stamp(seconds=-60)))
    served = location(1, stamp(seconds=-600))  # a Sender that does not propagate
    served["evses"][0] |= {"status": "OUTOFORDER", "last_updated": stamp()}
    cpo.add("locations", served)
    run = check(party)
    assert run.not_pushed == 1
    assert stored_evse("LOC1", "3256").status == "OUTOFORDER"


def test_a_bad_object_among_good_ones_is_rejected_and_the_rest_applied(cpo):
    party, _ = connect(cpo)
    bad, foreign = location(2), location(4)
    bad["evses"][0]["status"] = "BROKEN"
    foreign["party_id"] = "XYZ"
    cpo.add("locations", location(1), bad, location(3), foreign)
    run = check(party)
    assert (run.reachable, run.rejected, run.not_pushed) == (True, 2, 2)
    rejected = {r["id"]: r["reason"] for r in run.details["rejected_objects"]}
    assert "evses.0.status" in rejected["LOC2"]
    assert "XYZ" in rejected["LOC4"]
    stored = sorted(db.session.scalars(db.select(Location.location_id)))
    assert stored == ["LOC1", "LOC3"]


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        ({"delay": 1}, "no HTTP answer within 0.5 s"),
        ({"http_status": 500}, "HTTP 500"),
        ({"status_code": 3000}, "OCPI error, OCPI status 3000"),
        ({"http_status": 404, "status_code": 2000}, "HTTP 404"),
    ],
)
def test_timeouts_http_and_ocpi_errors_are_failures_after_one_retry(app, cpo, fault, cause):
    app.config["HTTP_TIMEOUT"] = 0.5
    party, _ = connect(cpo)
    cpo.fail("locations", **fault)
    run = check(party)
    assert run.reachable is False
    assert cause in run.error
    assert len(cpo.requests_to("locations")) == 2  # one retry
    assert cpo.requests_to("tariffs") == []
    assert db.session.get(Party, party.id).consecutive_failures == 1


def test_a_failure_that_heals_on_the_retry_is_a_success(cpo):
    party, _ = connect(cpo)
    cpo.add("tariffs", tariff(1))
    cpo.fail("tariffs", http_status=503, times=1)
    run = check(party)
    assert (run.reachable, run.details["modules"]["tariffs"]["attempts"]) == (True, 2)
    assert stored_tariff_ids() == ["TAR1"]


def test_a_cpo_that_goes_dark_turns_unknown_after_three_failures_and_evses_recover_one_by_one(
    client, cpo
):
    party, token = connect(cpo)
    push_location(client, token, location(1, stamp(seconds=-60)))
    cpo.add("locations", location(1, stamp(seconds=-60)))
    assert check(party).reachable
    cpo.stop()
    failures = [check(party) for _ in range(2)]
    assert db.session.get(Party, party.id).unknown_since is None
    failures.append(check(party))
    party = db.session.get(Party, party.id)
    assert [r.reachable for r in failures] == [False, False, False]
    assert "no HTTP answer within" in failures[0].error
    assert party.consecutive_failures == 3
    assert party.unknown_since == failures[0].started_at
    check(party)  # a fourth failure keeps the streak's start
    assert db.session.get(Party, party.id).unknown_since == failures[0].started_at
    unknown_since = failures[0].started_at
    assert all(e.status_updated_at < unknown_since for e in db.session.scalars(db.select(Evse)))

    # A push of a newer status brings that EVSE back, and only that one.
    change = {"status": "CHARGING", "last_updated": stamp(seconds=1)}
    response = client.patch(
        "/api/2.2.1/locations/ES/CPO/LOC1/3256", json=change, headers=headers(token)
    )
    assert response.status_code == 200, response.json
    db.session.expire_all()
    assert stored_evse("LOC1", "3256").status_updated_at > unknown_since
    assert stored_evse("LOC1", "3257").status_updated_at < unknown_since

    # The CPO comes back; a newer status pulled brings the other EVSE back too.
    served = location(1, stamp(seconds=1), uid3256="CHARGING")
    served["evses"][0]["last_updated"] = change["last_updated"]
    cpo.objects["locations"][0] = served
    cpo.start()
    run = check(party)
    party = db.session.get(Party, party.id)
    assert (run.reachable, run.full_sync, party.consecutive_failures) == (True, True, 0)
    assert party.unknown_since == unknown_since  # kept: EVSEs recover one by one
    assert stored_evse("LOC1", "3257").status_updated_at > unknown_since


def test_a_maintenance_window_suspends_the_check_without_penalty(cpo):
    party, _ = connect(cpo, consecutive_failures=2)
    now = datetime.now(UTC)
    window = MaintenanceWindow(
        party_fk=party.id,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        created_by="test",
    )
    db.session.add(window)
    db.session.commit()
    cpo.stop()
    run = check(party)
    assert (run.skipped, run.reachable) == ("maintenance window", None)
    party = db.session.get(Party, party.id)
    assert (party.consecutive_failures, party.unknown_since) == (2, None)

    db.session.get(MaintenanceWindow, window.id).cancelled_at = now
    db.session.commit()
    assert check(party).skipped is None
    assert db.session.get(Party, party.id).unknown_since is not None


def test_full_sync_deletes_a_silently_removed_tariff_and_hides_a_vanished_location(cpo):
    party, _ = connect(cpo)
    cpo.add("locations", location(1), location(2))
    cpo.add("tariffs", tariff(1), tariff(2))
    check(party)
    del cpo.objects["locations"][1], cpo.objects["tariffs"][1]
    assert check(party).full_sync is False  # an incremental check removes nothing
    assert stored_tariff_ids() == ["TAR1", "TAR2"]
    db.session.get(Party, party.id).last_full_sync_at -= timedelta(hours=25)
    db.session.commit()
    run = check(party)
    assert run.full_sync
    assert run.details["removed"] == {"locations": ["LOC2"], "tariffs": ["TAR2"]}
    assert stored_tariff_ids() == ["TAR1"]
    assert {stored_evse("LOC2", uid).status for uid in ("3256", "3257")} == {"REMOVED"}
    assert stored_evse("LOC1", "3256").status != "REMOVED"


def test_an_incomplete_full_sync_removes_nothing_and_keeps_the_window(cpo):
    party, _ = connect(cpo)
    cpo.add("tariffs", tariff(1), tariff(2), tariff(3))
    check(party)
    last_check = db.session.get(Party, party.id).last_check_at
    del cpo.objects["tariffs"][2]
    cpo.link = "loop"  # the last page links back to the first: the guard stops the crawl
    db.session.get(Party, party.id).last_full_sync_at = None
    db.session.commit()
    run = check(party)
    assert run.reachable and run.full_sync
    pulled = run.details["modules"]["tariffs"]
    assert pulled["complete"] is False and "Link header" in pulled["stopped"]
    assert stored_tariff_ids() == ["TAR1", "TAR2", "TAR3"]
    assert db.session.get(Party, party.id).last_check_at == last_check


def test_check_runs_are_recorded_per_cpo(cpo):
    party, _ = connect(cpo)
    check(party)
    check(party)
    runs = db.session.scalars(db.select(CheckRun).where(CheckRun.party_fk == party.id)).all()
    assert [r.full_sync for r in runs] == [True, False]
    assert all(r.finished_at >= r.started_at for r in runs)
    assert runs[1].empty_answers == 2
