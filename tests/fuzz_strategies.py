"""Hypothesis strategies for OCPI pushes (issue #14): valid-ish objects, then hostile ones.

Valid-ish objects come from two places: the official examples (tests/fixtures) and the
marshmallow schemas SGV validates with (sgv.ocpi.schemas.SCHEMAS), read field by field,
so a field added to a schema is fuzzed without a change here. Mutations then put hostile
values anywhere: huge and tiny numbers, wrong types, deep nesting, control characters,
lone surrogates, overlong strings; and URL ids with `/`, `%`, `..`.
"""

import copy
import json
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from hypothesis import strategies as st
from marshmallow import Schema, fields, validate

from sgv.ocpi.schemas import values
from tests.ocpi_helpers import EXAMPLES


@dataclass(frozen=True)
class Raw:
    """JSON text spliced verbatim into a body: what json.dumps cannot write."""

    text: str


def dump(value: Any) -> str:
    """Write a body as JSON text, splicing Raw fragments in (floats may give NaN/Infinity)."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return (
            "{" + ",".join(f"{json.dumps(key)}:{dump(item)}" for key, item in value.items()) + "}"
        )
    if isinstance(value, list):
        return "[" + ",".join(dump(item) for item in value) + "]"
    return json.dumps(value)


def deep(levels: int) -> Raw:
    return Raw("[" * levels + "]" * levels)


# --- hostile values ----------------------------------------------------------------------

SPECIAL_TEXT = [
    "\x00", "a\x00b", "\ud800", "x\udfff", "\udbff\udc00", "\x1b[2J", "\x7f", "\ufffe",
    "\u202e", "\t\n\r",
    "<script>alert(1)</script>", "=HYPERLINK(\"http://x\")", "'; DROP TABLE locations; --",
    "x" * 40, "x" * 256, "é" * 300, "x" * 5000, "../../etc/passwd", "%00", "a/b", "",
    "1970-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0000-00-00T00:00:00Z", "24:00",
    "2015-06-29T20:39:09.123456789+14:00", "2015-06-29 20:39:09", "NaN", "-0", "1e999",
]  # fmt: skip
SPECIAL_NUMBERS = [
    0, -1, 2**31 - 1, 2**31, -(2**31) - 1, 2**53 + 1, 2**63, 2**64, 10**39, 0.1, -0.0,
    1e308, -1e308, 5e-324, float("inf"), float("-inf"), float("nan"), 99.999, 100.0001,
]  # fmt: skip
RAW = [
    Raw("1" + "0" * 400), Raw("-" + "9" * 401), Raw("0." + "0" * 400 + "1"), Raw("1e400"),
    Raw("-1e400"), Raw("1E-400"), Raw("123456789012345678901234567890123456789"),
    deep(33), deep(1000), deep(100_000),
]  # fmt: skip
WRONG_TYPES = [None, True, False, "", [], {}, "true", "1", [None], {"": None}, [[[]]]]


def texts() -> st.SearchStrategy[str]:
    """Any text, surrogates and controls included, short or overlong."""
    characters = st.characters(codec=None, exclude_categories=()) | st.sampled_from(
        ["\x00", "\ud800", "\udc00", "\x1b", "/", "%", "."]
    )
    return st.one_of(
        st.sampled_from(SPECIAL_TEXT),
        st.text(characters, max_size=60),
        st.integers(37, 3000).map(lambda n: "y" * n),
    )


def hostile() -> st.SearchStrategy[Any]:
    """A value no field should choke on (a fresh copy: bodies are mutated in place)."""
    return _hostile().map(copy.deepcopy)


def _hostile() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(WRONG_TYPES),
        st.sampled_from(SPECIAL_NUMBERS),
        st.sampled_from(RAW),
        st.integers(),
        st.floats(),
        texts(),
        st.lists(st.sampled_from(SPECIAL_TEXT + WRONG_TYPES), max_size=3),
    )


IDS = ["a/b", "..", ".", "%", "%zz", "a%2Fb", "x" * 39, "x" * 40, "ü", "LOC 1", "~", "a?b"]


def hostile_id(usual: str) -> st.SearchStrategy[str]:
    """An id for the URL: the usual one in lower case, or one with `/`, `%`, `..` or worse."""
    return st.one_of(
        st.just(usual.lower()),
        st.sampled_from(IDS),
        st.text(
            st.characters(codec=None) | st.sampled_from("/%.\x00\ud800"), min_size=1, max_size=45
        ),
    )


# --- valid-ish objects from the schemas --------------------------------------------------

MOMENTS = st.datetimes(datetime(2016, 1, 1), datetime(2026, 1, 1)).map(
    lambda moment: moment.strftime("%Y-%m-%dT%H:%M:%SZ")
)


def _validators(field: fields.Field, kind: type) -> list:
    return [v for v in field.validators if isinstance(v, kind)]


def for_field(field: fields.Field) -> st.SearchStrategy[Any]:
    """Return a strategy of values the field should accept (mostly)."""
    if isinstance(field, fields.Nested):
        schema = field.schema
        return st.deferred(lambda: for_schema(schema))
    if isinstance(field, fields.List):
        at_least = max([v.min or 0 for v in _validators(field, validate.Length)], default=0)
        return st.lists(for_field(field.inner), min_size=at_least, max_size=2)
    if isinstance(field, values.Lenient):  # unknown values are kept: some from "newer" OCPI
        return st.sampled_from(sorted(field.known)) | st.text(
            string.ascii_uppercase + "_", max_size=40
        )
    ranges = _validators(field, validate.Range)
    low = ranges[0].min if ranges and ranges[0].min is not None else 0
    high = ranges[0].max if ranges and ranges[0].max is not None else low + 10_000
    if isinstance(field, values.Integer):
        return st.integers(low, high)
    if isinstance(field, values.Number):
        return st.decimals(low, min(high, 1000), places=2).map(float)
    if isinstance(field, values.Boolean):
        return st.booleans()
    if isinstance(field, values.DateTime):
        return MOMENTS
    if isinstance(field, values.Coordinate):
        return st.decimals(-field.limit, field.limit, places=6).map(str)
    for choice in _validators(field, validate.OneOf):
        return st.sampled_from(list(choice.choices))
    if _validators(field, validate.Regexp):
        return st.times().map(lambda t: t.strftime("%H:%M")) | st.text(max_size=64)
    if field.validators and not _validators(field, validate.Length):  # a local date
        return st.dates().map(str)
    lengths = _validators(field, validate.Length)
    longest = lengths[0].max if lengths and lengths[0].max else 64
    return st.text(string.ascii_letters + string.digits, min_size=1, max_size=min(longest, 30))


_SCHEMAS: dict[tuple[int, bool], st.SearchStrategy] = {}


def for_schema(schema: Schema, partial: bool = False) -> st.SearchStrategy[dict]:
    """Return a strategy of objects of a schema: required fields always, others sometimes."""
    key = (id(schema), partial)
    if key not in _SCHEMAS:
        required = {n: for_field(f) for n, f in schema.fields.items() if f.required}
        optional = {n: for_field(f) for n, f in schema.fields.items() if not f.required}
        if partial:
            required, optional = {}, {**required, **optional}
        _SCHEMAS[key] = st.fixed_dictionaries(required, optional=optional)
    return _SCHEMAS[key]


# --- seeds: the official examples --------------------------------------------------------


def examples(folder: str, *patterns: str) -> list[dict]:
    """Return the official examples of a folder matching any of the glob patterns."""
    found = []
    for pattern in patterns:
        for path in sorted((EXAMPLES / folder).glob(pattern)):
            found.append(json.loads(path.read_text()))
    return found


def children(objects: list[dict], key: str) -> list[dict]:
    return [child for parent in objects for child in parent.get(key) or []]


@cache
def seeds(folder: str, kind: str, partial: bool) -> list[dict]:
    """Return the official examples that are objects (or PATCH bodies) of a kind."""
    locations = examples(folder, "location_example*.json")
    evses = children(locations, "evses") + examples(folder, "location_put_example_add_evse.json")
    found = {
        "location": locations,
        "evse": evses,
        "connector": children(evses, "connectors"),
        "tariff": examples(folder, "tariff_[0-9]*.json", "tariff_p*.json"),
        "credentials": examples(folder, "credentials_example*.json"),
    }[kind]
    if partial:
        found += {
            "location": examples(
                folder, "location_patch_example_location.json", "location_energymix_*.json"
            ),
            "evse": examples(folder, "location_patch_example_status.json", "*remove_evse.json"),
            "connector": examples(folder, "location_patch_example_tariff.json"),
        }.get(kind, [])
    return found


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stamped(body: Any) -> Any:
    """Give every last_updated in a body the current time, so that a push applies."""
    if isinstance(body, dict):
        return {k: now() if k == "last_updated" else stamped(v) for k, v in body.items()}
    if isinstance(body, list):
        return [stamped(item) for item in body]
    return body


# --- mutations -------------------------------------------------------------------------


def places(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Return the path of every field and item in a body."""
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    found = []
    for key, item in items:
        found.append((*prefix, key))
        found += places(item, (*prefix, key))
    return found


def at(body: Any, path: tuple) -> Any:
    for key in path:
        body = body[key]
    return body


@st.composite
def mutated(draw: st.DrawFn, body: Any) -> Any:
    """Return a copy of a body with up to three hostile changes (or none)."""
    body = copy.deepcopy(body)
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):
        paths = places(body)
        change = draw(st.sampled_from(["set", "set", "set", "drop", "add", "whole"]))
        if change in ("set", "drop") and paths:
            path = draw(st.sampled_from(paths))
            parent = at(body, path[:-1])
            if change == "set":
                parent[path[-1]] = draw(hostile())
            else:
                del parent[path[-1]]
        elif change == "add" and isinstance(body, dict):
            objects = [()] + [p for p in paths if isinstance(at(body, p), dict)]
            target = at(body, draw(st.sampled_from(objects)))
            target[draw(texts())] = draw(hostile())
        elif change == "whole":
            body = draw(hostile())
    return body


@st.composite
def encoded(draw: st.DrawFn, body: Any) -> bytes:
    """Write a body as bytes, now and then broken on the way (truncated, not UTF-8 …)."""
    raw = dump(body).encode("ascii")
    how = draw(
        st.sampled_from(["as is"] * 12 + ["truncated", "latin-1", "bom", "garbage", "empty"])
    )
    if how == "truncated":
        return raw[: draw(st.integers(0, max(len(raw) - 1, 0)))]
    if how == "latin-1":
        return raw.replace(b'"', b'"\xe9', 1)
    if how == "bom":
        return b"\xef\xbb\xbf" + raw
    if how == "garbage":
        return raw + b"}]\x00"
    return b"" if how == "empty" else raw
