"""Installations along a route (SPEC §8 corridor=): selection, order, filters, hostile input.

The world is the demo register (661 real sites) with one live CPO; the route is the straight
line Madrid → Valencia a driver draws on the map. The oracle is independent of PostGIS: the
great-circle line sampled every ~300 m, and haversine distances to the samples.
"""

import csv
import io
import math
from urllib.parse import quote

import polyline
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sgv.opendata import route
from tests.conftest import module_world
from tests.ocpi_helpers import headers
from tests.test_opendata import SITE, conforms, load_demo, run_cli

# The demo world of test_opendata, built once for this module in a database of its own.
demo_world, rolled_back_database, demo = module_world("demo", load_demo)

MADRID, VALDEMORO, VALENCIA = (40.4168, -3.7038), (40.19398, -3.69273), (39.4699, -0.3763)
LINE = polyline.encode([MADRID, VALENCIA], 5)
VIA = polyline.encode([MADRID, VALDEMORO, VALENCIA], 5)  # a waypoint at the live site
# Back and forth over Spain: the worst corridor a URL may hold (bench/route.py's zigzag).
ZIGZAG = [(36.2 + (n % 2) * 7.5, -9.0 + n * 0.35) for n in range(36)]
EARTH = 6371.0088


def ask(client, name: str = "installations.json", **args):
    response = client.get(f"/opendata/{name}", query_string=args)
    body = response.get_data(as_text=True)
    assert response.status_code == 200, body[:300]
    return conforms(name, response.get_json()) if name.endswith("json") else body


def haversine(a, b) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH * math.asin(math.sqrt(h))


def samples(points) -> list[tuple[float, tuple[float, float]]]:
    """Return (km from the start, point) every ~300 m along great-circle edges."""
    out, done = [], 0.0
    for a, b in zip(points, points[1:], strict=False):
        length = haversine(a, b)
        va, vb = (unit(*a), unit(*b))
        omega = math.acos(max(-1.0, min(1.0, sum(x * y for x, y in zip(va, vb, strict=True)))))
        steps = max(1, int(length / 0.3))
        for k in range(steps + 1):
            t = k / steps
            wa, wb = math.sin((1 - t) * omega), math.sin(t * omega)
            v = [(wa * x + wb * y) / math.sin(omega) for x, y in zip(va, vb, strict=True)]
            lat = math.degrees(math.asin(v[2]))
            out.append((done + t * length, (lat, math.degrees(math.atan2(v[1], v[0])))))
        done += length
    return out


def unit(lat: float, lon: float) -> tuple[float, float, float]:
    la, lo = math.radians(lat), math.radians(lon)
    return (math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la))


def nearest(line, site) -> tuple[float, float]:
    """Return (distance to the line in km, km along it) of a site, by the samples."""
    d, along = min((haversine(p, site), km) for km, p in line)
    return d, along


def position(site: dict) -> tuple[float, float]:
    c = site["coordinates"]
    return (c["latitude"], c["longitude"])


# --- what a driver gets along Madrid → Valencia ---------------------------------------


def test_corridor_lists_the_sites_within_km_ordered_along_the_route(demo, client):
    everything = ask(client)["installations"]
    line = samples([MADRID, VALENCIA])
    oracle = {s["id"]: nearest(line, position(s)) for s in everything}
    document = ask(client, corridor=LINE, km="5")
    found = document["installations"]
    ids = [s["id"] for s in found]
    assert document["filters"]["corridor"] == LINE and document["filters"]["km"] == 5
    assert {i for i, (d, _) in oracle.items() if d < 4.8} <= set(ids)
    assert all(oracle[i][0] < 5.2 for i in ids)
    assert len(ids) >= 10  # Madrid's sites, and some on the way: not a trivial answer
    kms = [s["route_km"] for s in found]
    assert kms == sorted(kms) and kms[0] < 15 and kms[-1] <= haversine(MADRID, VALENCIA) * 1.01
    for site in found:  # the distance from the start, along the route (PostGIS: on the
        # spheroid, the oracle on a sphere: 0.3 % apart)
        assert site["route_km"] == pytest.approx(oracle[site["id"]][1], rel=0.01, abs=1.0)
    assert "route_km" not in everything[0]  # only with corridor=


def test_a_wider_corridor_holds_the_narrower_one_and_km_defaults_to_5(demo, client):
    narrow = [s["id"] for s in ask(client, corridor=LINE)["installations"]]
    five = [s["id"] for s in ask(client, corridor=LINE, km="5")["installations"]]
    wide = [s["id"] for s in ask(client, corridor=LINE, km="50")["installations"]]
    assert narrow == five and set(five) < set(wide)
    assert [i for i in wide if i in set(five)] == five  # one order along the route


def test_the_three_formats_agree_on_the_route_order_and_route_km(demo, client):
    found = ask(client, corridor=VIA, km="10")["installations"]
    features = ask(client, "installations.geojson", corridor=VIA, km="10")["features"]
    rows = list(
        csv.DictReader(io.StringIO(ask(client, "installations.csv", corridor=VIA, km="10")))
    )
    assert [f["id"] for f in features] == [s["id"] for s in found]
    assert [f["properties"]["route_km"] for f in features] == [s["route_km"] for s in found]
    seen = list(dict.fromkeys((r["installation_id"], float(r["route_km"])) for r in rows))
    assert seen == [(s["id"], s["route_km"]) for s in found]


def test_a_waypoint_bends_the_route(demo, client):
    straight = {s["id"] for s in ask(client, corridor=LINE)["installations"]}
    bent = {s["id"]: s for s in ask(client, corridor=VIA)["installations"]}
    assert SITE not in straight and SITE in bent  # Valdemoro is 25 km off the straight line
    assert bent[SITE]["route_km"] == pytest.approx(haversine(MADRID, VALDEMORO), abs=0.3)
    assert bent[SITE]["has_live_data"] is True


def test_other_filters_narrow_the_corridor(demo, client):
    along = ask(client, corridor=LINE, km="20")["installations"]
    ibd = ask(client, corridor=LINE, km="20", operator="IBD")["installations"]
    assert ibd == [s for s in along if s["operator"]["party_id"] == "IBD"] and ibd
    box = "-3.0,39.0,0.0,41.0"  # east of Madrid only
    east = ask(client, corridor=LINE, km="20", bbox=box)["installations"]
    assert east == [s for s in along if s["coordinates"]["longitude"] >= -3.0] and east


def test_a_revoked_cpos_live_data_is_absent_along_the_route(demo, app, client):
    live = {s["id"]: s for s in ask(client, corridor=VIA)["installations"]}[SITE]
    assert {p["status"] for p in live["charge_points"]} == {"AVAILABLE"}
    run_cli(app, "cpo", "revoke", "ES", "IBD", "--reason", "stale data")
    for name in ("installations.json", "installations.geojson"):
        document = ask(client, name, corridor=VIA)
        sites = document.get("installations") or [f["properties"] for f in document["features"]]
        site = next(s for s in sites if s["id"] == SITE)  # the register's data stays
        assert site["has_live_data"] is False and site["price_from"] is None
        assert {p["status"] for p in site["charge_points"]} == {None}
    rows = csv.DictReader(io.StringIO(ask(client, "installations.csv", corridor=VIA)))
    assert {r["status"] for r in rows if r["installation_id"] == SITE} == {""}


def sites_of(document: dict) -> list[dict]:
    return document.get("installations") or [f["properties"] for f in document["features"]]


def every_format(client, **args) -> list[str]:
    """Return the ids an export selects, the same in JSON, GeoJSON and CSV (asserted)."""
    found = [s["id"] for s in ask(client, **args)["installations"]]
    geo = [f["id"] for f in ask(client, "installations.geojson", **args)["features"]]
    rows = csv.DictReader(io.StringIO(ask(client, "installations.csv", **args)))
    assert geo == found and list(dict.fromkeys(r["installation_id"] for r in rows)) == found
    return found


def largest_kw(site: dict) -> float:
    return max((p["max_power_kw"] for p in site["charge_points"]), default=0)


def test_the_maps_filters_narrow_the_corridor_in_every_format(demo, client):
    along = ask(client, corridor=VIA, km="10")["installations"]
    fast = every_format(client, corridor=VIA, km="10", min_kw="50")
    assert fast == [s["id"] for s in along if largest_kw(s) >= 50] and 0 < len(fast) < len(along)
    chademo = every_format(client, corridor=VIA, km="10", connector="CHADEMO")
    has = [
        s["id"] for s in along if any("CHADEMO" in p["connector_types"] for p in s["charge_points"])
    ]
    assert chademo == has and chademo
    # Only the live CPO's site has live data: AVAILABLE now, 0.45 €/kWh ex VAT.
    assert every_format(client, corridor=VIA, km="10", available="1") == [SITE]
    assert every_format(client, corridor=VIA, km="10", available="0") == [s["id"] for s in along]
    assert every_format(client, corridor=VIA, km="10", max_price="0.45") == [SITE]
    assert every_format(client, corridor=VIA, km="10", max_price="0.44") == []
    both = ask(client, corridor=VIA, km="10", min_kw="50", available="true", max_price="1")
    assert [s["id"] for s in both["installations"]] == [SITE]
    assert {k: both["filters"][k] for k in ("min_kw", "available", "max_price", "connector")} == {
        "min_kw": 50,
        "available": True,
        "max_price": 1,
        "connector": None,
    }


def test_the_maps_filters_work_without_a_corridor(demo, client):
    everything = ask(client)["installations"]
    fast = ask(client, min_kw="150")["installations"]
    assert [s["id"] for s in fast] == [s["id"] for s in everything if largest_kw(s) >= 150]
    assert [s["id"] for s in ask(client, available="1")["installations"]] == [SITE]


def test_available_now_follows_the_pushed_status(demo, client):
    for evse in ("U1", "U2"):
        response = client.patch(
            f"/api/2.2.1/locations/ES/IBD/{SITE}/{evse}",
            json={"status": "CHARGING", "last_updated": "2025-06-02T10:00:00Z"},
            headers=headers(demo),
        )
        assert response.status_code == 200
    assert every_format(client, corridor=VIA, available="1") == []
    assert every_format(client, corridor=VIA, max_price="0.5") == [SITE]  # priced all the same


def test_a_revoked_cpo_is_neither_available_nor_priced_along_the_route(demo, app, client):
    assert every_format(client, corridor=VIA, available="1", max_price="0.5") == [SITE]
    run_cli(app, "cpo", "revoke", "ES", "IBD", "--reason", "stale data")
    assert every_format(client, corridor=VIA, available="1") == []
    assert every_format(client, corridor=VIA, max_price="100") == []
    assert SITE in every_format(client, corridor=VIA, min_kw="50")  # its register data stays


# --- refusals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "parameter", "words"),
    [
        ({"corridor": "?" * 2002}, "corridor", "more than 2000"),
        ({"corridor": LINE + " "}, "corridor", "not a polyline character"),
        ({"corridor": "_|tuFvkrUb}wD{{hS_"}, "corridor", "cut off"),
        ({"corridor": "_|tuFvkrUb}wD"}, "corridor", "without its longitude"),
        ({"corridor": "_|tuFvkrU"}, "corridor", "at least 2"),
        ({"corridor": "_|tuFvkrU??"}, "corridor", "at least 2"),  # twice the same point
        ({"corridor": ""}, "corridor", "at least 2"),
        ({"corridor": polyline.encode([(89.9, 0), (95.0, 0)], 5)}, "corridor", "out of range"),
        ({"corridor": "~" * 1500 + "????"}, "corridor", "too large"),
        ({"corridor": LINE, "km": "0"}, "km", "more than 0"),
        ({"corridor": LINE, "km": "50.01"}, "km", "at most 50"),
        ({"corridor": LINE, "km": "-1"}, "km", "more than 0"),
        ({"corridor": LINE, "km": "nan"}, "km", "not permitted"),
        ({"corridor": LINE, "km": "five"}, "km", "valid number"),
        ({"km": "5"}, "km", "needs a corridor"),
        ({"corridor": polyline.encode(ZIGZAG, 5), "km": "50"}, "corridor", "km long"),
        ({"corridor": polyline.encode(ZIGZAG[:4], 5), "km": "50"}, "corridor", "km²"),
        ({"corridor": LINE, "min_kw": "-1"}, "min_kw", "greater than or equal to 0"),
        ({"min_kw": "lots"}, "min_kw", "valid number"),
        ({"connector": "CCS; DROP"}, "connector", "OCPI connector standard"),
        ({"available": "yes"}, "available", "valid boolean"),
        ({"corridor": LINE, "max_price": "100.5"}, "max_price", "less than or equal to 100"),
    ],
)
def test_a_bad_corridor_is_a_400_naming_the_problem(app, client, args, parameter, words):
    for name in ("installations.json", "installations.geojson", "installations.csv"):
        response = client.get(f"/opendata/{name}", query_string=args)
        assert response.status_code == 400, response.get_data(as_text=True)[:200]
        description = response.get_json()["description"]
        assert f"parameter '{parameter}'" in description and words in description, description


@pytest.mark.parametrize("parameter", ["corridor", "km", "min_kw", "available", "max_price"])
def test_the_status_exports_take_no_corridor_nor_map_filter(app, client, parameter):
    for name in ("status.json", "datex2/status.xml"):
        response = client.get(f"/opendata/{name}", query_string={parameter: "1"})
        assert response.status_code == 400
        assert f"'{parameter}' is not accepted here" in response.get_json()["description"]


def test_a_corridor_over_the_area_bound_is_refused_and_a_long_trip_is_not(demo, client):
    """A 2,000-character zigzag over Spain at km 50 cost the database 16 s (bench/route.py);
    it is refused before any query. Barcelona → Cádiz at the default km is answered."""
    refused = client.get("/opendata/installations.json", query_string={
        "corridor": polyline.encode(ZIGZAG, 5), "km": "50"})  # fmt: skip
    assert refused.status_code == 400
    assert "more than 3,000 km" in refused.get_json()["description"]
    trip = polyline.encode([(41.3874, 2.1686), (36.5271, -6.2886)], 5)  # Barcelona → Cádiz
    assert client.get("/opendata/installations.json?corridor=" + quote(trip)).status_code == 200


POLYLINE_TEXT = st.text(alphabet=st.characters(min_codepoint=63, max_codepoint=126), max_size=80)
HOSTILE = st.one_of(
    POLYLINE_TEXT,
    st.text(max_size=60),
    st.builds(lambda n, tail: "~" * n + tail, st.integers(0, 2100), POLYLINE_TEXT),
    st.lists(st.tuples(st.floats(-200, 200), st.floats(-400, 400)), min_size=1, max_size=6).map(
        lambda points: polyline.encode(points, 5)
    ),
)


@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(corridor=HOSTILE, km=st.one_of(st.none(), st.text(max_size=8), st.floats().map(str)))
def test_no_corridor_gets_a_server_error(app, client, corridor, km):
    args = {"corridor": corridor} if km is None else {"corridor": corridor, "km": km}
    response = client.get(
        "/opendata/installations.json?"
        + "&".join(f"{k}={quote(v, safe='')}" for k, v in args.items())
    )
    body = response.get_data(as_text=True)
    assert response.status_code in (200, 400), body[:300]
    if response.status_code == 400:
        assert "'corridor'" in body or "'km'" in body, body


@given(
    st.lists(
        st.tuples(st.integers(-9_000_000, 9_000_000), st.integers(-18_000_000, 18_000_000)),
        min_size=2,
        max_size=40,
    ).filter(lambda points: len(set(points)) >= 2)
)
def test_decoding_returns_what_was_encoded(points):
    degrees = [(lat / 1e5, lon / 1e5) for lat, lon in points]
    assert route.decode(polyline.encode(degrees, 5)) == tuple(degrees)
