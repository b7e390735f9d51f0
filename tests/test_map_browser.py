"""The public map in headless Chromium, served by gunicorn on the committed database.

One small world for the whole module (building it and starting gunicorn once keeps the
module fast); each test gets a fresh browser context. Tiles come from a local stub, so
nothing reaches the internet.
"""

import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from sgv.core import dataversion
from sgv.extensions import db
from tests.browser import PHONE, map_pages, served
from tests.ocpi_helpers import headers
from tests.public_helpers import add_installation, live_cpo, location_body, push_status

TILE_STUB = "/static/img/tile-stub.png"
MARKUP = '<img src=x onerror="document.title=1">Plaza & "Sol"'
MADRID = {"latitude": 40.42, "longitude": -3.70}


def place(site_id: str, municipality: str, province: str, **kwargs) -> None:
    """Register an installation in a given place (the helper puts every site in Madrid)."""
    site = add_installation(site_id, **kwargs)
    site.municipality, site.province = municipality, province
    db.session.commit()


def build_world(app) -> None:
    """Five sites: two live ones in Madrid, a revoked CPO's, two static ones."""
    client = app.test_client()
    add_installation("M1", name="Plaza Mayor")  # ABC: 150 kW CCS + 22 kW T2, both free
    refs = (("ES*ABC*E1", 50, "CHADEMO"), ("ES*ABC*E2", 50, "IEC_62196_T2_COMBO"))
    add_installation("M2", name="Atocha", lat="40.407000", lon="-3.691000", refs=refs)
    place("S1", "Sevilla", "Sevilla", party_id="ZZZ", name="Sin datos", lat="37.3891",
          lon="-5.9845", refs=(("ES*ZZZ*S1", 7, "DOMESTIC_F"),))  # fmt: skip
    place("X1", "Oviedo", "Asturias", party_id="ZZZ", name=MARKUP, lat="43.3614",
          lon="-5.8494", refs=(("ES*ZZZ*X1", 11, "IEC_62196_T2"),))  # fmt: skip
    place("B1", "Barcelona", "Barcelona", party_id="XYZ", name="Revocada", lat="41.3874",
          lon="2.1686")  # fmt: skip
    token = live_cpo(client, location_id="M1")
    body = location_body("M2", lat="40.407000", lon="-3.691000")
    client.put("/api/2.2.1/locations/ES/ABC/M2", json=body, headers=headers(token))
    for evse in ("U1", "U2"):
        push_status(client, token, "CHARGING", "2026-01-01T10:00:00Z", evse=evse, location_id="M2")
    live_cpo(client, party_id="XYZ", location_id="B1")
    result = app.test_cli_runner().invoke(
        args=["sgv", "cpo", "revoke", "ES", "XYZ", "--reason", "t"]
    )
    assert result.exit_code == 0, result.output
    dataversion.touch(dataversion.STATIC)
    db.session.commit()


@pytest.fixture(scope="module")
def base_url(committed_database: str) -> Iterator[str]:
    """The world above, committed, served by gunicorn with stub tiles."""
    # LIVE_REFRESH=0: tests change the data between pages (a bad currency stored,
    # then restored) and must not meet live data throttled from before the change.
    with served(committed_database, build_world, TILE_URL=TILE_STUB, LIVE_REFRESH="0") as url:
        yield url


@pytest.fixture
def open_map(browser: Browser, base_url: str) -> Iterator:
    """Open the map at a query string in a fresh context; fail on any script error."""
    with map_pages(browser, base_url) as open_page:
        yield open_page


def shown(page: Page) -> int:
    return int(page.get_attribute("html", "data-sgv-shown"))


def open_filters(page: Page) -> None:
    if page.get_attribute("#sgv-filters-toggle", "aria-expanded") == "false":
        page.click("#sgv-filters-toggle")


def test_clusters_appear_over_every_site(open_map):
    page = open_map()
    assert shown(page) == 5
    expect(page.locator(".sgv-cluster").first).to_be_visible()
    assert "2" in page.locator(".sgv-cluster").all_inner_texts()  # the two Madrid sites
    expect(page.locator("#sgv-status")).to_have_text("5 de 5 instalaciones")


@pytest.mark.parametrize(
    ("name", "value", "count"),
    [("connector", "CHADEMO", 1), ("min_kw", "50", 3), ("operator", "ZZZ", 2),
     ("available", "1", 1), ("max_price", "0.5", 2)],
)  # fmt: skip
def test_each_filter_changes_what_is_shown_and_the_url(open_map, name, value, count):
    page = open_map()
    open_filters(page)
    field = page.locator(f"#sgv-filters [name={name}]")
    if name == "available":
        field.check()
    elif name == "max_price":
        field.fill(value)
    else:
        field.select_option(value)
    page.wait_for_function(f"document.documentElement.dataset.sgvShown === '{count}'")
    assert f"{name}={value}" in page.url
    page.click("#sgv-filters button[type=reset]")
    page.wait_for_function("document.documentElement.dataset.sgvShown === '5'")


def test_shared_url_restores_view_and_filters(open_map):
    page = open_map("?lat=40.41&lon=-3.70&z=12&min_kw=50&available=1&lang=en")
    assert shown(page) == 1
    expect(page.locator("#sgv-filters [name=min_kw]")).to_have_value("50")
    expect(page.locator("#sgv-locate")).to_contain_text("Near me")
    assert page.evaluate("document.documentElement.lang") == "en"
    view = parse_qs(urlsplit(page.url).query)  # the map rewrites it as it moves
    assert abs(float(view["lat"][0]) - 40.41) < 0.01 and abs(float(view["lon"][0]) + 3.70) < 0.01
    assert view["z"] == ["12"] and view["lang"] == ["en"]


def test_search_suggests_places_and_moves_the_map(open_map):
    page = open_map()
    page.fill("#sgv-search", "sevil")
    option = page.locator("#sgv-suggestions li", has_text="Sevilla (Sevilla)")
    expect(option).to_contain_text("Municipio")
    option.click()
    page.wait_for_function("location.search.includes('lat=37.')")
    page.fill("#sgv-search", "atoch")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#sgv-panel-title")).to_have_text("Atocha")


def test_search_by_operator_sets_the_operator_filter(open_map):
    page = open_map()
    page.fill("#sgv-search", "operador zz")
    page.locator("#sgv-suggestions li", has_text="Operador").first.click()
    page.wait_for_function("document.documentElement.dataset.sgvShown === '2'")
    assert "operator=ZZZ" in page.url


def test_panel_shows_live_status_and_price(open_map):
    page = open_map("?lat=40.4165&lon=-3.7035&z=18")
    page.click(".sgv-marker.free")
    panel = page.locator("#sgv-panel")
    expect(page.locator("#sgv-panel-title")).to_have_text("Plaza Mayor")
    expect(panel).to_contain_text("2 de 2 libres ahora")
    expect(panel.locator(".point-status").first).to_contain_text("Libre · actualizado hace")
    expect(panel).to_contain_text(
        "0,45\u00a0€/kWh sin IVA · IVA 21\u00a0% · 0,5445\u00a0€/kWh con IVA"
    )


@pytest.fixture
def bad_currency(base_url):
    """CPO ABC's tariff holds a currency no browser can format, written straight into the
    database as a row stored before currencies were validated (issue #14)."""

    def store(currency: str) -> None:
        db.session.execute(
            db.text(
                "UPDATE tariffs SET data = jsonb_set(data, '{currency}', "
                "to_jsonb(CAST(:c AS text))) WHERE party_id = 'ABC'"
            ),
            {"c": currency},
        )
        dataversion.touch(dataversion.DYNAMIC)
        db.session.commit()

    store("=A1")
    yield
    store("EUR")


def test_a_bad_stored_currency_never_stops_the_panel_drawing_charge_points(open_map, bad_currency):
    page = open_map("?lat=40.4165&lon=-3.7035&z=18")
    page.click(".sgv-marker.free")
    panel = page.locator("#sgv-panel")
    expect(page.locator("#sgv-panel-title")).to_have_text("Plaza Mayor")
    expect(panel.locator("li.point")).to_have_count(2)
    expect(panel.locator(".point-status").first).to_contain_text("Libre · actualizado hace")


def test_the_panel_formats_a_price_in_any_currency_it_receives(open_map):
    # The server no longer sends a malformed currency (it drops that price); the panel must
    # still survive one from any source: Intl.NumberFormat throws RangeError on it.
    def with_bad_currency(route):
        detail = route.fetch().json()
        for point in detail["charge_points"]:
            for connector in point["prices"]:
                if connector["price"]:
                    connector["price"]["currency"] = "=A1"
        route.fulfill(json=detail)

    page = open_map("?lat=40.4165&lon=-3.7035&z=18")
    page.route("**/map/installations/M1.json", with_bad_currency)
    page.click(".sgv-marker.free")
    panel = page.locator("#sgv-panel")
    expect(panel.locator("li.point")).to_have_count(2)
    expect(panel.locator(".price").first).to_contain_text("0,45\u00a0=A1/kWh sin IVA")


def fetched(page: Page, name: str) -> int:
    """Return how many times the page has fetched /map/<name>."""
    entries = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
    return sum(1 for url in entries if urlsplit(url).path == f"/map/{name}")


def test_ids_are_fetched_only_when_a_site_is_first_opened(open_map):
    page = open_map("?lat=40.4165&lon=-3.7035&z=18")
    assert fetched(page, "ids.json") == 0  # the markers and their live badges need none
    page.click(".sgv-marker.free")
    expect(page.locator("#sgv-panel-title")).to_have_text("Plaza Mayor")
    expect(page.locator("#sgv-panel")).to_contain_text("2 de 2 libres ahora")
    link = page.locator("#sgv-panel a", has_text="Ficha completa")
    expect(link).to_have_attribute("href", re.compile(r"^/installations/M1\?lang=es$"))
    page.click("#sgv-panel-close")
    page.fill("#sgv-search", "atoch")
    expect(page.locator("#sgv-suggestions")).to_contain_text("Atocha")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#sgv-panel-title")).to_have_text("Atocha")
    expect(page.locator("#sgv-panel")).to_contain_text("0 de 2 libres ahora")
    assert fetched(page, "ids.json") == 1  # once for the page's life


def test_live_data_for_another_order_fetches_the_sites_again(open_map):
    page = open_map("?lat=40.4165&lon=-3.7035&z=18")
    other = "0" * 16  # the key of a newer order: same sites here, so positions still hold
    calls = {"sites": 0}

    def answer(route, name: str) -> None:
        doc = route.fetch().json()
        calls[name] = calls.get(name, 0) + 1
        route.fulfill(status=200, content_type="application/json",
                      body=json.dumps({**doc, "key": other}))  # fmt: skip

    page.route("**/map/live.json", lambda route: answer(route, "live"))
    page.route("**/map/sites.json", lambda route: answer(route, "sites"))
    page.evaluate("document.documentElement.removeAttribute('data-sgv-live')")
    page.evaluate("sgvMap.refreshLive()")
    page.wait_for_selector("html[data-sgv-live]")  # applied once the sites match its key
    assert (calls["live"], calls["sites"]) == (1, 1)
    expect(page.locator(".sgv-marker.free")).to_be_visible()
    page.evaluate("document.documentElement.removeAttribute('data-sgv-live')")
    page.evaluate("sgvMap.refreshLive()")
    page.wait_for_selector("html[data-sgv-live]")
    assert (calls["live"], calls["sites"]) == (2, 1)  # same key now: no second fetch


def test_revoked_cpo_installation_shows_no_status_or_price(open_map):
    page = open_map("?lat=41.3874&lon=2.1686&z=18")
    marker = page.locator(".sgv-marker")
    expect(marker).to_have_class(re.compile(r"\bstatic\b"))  # hollow: no live data
    marker.click()
    panel = page.locator("#sgv-panel")
    expect(page.locator("#sgv-panel-title")).to_have_text("Revocada")
    expect(panel.locator(".note")).to_contain_text("no ofrece ahora datos en tiempo real")
    assert "€" not in panel.inner_text() and "Libre" not in panel.inner_text()


def test_name_with_markup_shows_as_text(open_map):
    page = open_map("?lat=43.3614&lon=-5.8494&z=18")
    page.click(".sgv-marker")
    expect(page.locator("#sgv-panel-title")).to_have_text(MARKUP)
    page.fill("#sgv-search", "plaza &")
    expect(page.locator("#sgv-suggestions")).to_contain_text(MARKUP)
    assert page.locator("#sgv-panel img, #sgv-suggestions img").count() == 0
    assert page.title() != "1"


def test_markers_work_with_the_keyboard(open_map):
    page = open_map("?lat=40.4165&lon=-3.7035&z=18")
    page.focus(".sgv-marker")
    page.keyboard.press("Enter")
    expect(page.locator("#sgv-panel-title")).to_have_text("Plaza Mayor")
    expect(page.locator("#sgv-panel-title")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#sgv-panel")).to_be_hidden()
    expect(page.locator(".sgv-marker")).to_be_focused()


def test_phone_finds_the_nearest_free_fast_ccs_charger_and_its_price(open_map):
    page = open_map(viewport=PHONE, geolocation=MADRID, permissions=["geolocation"])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    open_filters(page)
    page.select_option("#sgv-filters [name=connector]", "IEC_62196_T2_COMBO")
    page.select_option("#sgv-filters [name=min_kw]", "50")
    page.check("#sgv-filters [name=available]")
    page.click("#sgv-locate")
    first = page.locator(".nearest-item").first
    expect(first).to_contain_text("Plaza Mayor")
    expect(first).to_contain_text("desde 0,45\u00a0€/kWh sin IVA")
    assert page.locator(".nearest-item").count() == 1
    box = page.locator("#sgv-panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    first.click()
    expect(page.locator("#sgv-panel-title")).to_have_text("Plaza Mayor")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_near_me_refused_says_so_clearly(open_map):
    page = open_map()
    page.click("#sgv-locate")
    expect(page.locator("#sgv-status")).to_have_text(re.compile("No tenemos permiso"))
    expect(page.locator("#sgv-status")).to_have_class(re.compile("error"))
