"""The map's "suitable for trucks" filter in headless Chromium (OCPI 2.3.0, issue #16).

Three sites served by gunicorn on the committed database: one whose CPO pushed a truck
parking place over OCPI 2.3.0, one live site without, one static site. Ticking the box
(or opening a URL with trucks=1) shows only the first.
"""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from sgv.core import dataversion
from sgv.extensions import db
from tests.browser import map_pages, served
from tests.ocpi_helpers import headers
from tests.public_helpers import add_installation, live_cpo, location_body
from tests.test_map_browser import TILE_STUB, open_filters, shown

TRUCK_BAY = {
    "id": "BAY1",
    "vehicle_types": ["TRUCK_WITH_TRAILER"],
    "restricted_to_type": True,
    "reservation_required": False,
}


def build_world(app) -> None:
    client = app.test_client()
    add_installation("M1", name="Plaza Mayor")
    refs = (("ES*ABC*T1", 350, "IEC_62196_T2_COMBO"), ("ES*ABC*T2", 350, "MCS"))
    add_installation("TR1", name="Área de camiones", lat="40.5", lon="-3.6", refs=refs)
    add_installation("S1", party_id="ZZZ", name="Sin datos", lat="41.0", lon="-4.0")
    token = live_cpo(client, location_id="M1")
    body = location_body("TR1", lat="40.5", lon="-3.6") | {"parking_places": [TRUCK_BAY]}
    for n, evse in enumerate(body["evses"], start=1):
        evse["evse_id"] = f"ES*ABC*T{n}"
        evse["parking"] = [{"parking_id": "BAY1"}]
    response = client.put("/api/2.3.0/locations/ES/ABC/TR1", json=body, headers=headers(token))
    assert response.status_code == 201, response.json
    dataversion.touch(dataversion.STATIC)
    db.session.commit()


@pytest.fixture(scope="module")
def base_url(committed_database: str) -> Iterator[str]:
    with served(committed_database, build_world, TILE_URL=TILE_STUB, LIVE_REFRESH="0") as url:
        yield url


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator:
    with map_pages(browser, base_url) as open_page:
        yield open_page


def test_ticking_suitable_for_trucks_shows_only_sites_with_truck_parking(page):
    tab = page()
    assert shown(tab) == 3
    open_filters(tab)
    tab.locator("#sgv-filters [name=trucks]").check()
    tab.wait_for_function("document.documentElement.dataset.sgvShown === '1'")
    assert "trucks=1" in tab.url
    tab.locator("#sgv-filters [name=trucks]").uncheck()
    tab.wait_for_function("document.documentElement.dataset.sgvShown === '3'")
    assert "trucks=1" not in tab.url


def test_a_shared_url_with_trucks_restores_the_filter(page):
    tab = page("?trucks=1&lang=en")
    tab.wait_for_function("document.documentElement.dataset.sgvShown === '1'")
    assert tab.locator("#sgv-filters [name=trucks]").is_checked()
    assert "Suitable for trucks" in tab.locator("#sgv-filters").inner_text()
