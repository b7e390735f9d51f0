"""An axe-core audit (tests/vendor/axe-core, issue #19) of the public pages in Chromium:
the map, an installation page, /operators, an operator's page and /opendata/, on a
desktop and on a 375 px phone. No serious or critical violation is allowed."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from tests.test_map_browser import PHONE, base_url  # noqa: F401 (base_url: a fixture)

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")
PAGES = {
    "map": "/?lang=es",
    "map with a panel open": "/?lat=40.4165&lon=-3.7035&z=18&lang=es",
    "installation": "/installations/M1",
    "operators": "/operators",
    "operator": "/operators/ES-ABC",
    "opendata": "/opendata/",
}


@pytest.fixture(params=[{"width": 1100, "height": 750}, PHONE], ids=["desktop", "phone"])
def page(request, browser: Browser) -> Iterator[Page]:  # noqa: F811
    # bypass_csp: axe is injected as a script, which the pages' CSP rightly refuses.
    context = browser.new_context(viewport=request.param, bypass_csp=True)
    yield context.new_page()
    context.close()


def violations(page: Page, url: str) -> list[str]:
    """Load `url`, run axe on it, and describe each serious or critical violation."""
    page.goto(url)
    if "/?" in url:
        page.wait_for_selector("html[data-sgv-ready][data-sgv-live]")
    if "z=18" in url:  # the detail panel of a live site, drawn by the map's script
        page.click(".sgv-marker.free")
        page.wait_for_selector("#sgv-panel .point-status")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_or_critical_violation(page, base_url, name):  # noqa: F811
    assert violations(page, base_url + PAGES[name]) == []
