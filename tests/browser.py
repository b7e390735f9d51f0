"""Headless Chromium and a served world, for the browser tests (one copy of the set-up).

A browser test builds its world in the committed database, serves it with gunicorn on a
free loopback port, and drives Debian's Chromium through Playwright (SGV_CHROMIUM);
nothing reaches the internet.
"""

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, Page, sync_playwright

from sgv import create_app
from sgv.extensions import db
from tests.conftest import app_settings, truncate_all
from tests.servers import gunicorn

CHROMIUM = os.environ.get("SGV_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]  # fmt: skip
PHONE = {"width": 375, "height": 667}


@contextmanager
def chromium() -> Iterator[Browser]:
    """Launch headless Chromium (conftest `browser`: once a run)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@contextmanager
def served(committed_database: str, build: Callable, **settings: str) -> Iterator[str]:
    """Build a world with `build(app)`, serve it under gunicorn; yield the base URL.

    The committed database is emptied afterwards, for the next module.
    """
    app = create_app(app_settings(committed_database))
    with app.app_context():
        try:
            build(app)
            with gunicorn(committed_database, **settings) as url:
                yield url
        finally:
            db.session.remove()
            truncate_all()
            db.engine.dispose()


@contextmanager
def phone_page(browser: Browser) -> Iterator[Page]:
    """A phone-sized touch page (CSP bypassed for Playwright's polling only); fails the
    test if a script error happened on it."""
    context = browser.new_context(viewport=PHONE, bypass_csp=True, has_touch=True)
    page = context.new_page()
    errors: list = []
    page.on("pageerror", lambda error: errors.append(error))
    yield page
    context.close()
    assert not errors, errors


@contextmanager
def map_pages(browser: Browser, base_url: str) -> Iterator[Callable[..., Page]]:
    """Yield `open_page(query, **context_options)`: the map at a query string, in a fresh
    desktop-sized context, ready and with its live data; fails on any script error."""
    contexts, errors = [], []

    def open_page(query: str = "", **context_options) -> Page:
        # bypass_csp: Playwright's wait_for_function polls with eval, which our CSP forbids;
        # tests/test_headers.py drives the map under the CSP.
        context = browser.new_context(**{"viewport": {"width": 1100, "height": 750},
                                         "bypass_csp": True, **context_options})  # fmt: skip
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(error))
        page.goto(f"{base_url}/{query}")
        page.wait_for_selector("html[data-sgv-ready][data-sgv-live]")
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, errors
