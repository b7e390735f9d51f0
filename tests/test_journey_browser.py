"""Issue #19's "done when", end to end in headless Chromium on a 375 × 667 px phone.

The demo data as `demo load` makes it (the whole register; the demo CPOs integrated over
real OCPI, eight sites each to stay quick; four weeks of simulated history; the hourly
availability job run once), served by gunicorn. A driver plans Madrid → València with
the route form and SGV's own place suggestions, asks for ≥ 50 kW, CCS and "available
now", takes a charger along the route, reads what 40 kWh cost there and when it is
usually free; then a third party downloads the operators' figures from /opendata/.
Everything by taps and keys in the page, asserting what is on the screen.
"""

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from sgv.demo.load import load
from tests.browser import PHONE, phone_page, served
from tests.test_route_browser import choose, ready, route_list

RIVAS = "M-RivasVaciamadrid-004"  # IBD: 2 × 50 kW CCS free, 2 × 22 kW AC; 2 km off the line
# IBD's DC tariff: 0.59 €/kWh excl. VAT, VAT 21 %: 40 × 0.59 = 23.60; × 1.21 = 28.556.
COST = "A 40 kWh session in 25 min costs about €23.60 excl. VAT (€28.56 incl. VAT)"


@pytest.fixture(scope="module")
def base_url(committed_database: str) -> Iterator[str]:
    with served(
        committed_database, lambda app: load(limit=8), TILE_URL="/static/img/tile-stub.png"
    ) as url:
        yield url


@pytest.fixture(scope="module")
def phone(base_url: str, browser: Browser) -> Iterator[Page]:
    """One phone-sized page (CSP bypassed for Playwright's polling only); no script error."""
    with phone_page(browser) as page:
        yield page


def fits(page: Page) -> None:
    """Nothing runs off a 375 px screen sideways."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_driver_plans_finds_prices_and_knows_when_free_and_a_third_party_downloads(
    phone, base_url
):
    ready(phone, f"{base_url}/?lang=en")
    phone.click("#sgv-route-toggle")
    choose(phone, "#sgv-route-from", "Madrid", "Madrid (Madrid)", keyboard=False)
    phone.focus("#sgv-route-to")
    choose(phone, "#sgv-route-to", "Valencia", "València (Valencia/València)", keyboard=True)
    phone.focus("#sgv-route-go")
    phone.keyboard.press("Enter")
    everything = route_list(phone)
    assert len(everything) >= 10  # the register's sites along the straight line

    phone.click("#sgv-filters-toggle")
    filters = phone.locator("#sgv-filters")
    filters.get_by_label("Minimum power").select_option(label="≥ 50 kW")
    filters.get_by_label("Connector").select_option(label="CCS (Combo 2)")
    filters.get_by_label("Available now").check()
    items = phone.locator("#sgv-route-list .route-item")
    expect(items).to_have_count(1)  # of the demo CPOs' pushed sites, the one on the way
    expect(items.first).to_contain_text(RIVAS)
    fits(phone)

    items.first.click()
    panel = phone.locator("#sgv-panel")
    expect(panel.locator("#sgv-panel-title")).to_have_text(RIVAS)
    ccs = panel.locator(".cost-lines li").filter(has_text="CCS (Combo 2)")
    expect(ccs.first.locator(".cost-text")).to_have_text(COST)  # DC's default: 40 kWh
    fits(phone)

    panel.get_by_role("link", name="Details").click()  # the shareable page
    expect(phone.locator("h1")).to_have_text(RIVAS)
    expect(phone.locator(".cost-lines li").filter(has_text="CCS (Combo 2)").first).to_contain_text(
        COST
    )
    chart = phone.get_by_role("img", name="Chart of availability by day and hour")
    expect(chart).to_be_visible()
    expect(phone.locator("#availability-simulated")).to_have_text("Simulated history (demo).")
    phone.locator(".availability-table summary").focus()
    phone.keyboard.press("Enter")  # the text alternative, by keyboard
    table = phone.locator(".availability-table table")
    expect(table.locator("tbody tr")).to_have_count(24)
    expect(table.locator("tbody tr").nth(3)).to_contain_text("%")  # 03h: figures, not "no data"
    fits(phone)

    phone.goto(f"{base_url}/opendata/?lang=en")  # a third party, from the open-data page
    phone.get_by_role("link", name="operators.json").first.click()
    figures = json.loads(phone.locator("body").inner_text())
    by_party = {o["party_id"]: o for o in figures["operators"]}
    iberdrola = by_party["IBD"]
    assert iberdrola["state"] == "live" and iberdrola["live_charge_points"] > 0
    assert iberdrola["charge_points"] > iberdrola["live_charge_points"]  # 8 sites pushed
    assert by_party["913"]["live_charge_points"] == 0  # registered, not approved: hidden
    assert {"country_code", "name", "obliged_without_live"} <= set(iberdrola)
