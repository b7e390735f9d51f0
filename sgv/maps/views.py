"""Blueprint: the public map, its data, and the installation page (SPEC §8).

A driver's request travels maps.py → public.py → template (STYLE §1). The map's JSON
documents are cached under the data versions they depend on (sgv/maps/documents.py) and
answered with an ETag (304 when unchanged).

Sites are named by position, not id (sgv/maps/data.py): sites.json has no ids, live.json
gives positions in the sites of its `key`, and /map/ids.json (same key, same static
version) maps positions to installation ids for the browser, which fetches it only when
it first opens a site's panel or page.
"""

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from sgv import public
from sgv.core import cors
from sgv.history import chart as history_chart
from sgv.maps import cost as map_cost
from sgv.maps import data as map_data
from sgv.maps import documents, i18n
from sgv.maps.zoom import MAX_ZOOM, MIN_ZOOM

bp = Blueprint("maps", __name__)
bp.after_request(i18n.remember)
cors.share(bp)  # the /map/*.json documents, marked @cors.shared; not the HTML pages

MIN_KW_CHOICES = (22, 43, 50, 100, 150, 350)


class MapQuery(Schema):
    """The map's URL (SPEC §8): view, filters and language; a bad value is ignored."""

    class Meta:
        unknown = EXCLUDE

    lat = fields.Float(validate=validate.Range(-90, 90))
    lon = fields.Float(validate=validate.Range(-180, 180))
    z = fields.Integer(validate=validate.Range(MIN_ZOOM, MAX_ZOOM))
    connector = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_]{1,40}$"))
    min_kw = fields.Float(validate=validate.Range(0, 5000))
    operator = fields.String(validate=validate.Length(1, 64))
    available = fields.Boolean(truthy={"1", "true"}, falsy={"0", "false", ""})
    max_price = fields.Float(validate=validate.Range(0, 100))
    trucks = fields.Boolean(truthy={"1", "true"}, falsy={"0", "false", ""})  # OCPI 2.3.0


def map_query() -> dict:
    """Return the valid parameters of the map's URL, dropping any that is not."""
    try:
        return MapQuery().load(request.args.to_dict())
    except ValidationError as error:
        return error.valid_data or {}


def send_json(document: map_data.Encoded) -> Response:
    """Answer with the document, gzipped when the client accepts it, or 304 when unchanged."""
    zipped = request.accept_encodings["gzip"] > 0
    etag = document.etag + ("-gz" if zipped else "")
    response = Response(status=200, mimetype="application/json")
    response.set_etag(etag)
    response.vary.add("Accept-Encoding")
    response.cache_control.no_cache = True  # revalidate: a revocation shows on the next load
    if request.if_none_match.contains(etag):
        response.status_code = 304
        return response
    response.set_data(document.gzip if zipped else document.raw)
    if zipped:
        response.headers["Content-Encoding"] = "gzip"
    return response


def settings(query: dict, lang: str) -> dict:
    """Return what static/js/map.js needs: URLs, filters and the language's strings."""
    filters = ("connector", "min_kw", "operator", "available", "max_price")
    placeholder = "__ID__"
    return {
        "lang": lang,
        "strings": i18n.column(i18n.STRINGS, lang),
        "statuses": i18n.column(i18n.STATUSES, lang),
        "connectors": i18n.column(i18n.CONNECTORS, lang),
        "urls": {
            "sites": url_for("maps.sites_json"),
            "places": url_for("maps.places_json"),
            "ids": url_for("maps.ids_json"),
            "live": url_for("maps.live_json"),
            "trucks": url_for("maps.live_json", trucks=1),
            "detail": url_for("maps.detail_json", installation_id=placeholder),
            "page": url_for("maps.installation_page", installation_id=placeholder),
            "cost": url_for("maps.cost_json", installation_id=placeholder),
        },
        "placeholder": placeholder,
        "filters": {name: query.get(name) for name in filters},
        "view": all(name in query for name in ("lat", "lon", "z")),
        "refresh": documents.LIVE_SECONDS * 2,
        "publishes": public.publishes(),
    }


def tile_layer() -> tuple[str, str]:
    """Return the tile URL template and its attribution (SGV_TILE_URL)."""
    return current_app.config["TILE_URL"], current_app.config["TILE_ATTRIBUTION"]


def static_url(path: str) -> str:
    """Return the URL of a file under static/."""
    return url_for("static", filename=path)


def page_context(lang: str) -> dict:
    """Return what every public page's template needs: language, strings, the switch."""
    other = i18n.column(i18n.STRINGS, lang)["switch_lang"]
    args = {**request.args.to_dict(), **(request.view_args or {}), "lang": other}
    return {
        "lang": lang,
        "t": i18n.column(i18n.STRINGS, lang),
        "fmt": i18n.Formatter(lang),
        "switch_url": url_for(request.endpoint or "maps.map_view", **args),
        "publishes": public.publishes(),
    }


@bp.get("/")
def map_view() -> str:
    """Show the map of every public installation, with search and filters."""
    query, lang = map_query(), i18n.language()
    config = settings(query, lang)
    view = (query["lat"], query["lon"], query["z"]) if config["view"] else None
    # folium compiles its templates when imported (~1 s): only this page needs it, not
    # every CLI job; wsgi.py imports it up front for the web workers.
    from sgv.maps import page as map_page

    fragments = map_page.build(view, config, tile_layer(), static_url)
    return render_template(
        "map.html", map=fragments, query=query, kw_choices=MIN_KW_CHOICES, **page_context(lang)
    )


@bp.get("/map/sites.json")
@cors.shared
def sites_json() -> Response:
    """Send every public installation's marker data, compact and cached."""
    return send_json(documents.sites_document())


@bp.get("/map/ids.json")
@cors.shared
def ids_json() -> Response:
    """Send the installation ids of the sites, in the order of sites.json."""
    return send_json(documents.ids_document())


@bp.get("/map/places.json")
@cors.shared
def places_json() -> Response:
    """Send the names, addresses and places the search box suggests."""
    return send_json(documents.places_document())


@bp.get("/map/live.json")
@cors.shared
def live_json() -> Response:
    """Send availability and "price from" of every installation with live data; with
    `trucks=1`, only of those with parking suitable for trucks (OCPI 2.3.0)."""
    return send_json(documents.live_document(trucks=map_query().get("trucks", False)))


@bp.get("/map/installations/<installation_id>.json")
@cors.shared
def detail_json(installation_id: str) -> Response | tuple[Response, int]:
    """Send one installation's detail for the map's panel."""
    detail = documents.site_detail(installation_id)
    if detail is None:
        return jsonify(code=404, name="Not Found", description="No such installation."), 404
    return send_json(map_data.encode(detail))


@bp.get("/map/installations/<installation_id>/cost.json")
@cors.shared
def cost_json(installation_id: str) -> Response | tuple[Response, int]:
    """Send what a charge (?kwh=&minutes=, else the defaults) costs now at each connector."""
    if documents.site_detail(installation_id) is None:
        return jsonify(code=404, name="Not Found", description="No such installation."), 404
    try:
        kwh, minutes = map_cost.session_query(request.args)
    except ValidationError as error:
        return jsonify(code=400, name="Bad Request", description=map_cost.problem(error)), 400
    return send_json(
        map_data.encode(map_cost.document(installation_id, kwh, minutes, i18n.language()))
    )


@bp.get("/installations/<installation_id>")
def installation_page(installation_id: str) -> str:
    """Show one installation: register data, and live status and prices when public."""
    detail = documents.site_detail(installation_id)
    if detail is None:
        abort(404)
    lang = i18n.language()
    cost = map_cost.for_page(installation_id, request.args, lang) if detail["live"] else None
    availability = history_chart.for_page(installation_id, lang) if detail["live"] else None
    return render_template(
        "installation.html",
        site=detail,
        cost=cost,
        availability=availability,
        **page_context(lang),
    )
