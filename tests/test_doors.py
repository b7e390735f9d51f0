"""The bump door (ARCHITECTURE.md): after every write path, every cached public answer
equals a fresh rendering and no old validator gets a 304, within one second (SPEC §4),
under gunicorn with two workers.

For each write: build the world (tests/doors_world.py), warm every map document, detail,
page and export, plain and gzipped, until the access log shows that *both* workers
answered it (each caches on its own), perform the write, then poll both workers until
each answers what an uncached app renders from the database now; an answer sent more
than a second after the write that is still stale fails the write. Then every ETag and
Last-Modified seen before the write is sent back for each document whose body changed:
none may get a 304. Renderings differ only in `generated_at` and the page's "3 min
ago", which are blanked before comparing.

Set-up, said once:
* The cache is the default one, in-process per worker (SimpleCache), unless
  SGV_TEST_CACHE_URL names a Redis, which both workers then share.
* gunicorn runs with SGV_LIVE_REFRESH=0: the live map's documented throttle of status
  pushes (one rebuild per SGV_LIVE_REFRESH seconds at most) is a tunable, not a cache
  bug, so pushes are held to the same second as visibility changes here; and with
  `--worker-connections 2`, so that requests sent together reach both workers.
* Operator commands run through the CLI in this process, on gunicorn's database: to
  gunicorn's workers, another host.
* The write happens in a later wall-clock second than the warming: two versions of an
  export first served in one second by different workers could share a Last-Modified,
  which per-process caches cannot coordinate (a limit of SimpleCache, not of a door).
"""

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from sgv import create_app
from sgv.core import dataversion
from sgv.extensions import db
from sgv.parties.lifecycle import transition
from tests import doors_world as w
from tests.conftest import app_settings
from tests.cpo_server import CpoServer
from tests.doors_helpers import (
    ACCESS_LOG_FORMAT,
    Gunicorn,
    fresh,
    revalidate,
    same,
    settle,
    stale_report,
    warm,
)
from tests.public_helpers import TARIFF
from tests.servers import gunicorn

DEADLINE = 1.0  # seconds from the write to fresh answers everywhere (SPEC §4)


@dataclass(frozen=True)
class Case:
    """A write path: what it does, what it needs first, whether SPEC makes it show."""

    id: str
    write: Callable[[w.World], object]
    arrange: Callable[[w.World], object] = lambda world: None
    shows: bool = True  # False: nothing public need change, only nothing may be stale


LOC, EVSE1, TARIFF1 = w.LOCATION, w.LOCATION + "/U1", "/api/2.2.1/tariffs/ES/ABC/T1"
STATUS = {"status": "CHARGING", "last_updated": w.LATER}


def evse2_removed(world: w.World) -> None:
    w.ocpi(world, "PATCH", w.LOCATION + "/U2", {"status": "REMOVED", "last_updated": w.LATER})


def tariff2(world: w.World) -> None:
    body = TARIFF | {"id": "T2", "elements": w.price(0.29)}
    w.ocpi(world, "PUT", "/api/2.2.1/tariffs/ES/ABC/T2", body)


CASES = [
    # OCPI, at each level, through gunicorn
    Case("ocpi-put-location", lambda x: w.ocpi(x, "PUT", LOC, w.location_body(when=w.LATER)
         | {"evses": [w.evse("U1", "CHARGING"), w.evse("U2", "OUTOFORDER")]})),
    Case("ocpi-put-location-new", lambda x: w.ocpi(x, "PUT", "/api/2.2.1/locations/ES/ABC/INST2",
         w.new_location())),
    Case("ocpi-patch-location-unpublish", lambda x: w.ocpi(x, "PATCH", LOC,
         {"publish": False, "last_updated": w.LATER})),
    Case("ocpi-put-evse", lambda x: w.ocpi(x, "PUT", EVSE1, w.evse("U1", "OUTOFORDER"))),
    Case("ocpi-patch-evse-status", lambda x: w.ocpi(x, "PATCH", EVSE1, STATUS)),
    Case("ocpi-patch-evse-last-removed", lambda x: w.ocpi(x, "PATCH", EVSE1,
         {"status": "REMOVED", "last_updated": w.LATER}), evse2_removed),
    Case("ocpi-put-connector", lambda x: w.ocpi(x, "PUT", EVSE1 + "/1",
         w.evse("U1", "AVAILABLE")["connectors"][0] | {"max_electric_power": 50000})),
    Case("ocpi-patch-connector", lambda x: w.ocpi(x, "PATCH", EVSE1 + "/1",
         {"tariff_ids": ["T2"], "last_updated": w.LATER}), tariff2),
    Case("ocpi-put-tariff", lambda x: w.ocpi(x, "PUT", TARIFF1,
         TARIFF | {"elements": w.price(0.39), "last_updated": w.LATER})),
    Case("ocpi-patch-tariff", lambda x: w.ocpi(x, "PATCH", TARIFF1,
         {"elements": w.price(0.35), "last_updated": w.LATER})),
    Case("ocpi-delete-tariff", lambda x: w.ocpi(x, "DELETE", TARIFF1)),
    Case("ocpi-refused-push", lambda x: w.ocpi(x, "PUT", EVSE1, w.evse("U1", "BROKEN"),
         expect=(400,)), shows=False),
    # credentials
    Case("credentials-post", lambda x: w.ocpi(x, "POST", "/api/2.2.1/credentials",
         x.new.credentials("2.2.1"), token=x.token_a), w.create_new, shows=False),
    Case("credentials-put", lambda x: w.ocpi(x, "PUT", "/api/2.2.1/credentials",
         x.abc.credentials("2.2.1")), shows=False),
    Case("credentials-delete", lambda x: w.ocpi(x, "DELETE", "/api/2.2.1/credentials")),
    # operator commands
    Case("cpo-add", lambda x: w.sgv(x, "cpo", "add", "ES", "NEW", "--name", "Nueva Energía",
         "--phone", "+34 900 100 200")),
    Case("cpo-approve", lambda x: w.sgv(x, "cpo", "approve", "ES", "ABC"),
         lambda x: w.set_state("registered")),
    Case("cpo-revoke", lambda x: w.sgv(x, "cpo", "revoke", "ES", "ABC", "--reason", "stale")),
    Case("cpo-restore", lambda x: w.sgv(x, "cpo", "restore", "ES", "ABC"),
         lambda x: transition(w.party(), "revoke", actor="test", reason="stale")),
    Case("cpo-deregister", lambda x: w.sgv(x, "cpo", "deregister", "ES", "ABC",
         "--justification", "site closed")),
    Case("cpo-reset", lambda x: w.sgv(x, "cpo", "reset", "ES", "ABC"), shows=False),
    Case("cpo-renew", lambda x: w.sgv(x, "cpo", "renew", "ES", "ABC"), shows=False),
    Case("cpo-maintenance-add", lambda x: w.sgv(x, "cpo", "maintenance", "add", "ES", "ABC",
         "--start", w.moment(-1), "--end", w.moment(1))),
    Case("cpo-maintenance-change", lambda x: w.sgv(x, "cpo", "maintenance", "change",
         str(x.window), "--start", w.moment(-1), "--end", w.moment(1)),
         lambda x: w.declare_window(x, 24, 25)),
    Case("cpo-maintenance-cancel", lambda x: w.sgv(x, "cpo", "maintenance", "cancel",
         str(x.window)), lambda x: w.declare_window(x, -1, 1)),
    Case("ripree-import", lambda x: w.sgv(x, "ripree", "import",
         str(w.register(x.tmp / "renamed.csv", "Plaza Mayor (renovada)")))),
    Case("ripree-import-prune", lambda x: w.sgv(x, "ripree", "import",
         str(w.register(x.tmp / "pruned.csv", inst2=False)), "--prune")),
    Case("check-run", lambda x: w.sgv(x, "check", "run", "ES", "ABC"), w.serve_changed_location),
    Case("check-renew-tokens", lambda x: w.sgv(x, "check", "renew-tokens", "--days", "400"),
         shows=False),
    # Today an expired TOKEN_C only refuses pushes (sgv/ocpi/auth.py); should expiry ever
    # hide live data, that must reach the caches too.
    Case("token-expiry", w.expire_token, shows=False),
]  # fmt: skip


@pytest.fixture(scope="module")
def served(committed_database, tmp_path_factory):
    """gunicorn with two workers on the committed database, and the CPOs' servers."""
    log = tmp_path_factory.mktemp("doors") / "access.log"
    settings = {"ACCESS_LOG": str(log), "LIVE_REFRESH": "0", "OUTBOUND_ALLOW_PRIVATE": "1"}
    settings["CACHE_URL"] = os.environ.get("SGV_TEST_CACHE_URL", "")
    with (
        pytest.MonkeyPatch.context() as patch,
        CpoServer(party_id="ABC", token="token-b-abc") as abc,
        CpoServer(party_id="NEW", token="token-b-new") as new,
    ):
        # Each worker takes at most two connections at once, so requests sent together
        # reach both (by default one worker may accept them all).
        args = f"--worker-connections 2 --access-logformat '{ACCESS_LOG_FORMAT}'"
        patch.setenv("GUNICORN_CMD_ARGS", args)
        with gunicorn(committed_database, workers=2, **settings) as base_url:
            yield Gunicorn(base_url, log), base_url, abc, new


@pytest.fixture(scope="module")
def uncached(committed_database):
    """An app that renders every answer from the database: its cache keeps nothing."""
    settings = app_settings(committed_database, CACHE_TYPE="NullCache", CACHE_NO_NULL_WARNING=True)
    app = create_app(settings)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def world(committed_app, committed_database, served, tmp_path):
    _, base_url, abc, new = served
    world = w.World(committed_app, base_url, committed_database, tmp_path, abc, new)
    w.build(world)
    return world


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_every_cached_answer_follows_the_write_within_a_second(case, world, served, uncached):
    server = served[0]
    case.arrange(world)
    db.session.commit()
    dataversion.bump(dataversion.STATIC, dataversion.DYNAMIC)  # arranged data: new versions
    before = warm(server)
    warmed = time.time()
    workers = {answer.worker for answers in before.values() for answer in answers}
    assert len(workers) == 2, workers
    rendered = fresh(uncached)
    unlike = {
        (variant, answer.worker): answer
        for variant, answers in before.items()
        for answer in answers
        if not same(answer, rendered[variant])
    }
    assert not unlike, "cached before the write:\n" + "\n".join(stale_report(unlike, rendered))
    if int(time.time()) == int(warmed):  # write in a later second than any warming
        time.sleep(1 - time.time() % 1)

    case.write(world)
    deadline = time.monotonic() + DEADLINE
    with ThreadPoolExecutor(1) as pool:
        rendering = pool.submit(fresh, uncached)
        late = settle(server, rendering, workers, deadline)
        after = rendering.result()
    if case.shows:  # else the test could pass by writing nothing
        assert after != rendered, f"{case.id} changed no public document"
    problems = stale_report(late, after) + revalidate(server, before, after)
    assert not problems, f"{case.id}: not fresh {DEADLINE} s after the write:\n" + "\n".join(
        problems
    )
