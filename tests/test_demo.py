"""The demo data (SPEC §6): the register sample, demo CPOs integrated over real OCPI, a live map."""

import json
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import text

from sgv import create_app, public
from sgv.core import dataversion
from sgv.demo.cpo import DemoCpo
from sgv.demo.load import PROFILES, load
from sgv.demo.objects import locations, read_register, tariffs
from sgv.demo.serving import Background
from sgv.extensions import db
from sgv.ocpi import client
from tests.conftest import app_settings, demo_template, throwaway_database
from tests.servers import free_port, gunicorn

IBD_SITE = "DGT-002787f0cedc0889"  # Valdemoro, two 50 kW DC charge points
CEP_SITE = "DGT-92a0903d4b66084c"  # the one Cepsa site, OCPI 2.1.1
REGISTERED_SITE = "DGT-100d667499c5524b"  # Porsche Alicante (913): pushed, not approved
STATIC_SITE = "DGT-1eb600c5f0c1b394"  # Porsche dealer 914: never integrates


def demo(app, *args: str) -> tuple[int, dict]:
    result = app.test_cli_runner().invoke(args=["sgv", "demo", *args, "--json"])
    return result.exit_code, json.loads(result.output)


def snapshot() -> tuple:
    """Everything a repeated load could touch."""
    return (
        dataversion.current(),
        db.session.execute(text("SELECT count(*), max(id) FROM audit_log")).one(),
        db.session.execute(text("SELECT max(updated_at), count(*) FROM locations")).one(),
        db.session.execute(text("SELECT max(updated_at) FROM evses")).one(),
        db.session.execute(text("SELECT max(updated_at), count(*) FROM parties")).one(),
    )


@pytest.fixture
def loaded_app() -> Iterator[Flask]:
    """An app on a copy of the run's demo template, where `sgv demo load --json` ran."""
    template, _ = demo_template()
    with throwaway_database("demo_loaded", template=template) as url:
        app = create_app(app_settings(url))
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()


def test_demo_load_integrates_the_cpos_over_ocpi_and_a_second_load_changes_nothing(
    loaded_app,
):
    # The load ran once for the whole run (conftest.demo_template): its answer and the
    # state it left are checked here, and a second load on a copy of that state.
    loaded = demo_template()[1]
    code, report = loaded.exit_code, json.loads(loaded.output)

    assert code == 0
    assert report["already_loaded"] is False
    assert (report["installations"], report["charge_points"]) == (661, 1902)
    assert report["register"]["installations_added"] == 661
    cpos = {c["party_id"]: c for c in report["cpos"]}
    assert {pid: (c["state"], c["version"]) for pid, c in cpos.items()} == {
        "IBD": ("live", "2.2.1"),
        "CEP": ("live", "2.1.1"),
        "912": ("live", "2.2.1"),
        "924": ("live", "2.2.1"),
        "913": ("registered", "2.2.1"),
    }
    assert all(c["matched_locations"] == c["locations"] > 0 for c in cpos.values())
    assert cpos["IBD"]["phone"] == "900 000 001"
    assert (report["locations_pushed"], report["evses_pushed"]) == (643, 1884)
    assert report["tariffs_pushed"] == 7
    assert "ES*913" in report["static_only_operators"]
    assert "ES*914" in report["static_only_operators"]
    assert "ES*IBD" not in report["static_only_operators"]
    rows = db.session.execute(
        text("""
        SELECT p.party_id, p.versions_url, p.token_a_digest,
               (SELECT count(*) FROM rejections r WHERE r.party_fk = p.id) AS rejected,
               (SELECT array_agg(a.actor || ':' || a.action ORDER BY a.id)
                FROM audit_log a WHERE a.party_id = p.id) AS trail
        FROM parties p
        """)
    ).all()
    for row in rows:  # a real handshake: the CPO's server was called back, TOKEN_A is spent
        assert row.versions_url.startswith("http://127.0.0.1:")
        assert row.token_a_digest is None
        assert row.rejected == 0
        assert row.trail[:3] == ["demo:add", "demo:token_a", "cpo:register"]

    site = public.installation(IBD_SITE)
    assert site.operator_phone == "900 000 001"
    assert all(cp.live for cp in site.charge_points)
    price = site.charge_points[0].live.connectors[0].price
    assert (price.tariff_id, price.energy_excl_vat, price.vat_rate) == ("DC", Decimal("0.59"), 21)
    cepsa = public.installation(CEP_SITE).charge_points[0].live.connectors[0].price
    assert (cepsa.energy_excl_vat, cepsa.vat_rate, cepsa.energy_incl_vat) == (
        Decimal("0.54"),
        None,
        None,
    )
    assert not public.installation(REGISTERED_SITE).has_live_data
    assert not public.installation(STATIC_SITE).has_live_data
    statuses = db.session.execute(text("SELECT status, count(*) FROM evses GROUP BY 1")).all()
    assert max(statuses, key=lambda row: row[1])[0] == "AVAILABLE"

    before = snapshot()
    code, again = demo(loaded_app, "load")
    assert (code, again["already_loaded"], again["locations_pushed"]) == (0, True, 0)
    assert again["cpos"] == report["cpos"]
    assert snapshot() == before
    text_output = loaded_app.test_cli_runner().invoke(args=["sgv", "demo", "load"]).output
    assert "already loaded" in text_output


def evse_rows() -> dict[tuple[str, str], tuple]:
    rows = db.session.execute(
        text("""
        SELECT l.location_id, e.uid, e.status, e.status_updated_at
        FROM evses e JOIN locations l ON l.id = e.location_fk
        """)
    )
    return {(r.location_id, r.uid): (r.status, r.status_updated_at) for r in rows}


def test_demo_simulate_once_changes_statuses_through_the_ocpi_api(
    committed_app, committed_database
):
    load(limit=3)
    before = evse_rows()
    tokens = dict(db.session.execute(text("SELECT party_id, token_c_digest FROM parties")).all())
    versions = dataversion.current()

    with gunicorn(committed_database) as base_url:
        committed_app.config["PUBLIC_URL"] = base_url
        code, report = demo(committed_app, "simulate", "--once", "--changes", "5")

    assert code == 0, report
    assert (report["rounds"], report["changes"]) == (1, 5)
    assert set(report["cpos"]) == {f"ES*{p.party_id}" for p in PROFILES}
    db.session.expire_all()
    after = evse_rows()
    changed = [key for key in after if after[key][1] != before[key][1]]
    assert len(changed) == 5
    assert all(after[key][0] != before[key][0] for key in changed)
    renewed = dict(db.session.execute(text("SELECT party_id, token_c_digest FROM parties")).all())
    assert all(renewed[party] != tokens[party] for party in tokens)  # a fresh handshake
    assert dataversion.current()["dynamic"] >= versions["dynamic"] + 5


def test_simulate_without_a_serving_sgv_fails_in_one_line(committed_app):
    committed_app.config["PUBLIC_URL"] = f"http://127.0.0.1:{free_port()}"
    code, report = demo(committed_app, "simulate", "--once", "--wait", "0")
    assert code == 1
    assert "does not answer" in report["error"]


def test_simulate_before_load_says_to_load_first(committed_app):
    def answer(environ, start_response):
        start_response("401 UNAUTHORIZED", [("Content-Type", "application/json")])
        return [b"{}"]

    with Background(answer, "fake-sgv") as server:
        committed_app.config["PUBLIC_URL"] = server.url
        code, report = demo(committed_app, "simulate", "--once")
    assert code == 1
    assert "demo load" in report["error"]


def test_demo_cpo_serves_paginated_sender_lists_and_takes_renewed_credentials():
    profile = next(p for p in PROFILES if p.party_id == "IBD")
    when = "2024-06-03T08:00:00Z"
    own = locations(read_register()["IBD"][:400], profile, when)
    with DemoCpo(profile, own, tariffs(profile, when)) as cpo:
        deal = client.negotiate(cpo.versions_url, cpo.token_b, timeout=5, allow_private=True)
        assert deal.version == "2.2.1"
        pull = client.pull(
            deal.url("locations"),
            cpo.token_b,
            version="2.2.1",
            encoding="base64",
            timeout=5,
            allow_private=True,
        )
        assert [doc["id"] for doc in pull] == [doc["id"] for doc in own]
        assert pull.complete and pull.pages == math.ceil(len(own) / 100)
        cpo.objects["locations"][own[7]["id"]]["last_updated"] = "2024-06-04T08:00:00Z"
        since = client.pull(
            deal.url("locations"),
            cpo.token_b,
            version="2.2.1",
            encoding="raw",
            timeout=5,
            allow_private=True,
            date_from=datetime(2024, 6, 4, tzinfo=UTC),
        )
        assert [doc["id"] for doc in since] == [own[7]["id"]]
        found = client.pull(
            deal.url("tariffs"),
            cpo.token_b,
            version="2.2.1",
            encoding="base64",
            timeout=5,
            allow_private=True,
        )
        assert [doc["id"] for doc in found] == ["AC", "DC", "HPC"]

        theirs = client.put_credentials(
            deal.url("credentials"),
            cpo.token_b,
            {"token": "renewed-token-c", "url": "http://sgv.test/api/versions/", "roles": []},
            version="2.2.1",
            encoding="base64",
            timeout=5,
            allow_private=True,
        )
        assert theirs["token"] == cpo.token_b
        assert cpo.token_c == "renewed-token-c"
        with pytest.raises(client.CpoUnreachable, match="HTTP 401"):
            client.negotiate(cpo.versions_url, "not-the-token", timeout=5, allow_private=True)
