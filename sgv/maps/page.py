"""Build the public map's Leaflet code with folium, as fragments for templates/map.html.

folium writes the map, its tile layer and the marker-cluster group; static/js/map.js
then loads the sites as JSON and fills the group. No marker is written into the page
(STYLE §7): 15,000 folium markers would make a page of megabytes.
"""

from collections.abc import Callable
from dataclasses import dataclass

import folium
from folium.elements import JSCSSMixin
from folium.plugins import MarkerCluster
from folium.template import Template

from sgv.maps.vendor import localise
from sgv.maps.zoom import MAX_ZOOM, MIN_ZOOM

SPAIN = (40.0, -3.7)
DEFAULT_ZOOM = 6

CLUSTER_OPTIONS = {
    "show_coverage_on_hover": False,
    "max_cluster_radius": 50,
    "spiderfy_on_max_zoom": True,
    "remove_outside_visible_bounds": True,
}


class PageMap(folium.Map):
    """A folium map that leaves the page to base.html and map.css.

    folium's map header forbids zooming the page (`user-scalable=no`, an accessibility
    failure), sizes html and body, and pulls jQuery, Bootstrap and icon fonts that this
    page does not use; only Leaflet itself is kept.
    """

    default_js = [item for item in folium.Map.default_js if item[0] == "leaflet"]
    default_css = [item for item in folium.Map.default_css if item[0] == "leaflet_css"]

    def render(self, **kwargs) -> None:
        """Render as folium does, then drop its page-wide header."""
        super().render(**kwargs)
        header = self.get_root().header
        header._children.pop(self.get_name(), None)
        header._children.pop("meta_http", None)  # base.html declares the charset


class SiteLayer(JSCSSMixin):
    """Hand the map and its cluster group to static/js/map.js, with the page's settings."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            sgvMap.start({{ this._parent.get_name() }}, {{ this.cluster.get_name() }},
                         {{ this.settings|tojson }});
        {% endmacro %}
        """
    )

    def __init__(
        self, cluster: MarkerCluster, settings: dict, static_url: Callable[[str], str]
    ) -> None:
        super().__init__()
        self._name = "SiteLayer"
        self.cluster = cluster
        self.settings = settings
        scripts = ("map", "map-ui", "map-trucks", "map-cost", "map-route")
        self.default_js = [(name, static_url(f"js/{name}.js")) for name in scripts]
        self.default_css = [
            (f"{name}_css", static_url(f"css/{name}.css")) for name in ("map", "map-route")
        ]


@dataclass(frozen=True)
class Fragments:
    """The three parts of folium's page that templates/map.html places."""

    header: str
    html: str
    script: str


def build(
    view: tuple[float, float, int] | None,
    settings: dict,
    tiles: tuple[str, str],
    static_url: Callable[[str], str],
) -> Fragments:
    """Build the map for `view` (lat, lon, zoom; None: Spain) and return its fragments."""
    lat, lon, zoom = view or (*SPAIN, DEFAULT_ZOOM)
    page_map = PageMap(location=[lat, lon], zoom_start=zoom, tiles=None, control_scale=True)
    page_map.options.update(min_zoom=MIN_ZOOM, max_zoom=MAX_ZOOM)
    url, attribution = tiles
    folium.TileLayer(url, attr=attribution, max_zoom=MAX_ZOOM, max_native_zoom=19).add_to(page_map)
    cluster = MarkerCluster(options=CLUSTER_OPTIONS, icon_create_function="sgvMap.clusterIcon")
    cluster.add_to(page_map)
    SiteLayer(cluster, settings, static_url).add_to(page_map)
    localise(page_map, static_url)
    root = page_map.get_root()
    root.render()
    return Fragments(root.header.render(), root.html.render(), root.script.render())
