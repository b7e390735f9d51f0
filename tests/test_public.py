"""The public view (SPEC §4): what drivers and third parties may see, and when."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sgv import public
from sgv.extensions import db
from sgv.models import Location, Party
from tests.ocpi_helpers import headers, make_party
from tests.public_helpers import add_installation, live_cpo, location_body, push_status


def live_of(site):
    return {cp.evse_ref: cp.live for cp in site.charge_points}


@pytest.fixture
def world(app, client):
    add_installation()
    return live_cpo(client)


def test_every_ripree_installation_is_public_without_live_data(app):
    add_installation()
    site = public.installation("INST1")
    assert site.name == "Plaza Mayor"
    assert [cp.evse_ref for cp in site.charge_points] == ["ES*ABC*E1", "ES*ABC*E2"]
    assert not site.has_live_data


def test_live_cpo_adds_status_and_prices(world):
    site = public.installation("INST1")
    live = live_of(site)
    assert live["ES*ABC*E1"].status == "AVAILABLE"
    assert live["ES*ABC*E1"].status_at == datetime(2025, 1, 1, 10, tzinfo=UTC)
    price = live["ES*ABC*E1"].connectors[0].price
    assert price.energy_excl_vat == Decimal("0.45")
    assert price.vat_rate == Decimal("21")
    assert price.energy_incl_vat == Decimal("0.5445")
    assert site.price_from == Decimal("0.45")
    assert site.available == 2


def test_a_2_1_1_cpo_shows_no_vat_even_when_its_tariff_carries_one(world, client):
    """2.1.1 has no `vat`: a stray one kept in the stored tariff is never a VAT figure."""
    db.session.execute(db.update(Party).values(version="2.1.1"))
    db.session.commit()
    price = live_of(public.installation("INST1"))["ES*ABC*E1"].connectors[0].price
    assert (price.energy_excl_vat, price.vat_rate, price.energy_incl_vat) == (
        Decimal("0.45"), None, None
    )  # fmt: skip
    [site] = client.get("/opendata/installations.json").json["installations"]
    prices = [c["price"] for point in site["charge_points"] for c in point["connectors"]]
    assert prices
    for shown in prices:
        assert (shown["energy_excl_vat"], shown["vat_rate"], shown["energy_incl_vat"]) == (
            0.45, None, None
        )  # fmt: skip


@pytest.mark.parametrize("state", ["registered", "revoked", "deregistered", "created"])
def test_cpo_not_live_shows_no_status_and_no_price(app, client, state):
    add_installation()
    live_cpo(client, state="registered")
    db.session.execute(db.update(Party).values(state=state))
    db.session.commit()
    site = public.installation("INST1")
    assert not site.has_live_data
    assert site.price_from is None
    assert public.live_columns(["INST1"]) == public.NOTHING_LIVE


def test_unpublished_location_shows_no_live_data(world, client):
    db.session.execute(db.update(Location).values(publish=False))
    db.session.commit()
    assert not public.installation("INST1").has_live_data


def test_removed_evse_shows_no_live_data(world, client):
    push_status(client, world, "REMOVED", "2026-01-01T11:00:00Z")
    live = live_of(public.installation("INST1"))
    assert live["ES*ABC*E1"] is None
    assert live["ES*ABC*E2"].status == "AVAILABLE"


def test_unknown_after_failed_checks_until_each_evse_is_resent(world, client):
    db.session.execute(db.update(Party).values(unknown_since=datetime(2026, 1, 1, 12, tzinfo=UTC)))
    db.session.commit()
    assert {s.status for s in live_of(public.installation("INST1")).values()} == {"UNKNOWN"}
    push_status(client, world, "CHARGING", "2026-01-01T12:00:01Z")
    live = live_of(public.installation("INST1"))
    assert (live["ES*ABC*E1"].status, live["ES*ABC*E2"].status) == ("CHARGING", "UNKNOWN")


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["sgv", "cpo", *args, "--json"])
    return result.exit_code, json.loads(result.output)


def add_window(app, start: str, end: str):
    """Add a maintenance window for ES*ABC; return the command's exit code and JSON."""
    return run(app, "maintenance", "add", "ES", "ABC", "--start", start, "--end", end)


def test_maintenance_window_turns_evses_unknown_during_and_after_until_resent(app, world, client):
    now = datetime.now(UTC)
    start, end = now - timedelta(minutes=10), now + timedelta(hours=1)
    push_status(
        client, world, "AVAILABLE", (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    code, window = add_window(app, start.isoformat(), end.isoformat())
    assert code == 0 and window["active"]
    assert {s.status for s in live_of(public.installation("INST1")).values()} == {"UNKNOWN"}
    push_status(client, world, "CHARGING", now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    live = live_of(public.installation("INST1"))
    assert (live["ES*ABC*E1"].status, live["ES*ABC*E2"].status) == ("CHARGING", "UNKNOWN")
    # The window ends: E2 stays UNKNOWN until the CPO re-sends it.
    code, _ = run(
        app,
        "maintenance",
        "change",
        str(window["id"]),
        "--start",
        start.isoformat(),
        "--end",
        (now - timedelta(minutes=1)).isoformat(),
    )
    assert code == 0
    live = live_of(public.installation("INST1"))
    assert (live["ES*ABC*E1"].status, live["ES*ABC*E2"].status) == ("CHARGING", "UNKNOWN")


def test_cancelled_window_restores_live_status(app, world):
    now = datetime.now(UTC)
    _, window = add_window(
        app, (now - timedelta(minutes=5)).isoformat(), (now + timedelta(hours=1)).isoformat()
    )
    code, _ = run(app, "maintenance", "cancel", str(window["id"]))
    assert code == 0
    assert live_of(public.installation("INST1"))["ES*ABC*E1"].status == "AVAILABLE"


def test_future_window_changes_nothing_yet(app, world):
    now = datetime.now(UTC)
    add_window(app, (now + timedelta(hours=1)).isoformat(), (now + timedelta(hours=2)).isoformat())
    assert live_of(public.installation("INST1"))["ES*ABC*E1"].status == "AVAILABLE"


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2030-01-01T10:00", "2030-01-01T09:00", "must be after"),
        ("tomorrow", "2030-01-01T09:00", "not an ISO 8601 time"),
    ],
)
def test_bad_maintenance_times_are_refused_in_one_line(app, world, start, end, message):
    result = app.test_cli_runner().invoke(
        args=["sgv", "cpo", "maintenance", "add", "ES", "ABC", "--start", start, "--end", end]
    )
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_time_without_offset_is_madrid_time(app, world):
    _, window = add_window(app, "2030-07-01T02:00", "2030-07-01T04:00")
    assert window["starts_at"].startswith("2030-07-01 00:00:00+00:00")


def test_staging_publishes_nothing(world, app):
    app.config["ENVIRONMENT"] = "staging"
    assert public.installation("INST1") is None
    assert public.map_sites() == []
    assert public.live_columns(["INST1"]) == public.NOTHING_LIVE


def test_retired_installation_is_not_public(app):
    site = add_installation()
    site.retired_at = datetime.now(UTC)
    db.session.commit()
    assert public.installation("INST1") is None


def test_location_matches_nearest_installation_within_50_m(app, client):
    add_installation("RIPREE-9")
    # About 30 m north of the site, under another id.
    _, token = make_party("ES", "ABC", state="live")
    body = location_body("OTHERID", lat="40.416770")
    client.put("/api/2.2.1/locations/ES/ABC/OTHERID", json=body, headers=headers(token))
    assert db.session.scalar(db.select(Location.installation_id)) == "RIPREE-9"
    assert public.installation("RIPREE-9").has_live_data


def test_location_beyond_50_m_stays_unmatched_and_is_reported(app, client):
    add_installation("RIPREE-9")
    party, token = make_party("ES", "ABC", state="live")
    body = location_body("FAR", lat="40.417500")  # about 110 m away
    client.put("/api/2.2.1/locations/ES/ABC/FAR", json=body, headers=headers(token))
    assert db.session.scalar(db.select(Location.installation_id)) is None
    assert not public.installation("RIPREE-9").has_live_data
    from sgv.ingest.matching import unmatched_locations

    assert [u["location_id"] for u in unmatched_locations(party.id)] == ["FAR"]


def test_equally_near_installations_leave_the_location_unmatched(app, client):
    add_installation("A1")
    add_installation("A2", refs=(("ES*ABC*X1", 50, "CHADEMO"),))
    _, token = make_party("ES", "ABC", state="live")
    client.put(
        "/api/2.2.1/locations/ES/ABC/ELSE", json=location_body("ELSE"), headers=headers(token)
    )
    assert db.session.scalar(db.select(Location.installation_id)) is None


def test_location_of_another_cpo_never_matches(app, client):
    add_installation("INST1", party_id="ZZZ")
    _, token = make_party("ES", "ABC", state="live")
    client.put(
        "/api/2.2.1/locations/ES/ABC/INST1", json=location_body("INST1"), headers=headers(token)
    )
    assert db.session.scalar(db.select(Location.installation_id)) is None


def test_changed_charge_points_include_withdrawals(world, app):
    before = datetime.now(UTC) - timedelta(seconds=1)
    assert len(public.changed_charge_points(before)) == 2
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert public.changed_charge_points(later) == []


def test_map_sites_mark_live_sites(world):
    [site] = public.map_sites()
    assert site.id == "INST1" and site.live is True
    assert float(site.max_kw) == 150
    assert sorted(site.types.split()) == ["IEC_62196_T2", "IEC_62196_T2_COMBO"]


def test_a_site_whose_evses_are_all_removed_is_not_marked_live(world, client):
    push_status(client, world, "REMOVED", "2026-01-01T11:00:00Z", evse="U1")
    push_status(client, world, "REMOVED", "2026-01-01T11:00:00Z", evse="U2")
    [site] = public.map_sites()
    assert site.live is False


def test_register_import_matches_locations_pushed_before_it(committed_app, tmp_path):
    from sgv.core import dataversion
    from sgv.registry import import_register
    from tests.ripree_helpers import MADRID, write_csv

    client = committed_app.test_client()
    _, token = make_party("ES", "IBD", state="live")
    body = location_body("ES-MAD-0001", party_id="IBD", lat="40.418889", lon="-3.696944")
    body["evses"][0]["evse_id"] = "ES*IBD*E0001A1"
    client.put("/api/2.2.1/locations/ES/IBD/ES-MAD-0001", json=body, headers=headers(token))

    import_register(write_csv(tmp_path / "r.csv", [MADRID]))
    dataversion.touch(dataversion.STATIC)
    db.session.commit()

    site = public.installation("ES-MAD-0001")
    assert site.has_live_data
    assert site.charge_points[0].live.status == "AVAILABLE"
