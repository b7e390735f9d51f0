"""Point folium's pages at our own copies of Leaflet and its plugins, not public CDNs.

Folium lists the JS and CSS files of `folium.Map` and of each plugin as `(name, url)`
pairs in `default_js`/`default_css`, with URLs on public CDNs. A public administration's
map must not hand its visitors' addresses to third parties, and tests run offline
(STYLE §7), so `localise` swaps every such URL for a file under static/vendor/ (fetched
from the npm registry; static/vendor/README.md says how, and how to refresh them).
"""

from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from branca.element import CssLink, Element, JavascriptLink
from folium.elements import JSCSSMixin

# folium's asset name → file under static/. Names and upstream versions are folium 0.20's.
VENDORED: dict[str, str] = {
    # folium.Map
    "leaflet": "vendor/leaflet/leaflet.js",
    "leaflet_css": "vendor/leaflet/leaflet.css",
    "jquery": "vendor/jquery/jquery.min.js",
    "bootstrap": "vendor/bootstrap/js/bootstrap.bundle.min.js",
    "bootstrap_css": "vendor/bootstrap/css/bootstrap.min.css",
    "glyphicons_css": "vendor/bootstrap3-glyphicons/css/bootstrap3-glyphicons.min.css",
    "awesome_markers_font_css": "vendor/fontawesome-free/css/all.min.css",
    "awesome_markers": "vendor/leaflet.awesome-markers/leaflet.awesome-markers.min.js",
    "awesome_markers_css": "vendor/leaflet.awesome-markers/leaflet.awesome-markers.css",
    "awesome_rotate_css": "vendor/folium/leaflet.awesome.rotate.css",
    # folium.plugins.MarkerCluster
    "markerclusterjs": "vendor/leaflet.markercluster/leaflet.markercluster.js",
    "markerclustercss": "vendor/leaflet.markercluster/MarkerCluster.css",
    "markerclusterdefaultcss": "vendor/leaflet.markercluster/MarkerCluster.Default.css",
    # folium.plugins.LocateControl
    "Control_locate_min_js": "vendor/leaflet.locatecontrol/L.Control.Locate.min.js",
    "Control_locate_min_css": "vendor/leaflet.locatecontrol/L.Control.Locate.min.css",
    # folium.plugins.Fullscreen
    "Control.Fullscreen.js": "vendor/leaflet.fullscreen/Control.FullScreen.js",
    "Control.FullScreen.css": "vendor/leaflet.fullscreen/Control.FullScreen.css",
}


class UnvendoredAsset(LookupError):
    """A map element wants a JS/CSS file from another site that we have not vendored."""


def is_external(url: str) -> bool:
    """Tell whether `url` names another site (scheme or host), not a path on ours."""
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc)


def local_url(name: str, url: str, static_url: Callable[[str], str]) -> str:
    """Return our URL for folium's asset `name`; a URL already on our site is kept."""
    if not is_external(url):
        return url
    try:
        return static_url(VENDORED[name])
    except KeyError:
        raise UnvendoredAsset(
            f"{name!r} ({url}) is not vendored: add it to static/vendor/ "
            "(see its README) and to sgv.maps.vendor.VENDORED"
        ) from None


def localise(element: Element, static_url: Callable[[str], str]) -> None:
    """Make every JS/CSS link of the page holding `element` point at static/vendor/.

    Call it once the map and all its plugins are added, before rendering. `static_url`
    turns a path under static/ into a URL, e.g. `lambda p: url_for("static", filename=p)`.
    Raises UnvendoredAsset for an element whose files we do not have.
    """
    root = element.get_root()
    for name, node in walk(root):
        if isinstance(node, JSCSSMixin):
            # New lists on the instance: folium's are class attributes shared by every map
            # in the process, and its add_js_link/add_css_link edit them in place.
            node.default_js = [(n, local_url(n, u, static_url)) for n, u in node.default_js]
            node.default_css = [(n, local_url(n, u, static_url)) for n, u in node.default_css]
        elif isinstance(node, JavascriptLink | CssLink):
            # Already placed in the page's header, by an earlier render, under folium's name.
            node.url = local_url(name, node.url, static_url)


def walk(element: Element) -> Iterator[tuple[str, Element]]:
    """Yield `(name, element)` for every element below `element`, depth first."""
    # branca keeps children in `_children` (name → element); its own to_dict reads it too.
    stack = list(reversed(element._children.items()))
    while stack:
        name, node = stack.pop()
        yield name, node
        stack.extend(reversed(node._children.items()))
