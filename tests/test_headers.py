"""Security headers on every answer (SPEC §10, sgv/core/headers.py), and the map under them.

The browser test reuses tests/test_map_browser.py's Chromium and world, served by gunicorn
with its tiles from another origin (a stub tile server on loopback), and fails on any
Content-Security-Policy violation while a driver uses the map and opens a site's page.
"""

import re
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, expect

from sgv import create_app
from sgv.extensions import db
from tests.conftest import app_settings, rolled_back, truncate_all
from tests.public_helpers import add_installation
from tests.servers import ROOT, free_port, gunicorn
from tests.test_map_browser import build_world

TILE = (ROOT / "static" / "img" / "tile-stub.png").read_bytes()
URLS = ("/", "/opendata/", "/installations/INST1", "/installations/NOPE", "/map/sites.json",
        "/opendata/openapi.json", "/opendata/status.json", "/healthz")  # fmt: skip


def csp(response) -> dict[str, str]:
    """Return the response's Content-Security-Policy as {directive: sources}."""
    policy = response.headers["Content-Security-Policy"]
    return dict(part.strip().partition(" ")[::2] for part in policy.split(";"))


@pytest.mark.parametrize("url", URLS)
def test_every_answer_carries_the_security_headers(client, url):
    add_installation()
    response = client.get(url)
    policy = csp(response)
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert re.fullmatch(r"'self' 'nonce-[\w-]+'", policy["script-src"])
    assert policy["style-src"] == "'self'"  # no inline style anywhere
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "Strict-Transport-Security" not in response.headers  # plain http: development


@pytest.mark.parametrize(
    ("tile_url", "img_src"),
    [
        (None, "'self' data: https://tile.openstreetmap.org"),
        ("https://{s}.tiles.example.org/{z}/{x}/{y}.png", "'self' data: https://*.tiles.example.org"),
        ("http://127.0.0.1:8081/{z}/{x}/{y}.png?key=1", "'self' data: http://127.0.0.1:8081"),
        ("/static/img/tile-stub.png", "'self' data:"),
    ],
)  # fmt: skip
def test_images_may_come_from_the_configured_tile_server(rolled_back_database, tile_url, img_src):
    settings = {"TILE_URL": tile_url} if tile_url else {}
    app = create_app(app_settings(rolled_back_database, **settings))
    with app.test_client().get("/static/css/sgv.css") as response:  # a static file: no database
        assert csp(response)["img-src"] == img_src


def test_a_tile_url_no_policy_can_name_is_refused():
    with pytest.raises(ValueError, match="SGV_TILE_URL must be an http"):
        create_app(app_settings("postgresql://x@127.0.0.1/x", TILE_URL="https://a.{s}.b.org/t.png"))


def test_https_is_not_forced_in_development_and_hsts_only_over_https(client):
    assert client.get("/healthz").status_code == 200
    secure = client.get("/healthz", base_url="https://sgv.test")
    hsts = secure.headers["Strict-Transport-Security"]
    assert re.fullmatch(r"max-age=\d{8}; includeSubDomains", hsts)


def test_https_is_forced_when_configured(rolled_back_database):
    app = create_app(app_settings(rolled_back_database, FORCE_HTTPS=True))
    answer = app.test_client().get("/opendata/?x=1")
    assert answer.status_code == 302
    assert re.fullmatch(r"https://[^/]+/opendata/\?x=1", answer.headers["Location"])


def test_the_ocpi_api_is_left_alone_even_when_https_is_forced(rolled_back_database):
    app = create_app(app_settings(rolled_back_database, FORCE_HTTPS=True))
    with app.app_context(), rolled_back(app):
        answer = app.test_client().get("/api/versions")  # a CPO server, not a browser
    assert answer.status_code == 401 and answer.json["status_code"] == 2000  # no redirect
    assert "Content-Security-Policy" not in answer.headers


class InlineCode(HTMLParser):
    """Collect what a strict CSP would refuse: inline scripts without the nonce, styles."""

    def __init__(self, nonce: str) -> None:
        super().__init__()
        self.nonce, self.refused, self.nonced = nonce, [], 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        names = dict(attrs)
        if tag == "script" and "src" not in names:
            if names.get("nonce") == self.nonce:
                self.nonced += 1
            else:
                self.refused.append(f"<script> without the nonce at line {self.getpos()[0]}")
        if tag == "style":
            self.refused.append(f"<style> at line {self.getpos()[0]}")
        self.refused += [f"{tag} {name}=" for name in names if name == "style" or
                         name.startswith("on")]  # fmt: skip


@pytest.mark.parametrize("url", ["/", "/opendata/", "/installations/INST1", "/nothing-here"])
def test_pages_hold_no_inline_code_but_the_map_script_by_nonce(client, url):
    add_installation()
    response = client.get(url)
    nonce = csp(response)["script-src"].split("'nonce-")[1].rstrip("'")
    page = InlineCode(nonce)
    page.feed(response.text)
    assert page.refused == []
    assert page.nonced == (1 if url == "/" else 0)


# --- the map in Chromium -----------------------------------------------------------------


@pytest.fixture(scope="module")
def tile_server() -> Iterator[dict]:
    """Serve the stub tile at every path on another loopback origin; count requests."""
    seen = {"tiles": 0}

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            seen["tiles"] += 1
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(TILE)))
            self.end_headers()
            self.wfile.write(TILE)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Tiles)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    seen["url"] = f"http://127.0.0.1:{server.server_port}/{{z}}/{{x}}/{{y}}.png"
    yield seen
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def served(committed_database: str, tile_server: dict) -> Iterator[str]:
    """tests/test_map_browser.py's world under gunicorn, tiles from the tile server."""
    app = create_app(app_settings(committed_database))
    with app.app_context():
        try:
            build_world(app)
            with gunicorn(committed_database, TILE_URL=tile_server["url"]) as url:
                yield url
        finally:
            db.session.remove()
            truncate_all()
            db.engine.dispose()


def reported(message) -> bool:
    """Tell whether a console message is an error of ours (the browser's favicon 404 is not)."""
    return message.type == "error" and not message.location.get("url", "").endswith("favicon.ico")


REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) =>
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`));
"""


def test_the_map_works_under_the_content_security_policy(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    served: str,
    tile_server: dict,
):
    context = browser.new_context(viewport={"width": 1100, "height": 750})
    page = context.new_page()
    errors: list[str] = []
    page.add_init_script(REPORT_VIOLATIONS)
    page.on("console", lambda m: errors.append(m.text) if reported(m) else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{served}/?lat=40.4165&lon=-3.7035&z=18", wait_until="load")
        assert errors == []
        page.wait_for_selector("html[data-sgv-ready][data-sgv-live]")
        # No wait_for_function: Playwright polls its predicate with eval, which the CSP forbids.
        page.wait_for_selector("img.leaflet-tile-loaded")
        assert tile_server["tiles"] > 0  # the CSP let the configured tile host's images in
        page.click(".sgv-marker.free")
        expect(page.locator("#sgv-panel-title")).to_have_text("Plaza Mayor")
        expect(page.locator("#sgv-panel")).to_contain_text("2 de 2 libres ahora")
        page.click("#sgv-panel a:has-text('Ficha completa')")
        expect(page.locator("h1")).to_have_text("Plaza Mayor")
        assert urlsplit(page.url).path == "/installations/M1"
        page.goto(f"{served}/opendata/", wait_until="load")
        style = "t => getComputedStyle(t).borderCollapse"
        # Its styles, moved to a file, apply.
        assert page.eval_on_selector(".opendata table", style) == "collapse"
        assert errors == []
    finally:
        context.close()
