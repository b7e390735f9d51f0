"""Reading an OCPI request body: JSON within limits, then the version's marshmallow schema.

The JSON limits hold for every field, known or not (unknown fields are stored too), and
name the problem, so no bad byte reaches PostgreSQL or a renderer (SPEC §3: never a 500).
"""

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from flask import current_app, g, request
from marshmallow import ValidationError

from sgv.core.refusals import Kind, Refused
from sgv.ocpi.body import read_body
from sgv.ocpi.envelope import ProtocolKind
from sgv.ocpi.schemas import LoadResult, describe

BODY = "sgv.json_body"  # the parsed body (or its refusal), kept with the request
MAX_DEPTH = 32  # arrays and objects inside one another; OCPI's deepest object needs 7
MAX_NUMBER = 40  # characters of one JSON number: no OCPI value needs more
# What no string may hold, field names included (OCPI strings are "printable UTF-8"):
# C0 controls but tab, line feed and carriage return (PostgreSQL refuses NUL, XML 1.0 all
# of them), lone surrogates (not encodable as UTF-8), and the non-characters U+FFFE/FFFF.
UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Valid JSON holds such a character only as a \u escape (raw controls are invalid JSON,
# raw surrogates invalid UTF-8) or as U+FFFE/FFFF itself: a cheap search of the text
# spares the walk through every string of the bodies that hold none (nearly all).
SUSPECT = re.compile(r"\\u(00[01]|[dD][89a-fA-F]|[fF]{3}[eEfF])|[\ufffe\uffff]")


class BadJson(ValueError):
    """JSON that parses, but holds a value no OCPI object may."""


def shown(text: str) -> str:
    """Return text with its unprintable characters written as \\uXXXX, safe to store and show."""
    return UNPRINTABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def unprintable(text: str) -> str | None:
    """Describe the first character of text that OCPI does not allow, if any."""
    found = UNPRINTABLE.search(text)
    if found is None:
        return None
    return f"character U+{ord(found.group()):04X} is not allowed (printable text only)"


def json_body() -> Any:
    """Return the parsed JSON body, or answer 400/2001 (413 when too big) naming the problem.

    Parsed once per request: peek_json() may have read it before the caller was
    authenticated; a refusal is kept too, and raised when the caller asks again.
    """
    environ = request.environ  # one look-up through the request proxy
    if BODY not in environ:
        try:
            environ[BODY] = _parse(read_body())
        except Refused as refusal:
            environ[BODY] = refusal
    body = environ[BODY]
    if isinstance(body, Refused):
        raise body
    return body


def peek_json() -> Any:
    """Return the parsed JSON body without answering yet: None if it is not acceptable JSON.

    A body of unknown or excessive length is not read (None): who is calling is checked
    first, so an unknown caller gets 401 whatever it sends, as on every endpoint.
    """
    length = request.content_length
    if length is None or length > current_app.config["MAX_BODY"]:
        return None
    try:
        return json_body()
    except Refused:
        return None


def load(loader: Callable[..., LoadResult], body: Any, **options: Any) -> LoadResult:
    """Validate a body with the request's OCPI version; invalid → 400/2001 naming the field."""
    try:
        return loader(g.ocpi_version, body, **options)
    except ValidationError as error:
        raise Refused(Kind.INVALID, describe(error)) from None


def _parse(raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8-sig")  # OCPI is UTF-8; a byte order mark is tolerated
        if text.startswith("\ufeff"):  # a second one: json.loads's own refusal
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        body = DECODER.decode(text)
    except RecursionError:
        raise _too_deep() from None
    except BadJson as error:
        raise Refused(Kind.INVALID, str(error)) from None
    except (ValueError, UnicodeDecodeError) as error:
        raise Refused(ProtocolKind.NOT_JSON, f"Body is not valid JSON: {error}") from None
    _check_depth(body)
    if SUSPECT.search(text):  # unprintable text can only come from these: look for it
        _check_text(body)
    return body


def _too_deep() -> Refused:
    return Refused(ProtocolKind.NOT_JSON, f"Body is nested deeper than {MAX_DEPTH} levels")


def _check_depth(body: Any) -> None:
    """Refuse arrays and objects nested deeper than MAX_DEPTH."""
    pending = [(body, 1)] if isinstance(body, dict | list) else []
    while pending:  # a loop, not recursion: the depth is what is being checked
        value, depth = pending.pop()
        if depth > MAX_DEPTH:
            raise _too_deep()
        items = value.values() if isinstance(value, dict) else value
        pending.extend((item, depth + 1) for item in items if isinstance(item, dict | list))


def _check_text(body: Any) -> None:
    """Refuse unprintable text in any string or field name, naming where it is."""
    pending: list[tuple[str, Any]] = [("", body)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if problem := unprintable(value):
                raise Refused(Kind.INVALID, f"{path or 'Body'}: {problem}")
        elif isinstance(value, dict | list):
            pending.extend(reversed(list(_children(value, path))))


def _children(value: dict | list, path: str) -> Iterator[tuple[str, Any]]:
    """Yield (path, item) of an object's fields or an array's items; check field names."""
    prefix = f"{path}." if path else ""
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield f"{prefix}{index}", item
        return
    for key, item in value.items():
        if problem := unprintable(key):
            where = f" in {path}" if path else ""
            raise Refused(Kind.INVALID, f"Field name {shown(key)!r}{where}: {problem}")
        yield f"{prefix}{key}", item


def _digits(text: str) -> int:
    return sum(character.isdigit() for character in text)


def _integer(text: str) -> int:
    if len(text) > MAX_NUMBER:
        raise BadJson(
            f"Body holds a number of {_digits(text)} digits ({text[:12]}…): "
            f"at most {MAX_NUMBER} characters"
        )
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER:
        raise BadJson(
            f"Body holds a number of {_digits(text)} digits ({text[:12]}…): "
            f"at most {MAX_NUMBER} characters"
        )
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise BadJson(f"Body holds a number out of range ({text})")
    return number


def _constant(name: str) -> Any:
    raise BadJson(f"Body holds {name}, which is not a JSON number")


# Built once: json.loads with these hooks builds a decoder (and its scanner) per body.
DECODER = json.JSONDecoder(parse_int=_integer, parse_float=_float, parse_constant=_constant)
