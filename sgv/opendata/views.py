"""Blueprint /opendata/: the exports, their documentation page and OpenAPI (SPEC §8).

A download travels opendata/ → public/ → stream (STYLE §1): the views load their
parameters, pick the public data, and hand a chunk generator to sgv/opendata/http.py.
"""

import functools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from sgv import datex2, public
from sgv.core import cors
from sgv.core.times import utc_text
from sgv.opendata import availability as availability_export
from sgv.opendata import csv as opendata_csv
from sgv.opendata import formats, openapi, route
from sgv.opendata.http import Version, respond, setting
from sgv.opendata.params import ExportArgs, Filters, NoArgs, StatusArgs, TableArgs, load
from sgv.operators import figures as operator_figures
from sgv.public import ChargePoint, Installation

bp = Blueprint("opendata", __name__, url_prefix="/opendata")
cors.share(bp)  # the documents below marked @cors.shared; not the HTML page

JSON, GEOJSON, CSV = "application/json", "application/geo+json", "text/csv"
XML = "application/xml"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def overlap() -> timedelta:
    """Return how far `since` and `updated_since` reach back (SGV_OPENDATA_OVERLAP)."""
    return timedelta(seconds=setting("OVERLAP"))


def reach_back(since: datetime, at: datetime) -> datetime:
    """Return where a poll for changes since `since` starts reading: `overlap` earlier, never
    before 1970 (no public data is older) nor after `at` (nothing changed later)."""
    return min(max(since, EPOCH + overlap()) - overlap(), at)


def selected(filters: Filters, at: datetime) -> dict:
    """Return the public-view arguments that select an export's installations."""
    ids = None
    if filters.updated_since is not None:
        ids = public.changed_installations(reach_back(filters.updated_since, at), at)
    return {
        "ids": ids,
        "bbox": filters.bbox,
        "operator": filters.operator,
        "at": at,
        "trucks": filters.trucks,
        "corridor": filters.corridor,
        "wanted": filters.wanted,
    }


def retired(filters: Filters, at: datetime) -> list[str]:
    """Return the installations withdrawn since updated_since (none without it)."""
    if filters.updated_since is None:
        return []
    return public.retired_installations(reach_back(filters.updated_since, at))


def status_points(filters: Filters, at: datetime) -> Iterator[tuple[Installation, ChargePoint]]:
    """Yield the charge points of a status export: changed since `since`, else all live ones."""
    if filters.since is None:  # a snapshot: every live charge point, streamed like the CSV
        ids = public.live_installations()  # only those sites: the others have none to show
        sites = public.installations(ids=ids, bbox=filters.bbox, operator=filters.operator, at=at)
        return ((site, p) for site in sites for p in site.charge_points if p.live)
    ids = public.dynamic_changes(reach_back(filters.since, at), at)
    return public.public_charge_points(ids, bbox=filters.bbox, operator=filters.operator, at=at)


@bp.get("/installations.json")
@cors.shared
def installations_json() -> Response:
    """Serve every public installation with its charge points and live data."""
    filters = load(ExportArgs(), request.args)

    def body(v: Version) -> Iterator[str | bytes]:
        opening = formats.header(v.generated_at, filters)
        sites = public.documents.documents(**selected(filters, v.generated_at))
        return formats.installations_json(sites, opening, lambda: retired(filters, v.generated_at))

    return respond("installations.json", JSON, filters, body)


@bp.get("/installations.geojson")
@cors.shared
def installations_geojson() -> Response:
    """Serve the installations as an RFC 7946 FeatureCollection."""
    filters = load(ExportArgs(), request.args)

    def body(v: Version) -> Iterator[str | bytes]:
        opening = formats.header(v.generated_at, filters)
        features = public.documents.documents(**selected(filters, v.generated_at), geo=True)
        return formats.installations_geojson(features, opening)

    return respond("installations.geojson", GEOJSON, filters, body)


@bp.get("/installations.csv")
@cors.shared
def installations_csv() -> Response:
    """Serve one CSV row per RIPREE charge point."""
    filters = load(ExportArgs(), request.args)

    def body(v: Version) -> Iterator[str | bytes]:
        chosen = selected(filters, v.generated_at)
        if filters.corridor is None and filters.wanted is None:  # rendered by PostgreSQL
            del chosen["corridor"], chosen["wanted"]
            return opendata_csv.installations_csv_lines(public.rows.csv_lines(**chosen))
        sites = public.installations(**chosen)
        return opendata_csv.installations_csv(sites, along=filters.corridor is not None)

    return respond("installations.csv", CSV, filters, body)


@bp.get("/status.json")
@cors.shared
def status_json() -> Response:
    """Serve the charge points whose dynamic data changed since `since`, withdrawals included."""
    filters = load(StatusArgs(), request.args)

    def body(v: Version) -> Iterator[str | bytes]:
        opening = formats.header(v.generated_at, filters)
        if filters.since is None:  # a snapshot: every live charge point, rendered in SQL
            at = v.generated_at
            items = public.rows.status_items(bbox=filters.bbox, operator=filters.operator, at=at)
            return formats.status_snapshot(items, opening)
        return formats.status_json(status_points(filters, v.generated_at), opening)

    return respond("status.json", JSON, filters, body)


@bp.get("/datex2/table.xml")
@cors.shared
def datex2_table() -> Response:
    """Serve every public installation as a DATEX II v3.7 AFIR table publication."""
    filters = load(TableArgs(), request.args)

    def body(v: Version) -> Iterator[bytes]:
        sites = public.installations(at=v.generated_at)
        return datex2.table_xml(sites, v.generated_at, v.tag)

    return respond("datex2/table.xml", XML, filters, body)


@bp.get("/datex2/status.xml")
@cors.shared
def datex2_status() -> Response:
    """Serve the public dynamic data as a DATEX II v3.7 AFIR status publication."""
    filters = load(StatusArgs(), request.args)

    def body(v: Version) -> Iterator[bytes]:
        at = v.generated_at
        if filters.since is None:  # a snapshot: every live charge point, written in SQL
            return datex2.status_snapshot(at, bbox=filters.bbox, operator=filters.operator)
        return datex2.status_xml(public.as_refill_points(status_points(filters, at)), at)

    return respond("datex2/status.xml", XML, filters, body)


@bp.get("/operators.json")
@cors.shared
def operators_json() -> Response:
    """Serve every RIPREE operator's coverage and data quality (the /operators page's figures)."""
    load(NoArgs(), request.args)
    at = datetime.now(UTC)
    rows = operator_figures.overview(at)
    body = {
        "schema_version": formats.SCHEMA_VERSION,
        "generated_at": utc_text(at),
        "licence": formats.LICENCE,
        "operators": rows,
        "count": len(rows),
    }
    response = jsonify(body)
    response.cache_control.no_cache = True  # figures of now: a revocation shows at once
    return response


@bp.get("/availability.json")
@cors.shared
def availability_json() -> Response:
    """Serve each public installation's availability by hour of the week (4 weeks)."""
    load(NoArgs(), request.args)
    build, ids = availability_export.current()  # the stored build, filtered by the door now
    version = availability_export.version(build, ids)
    export = functools.partial(availability_export.body, build, ids)
    return respond(availability_export.NAME, JSON, Filters(), export, version)


@bp.get("/openapi.json")
@cors.shared
def openapi_json() -> Response:
    """Serve the OpenAPI 3.1 description of the exports."""
    return jsonify(openapi.document(request.host_url.rstrip("/")))


@bp.get("/")
def index() -> str:
    """Document each export, its fields, update frequency and licence."""
    schemas = openapi.SCHEMAS
    fields = {name: openapi.field_rows(schemas[name]) for name in openapi.PAGE_SCHEMAS}
    return render_template(
        "opendata.html",
        fields=fields,
        columns=[*opendata_csv.COLUMNS, opendata_csv.ROUTE_COLUMN],
        neutralised=opendata_csv.NEUTRALISED,
        statuses=openapi.STATUSES,
        licence=formats.LICENCE,
        schema_version=formats.SCHEMA_VERSION,
        overlap=int(overlap().total_seconds()),
        publishes=public.publishes(),
        environment=current_app.config["ENVIRONMENT"],
        route={
            "max_chars": route.MAX_CHARS,
            "km_max": f"{route.KM_MAX:g}",
            "km_default": f"{route.KM_DEFAULT:g}",
        },
    )
