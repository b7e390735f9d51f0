"""What a charge costs, in headless Chromium: the map's panel and the installation page.

The world of tests/test_map_browser.py, served by gunicorn: Plaza Mayor (M1) of live CPO
ABC has two DC connectors (150 kW CCS, 22 kW Type 2) on tariff T1, 0.45 €/kWh excl. VAT
and 21 % VAT. The DC default, 40 kWh in 25 min: 40 × 0.45 = 18.00; × 1.21 = 21.78. 20 kWh:
9.00 and 10.89. Revocada (B1) belongs to a revoked CPO.
"""

import re

from playwright.sync_api import Page, expect

from tests.test_map_browser import PHONE, base_url, open_map  # noqa: F401 (fixtures)

PLAZA_MAYOR = "?lat=40.4165&lon=-3.7035&z=18"
DEFAULT = "Una recarga de 40 kWh en 25 min cuesta unos 18,00\u00a0€ sin IVA (21,78\u00a0€ con IVA)"
TWENTY = "Una recarga de 20 kWh en 25 min cuesta unos 9,00\u00a0€ sin IVA (10,89\u00a0€ con IVA)"
TOO_FAST = "Necesita 96 kW de media y este conector da como máximo 22 kW: tardaría más."


def open_plaza_mayor(page: Page):
    page.click(".sgv-marker.free")
    expect(page.locator("#sgv-panel-title")).to_have_text("Plaza Mayor")
    cost = page.locator("#sgv-panel .cost")
    expect(cost.locator(".cost-text")).to_have_text([DEFAULT, DEFAULT])
    return cost


def test_the_panel_shows_the_cost_and_follows_the_kwh_typed(open_map):  # noqa: F811
    page = open_map(PLAZA_MAYOR)
    cost = open_plaza_mayor(page)
    expect(cost.locator("h3")).to_have_text("Cuánto cuesta cargar aquí ahora")
    expect(cost.locator(".cost-note")).to_have_text([TOO_FAST])  # the 22 kW connector
    expect(cost.locator("[name=kwh]")).to_have_value("40")
    expect(cost.locator("[name=minutes]")).to_have_value("25")
    cost.locator("[name=kwh]").fill("20")  # no button: it follows the typing
    expect(cost.locator(".cost-text")).to_have_text([TWENTY, TWENTY])


def test_the_cost_works_by_keyboard_on_a_phone(open_map):  # noqa: F811
    page = open_map(PLAZA_MAYOR, viewport=PHONE)
    page.focus(".sgv-marker.free")
    page.keyboard.press("Enter")
    expect(page.locator("#sgv-panel .cost-text").first).to_have_text(DEFAULT)
    for _ in range(20):  # from the panel's title, Tab reaches the kWh field
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "kwh":
            break
    assert page.evaluate("document.activeElement.name") == "kwh"
    page.keyboard.press("Control+A")
    page.keyboard.type("20")
    page.keyboard.press("Enter")
    expect(page.locator("#sgv-panel .cost-text").first).to_have_text(TWENTY)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    box = page.locator("#sgv-panel .cost-form").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]


def test_a_bad_session_says_why_and_keeps_the_last_figures(open_map):  # noqa: F811
    page = open_map(PLAZA_MAYOR)
    cost = open_plaza_mayor(page)
    cost.locator("[name=kwh]").fill("5000")
    expect(cost.locator(".error")).to_contain_text("No se puede calcular: kwh: Must be")
    expect(cost.locator(".cost-text")).to_have_text([DEFAULT, DEFAULT])


def test_a_revoked_cpo_shows_no_cost(open_map):  # noqa: F811
    page = open_map(PLAZA_MAYOR)
    open_plaza_mayor(page)  # a live CPO's site shows one
    page.goto(page.url.split("?")[0] + "?lat=41.3874&lon=2.1686&z=18")
    page.wait_for_selector("html[data-sgv-ready][data-sgv-live]")
    page.click(".sgv-marker")
    expect(page.locator("#sgv-panel-title")).to_have_text("Revocada")
    expect(page.locator("#sgv-panel .note")).to_contain_text("no ofrece ahora datos")
    assert page.locator("#sgv-panel .cost").count() == 0


def test_the_installation_page_recalculates_by_keyboard_without_script(browser, base_url):  # noqa: F811
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base_url}/installations/M1")
    expect(page.locator(".cost-lines li").first).to_contain_text(DEFAULT)
    page.locator(".cost-form [name=kwh]").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("20")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"kwh=20&minutes=25"))
    expect(page.locator(".cost-lines li").first).to_contain_text(TWENTY)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
