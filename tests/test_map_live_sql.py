"""/map/live.json is built set-wise in SQL (issue #18) and says exactly what the Python
builder it replaced said: the same bytes, in edge cases and with hostile stored values."""

from datetime import timedelta

import pytest

from sgv import public
from sgv.extensions import cache, db
from sgv.maps import data as map_data
from tests import sql_render_world
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


def expected_document(at) -> bytes:
    order = map_data.site_order(public.map_sites())
    return map_data.encode(map_data.live_payload(summary_by_python(at), order)).raw


@pytest.fixture
def world(app, client):
    sql_render_world.build(app, client)


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
        assert public.live_index(at) == summary_by_python(at)


@pytest.mark.parametrize("bad", BAD_ROWS, ids=list(BAD_ROWS))
def test_a_bad_stored_row_changes_nothing_but_its_own_price(world, client, bad):
    sql = BAD_ROWS[bad][0]
    db.session.execute(db.text(sql))
    db.session.commit()
    cache.clear()
    assert client.get("/map/live.json").get_data() == expected_document(public.database_now())
