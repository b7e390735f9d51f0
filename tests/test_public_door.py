"""The public door (SPEC §4): every reader sees through the same views, and only them."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import sqlalchemy as sa

from sgv import public
from sgv.extensions import db
from sgv.opendata.formats import installation_object
from sgv.public.rules import views
from sgv.quality.coverage import coverage
from tests.ocpi_helpers import headers
from tests.public_helpers import TARIFF, add_installation, live_cpo
from tests.servers import flask_db

EXPORTS = ("installations.json", "installations.geojson", "installations.csv", "status.json")
MAP = ("/map/sites.json", "/map/ids.json", "/map/places.json", "/map/live.json")


@pytest.fixture
def world(app, client):
    """INST1 (150 kW and 22 kW charge points) of CPO ABC, live, with a priced tariff."""
    add_installation()
    return live_cpo(client)


def cli(app, *args: str) -> None:
    result = app.test_cli_runner().invoke(args=["sgv", *args])
    assert result.exit_code == 0, result.output


def export(client, name: str, **args) -> list | dict:
    response = client.get(f"/opendata/{name}", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.get_data(as_text=True)
    if name.endswith(".csv"):
        return list(csv.DictReader(io.StringIO(body)))
    return json.loads(body)


def sites_of(document: dict) -> list[dict]:
    return document.get("installations") or [f["properties"] for f in document["features"]]


def execute(sql: str) -> None:
    db.session.execute(db.text(sql))
    db.session.commit()


# --- connector power: computed in SQL without overflow ----------------------------------


@pytest.mark.parametrize("power_type", ["DC", "AC_3_PHASE"])
def test_volts_times_amps_beyond_int4_is_exported_not_a_500(world, client, power_type):
    # 400 kV × 32 kA (12.8 GW; 38.4 GW on three phases) overflows int4 and is beyond the
    # 4 MW bound: exported without its power (tests/test_hostile_rendering.py, issue #14).
    kw = None
    execute(
        "UPDATE connectors SET max_electric_power = NULL, max_voltage = 400000, "
        f"max_amperage = 32000, power_type = '{power_type}' "
        "WHERE evse_fk = (SELECT id FROM evses WHERE evse_id = 'ES*ABC*E1')"
    )
    for name in ("installations.json", "installations.geojson"):
        [site] = sites_of(export(client, name))
        assert site["charge_points"][0]["connectors"][0]["power_kw"] == kw
    [point] = [
        p for p in export(client, "status.json")["charge_points"] if p["evse_id"].endswith("1")
    ]
    assert point["connectors"][0]["power_kw"] == kw
    assert export(client, "installations.csv")[0]["status"] == "AVAILABLE"
    live = public.installation("INST1").charge_points[0].live
    assert live.connectors[0].power_kw is None


def test_sql_and_python_renderings_read_the_same_power_and_zone(world, client):
    execute("UPDATE connectors SET max_electric_power = NULL, max_voltage = 230, max_amperage = 16")
    execute("UPDATE locations SET time_zone = ''")  # empty: the site's place decides
    at = public.database_now()
    rendered = [json.loads(d) for d in public.documents.documents(at=at)]
    assert rendered == json.loads(
        json.dumps([installation_object(s) for s in public.installations(at=at)])
    )
    powers = [c["power_kw"] for p in rendered[0]["charge_points"] for c in p["connectors"]]
    assert powers == [3.68, 3.68]  # 230 V × 16 A, one phase (the pushed type is DC)
    zones = db.session.scalars(db.text("SELECT time_zone FROM public_evses")).all()
    assert zones == ["Europe/Madrid", "Europe/Madrid"]


# --- the newest EVSE of a charge point, among public ones only --------------------------


def test_a_newer_evse_that_is_not_public_does_not_hide_the_public_one(world):
    execute(
        "UPDATE evses SET charge_point_id = (SELECT charge_point_id FROM evses "
        "WHERE evse_id = 'ES*ABC*E1'), status = 'REMOVED', last_updated = now() "
        "WHERE evse_id = 'ES*ABC*E2'"
    )
    points = public.installation("INST1").charge_points
    assert (points[0].live.evse_id, points[0].live.status) == ("ES*ABC*E1", "AVAILABLE")
    assert points[1].live is None
    execute("UPDATE evses SET status = 'CHARGING' WHERE evse_id = 'ES*ABC*E2'")
    assert public.installation("INST1").charge_points[0].live.evse_id == "ES*ABC*E2"
    [site] = [json.loads(d) for d in public.documents.documents(at=public.database_now())]
    assert [p["evse_id"] for p in site["charge_points"]] == ["ES*ABC*E2", None]


# --- a revoked CPO: in no reader --------------------------------------------------------


def test_an_evse_of_a_revoked_cpo_appears_in_no_reader(app, world, client):
    since = export(client, "status.json")["generated_at"]
    for url in (*MAP, "/map/installations/INST1.json", *(f"/opendata/{n}" for n in EXPORTS)):
        client.get(url).get_data()  # warm every cache
    assert coverage("ES", "ABC")[0]["with_live_data"] == 1
    cli(app, "cpo", "revoke", "ES", "ABC", "--reason", "stale data")

    assert not public.installation("INST1").has_live_data
    assert public.live_columns(["INST1"]) == public.NOTHING_LIVE
    assert [row.live for row in public.map_sites()] == [False]
    assert client.get("/map/live.json").json["site"] == []
    detail = client.get("/map/installations/INST1.json").json
    assert all(p["status"] is None and p["prices"] == [] for p in detail["charge_points"])
    for name in ("installations.json", "installations.geojson"):
        [site] = sites_of(export(client, name))
        assert not site["has_live_data"] and site["price_from"] is None
        assert all(p["status"] is None and p["connectors"] == [] for p in site["charge_points"])
    assert all(
        not row["status"] and not row["price_tariff_id"]
        for row in export(client, "installations.csv")
    )
    assert export(client, "status.json")["charge_points"] == []
    withdrawn = export(client, "status.json", since=since)["charge_points"]
    assert [(p["status"], p["evse_id"], p["connectors"]) for p in withdrawn] == [
        (None, None, [])
    ] * 2
    assert coverage("ES", "ABC")[0]["with_live_data"] == 0
    at = public.database_now()
    assert public.repriced_charge_points(at - timedelta(days=1), at + timedelta(days=1)) == []
    assert db.session.scalar(db.text("SELECT count(*) FROM public_connectors")) == 0


# --- staging: every reader of the door answers nothing ----------------------------------

NOW = datetime(2025, 1, 1, 12, tzinfo=UTC)


def all_charge_points() -> list[int]:
    return db.session.scalars(db.text("SELECT id FROM charge_points")).all()


READERS = [
    (lambda: list(public.installations()), []),
    (lambda: public.installation("INST1"), None),
    (lambda: list(public.documents.documents(at=NOW)), []),
    (public.map_sites, []),
    (public.map_places, []),
    (lambda: public.live_columns(["INST1"]), public.NOTHING_LIVE),
    (lambda: public.changed_charge_points(NOW - timedelta(days=3650)), []),
    (lambda: list(public.public_charge_points(all_charge_points())), []),
    (lambda: public.dynamic_changes(NOW - timedelta(days=3650), NOW), set()),
    (lambda: public.changed_installations(NOW - timedelta(days=3650), NOW), []),
    (lambda: public.retired_installations(NOW - timedelta(days=3650)), []),
    (lambda: public.next_change(NOW - timedelta(days=3650)), None),
    (lambda: public.repriced_charge_points(NOW - timedelta(days=3650), NOW), []),
]


NIGHT = {
    "elements": [
        {
            "price_components": [{"type": "ENERGY", "price": 0.25, "vat": 21.0, "step_size": 1}],
            "restrictions": {"start_time": "22:00", "end_time": "08:00"},
        },
        {"price_components": [{"type": "ENERGY", "price": 0.45, "vat": 21.0, "step_size": 1}]},
    ]
}


@pytest.mark.parametrize(("reader", "empty"), READERS)
def test_staging_publishes_nothing_from_any_reader(app, world, client, reader, empty):
    client.put("/api/2.2.1/tariffs/ES/ABC/T1", json=TARIFF | NIGHT, headers=headers(world))
    window = ("--start", "2030-01-01T00:00", "--end", "2030-01-01T02:00")
    cli(app, "cpo", "maintenance", "add", "ES", "ABC", *window)
    add_installation("OLD", refs=())
    execute("UPDATE installations SET retired_at = now() WHERE id = 'OLD'")
    assert reader() != empty  # production publishes each of them
    app.config["ENVIRONMENT"] = "staging"
    assert reader() == empty


def test_staging_serves_empty_exports_and_map_documents(app, world, client):
    app.config["ENVIRONMENT"] = "staging"
    assert export(client, "installations.json")["installations"] == []
    assert export(client, "installations.geojson")["features"] == []
    assert export(client, "installations.csv") == []
    assert export(client, "status.json")["charge_points"] == []
    assert client.get("/map/sites.json").json["lat"] == []
    assert client.get("/map/live.json").json["site"] == []


# --- the migration -----------------------------------------------------------------------


def views_of(database_url: str) -> set[str]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT viewname FROM pg_views WHERE schemaname = 'public'")
        return {row[0] for row in rows} - {"geography_columns", "geometry_columns"}


def test_the_public_views_come_with_0005_and_go_with_its_downgrade(empty_database):
    assert flask_db(empty_database, "upgrade").returncode == 0
    views = {"public_parties", "public_evse_candidates", "public_evses", "public_connectors"}
    views |= {"public_locations", "public_parking"}  # migration 0008 (OCPI 2.3.0, issue #16)
    assert views_of(empty_database) == views
    downgraded = flask_db(empty_database, "downgrade", "0007")
    assert downgraded.returncode == 0, downgraded.stderr
    assert views_of(empty_database) == views - {"public_locations", "public_parking"}
    downgraded = flask_db(empty_database, "downgrade", "0004")
    assert downgraded.returncode == 0, downgraded.stderr
    assert views_of(empty_database) == set()
    assert flask_db(empty_database, "upgrade").returncode == 0
    assert views_of(empty_database) == views


def test_the_view_tables_name_columns_the_views_have(app):
    for view in views.sorted_tables:
        assert db.session.execute(sa.select(view).limit(0)).all() == []
