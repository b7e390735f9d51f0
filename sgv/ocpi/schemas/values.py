"""OCPI value types: strict JSON types, lenient enums, date-times, coordinates, bounds.

JSON types are checked strictly (a string "true" is not a boolean, a number is not a
string): OCPI says what each field is, and guessing hides a CPO's bug from its report.
Descriptive enums are the exception: newer OCPI versions add values (SPEC §3).
"""

import math
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app, has_app_context
from marshmallow import Schema, ValidationError, fields, validate

from sgv.config import Defaults
from sgv.core import times
from sgv.ocpi.schemas.bounds import BOUNDS, INT4
from sgv.ocpi.schemas.currencies import ISO_4217
from sgv.ocpi.schemas.enums import STATUSES

ID = 39  # the real SGV's limit for ids; OCPI says 36 (SPEC §3)
URL = 255

# --- field types -----------------------------------------------------------------------

_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?\Z", re.IGNORECASE
)
_LOCAL_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]\Z")
_LOCAL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


class Lenient(fields.String):
    """A descriptive enum: unknown values are kept; the loader turns them into warnings."""

    def __init__(self, known: Iterable[str], max_length: int | None = None, **kwargs: Any) -> None:
        if max_length is not None:  # an unknown value is stored: it must fit its column
            kwargs["validate"] = validate.Length(max=max_length)
        super().__init__(**kwargs)
        self.known = frozenset(known)


class Integer(fields.Integer):
    """A JSON integer: neither true/false nor 3.0 nor "3"."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(strict=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Number(fields.Field[Decimal]):
    """A JSON number, read as an exact Decimal (prices must not pick up float noise)."""

    default_error_messages = {"invalid": "Not a valid number."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.make_error("invalid")
        if not math.isfinite(value):  # Python's json reads NaN and Infinity
            raise self.make_error("invalid")
        return Decimal(str(value))


class Boolean(fields.Field[bool]):
    """A JSON true or false, nothing that merely looks like one."""

    default_error_messages = {"invalid": "Not a valid boolean."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class DateTime(fields.Field[datetime]):
    """An RFC 3339 date-time, read as aware UTC; without a zone it is UTC (OCPI 2.2.1)."""

    default_error_messages = {"invalid": "Not a valid date-time (RFC 3339)."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if not isinstance(value, str) or not _DATE_TIME.match(value):
            raise self.make_error("invalid")
        try:
            moment = datetime.fromisoformat(value.upper())
            if moment.tzinfo is None:
                return moment.replace(tzinfo=UTC)
            return moment.astimezone(UTC)
        except (ValueError, OverflowError):
            raise self.make_error("invalid") from None


def clock_skew() -> int:
    """Return how far ahead of our clock a CPO's last_updated may be (SGV_CLOCK_SKEW, s)."""
    if has_app_context():
        return int(current_app.config.get("CLOCK_SKEW", Defaults.CLOCK_SKEW))
    return Defaults.CLOCK_SKEW


def _not_ahead(moment: datetime) -> None:
    """Refuse a last_updated ahead of our clock: stored, it would freeze the object, since
    every correct update after it would look older and be acknowledged, not applied."""
    skew = clock_skew()
    if moment > times.now() + timedelta(seconds=skew):
        raise ValidationError(f"More than {skew} s in the future: check the clock that stamps it.")


class Coordinate(fields.Field[Decimal]):
    """A WGS84 latitude or longitude: an OCPI string, or a number some CPOs send instead."""

    default_error_messages = {
        "invalid": "Not a valid coordinate.",
        "range": "Out of range (-{limit} to {limit}).",
    }

    def __init__(self, limit: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.limit = limit

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.make_error("invalid")
        try:
            degrees = Decimal(str(value).strip())
        except InvalidOperation:
            raise self.make_error("invalid") from None
        if not degrees.is_finite():
            raise self.make_error("invalid")
        if abs(degrees) > self.limit:
            raise self.make_error("range", limit=self.limit)
        return degrees


def _real_date(value: str) -> None:
    """Refuse anything but a real day written YYYY-MM-DD."""
    try:
        if _LOCAL_DATE.match(value):  # fromisoformat alone also takes 20240101 and 2024-W01-1
            date.fromisoformat(value)
            return
    except ValueError:
        pass
    raise ValidationError("Not a valid date (YYYY-MM-DD).")


# --- factories: the few shapes every schema repeats ------------------------------------


def chars(max_length: int, *, required: bool = False) -> fields.String:
    """Return a string field of at most `max_length` characters."""
    return fields.String(required=required, validate=validate.Length(max=max_length))


def credentials_token() -> fields.String:
    """Return a credentials token: 1 to 64 printable non-whitespace ASCII characters."""
    return fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=64),
            validate.Regexp(r"[!-~]*\Z", error="Must be printable ASCII without spaces."),
        ],
    )


def bounded(name: str) -> validate.Range:
    """Return the range check of a bound of bounds.py, its message naming range and unit."""
    limits = BOUNDS[name]
    return validate.Range(
        min=limits.minimum,
        max=limits.maximum,
        error=f"Out of bounds: {{min:,}} to {{max:,}} {limits.unit} (docs/ocpi.md).",
    )


def integer(
    *, required: bool = False, minimum: int = 0, maximum: int = INT4, within: str | None = None
) -> Integer:
    """Return an integer field within a bound of bounds.py, else [minimum, maximum] (int4)."""
    check = bounded(within) if within else validate.Range(min=minimum, max=maximum)
    return Integer(required=required, validate=check)


def number(*, within: str, required: bool = False) -> Number:
    """Return a number field within a bound of bounds.py."""
    return Number(required=required, validate=bounded(within))


def stamp(*, required: bool = False) -> DateTime:
    """Return a last_updated: at most SGV_CLOCK_SKEW seconds ahead of our clock (SPEC §3)."""
    return DateTime(required=required, validate=_not_ahead)


def currency_code(*, required: bool = False) -> fields.String:
    """Return an ISO 4217 currency code (an active one, upper case)."""
    return fields.String(
        required=required,
        validate=validate.OneOf(ISO_4217, error="Not an ISO 4217 currency code."),
    )


def evse_status(*, required: bool = False) -> fields.String:
    """Return an EVSE status: strict, because it drives what drivers are shown."""
    return fields.String(required=required, validate=validate.OneOf(STATUSES))


def local_time(*, required: bool = False) -> fields.String:
    """Return a local HH:MM field (OCPI's regex: 00:00 to 23:59)."""
    return fields.String(
        required=required,
        validate=validate.Regexp(_LOCAL_TIME, error="Not a valid time (HH:MM)."),
    )


def local_date() -> fields.String:
    """Return a local YYYY-MM-DD field, kept as the string OCPI sends."""
    return fields.String(validate=_real_date)


def one(schema: type[Schema], *, required: bool = False) -> fields.Nested:
    """Return a nested object field."""
    return fields.Nested(schema, required=required)


def many(
    item: fields.Field | type[Schema], *, required: bool = False, empty: bool = False
) -> fields.List:
    """Return a list of non-null items; OCPI's `+` cardinality (required) means one or more.

    `empty` accepts a required list with no items (the loader warns instead).
    """
    inner = fields.Nested(item) if isinstance(item, type) else item
    return fields.List(
        inner,
        required=required,
        validate=validate.Length(min=1, error="Must hold at least one item.")
        if required and not empty
        else None,
    )
