"""The `corridor=` and `km=` parameters: an encoded polyline read strictly (SPEC §8).

The line is in Google's Encoded Polyline Algorithm Format, precision 5, latitude first,
decoded by the `polyline` package. That decoder trusts its input (a cut-off or foreign
character raises IndexError or yields nonsense), so the text is checked first and the
points after: every refusal names its problem, and no input can reach PostGIS unchecked.
"""

import re
from typing import Any

import polyline
from marshmallow import ValidationError, fields

MAX_CHARS = 2000  # SPEC §8; longer tracks are simplified before they go into a URL
KM_DEFAULT = 5.0
KM_MAX = 50.0  # a corridor 100 km wide is most of a province: ask for a bbox instead
# The largest corridor answered, km² (length × 2 km): Barcelona → Cádiz (1,100 km) at
# km 25, or any route at the default km 5 — about an eighth of Spain. Beyond, one request
# cost the database up to 16 s (a 2,000-character zigzag at km 50, bench/route.py); the
# full export (a file, cached) is the way to get that much.
AREA_MAX = 60_000.0
# The longest route answered, km: twice Spain's longest road trip. A line longer still (a
# track zigzagging over the country) makes PostGIS test its segments' boxes against much
# of the country again and again, whatever km is.
LENGTH_MAX = 3_000.0
# Each character carries 5 bits plus 63 (? … ~); a value ends at a character below 95 (_).
CHARACTERS = re.compile(r"[?-~]*")
HELP = (
    "an encoded polyline (Google Encoded Polyline Algorithm Format, precision 5, latitude "
    f"first) of at least 2 distinct points, at most {MAX_CHARS} characters"
)


def decode(text: str) -> tuple[tuple[float, float], ...]:
    """Return the (latitude, longitude) points of an encoded polyline.

    Raises ValueError naming the problem: too long, a character outside the format, a cut
    value, an odd number of values, fewer than 2 distinct points, coordinates out of range.
    """
    if len(text) > MAX_CHARS:
        raise ValueError(f"is {len(text)} characters long, more than {MAX_CHARS}")
    if not CHARACTERS.fullmatch(text):
        bad = next(c for c in text if not "?" <= c <= "~")
        raise ValueError(f"has {bad!r}, not a polyline character (? to ~)")
    if text and text[-1] >= "_":
        raise ValueError("ends in the middle of a value (cut off?)")
    if sum(1 for c in text if c < "_") % 2:
        raise ValueError("has a latitude without its longitude (an odd number of values)")
    try:
        points = tuple(polyline.decode(text, 5))
    except (IndexError, OverflowError) as error:  # the checks above should leave none
        raise ValueError("has a value far too large for a coordinate") from error
    for n, (lat, lon) in enumerate(points, 1):
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ValueError(
                f"point {n} ({lat}, {lon}) is out of range (latitude ±90, longitude ±180)"
            )
    if len(set(points)) < 2:
        raise ValueError(f"has {len(set(points))} distinct point(s): a route needs at least 2")
    return points


def encode(points: tuple[tuple[float, float], ...]) -> str:
    """Return the points as an encoded polyline (precision 5, latitude first)."""
    return polyline.encode(points, 5)


class Polyline(fields.Field):
    """An encoded polyline, loaded as its (latitude, longitude) points."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> tuple:
        try:
            return decode(str(value))
        except ValueError as error:
            raise ValidationError(f"{error}: it must be {HELP}") from error
