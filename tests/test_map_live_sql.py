"""/map/live.json is built set-wise in SQL (issue #18) and says exactly what the Python
builder it replaced said: the same bytes, in edge cases and with hostile stored values."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from sgv import public
from sgv.extensions import cache, db
from sgv.maps import data as map_data
from sgv.maps import documents
from tests import sql_render_world
from tests.ocpi_helpers import headers
from tests.public_helpers import push_status
from tests.test_hostile_rendering import BAD_ROWS


def summary_by_python(at) -> dict[str, dict]:
    """Build the live summary as the map did before issue #18: every live site in Python."""
    summary = {}
    with_live = db.session.scalars(db.text("SELECT DISTINCT installation_id FROM public_evses"))
    for site in public.installations(ids=list(with_live), at=at):
        summary[site.id] = {
            "available": site.available,
            "live": sum(1 for cp in site.charge_points if cp.live),
            "unknown": sum(
                1 for cp in site.charge_points if cp.live and cp.live.status == "UNKNOWN"
            ),
            "price_from": site.price_from,
        }
    return summary


def live_payload(summary: dict[str, dict], order: map_data.SiteOrder) -> dict:
    """Return the live document as the map wrote it before issue #18, from `summary`."""
    position = {site_id: n for n, site_id in enumerate(order.ids)}
    found = sorted((position[i], i) for i in summary if i in position)
    ids = [site_id for _, site_id in found]
    return {
        "format": map_data.FORMAT,
        "key": order.key,
        "site": [n for n, _ in found],
        **{k: [summary[i][k] for i in ids] for k in ("available", "live", "unknown")},
        "price_from": [summary[i]["price_from"] for i in ids],
    }


def expected_document(at) -> bytes:
    order = map_data.site_order(public.map_sites())
    return map_data.encode(live_payload(summary_by_python(at), order)).raw


def document_by_sql(at) -> bytes:
    order = map_data.site_order(public.map_sites())
    return map_data.live_encoded(public.live_columns(order.ids, at), order).raw


@pytest.fixture
def world(app, client) -> str:
    return sql_render_world.build(app, client)


def test_live_json_is_byte_for_byte_what_the_python_builder_wrote(world, client):
    cache.clear()
    served = client.get("/map/live.json").get_data()
    assert served == expected_document(public.database_now())
    live = client.get("/map/live.json").json
    ids = client.get("/map/ids.json").json["id"]
    shown = {ids[n]: n for n in live["site"]}
    # the revoked CPO's site, the hidden location and the retired installation show nothing
    assert "INST3" not in shown and "INST4" not in shown and "INST5" not in shown

    def entry(site: str) -> dict:
        at = live["site"].index(shown[site])
        return {k: live[k][at] for k in ("available", "live", "unknown", "price_from")}

    assert entry("INST2") == {"available": 2, "live": 2, "unknown": 0, "price_from": 1}
    assert entry(sql_render_world.VALDEMORO)["unknown"] == 1  # maintenance; two EVSEs, one point
    assert entry("INST1")["live"] == 2


def test_the_summary_agrees_at_night_and_by_day(world):
    now = public.database_now()
    for at in (now, now + timedelta(hours=6), now + timedelta(hours=12)):
        assert document_by_sql(at) == expected_document(at)


def test_site_ids_reach_the_statement_exactly_whatever_they_hold(app):
    """The map's order is passed as one JSON array (sgv/public/live.py), read as live.py's
    statement reads it: quotes, backslashes, braces, commas and separators stay."""
    hostile = ['A"B', "C\\D", "E,F", "{G}", " H ", "NULL", "", "ñ\u2028'\x7f"]
    read = db.session.scalar(
        db.text(
            "SELECT array_agg(id ORDER BY n)"
            " FROM json_array_elements_text(CAST(:order AS json)) WITH ORDINALITY AS o (id, n)"
        ),
        {"order": json.dumps(hostile)},
    )
    assert read == hostile


@pytest.mark.parametrize("bad", BAD_ROWS, ids=list(BAD_ROWS))
def test_a_bad_stored_row_changes_nothing_but_its_own_price(world, client, bad):
    sql = BAD_ROWS[bad][0]
    db.session.execute(db.text(sql))
    db.session.commit()
    cache.clear()
    assert client.get("/map/live.json").get_data() == expected_document(public.database_now())


# ---- each EVSE's price is kept across status pushes (sgv/public/live.py) ---------------


def price_from(client, site: str):
    live = client.get("/map/live.json").json
    position = client.get("/map/ids.json").json["id"].index(site)
    return live["price_from"][live["site"].index(position)]


def test_kept_prices_follow_every_push_that_can_change_one(world, app, client, monkeypatch):
    """INST2's two EVSEs share one charge point: the newer is public. U1 has tariff T2
    (1 €/kWh), U2 is moved to T1 (the night tariff): which price shows follows statuses."""
    token, at = world, "/api/2.2.1/locations/ES/ABC/INST2"
    moved = client.patch(
        f"{at}/U2/1",
        json={"tariff_ids": ["T1"], "last_updated": "2026-01-01T09:00:00Z"},
        headers=headers(token),
    )
    assert moved.status_code == 200, moved.json
    db.session.execute(
        db.text(
            "UPDATE evses SET charge_point_id = (SELECT charge_point_id FROM evses"
            " WHERE evse_id = 'ES*ABC*INST2A') WHERE evse_id = 'ES*ABC*INST2B'"
        )
    )
    db.session.commit()
    app.config["LIVE_REFRESH"] = 0  # live.json follows every push
    built = []
    compute = public.evse_prices
    monkeypatch.setattr(public, "evse_prices", lambda at: built.append(at) or compute(at))
    cache.clear()

    def served_right() -> bool:
        return client.get("/map/live.json").get_data() == expected_document(public.database_now())

    push_status(client, token, "CHARGING", "2026-01-01T10:00:00Z", evse="U1", location_id="INST2")
    assert served_right() and price_from(client, "INST2") == 1  # U1 (T2) is the newer
    push_status(client, token, "CHARGING", "2026-01-01T11:00:00Z", evse="U2", location_id="INST2")
    assert served_right() and price_from(client, "INST2") != 1  # U2 (T1) is public now
    assert len(built) == 1  # two status pushes: the prices were computed once

    cheaper = {**sql_render_world.NIGHT_TARIFF, "party_id": "ABC"}
    cheaper["elements"] = [
        {"price_components": [{"type": "ENERGY", "price": 0.05, "step_size": 1}]}
    ]
    cheaper["last_updated"] = "2026-06-01T00:00:00Z"
    sql_render_world.put(client, token, "/api/2.2.1/tariffs/ES/ABC/T1", cheaper)
    assert served_right() and price_from(client, "INST2") == 0.05  # a tariff push: at once
    assert len(built) == 2


def test_kept_prices_end_when_a_tariff_begins(world, app, client):
    """A tariff that begins later wins at that moment: the kept prices last until then."""
    token, at = world, "/api/2.2.1/locations/ES/ABC/INST2"
    begins = datetime.now(UTC) + timedelta(seconds=3)  # the clock the map prices by
    soon = {**sql_render_world.TARIFF, "party_id": "ABC", "id": "T3"}
    soon["start_date_time"] = begins.isoformat().replace("+00:00", "Z")
    soon["elements"] = [{"price_components": [{"type": "ENERGY", "price": 0.2, "step_size": 1}]}]
    sql_render_world.put(client, token, "/api/2.2.1/tariffs/ES/ABC/T3", soon)
    for evse in ("U1", "U2"):
        response = client.patch(
            f"{at}/{evse}/1",
            json={"tariff_ids": ["T3", "T2"], "last_updated": "2026-01-01T09:00:00Z"},
            headers=headers(token),
        )
        assert response.status_code == 200, response.json
    app.config["LIVE_REFRESH"] = 0
    cache.clear()
    assert price_from(client, "INST2") == 1  # T3 is not valid yet
    assert public.evse_prices().valid_until <= begins
    while datetime.now(UTC) < begins:
        time.sleep(0.1)
    push_status(client, token, "CHARGING", "2026-01-01T10:00:00Z", evse="U1", location_id="INST2")
    assert price_from(client, "INST2") == 0.2  # the kept prices ended with T3's start


def test_a_power_restricted_tariff_prices_each_evse_by_its_power(world, app, client):
    """INST2: U1 150 kW, U2 22 kW, both on T2. Below 50 kW energy costs 0.30, else 0.60.
    A REMOVED status (an EVSE's own field: no price moves) takes U2's price away, and
    its return brings it back, with the kept prices."""
    token = world
    tiered = {**sql_render_world.TARIFF, "party_id": "ABC", "id": "T2"}
    tiered["last_updated"] = "2026-06-01T00:00:00Z"
    tiered["elements"] = [
        {
            "price_components": [{"type": "ENERGY", "price": 0.3, "step_size": 1}],
            "restrictions": {"max_power": 50},
        },
        {"price_components": [{"type": "ENERGY", "price": 0.6, "step_size": 1}]},
    ]
    sql_render_world.put(client, token, "/api/2.2.1/tariffs/ES/ABC/T2", tiered)
    app.config["LIVE_REFRESH"] = 0
    cache.clear()

    def shows(price: float) -> bool:
        served = client.get("/map/live.json").get_data()
        return served == expected_document(public.database_now()) and (
            price_from(client, "INST2") == price
        )

    assert shows(0.3)  # U2, 22 kW
    push_status(client, token, "REMOVED", "2026-01-01T10:00:00Z", evse="U2", location_id="INST2")
    assert shows(0.6)  # U1 alone, 150 kW
    cache.clear()  # prices computed while U2 is REMOVED must still know its price
    assert shows(0.6)
    push_status(client, token, "AVAILABLE", "2026-01-01T11:00:00Z", evse="U2", location_id="INST2")
    assert shows(0.3)


def test_kept_prices_end_when_the_clock_reaches_a_tariffs_hours(world, app, client, monkeypatch):
    """INST1 (Gran Canaria, tariff T1): 0.123456789012 €/kWh by day, 0.25 from 22:00."""
    token = world

    class Clock(datetime):
        at = datetime(2030, 1, 1, 21, 59, 30, tzinfo=UTC)  # Canary time is UTC in winter

        @classmethod
        def now(cls, tz=None):
            return cls.at

    monkeypatch.setattr(documents, "datetime", Clock)
    app.config["LIVE_REFRESH"] = 0
    cache.clear()
    assert price_from(client, "INST1") == 0.123456789012
    Clock.at = datetime(2030, 1, 1, 22, 0, 30, tzinfo=UTC)
    push_status(client, token, "CHARGING", "2026-01-01T10:00:00Z", evse="U1", location_id="INST2")
    assert price_from(client, "INST1") == 0.25  # the kept prices ended at 22:00
