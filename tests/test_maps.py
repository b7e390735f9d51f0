"""The public map's page, its JSON and the installation page (SPEC §4, §8; STYLE §5, §7)."""

import gzip
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from sgv.core import dataversion
from sgv.extensions import db
from sgv.maps.i18n import Formatter
from sgv.models import Party
from tests.public_helpers import add_installation, live_cpo, push_status

GZIP = {"Accept-Encoding": "gzip"}
MARKUP = '<img src=x onerror="alert(1)">Plaza & "Sol"'


def register(*args, **kwargs) -> None:
    """Add a RIPREE installation and bump the static version, as `ripree import` does."""
    add_installation(*args, **kwargs)
    dataversion.touch(dataversion.STATIC)
    db.session.commit()


def cli(app, *args: str) -> None:
    result = app.test_cli_runner().invoke(args=["sgv", *args])
    assert result.exit_code == 0, result.output


def settings_of(html: str) -> dict:
    """Return the settings the page hands to static/js/map.js."""
    found = re.search(r"sgvMap\.start\([^,]+, [^,]+,\s*(\{.*?\})\);", html, re.S)
    return json.loads(found[1])


@pytest.fixture
def world(app, client):
    """INST1 of a live CPO ABC (two EVSEs, 0.45 €/kWh + 21 % VAT), INST2 static only."""
    register()
    register("INST2", party_id="ZZZ", lat="41.38", lon="2.17", name="Sin datos")
    return live_cpo(client)


# ---- the page --------------------------------------------------------------------------


def test_map_page_is_folium_leaflet_without_markers_iframe_or_cdn(world, client):
    html = client.get("/").get_data(as_text=True)
    assert "L.map(" in html and "L.markerClusterGroup(" in html and "sgvMap.start(" in html
    assert "<iframe" not in html and "Plaza Mayor" not in html  # markers are not embedded
    assert "user-scalable=no" not in html  # folium's header is dropped: pages may zoom
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(not re.match(r"(https?:)?//", url) for url in urls)
    assert '"maxZoom": 19' in html  # markercluster needs it when tiles set none


def test_map_page_uses_the_configured_tiles(app, client):
    app.config["TILE_URL"] = "/static/img/tile-stub.png"
    html = client.get("/").get_data(as_text=True)
    assert 'L.tileLayer(\n                "/static/img/tile-stub.png"' in html


def test_map_page_starts_at_the_view_and_filters_of_the_url(client):
    query = "lat=41.38&lon=2.17&z=12&connector=CHADEMO&min_kw=50&operator=ABC&available=1"
    html = client.get(f"/?{query}&max_price=0.4").get_data(as_text=True)
    assert "center: [41.38, 2.17]" in html and '"zoom": 12' in html
    assert '<option value="CHADEMO" selected>' in html
    assert '<option value="50" selected>' in html
    assert settings_of(html)["filters"] == {
        "connector": "CHADEMO",
        "min_kw": 50.0,
        "operator": "ABC",
        "available": True,
        "max_price": 0.4,
    }


def test_map_page_ignores_bad_url_values(client):
    response = client.get("/?lat=north&lon=2&z=99&min_kw=-3&connector=<b>&max_price=nan")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    filters = settings_of(html)["filters"]
    assert set(filters.values()) == {None}
    assert not settings_of(html)["view"]


@pytest.mark.parametrize(
    ("query", "cookie", "expected"),
    [("", None, "es"), ("?lang=en", None, "en"), ("", "en", "en"), ("?lang=es", "en", "es"),
     ("?lang=fr", None, "es")],
)  # fmt: skip
def test_language_comes_from_the_url_then_the_cookie_then_spanish(client, query, cookie, expected):
    if cookie:
        client.set_cookie("lang", cookie)
    html = client.get(f"/{query}").get_data(as_text=True)
    assert f'<html lang="{expected}">' in html
    assert settings_of(html)["lang"] == expected


def test_language_chosen_in_the_url_is_remembered(client):
    response = client.get("/?lang=en")
    assert "lang=en" in response.headers["Set-Cookie"]
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


# ---- sites.json ------------------------------------------------------------------------


def ids_of(client, doc: dict) -> list[str]:
    """Return the installation ids of a sites.json, from /map/ids.json of the same key."""
    ids = client.get("/map/ids.json").json
    assert ids["key"] == doc["key"]
    assert len(ids["id"]) == len(doc["lat"])
    return ids["id"]


def decode_sites(client, doc: dict) -> dict[str, dict]:
    """Undo the column and delta encoding: id → site."""
    sites, lat, lon = {}, 0, 0
    for n, site_id in enumerate(ids_of(client, doc)):
        lat, lon = lat + doc["lat"][n], lon + doc["lon"][n]
        bits = doc["connector"][n]
        sites[site_id] = {
            "lat": lat / doc["scale"],
            "lon": lon / doc["scale"],
            "kw": doc["kw"][n],
            "connectors": [c for k, c in enumerate(doc["connectors"]) if bits >> k & 1],
            "operator": doc["operators"][doc["operator"][n]],
            "points": doc["points"][n],
        }
    return sites


def live_of(client, sites: dict) -> dict[str, dict]:
    """Return live.json as id → entry, checking that it is for these sites."""
    doc = client.get("/map/live.json").json
    assert doc["key"] == sites["key"]
    ids = ids_of(client, sites)
    columns = ("available", "live", "unknown", "price_from")
    return {ids[n]: {c: doc[c][k] for c in columns} for k, n in enumerate(doc["site"])}


def test_sites_json_is_compact_columns_of_every_public_site(world, client):
    doc = client.get("/map/sites.json").json
    assert all(isinstance(doc[k], list) for k in ("lat", "lon", "kw", "points"))
    assert "live" not in doc  # cached per static version: which sites are live is live.json's
    assert decode_sites(client, doc) == {
        "INST1": {
            "lat": 40.4165,
            "lon": -3.7035,
            "kw": 150,
            "connectors": ["IEC_62196_T2", "IEC_62196_T2_COMBO"],
            "operator": ["ABC", "Operador ABC"],
            "points": 2,
        },
        "INST2": {
            "lat": 41.38,
            "lon": 2.17,
            "kw": 150,
            "connectors": ["IEC_62196_T2", "IEC_62196_T2_COMBO"],
            "operator": ["ZZZ", "Operador ZZZ"],
            "points": 2,
        },
    }


def test_sites_json_is_gzipped_with_an_etag_and_answers_304(world, client):
    plain = client.get("/map/sites.json")
    zipped = client.get("/map/sites.json", headers=GZIP)
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(zipped.get_data()) == plain.get_data()
    assert zipped.headers["ETag"] != plain.headers["ETag"]  # one tag per representation
    again = client.get("/map/sites.json", headers={**GZIP, "If-None-Match": zipped.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert "no-cache" in plain.headers["Cache-Control"]


def test_sites_json_is_cached_by_the_static_version_only(world, client):
    tag = client.get("/map/sites.json").headers["ETag"]
    push_status(client, world, "CHARGING", "2026-01-01T10:00:00Z")  # bumps the dynamic version
    add_installation("INST3", name="Nueva")  # committed, but no static bump yet
    assert client.get("/map/sites.json").headers["ETag"] == tag
    dataversion.touch(dataversion.STATIC)
    db.session.commit()
    response = client.get("/map/sites.json")
    assert response.headers["ETag"] != tag and "INST3" in ids_of(client, response.json)


def test_places_json_names_the_sites_in_the_same_order(world, client):
    sites, places = client.get("/map/sites.json").json, client.get("/map/places.json").json
    assert places["key"] == sites["key"]
    named = dict(zip(ids_of(client, sites), places["name"], strict=True))
    assert named == {"INST1": "Plaza Mayor", "INST2": "Sin datos"}
    town = places["municipalities"][places["municipality"][0]]
    assert town == ["Madrid", places["provinces"].index("Madrid")]
    assert places["address"] == ["Calle Mayor 1"] * 2


# ---- live.json and details -------------------------------------------------------------


def test_sites_json_has_no_ids_and_ids_json_names_its_sites_in_order(world, client):
    sites = client.get("/map/sites.json")
    assert b"INST" not in sites.get_data() and "id" not in sites.json
    assert sorted(ids_of(client, sites.json)) == ["INST1", "INST2"]
    ids = client.get("/map/ids.json", headers=GZIP)  # cached, gzipped, 304 like sites.json
    again = client.get("/map/ids.json", headers={**GZIP, "If-None-Match": ids.headers["ETag"]})
    assert ids.headers["Content-Encoding"] == "gzip" and again.status_code == 304


def test_live_json_points_at_its_sites_by_position_in_the_same_order(app, world, client):
    sites = client.get("/map/sites.json").json
    live = client.get("/map/live.json").json
    assert "id" not in live and live["key"] == sites["key"]
    ids = ids_of(client, sites)
    assert [ids[n] for n in live["site"]] == ["INST1"]
    # A site registered before INST1 in map order (Sevilla's geohash sorts before
    # Madrid's) shifts it: a new key, and live.json follows at once with new positions.
    refs = (("ES*ZZZ*S1", 7, "DOMESTIC_F"),)
    register("INST0", party_id="ZZZ", lat="37.3891", lon="-5.9845", name="Antes", refs=refs)
    moved = client.get("/map/sites.json").json
    assert moved["key"] != sites["key"]
    assert ids_of(client, moved).index("INST1") == ids.index("INST1") + 1
    assert live_of(client, moved).keys() == {"INST1"}


def test_live_json_gives_availability_and_price_from(world, client):
    sites = client.get("/map/sites.json").json
    assert live_of(client, sites) == {
        "INST1": {"available": 2, "live": 2, "unknown": 0, "price_from": 0.45}
    }


def test_live_json_follows_each_push(app, world, client):
    app.config["LIVE_REFRESH"] = 0  # tests/test_caching.py covers the throttling
    client.get("/map/live.json")  # warm the cache
    push_status(client, world, "CHARGING", "2026-01-01T10:00:00Z")
    sites = client.get("/map/sites.json").json
    assert live_of(client, sites)["INST1"]["available"] == 1


def test_detail_json_has_register_data_status_and_prices(world, client):
    db.session.execute(db.update(Party).values(phone="+34 900 000 000"))
    dataversion.touch(dataversion.STATIC)
    db.session.commit()
    detail = client.get("/map/installations/INST1.json").json
    assert detail["name"] == "Plaza Mayor" and detail["operator"]["phone"] == "+34 900 000 000"
    assert detail["live"] is True and detail["price_from"] == 0.45
    point = detail["charge_points"][0]
    assert point["status"] == "AVAILABLE" and point["status_at"] == "2025-01-01T10:00:00Z"
    assert point["prices"][0]["price"] == {
        "currency": "EUR",
        "energy_excl_vat": 0.45,
        "vat_rate": 21,
        "energy_incl_vat": 0.5445,
        "flat": None,
        "time_per_hour": None,
        "parking_per_hour": None,
        "free": False,
    }


def test_installation_page_shows_what_spec_8_lists(world, client):
    db.session.execute(db.update(Party).values(phone="+34 900 000 000"))
    dataversion.touch(dataversion.STATIC)
    db.session.commit()
    html = client.get("/installations/INST1").get_data(as_text=True)
    for text in ("Plaza Mayor", "Calle Mayor 1, 28013 Madrid (Madrid)", "Operador ABC",
                 'href="tel:+34900000000"', "Abierto 24 horas", "ES*ABC*E1", "150 kW",
                 "CCS (Combo 2)", "Libre", "actualizado hace", "0,45\u00a0€/kWh sin IVA",
                 "IVA 21\u00a0%", "0,5445\u00a0€/kWh con IVA"):  # fmt: skip
        assert text in html, text
    english = client.get("/installations/INST1?lang=en").get_data(as_text=True)
    assert "€0.45/kWh excl. VAT" in english and "Free" in english


def test_site_without_live_data_shows_a_neutral_note_and_no_status(world, client):
    html = client.get("/installations/INST2").get_data(as_text=True)
    assert 'id="live-note"' in html
    assert "€" not in html and "Libre" not in html
    assert client.get("/map/installations/INST2.json").json["live"] is False


def test_unknown_status_shows_a_neutral_note_not_the_status(world, client):
    db.session.execute(db.update(Party).values(unknown_since=datetime.now(UTC)))
    dataversion.touch(dataversion.DYNAMIC)
    db.session.commit()
    html = client.get("/installations/INST1").get_data(as_text=True)
    assert html.count("Estado en tiempo real no disponible ahora.") == 2
    assert "actualizado hace" not in html
    sites = client.get("/map/sites.json").json
    assert live_of(client, sites)["INST1"]["unknown"] == 2


def test_unknown_installation_is_404_as_page_and_json(client):
    assert client.get("/installations/NOPE").status_code == 404
    response = client.get("/map/installations/NOPE.json")
    assert response.status_code == 404 and response.json["code"] == 404


# ---- what must never show -----------------------------------------------------------


def test_revoked_cpo_shows_no_status_or_price_in_any_endpoint(app, world, client):
    urls = ("/map/sites.json", "/map/ids.json", "/map/live.json", "/map/installations/INST1.json")
    for url in urls:
        client.get(url)  # warm every cache first
    cli(app, "cpo", "revoke", "ES", "ABC", "--reason", "bad data")
    sites = client.get("/map/sites.json").json
    assert live_of(client, sites) == {}
    detail = client.get("/map/installations/INST1.json").json
    assert detail["live"] is False and detail["price_from"] is None
    assert all(p["status"] is None and p["prices"] == [] for p in detail["charge_points"])
    html = client.get("/installations/INST1").get_data(as_text=True)
    assert 'id="live-note"' in html and "€" not in html and "Libre" not in html


def test_staging_publishes_nothing(app, world, client):
    for url in ("/map/sites.json", "/map/ids.json", "/map/places.json", "/map/live.json"):
        client.get(url)  # production documents in the cache must not leak
    app.config["ENVIRONMENT"] = "staging"
    assert client.get("/map/sites.json").json["lat"] == []
    assert client.get("/map/ids.json").json["id"] == []
    assert client.get("/map/places.json").json["name"] == []
    assert client.get("/map/live.json").json["site"] == []
    assert client.get("/map/installations/INST1.json").status_code == 404
    assert client.get("/installations/INST1").status_code == 404
    assert "Entorno de pruebas" in client.get("/").get_data(as_text=True)


def test_markup_in_a_name_is_escaped_on_the_page(app, client):
    register("X1", name=MARKUP)
    html = client.get("/installations/X1").get_data(as_text=True)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;Plaza &amp; &#34;Sol&#34;" in html
    assert client.get("/map/places.json").json["name"] == [MARKUP]  # data; JS uses textContent


# ---- prices as phrases ------------------------------------------------------------------


def price(**figures) -> dict:
    base = dict.fromkeys(("energy_excl_vat", "vat_rate", "energy_incl_vat", "flat"))
    base.update(time_per_hour=None, parking_per_hour=None, free=False, currency="EUR")
    return {**base, **figures}


@pytest.mark.parametrize(
    ("figures", "es"),
    [
        (None, ["Precio no publicado"]),
        (price(free=True), ["Gratuito"]),
        (price(energy_excl_vat=Decimal("0.3"), vat_rate=Decimal(21),
               energy_incl_vat=Decimal("0.363")),
         ["0,30\u00a0€/kWh sin IVA", "IVA 21\u00a0%", "0,363\u00a0€/kWh con IVA"]),
        (price(energy_excl_vat=Decimal("0.3")), ["0,30\u00a0€/kWh sin IVA", "IVA no informado"]),
        (price(flat=Decimal(1), time_per_hour=Decimal("2.5"), parking_per_hour=Decimal(3)),
         ["1,00\u00a0€ por sesión", "2,50\u00a0€ por hora de carga",
          "3,00\u00a0€ por hora de estacionamiento"]),
    ],
)  # fmt: skip
def test_price_phrases_show_vat_only_when_known(figures, es):
    assert Formatter("es").price_parts(figures) == es


def test_age_of_a_status_is_said_in_minutes_hours_or_days():
    fmt, now = Formatter("en"), datetime.now(UTC)
    ages = [fmt.age(now - timedelta(minutes=m)) for m in (0, 5, 150, 4 * 1440)]
    assert ages == ["<1 min", "5 min", "2 h", "4 days"]
