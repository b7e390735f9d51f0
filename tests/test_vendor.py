"""The map's JS and CSS come from static/vendor/, never from a public CDN (STYLE §7)."""

import re
from html.parser import HTMLParser
from pathlib import Path

import folium
import pytest
from flask import Flask, url_for
from folium import plugins

from sgv.maps.vendor import VENDORED, UnvendoredAsset, is_external, localise

STATIC = Path(__file__).resolve().parent.parent / "static"
VENDOR = STATIC / "vendor"
TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

# What folium 0.20 asks for, pinned: when folium changes one, refresh static/vendor/ (its
# README says how) and VENDORED, then this list.
FOLIUM_ASSETS = {
    "leaflet": "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js",
    "jquery": "https://code.jquery.com/jquery-3.7.1.min.js",
    "bootstrap": "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js",
    "awesome_markers": "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/"
    "leaflet.awesome-markers.js",
    "leaflet_css": "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css",
    "bootstrap_css": "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css",
    "glyphicons_css": "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
    "awesome_markers_font_css": "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/"
    "css/all.min.css",
    "awesome_markers_css": "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/"
    "leaflet.awesome-markers.css",
    "awesome_rotate_css": "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/"
    "templates/leaflet.awesome.rotate.min.css",
    "markerclusterjs": "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/"
    "leaflet.markercluster.js",
    "markerclustercss": "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/"
    "MarkerCluster.css",
    "markerclusterdefaultcss": "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/"
    "1.1.0/MarkerCluster.Default.css",
    "Control_locate_min_js": "https://cdnjs.cloudflare.com/ajax/libs/leaflet-locatecontrol/"
    "0.66.2/L.Control.Locate.min.js",
    "Control_locate_min_css": "https://cdnjs.cloudflare.com/ajax/libs/leaflet-locatecontrol/"
    "0.66.2/L.Control.Locate.min.css",
    "Control.Fullscreen.js": "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/"
    "Control.FullScreen.min.js",
    "Control.FullScreen.css": "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/"
    "Control.FullScreen.css",
}
USED = (folium.Map, plugins.MarkerCluster, plugins.LocateControl, plugins.Fullscreen)


class AssetLinks(HTMLParser):
    """Collect the URLs a page loads: script src, link href, img src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"script": "src", "link": "href", "img": "src", "iframe": "src"}.get(tag)
        for key, value in attrs:
            if key == wanted and value:
                self.urls.append(value)


def sample_map() -> folium.Map:
    """A map with every plugin SGV uses and a marker, on a tile layer we choose."""
    m = folium.Map(location=[40.4, -3.7], zoom_start=6, tiles=None)
    # Markercluster needs a maxZoom, which the tile layer sets.
    folium.TileLayer(TILES, attr="OpenStreetMap", max_zoom=19).add_to(m)
    cluster = plugins.MarkerCluster(options={"chunkedLoading": True}).add_to(m)
    folium.Marker([40.4, -3.7], icon=folium.Icon(icon="bolt", prefix="fa")).add_to(cluster)
    folium.Marker([41.4, 2.2]).add_to(cluster)  # default icon: glyphicons
    plugins.LocateControl().add_to(m)
    plugins.Fullscreen().add_to(m)
    return m


def render_localised(m: folium.Map) -> str:
    """Localise `m` with Flask's url_for, as a view would, and render its page."""
    app = Flask(__name__, static_folder=str(STATIC))
    with app.test_request_context():
        localise(m, lambda path: url_for("static", filename=path))
    return m.get_root().render()


def loaded_urls(html: str) -> list[str]:
    parser = AssetLinks()
    parser.feed(html)
    return parser.urls


def test_folium_asks_for_the_files_we_vendored():
    asked = {name: url for cls in USED for name, url in (*cls.default_js, *cls.default_css)}
    assert asked == FOLIUM_ASSETS, "folium's assets changed: refresh static/vendor/"
    assert set(asked) == set(VENDORED)


def test_localised_map_loads_only_vendored_files():
    html = render_localised(sample_map())

    urls = loaded_urls(html)
    assert len(urls) == len(VENDORED)
    assert [u for u in urls if not u.startswith("/static/vendor/")] == []
    for url in urls:
        assert (STATIC / url.removeprefix("/static/")).is_file(), url
    # Nothing else from another site either: the tile template is the only absolute URL.
    assert re.findall(r"https?://", html.replace(TILES, "")) == []
    assert html.count(TILES) == 1


def test_unlocalised_map_would_use_cdns():
    """The control case: without localise, folium's page goes to public CDNs."""
    urls = loaded_urls(sample_map().get_root().render())
    assert len(urls) == len(VENDORED)
    assert all(is_external(u) for u in urls)


def test_localise_leaves_folium_classes_alone():
    render_localised(sample_map())
    for cls in USED:
        for name, url in (*cls.default_js, *cls.default_css):
            assert url == FOLIUM_ASSETS[name]
    assert all(is_external(u) for u in loaded_urls(sample_map().get_root().render()))


def test_links_already_in_the_page_are_localised():
    m = sample_map()
    m.get_root().render()  # puts folium's CDN links into the page header
    html = render_localised(m)
    assert all(u.startswith("/static/vendor/") for u in loaded_urls(html))


def test_an_unvendored_plugin_is_refused():
    m = sample_map()
    plugins.Geocoder().add_to(m)
    with pytest.raises(UnvendoredAsset, match="Control.Geocoder"):
        localise(m, lambda path: "/static/" + path)


def test_every_vendored_file_exists():
    for path in VENDORED.values():
        assert (STATIC / path).is_file(), path


def test_every_vendored_package_keeps_its_licence():
    packages = [d for d in VENDOR.iterdir() if d.is_dir()]
    assert packages
    for package in packages:
        assert list(package.glob("*LICEN[CS]E*")), f"no licence file in {package}"


CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""")


def test_urls_inside_vendored_css_resolve():
    stylesheets = sorted(VENDOR.rglob("*.css"))
    assert len(stylesheets) >= 10
    checked = 0
    for css in stylesheets:
        text = css.read_text(encoding="utf-8")
        assert "@import" not in text, css
        for _, ref in CSS_URL.findall(text):
            if ref.startswith(("data:", "#")):  # inline images; IE's behaviour url(#default#VML)
                continue
            assert not is_external(ref), f"{css}: {ref}"
            target = (css.parent / re.split(r"[?#]", ref)[0]).resolve()
            assert target.is_relative_to(VENDOR), f"{css}: {ref}"
            assert target.is_file(), f"{css}: {ref} is missing"
            checked += 1
    assert checked >= 20
