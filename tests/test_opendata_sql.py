"""installations.csv and status.json are rendered set-wise by PostgreSQL (issue #18) and
say exactly what the Python writers they replaced said: the CSV byte for byte, the status
items as the same JSON, in edge cases, under filters and with hostile stored values."""

import json
from datetime import timedelta

import pytest

from sgv import public
from sgv.extensions import db
from sgv.opendata import csv as opendata_csv
from sgv.opendata.formats import live_fields
from tests import sql_render_world
from tests.conftest import module_world
from tests.test_hostile_rendering import BAD_ROWS

FILTERS = (
    {},
    {"bbox": (-16.0, 27.0, -3.0, 41.0)},
    {"operator": "abc"},
    {"operator": "Iberdrola"},
    {"ids": ["INST1", "INST2", "INST3", sql_render_world.VALDEMORO]},
)


# The edge-case world, built once for the module in a database of its own.
sql_world, rolled_back_database, world = module_world("world", sql_render_world.seed)


def csv_by_python(at, **filters) -> bytes:
    sites = public.installations(at=at, **filters)
    return "".join(opendata_csv.installations_csv(sites)).encode()


def csv_by_sql(at, **filters) -> bytes:
    lines = public.rows.csv_lines(at=at, **filters)
    return b"".join(
        c if isinstance(c, bytes) else c.encode()
        for c in opendata_csv.installations_csv_lines(lines)
    )


def status_by_python(at, **filters) -> list[dict]:
    sites = public.installations(at=at, **filters)
    items = [
        {"installation_id": s.id, "evse_ref": p.evse_ref, **live_fields(p.live)}
        for s in sites
        for p in s.charge_points
        if p.live
    ]
    return json.loads(json.dumps(items))


def status_by_sql(at, **filters) -> list[dict]:
    return [json.loads(item) for item in public.rows.status_items(at=at, **filters)]


@pytest.mark.parametrize("filters", FILTERS, ids=[str(sorted(f)) for f in FILTERS])
def test_sql_rows_equal_the_python_writers_at_any_hour(world, filters):
    now = public.database_now()
    for at in (now, now + timedelta(hours=6), now + timedelta(hours=12)):
        assert csv_by_sql(at, **filters) == csv_by_python(at, **filters)
        assert status_by_sql(at, **filters) == status_by_python(at, **filters)


def test_the_served_exports_are_the_python_writers_output(world, client):
    now = public.database_now()
    body = client.get("/opendata/installations.csv").get_data()
    assert body == csv_by_python(now)
    assert b"'=HYPERLINK" in body and b'"\'=HYPERLINK(""http://x""' in body  # neutralised, quoted
    assert b"INST3" in body and b"INST4" in body and b"INST5" not in body  # retired: gone
    status = client.get("/opendata/status.json").json
    assert status["charge_points"] == status_by_python(now)
    assert status["count"] == len(status["charge_points"])
    shown = {item["installation_id"] for item in status["charge_points"]}
    assert shown == {"INST1", "INST2", sql_render_world.VALDEMORO}  # not revoked, hidden, retired


@pytest.mark.parametrize("bad", BAD_ROWS, ids=list(BAD_ROWS))
def test_a_bad_stored_row_renders_as_the_python_writers_render_it(world, bad):
    db.session.execute(db.text(BAD_ROWS[bad][0]))
    db.session.commit()
    now = public.database_now()
    assert csv_by_sql(now) == csv_by_python(now)
    assert status_by_sql(now) == status_by_python(now)
