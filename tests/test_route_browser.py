"""The route planner in headless Chromium on a phone (issue #19): Madrid → Valencia.

The demo register (661 real sites) with one live CPO, served by gunicorn; a 375 × 667 px
window. A driver types the places into the suggestions, gets the sites along the straight
line in route order, narrows them to ≥ 50 kW, and reloads the URL she would share.
"""

import json
import urllib.request
from collections.abc import Iterator
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import polyline
import pytest
from playwright.sync_api import Browser, Page, expect

from sgv.core import dataversion
from sgv.extensions import db
from sgv.registry import import_register
from tests.browser import PHONE, phone_page, served
from tests.test_opendata import DEMO, go_live


def build_world(app) -> None:
    """The demo register, with Iberdrola live at Valdemoro."""
    import_register(DEMO)
    db.session.commit()
    go_live(app.test_client())
    dataversion.touch(dataversion.STATIC)
    db.session.commit()


@pytest.fixture(scope="module")
def base_url(committed_database: str) -> Iterator[str]:
    with served(committed_database, build_world, TILE_URL="/static/img/tile-stub.png") as url:
        yield url


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A phone-sized page (CSP bypassed for Playwright's polling only); no script error."""
    with phone_page(browser) as page:
        yield page


def ready(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("html[data-sgv-ready][data-sgv-live]")


def route_list(page: Page) -> list[tuple[float, str]]:
    page.wait_for_selector("html[data-sgv-route]")
    items = page.locator("#sgv-route-list .route-item")
    return [
        (float(items.nth(k).get_attribute("data-route-km")), items.nth(k).inner_text())
        for k in range(items.count())
    ]


def along(base_url: str, route: str, km: str = "5", **filters: str) -> list[dict]:
    """What the open data says lies along the route (the oracle for the list)."""
    url = f"{base_url}/opendata/installations.json?corridor={quote(route, safe='')}&km={km}"
    url += "".join(f"&{name}={value}" for name, value in filters.items())
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)["installations"]


def choose(page: Page, field: str, typed: str, option: str, *, keyboard: bool) -> None:
    """Type into a place field and take a suggestion, by keyboard or by tapping it."""
    page.fill(field, typed)
    listbox = page.locator(f"{field}-list")
    expect(listbox.get_by_role("option", name=option, exact=False).first).to_be_visible()
    if keyboard:
        labels = listbox.locator("li > span:last-child").all_text_contents()
        steps = next(k for k, label in enumerate(labels) if label.startswith(option)) + 1
        for _ in range(steps):
            page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
    else:
        listbox.get_by_role("option", name=option, exact=False).first.click()
    expect(listbox).to_be_hidden()


def test_a_driver_plans_madrid_to_valencia_filters_and_shares_it(phone, base_url):
    ready(phone, f"{base_url}/?lang=en")
    phone.click("#sgv-route-toggle")
    expect(phone.locator("#sgv-route")).to_be_visible()
    expect(phone.locator("#sgv-route")).to_contain_text(
        "No routing engine: the route is the straight"
    )
    choose(phone, "#sgv-route-from", "Madrid", "Madrid (Madrid)", keyboard=False)
    phone.focus("#sgv-route-to")
    choose(phone, "#sgv-route-to", "Valencia", "València (Valencia/València)", keyboard=True)
    phone.click("#sgv-route-go")

    listed = route_list(phone)
    expect(phone.locator("#sgv-route-list-title")).to_be_focused()
    expect(phone.locator("#sgv-route-list .route-item").first).to_be_in_viewport()
    route = parse_qs(urlsplit(phone.url).query)["route"][0]
    expected = along(base_url, route)
    assert len(listed) == len(expected) >= 10
    assert [km for km, _ in listed] == [s["route_km"] for s in expected]  # route order
    assert [km for km, _ in listed] == sorted(km for km, _ in listed)
    assert listed[0][1].startswith("km ") and expected[0]["name"] in listed[0][1]
    assert listed[-1][0] > 250  # Valencia is ~300 km away along the straight line
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    phone.click("#sgv-filters-toggle")
    phone.select_option("#sgv-filters [name=min_kw]", "50")
    fast = along(base_url, route, min_kw="50")  # the server's filter: the same sites
    assert fast == [s for s in expected if max(p["max_power_kw"] for p in s["charge_points"]) >= 50]
    expect(phone.locator("#sgv-route-list .route-item")).to_have_count(len(fast))
    filtered = route_list(phone)
    assert 0 < len(filtered) < len(listed)
    assert [km for km, _ in filtered] == [s["route_km"] for s in fast]
    query = parse_qs(urlsplit(phone.url).query)
    assert query["min_kw"] == ["50"] and query["route"] == [route]

    shared = phone.url
    phone.goto("about:blank")
    ready(phone, shared)  # a reload of the shared link: the same route, filters and list
    assert route_list(phone) == filtered
    expect(phone.locator("#sgv-route-results")).to_be_visible()
    expect(phone.locator("#sgv-route-list .route-item").first).to_be_in_viewport()
    assert parse_qs(urlsplit(phone.url).query)["route"] == [route]
    line = phone.locator(".leaflet-overlay-pane path")
    expect(line).to_have_count(1)


def test_the_route_works_by_keyboard_with_a_stop_and_a_wider_corridor(phone, base_url):
    ready(phone, f"{base_url}/?lang=en")
    phone.focus("#sgv-route-toggle")
    phone.keyboard.press("Enter")
    expect(phone.locator("#sgv-route-from")).to_be_focused()
    choose(phone, "#sgv-route-from", "40.4168, -3.7038", "40.4168, -3.7038", keyboard=True)
    phone.focus("#sgv-route-add")
    phone.keyboard.press("Enter")  # a stop at Valdemoro, the live site, 25 km off the line
    choose(phone, "#sgv-route-stop-1", "Valdemoro", "Valdemoro (Madrid)", keyboard=True)
    phone.focus("#sgv-route-to")
    choose(phone, "#sgv-route-to", "Valencia", "València (Valencia/València)", keyboard=True)
    phone.fill("#sgv-route-km", "10")
    phone.focus("#sgv-route-go")
    phone.keyboard.press("Enter")
    listed = route_list(phone)
    query = parse_qs(urlsplit(phone.url).query)
    assert query["route_km"] == ["10"]
    expected = along(base_url, query["route"][0], "10")
    assert [km for km, _ in listed] == [s["route_km"] for s in expected]
    assert any("Valdemoro" in s["address"]["municipality"] for s in expected)
    phone.locator("#sgv-route-list .route-item").first.focus()
    phone.keyboard.press("Enter")  # the detail panel of the first site along the route
    expect(phone.locator("#sgv-panel")).to_be_visible()


def test_a_track_file_is_simplified_into_the_url(phone, base_url, tmp_path):
    # A GPX track of 3,000 points from Madrid to Valencia (a wiggle every point).
    points = [
        (40.4168 + (39.4699 - 40.4168) * k / 2999 + (0.001 if k % 2 else 0),
         -3.7038 + (-0.3763 + 3.7038) * k / 2999)
        for k in range(3000)
    ]  # fmt: skip
    gpx = "".join(f'<trkpt lat="{lat:.6f}" lon="{lon:.6f}"/>' for lat, lon in points)
    track = tmp_path / "madrid-valencia.gpx"
    track.write_text(f'<gpx version="1.1" creator="t"><trk><trkseg>{gpx}</trkseg></trk></gpx>')
    ready(phone, f"{base_url}/?lang=en")
    phone.click("#sgv-route-toggle")
    phone.set_input_files("#sgv-route-file", str(track))
    listed = route_list(phone)
    route = parse_qs(urlsplit(phone.url).query)["route"][0]
    assert len(route) <= 2000 and len(listed) >= 10
    expect(phone.locator("#sgv-route-summary")).to_contain_text("Track simplified from 3,000")
    bad = tmp_path / "bad.gpx"
    bad.write_text("<gpx><oops")
    phone.set_input_files("#sgv-route-file", str(bad))
    expect(phone.locator("#sgv-status")).to_contain_text("We cannot read that file")


def test_a_route_too_long_for_its_corridor_says_so(phone, base_url):
    """A shared link whose corridor covers more than the server answers (a zigzag over Spain
    at km 50) tells the driver what to change, instead of a bare failure."""
    zigzag = polyline.encode([(36.2 + (n % 2) * 7.5, -9.0 + n * 0.35) for n in range(36)], 5)
    ready(phone, f"{base_url}/?lang=en&" + urlencode({"route": zigzag, "route_km": "50"}))
    expect(phone.locator("#sgv-route-summary")).to_have_text(
        "The route is too long for that distance: shorten it or lower the km."
    )
