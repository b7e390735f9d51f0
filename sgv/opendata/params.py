"""The query parameters of the open-data exports, loaded once by marshmallow (STYLE §4).

A bad or unknown parameter is a 400 with a JSON body naming it, before anything streams:
a typo such as `updated-since` must not silently turn into a full download.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import abort
from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from sgv.core.times import utc_text
from sgv.opendata import route
from sgv.public import Corridor, Wanted

BBOX_HELP = "minlon,minlat,maxlon,maxlat in WGS84 degrees, min ≤ max"
TIME_HELP = "an RFC 3339 date-time, e.g. 2026-11-23T10:00:00Z (no offset means UTC)"
# The grammars the OpenAPI description publishes (sgv/opendata/openapi.py): what they
# admit is accepted, save the semantic rules documented with the 400 answer.
LON = r"-?(180(\.0+)?|(1[0-7][0-9]|[0-9]{1,2})(\.[0-9]+)?)"  # -180 … 180
LAT = r"-?(90(\.0+)?|[0-9](\.[0-9]+)?|[0-8][0-9](\.[0-9]+)?)"  # -90 … 90
BBOX_PATTERN = rf"^{LON},{LAT},{LON},{LAT}$"
TEXT_PATTERN = r"^[^\u0000-\u001f\u007f]*$"  # no control characters (PostgreSQL refuses NUL)
# RFC 3339 §5.6 (T and Z in either case, a leap second :60), and, leniently, a date alone
# or a time without an offset, read as UTC.
TIME = re.compile(
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:[Tt ](?P<hm>[0-9]{2}:[0-9]{2})(?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]+))?)?"
    r"(?P<offset>[Zz]|[+\- ][0-9]{2}:[0-9]{2})?)?"  # " 01:00": a + left unencoded in a URL
)
CONNECTOR_PATTERN = r"^[A-Za-z0-9_]{1,40}$"  # as the map's URL takes it
WANTED = ("min_kw", "connector", "available", "max_price")
EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)


def published(pattern: str) -> re.Pattern:
    """Compile a ^…$ pattern of the OpenAPI description as ECMA reads it: $ is the very end."""
    return re.compile(pattern.removesuffix("$") + r"\Z")


BBOX = published(BBOX_PATTERN)
TEXT = published(TEXT_PATTERN)
CONNECTOR = published(CONNECTOR_PATTERN)


@dataclass(frozen=True)
class Filters:
    """The filters of one export request; None where not given."""

    bbox: tuple[float, float, float, float] | None = None
    operator: str | None = None
    updated_since: datetime | None = None
    since: datetime | None = None
    trucks: bool = False  # only sites with parking suitable for trucks (OCPI 2.3.0)
    corridor: Corridor | None = None
    wanted: Wanted | None = None

    @property
    def is_full(self) -> bool:
        """Tell whether this asks for the whole dataset (the cacheable case)."""
        return self == Filters()

    def parts(self) -> tuple[Any, ...]:
        """Return the filters as they key ETags and caches."""
        return (
            self.bbox,
            self.operator,
            self.updated_since,
            self.since,
            self.trucks,
            self.corridor,
            self.wanted,
        )

    def echo(self) -> dict:
        """Return the filters as the export's `filters` member repeats them."""
        wanted = self.wanted or Wanted()
        return {
            "bbox": list(self.bbox) if self.bbox else None,
            "operator": self.operator,
            "updated_since": utc_text(self.updated_since),
            "since": utc_text(self.since),
            "trucks": self.trucks,
            "corridor": route.encode(self.corridor.points) if self.corridor else None,
            "km": self.corridor.km if self.corridor else None,
            "min_kw": wanted.min_kw,
            "connector": wanted.connector,
            "available": wanted.available,
            "max_price": wanted.max_price,
        }


class BoundingBox(fields.Field):
    """`minlon,minlat,maxlon,maxlat` in degrees."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple:
        if not BBOX.match(str(value)):
            raise ValidationError(f"must be {BBOX_HELP}")
        box = tuple(float(part) for part in str(value).split(","))
        minlon, minlat, maxlon, maxlat = box
        if minlon > maxlon or minlat > maxlat:  # the one rule the pattern cannot say
            raise ValidationError(f"must be {BBOX_HELP}")
        return box


class UtcDateTime(fields.Field):
    """An ISO 8601 date-time, returned in UTC; one without an offset is UTC (SPEC §3)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        try:
            return utc_moment(str(value))
        except ValueError as error:
            raise ValidationError(f"must be {TIME_HELP}") from error


def utc_moment(value: str) -> datetime:
    """Read a date-time in UTC; beyond what Python represents, its first or last instant.

    Raises ValueError when `value` does not follow TIME or names no real day (02-30).
    """
    found = TIME.fullmatch(value.strip())
    if not found:
        raise ValueError(value)
    leap = found["second"] == "60"  # RFC 3339: the second after :59
    second = "59" if leap else found["second"] or "00"
    fraction = (found["fraction"] or "")[:6].ljust(6, "0")
    offset = found["offset"] or "Z"
    offset = "+00:00" if offset in "Zz" else offset.replace(" ", "+")
    moment = datetime.fromisoformat(
        f"{found['date']}T{found['hm'] or '00:00'}:{second}.{fraction}{offset}"
    )
    try:
        return (moment + timedelta(seconds=leap)).astimezone(UTC)
    except OverflowError:  # year 1 east of Greenwich, year 9999 west of it
        return EARLIEST if moment.year == 1 else LATEST


class ExportArgs(Schema):
    """Parameters of installations.json, .geojson and .csv."""

    class Meta:
        unknown = RAISE

    bbox = BoundingBox()
    operator = fields.String(
        validate=[
            validate.Length(min=1, max=255),
            validate.Regexp(TEXT, error="must not contain control characters"),
        ]
    )
    updated_since = UtcDateTime()
    trucks = fields.Boolean(truthy={"1", "true"}, falsy={"0", "false"})
    corridor = route.Polyline()
    km = fields.Float(
        validate=validate.Range(
            0,
            route.KM_MAX,
            min_inclusive=False,
            error=f"must be more than 0 and at most {route.KM_MAX:g}",
        )
    )

    # The map's filters, by the map's names and bounds (SPEC §8, sgv/maps/views.py).
    min_kw = fields.Float(validate=validate.Range(0, 5000))
    connector = fields.String(
        validate=validate.Regexp(CONNECTOR, error="must be an OCPI connector standard")
    )
    available = fields.Boolean(truthy={"1", "true"}, falsy={"0", "false"})
    max_price = fields.Float(validate=validate.Range(0, 100))

    @post_load
    def along(self, data: dict, **kwargs: Any) -> dict:
        """Join `corridor` and `km` into one Corridor, the map's filters into one Wanted;
        `km` alone means nothing."""
        wants = {name: data.pop(name) for name in WANTED if name in data}
        if wants:
            data["wanted"] = Wanted(**wants)
        km = data.pop("km", None)
        if "corridor" in data:
            corridor = Corridor(data["corridor"], route.KM_DEFAULT if km is None else km)
            if (length := corridor.length_km()) > route.LENGTH_MAX:
                raise ValidationError(
                    f"is {length:,.0f} km long, more than {route.LENGTH_MAX:,.0f} km: "
                    "shorten the route or simplify the track",
                    "corridor",
                )
            if (area := corridor.area_km2()) > route.AREA_MAX:
                raise ValidationError(
                    f"covers {area:,.0f} km² (its length × 2 km), more than "
                    f"{route.AREA_MAX:,.0f}: shorten the route, lower km, or download the "
                    "whole export",
                    "corridor",
                )
            data["corridor"] = corridor
        elif km is not None:
            raise ValidationError("needs a corridor (km is the distance from its line)", "km")
        return data


class StatusArgs(ExportArgs):
    """Parameters of status.json: `since` instead of `updated_since`, no corridor."""

    class Meta:
        unknown = RAISE
        exclude = ("updated_since", "trucks", "corridor", "km", *WANTED)

    since = UtcDateTime()


class NoArgs(Schema):
    """No parameters: datex2/table.xml (a DATEX II table holds at least one site) and
    operators.json; any given is refused, naming it."""

    class Meta:
        unknown = RAISE


TableArgs = NoArgs


def load(schema: Schema, args: Any) -> Filters:
    """Load request arguments into Filters, or answer 400 naming the bad parameter."""
    try:
        loaded = schema.load(args.to_dict(flat=True))
    except ValidationError as error:
        problems = "; ".join(
            f"parameter '{name}' {_reason(messages)}"
            for name, messages in sorted(error.normalized_messages().items())
        )
        abort(400, description=f"Invalid query: {problems}.")
    return Filters(**loaded)


def _reason(messages: Any) -> str:
    text = " ".join(messages) if isinstance(messages, list) else str(messages)
    return "is not accepted here" if text == "Unknown field." else text.rstrip(".")
