"""The installation page's availability chart on a phone in headless Chromium (issue #19)."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from sgv import create_app
from sgv.extensions import db
from sgv.history import store
from tests.conftest import app_settings
from tests.test_accessibility import AXE, BLOCKING
from tests.test_map_browser import PHONE
from tests.test_map_browser import base_url as served_map  # noqa: F401 (fixture)


@pytest.fixture(scope="module")
def base_url(served_map: str, committed_database: str) -> str:  # noqa: F811
    """The map tests' world with its availability built, as the hourly job would."""
    app = create_app(app_settings(committed_database))
    with app.app_context():
        store.build()
        db.session.commit()
        db.engine.dispose()
    return served_map


@pytest.fixture
def phone(browser: Browser) -> Iterator:  # noqa: F811
    context = browser.new_context(viewport=PHONE, bypass_csp=True)  # axe is injected
    yield context.new_page()
    context.close()


def test_a_phone_shows_the_chart_and_its_table_by_keyboard(phone, base_url):  # noqa: F811
    errors = []
    phone.on("pageerror", lambda error: errors.append(error))
    phone.goto(f"{base_url}/installations/M1?lang=en")  # AVAILABLE since 2025: 4 full weeks
    chart = phone.get_by_role("img", name="Chart of availability by day and hour")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert box["height"] > 100  # 7 legible rows, not a sliver
    assert chart.locator("rect").count() == 7 * 24
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # The text alternative: a table behind a summary that the keyboard opens.
    table = phone.locator(".availability-table table")
    expect(table).to_be_hidden()
    summary = phone.locator(".availability-table summary")
    summary.focus()
    phone.keyboard.press("Enter")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(24)
    expect(table.locator("tbody tr").nth(10)).to_contain_text("100%")
    table_box = table.bounding_box()
    assert table_box["x"] + table_box["width"] <= PHONE["width"]
    # Open, it passes axe too (closed, tests/test_accessibility.py audits the page).
    phone.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = phone.evaluate("async () => (await axe.run('.availability')).violations")
    assert [v["id"] for v in found if v["impact"] in BLOCKING] == []
    assert not errors, errors
