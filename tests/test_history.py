"""EVSE status history (issue #19): recorded by PostgreSQL, aggregated by hour of the week."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from sgv.extensions import db
from sgv.history.aggregate import history
from sgv.models import MaintenanceWindow
from tests.public_helpers import add_installation, live_cpo, push_status

# Monday 7 December 2026, 00:00 in Madrid (UTC+1 in winter).
AT = datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
MONDAY_10H, MONDAY_11H = 10, 11  # slots: Monday 00h is slot 0


def changes(evse_uid: str = "U1") -> list[tuple[str, datetime]]:
    return [
        tuple(row)
        for row in db.session.execute(
            text(
                "SELECT h.status, h.changed_at FROM status_history h"
                " JOIN evses e ON e.id = h.evse_fk WHERE e.uid = :uid ORDER BY h.changed_at"
            ),
            {"uid": evse_uid},
        )
    ]


def test_a_status_change_is_recorded_once_and_a_repeat_is_not(client):
    add_installation()
    token = live_cpo(client)
    assert [status for status, _ in changes()] == ["AVAILABLE"]  # the EVSE's first status
    push_status(client, token, "CHARGING", "2026-12-01T10:00:00Z")
    push_status(client, token, "CHARGING", "2026-12-01T10:05:00Z")  # same status: no row
    push_status(client, token, "AVAILABLE", "2026-12-01T10:30:00Z")
    assert changes()[1:] == [
        ("CHARGING", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        ("AVAILABLE", datetime(2026, 12, 1, 10, 30, tzinfo=UTC)),
    ]
    assert [status for status, _ in changes("U2")] == ["AVAILABLE"]  # untouched


def hand_made_history() -> None:
    """E1: CHARGING, but AVAILABLE from 10:00 to 11:00 (Madrid) every Monday for 4 weeks."""
    evse = db.session.execute(text("SELECT id FROM evses WHERE uid = 'U1'")).scalar_one()
    db.session.execute(text("DELETE FROM status_history WHERE evse_fk = :e"), {"e": evse})
    rows = [("CHARGING", AT - timedelta(weeks=5))]  # in force when the window opens
    for week in range(4):
        monday = AT - timedelta(weeks=4 - week)
        rows += [
            ("AVAILABLE", monday + timedelta(hours=10)),
            ("CHARGING", monday + timedelta(hours=11)),
        ]
    db.session.execute(
        text("INSERT INTO status_history (evse_fk, status, changed_at) VALUES (:e, :s, :t)"),
        [{"e": evse, "s": status, "t": moment} for status, moment in rows],
    )


def test_hour_of_week_share_in_the_location_time_zone(client):
    add_installation()
    live_cpo(client)  # E2 stays AVAILABLE all along
    hand_made_history()
    site = history("INST1", at=AT)
    e1 = site.charge_points["ES*ABC*E1"]
    assert e1.shares()[MONDAY_10H] == 1.0
    assert e1.shares()[MONDAY_11H] == 0.0
    assert e1.shares()[MONDAY_10H - 1] == 0.0  # 09:00 UTC is 10:00 in Madrid, not 9h
    assert e1.hours()[MONDAY_10H] == 4.0  # one hour on each of the 4 Mondays
    assert set(e1.shares()) - {0.0} == {1.0}  # AVAILABLE in no other hour
    e2 = site.charge_points["ES*ABC*E2"]
    assert set(e2.shares()) == {1.0}
    assert site.site.shares()[MONDAY_10H] == 1.0
    assert site.site.shares()[MONDAY_11H] == 0.5
    assert site.site.hours()[MONDAY_11H] == 8.0  # two charge points × 4 Mondays
    assert site.days_covered(AT) == 28.0 and not site.simulated


def test_a_zone_postgresql_does_not_know_falls_back_to_the_sites(client):
    add_installation()
    live_cpo(client)
    hand_made_history()
    db.session.execute(text("UPDATE locations SET time_zone = 'Mars/Olympus_Mons'"))
    site = history("INST1", at=AT)  # Madrid's, from the site's position: same hours
    assert site.charge_points["ES*ABC*E1"].shares()[MONDAY_10H] == 1.0


def test_time_shown_unknown_after_a_maintenance_window_began_is_not_counted(client):
    """The public view shows a status older than a begun window as UNKNOWN until a newer
    one arrives: history counts that time as unobserved, not as the pushed status."""
    add_installation()
    live_cpo(client)  # E2: AVAILABLE since before the window, never pushed again
    hand_made_history()
    last_monday = AT - timedelta(weeks=1)
    party = db.session.execute(text("SELECT id FROM parties WHERE party_id = 'ABC'")).scalar()
    db.session.add(
        MaintenanceWindow(
            party_fk=party,
            starts_at=last_monday + timedelta(hours=10, minutes=30),  # 10:30 in Madrid
            ends_at=last_monday + timedelta(hours=12),
            created_by="test",
        )
    )
    db.session.flush()
    site = history("INST1", at=AT)
    e1, e2 = site.charge_points["ES*ABC*E1"], site.charge_points["ES*ABC*E2"]
    # E1's AVAILABLE of 10:00 turns UNKNOWN at 10:30; its CHARGING of 11:00 is newer: shown.
    assert (e1.hours()[MONDAY_10H], e1.shares()[MONDAY_10H]) == (3.5, 1.0)
    assert (e1.hours()[MONDAY_11H], e1.shares()[MONDAY_11H]) == (4.0, 0.0)
    # E2 is UNKNOWN from 10:30 that Monday to the end of the window of 4 weeks.
    assert (e2.hours()[MONDAY_10H], e2.hours()[MONDAY_11H]) == (3.5, 3.0)
    assert site.site.hours()[MONDAY_11H] == 7.0
