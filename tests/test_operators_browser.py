"""/operators on a phone in headless Chromium: readable at 375 px, usable by keyboard."""

import pytest
from playwright.sync_api import expect

# The map tests' world (a live CPO, a revoked one, two never integrated), served once.
from tests.test_map_browser import PHONE, base_url  # noqa: F401 (base_url: a fixture)


def test_a_phone_reads_the_operators_and_reaches_one_by_keyboard(browser, base_url):  # noqa: F811
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(error))
    page.goto(f"{base_url}/operators?lang=en")
    rows = page.locator("table.figures tbody tr")
    expect(rows).to_have_count(3)  # ABC, XYZ, ZZZ
    revoked = rows.filter(has_text="ES*XYZ")
    expect(revoked.locator(".state")).to_have_text("Revoked")
    expect(revoked.locator("td").nth(2)).to_have_text("0")  # no live charge point shown
    # The page never scrolls sideways: the wide table scrolls inside its own region.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    region = page.locator(".table-scroll")
    assert region.evaluate("el => el.scrollWidth > el.clientWidth")
    # By keyboard: Tab reaches the region (to scroll it) and the operators' links.
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent").startswith("Operador ABC"):
            break
    else:
        pytest.fail("no operator link reached by keyboard")
    page.keyboard.press("Enter")
    page.wait_for_url("**/operators/ES-ABC**")
    expect(page.locator("h1")).to_contain_text("Operador ABC")
    expect(page.locator("#weeks")).to_be_visible()
    context.close()
    assert not errors, errors
