"""The query parameters of the open-data exports, loaded once by marshmallow (STYLE §4).

A bad or unknown parameter is a 400 with a JSON body naming it, before anything streams:
a typo such as `updated-since` must not silently turn into a full download.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import abort
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from sgv.core.times import utc_text

BBOX_HELP = "minlon,minlat,maxlon,maxlat in WGS84 degrees, min ≤ max"
TIME_HELP = "an ISO 8601 date-time, e.g. 2026-11-23T10:00:00Z (no offset means UTC)"


@dataclass(frozen=True)
class Filters:
    """The filters of one export request; None where not given."""

    bbox: tuple[float, float, float, float] | None = None
    operator: str | None = None
    updated_since: datetime | None = None
    since: datetime | None = None

    @property
    def is_full(self) -> bool:
        """Tell whether this asks for the whole dataset (the cacheable case)."""
        return self == Filters()

    def parts(self) -> tuple[Any, ...]:
        """Return the filters as they key ETags and caches."""
        return (self.bbox, self.operator, self.updated_since, self.since)

    def echo(self) -> dict:
        """Return the filters as the export's `filters` member repeats them."""
        return {
            "bbox": list(self.bbox) if self.bbox else None,
            "operator": self.operator,
            "updated_since": utc_text(self.updated_since),
            "since": utc_text(self.since),
        }


class BoundingBox(fields.Field):
    """`minlon,minlat,maxlon,maxlat` in degrees."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple:
        try:
            box = tuple(float(part) for part in str(value).split(","))
        except ValueError:
            box = ()
        if len(box) != 4 or any(v != v for v in box):  # v != v: NaN
            raise ValidationError(f"must be {BBOX_HELP}")
        minlon, minlat, maxlon, maxlat = box
        if not (-180 <= minlon <= maxlon <= 180 and -90 <= minlat <= maxlat <= 90):
            raise ValidationError(f"must be {BBOX_HELP}")
        return box


class UtcDateTime(fields.Field):
    """An ISO 8601 date-time, returned in UTC; one without an offset is UTC (SPEC §3)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        try:
            moment = datetime.fromisoformat(str(value).strip())
        except ValueError as error:
            raise ValidationError(f"must be {TIME_HELP}") from error
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


class ExportArgs(Schema):
    """Parameters of installations.json, .geojson and .csv."""

    class Meta:
        unknown = RAISE

    bbox = BoundingBox()
    operator = fields.String(validate=validate.Length(min=1, max=255))
    updated_since = UtcDateTime()


class StatusArgs(ExportArgs):
    """Parameters of status.json: `since` instead of `updated_since`."""

    class Meta:
        unknown = RAISE
        exclude = ("updated_since",)

    since = UtcDateTime()


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
