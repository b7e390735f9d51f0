"""datex2/status.xml's snapshot reads its refill points in one statement
(sgv/public/refill_points.py): they equal what public.installations() gives, on the
edge-case world of tests/sql_render_world.py, at any hour and with each bad stored row."""

from datetime import timedelta

import pytest

from sgv import public
from sgv.extensions import db
from tests import sql_render_world
from tests.test_opendata_sql import BAD_ROWS, FILTERS

SNAPSHOT_FILTERS = [f for f in FILTERS if "ids" not in f]  # a snapshot selects no ids


@pytest.fixture
def world(app, client):
    sql_render_world.build(app, client)


def by_python(at, **filters) -> list:
    sites = public.installations(at=at, **filters)
    pairs = ((site, p) for site in sites for p in site.charge_points if p.live)
    return list(public.as_refill_points(pairs))


def by_sql(at, **filters) -> list:
    return list(public.refill_points(at=at, **filters))


@pytest.mark.parametrize(
    "filters", SNAPSHOT_FILTERS, ids=[str(sorted(f)) for f in SNAPSHOT_FILTERS]
)
def test_refill_points_equal_the_installations_at_any_hour(world, filters):
    now = public.database_now()
    for at in (now, now + timedelta(hours=6), now + timedelta(hours=12)):
        found = by_sql(at, **filters)
        assert found == by_python(at, **filters)
    assert any(point.prices for point in by_sql(now))  # prices compared, not only statuses


@pytest.mark.parametrize("bad", BAD_ROWS, ids=list(BAD_ROWS))
def test_a_bad_stored_row_reads_as_the_installations_read_it(world, bad):
    db.session.execute(db.text(BAD_ROWS[bad][0]))
    db.session.commit()
    now = public.database_now()
    assert by_sql(now) == by_python(now)
