"""Marshmallow wire schemas for what CPOs push: validate, normalise to 2.2.1, warn.

Invalid input raises marshmallow.ValidationError whose messages are keyed by dotted
field path ("evses.0.status"); describe() turns one into the sentence an OCPI
status_message carries. 2.1.1 and 2.3.0 are expressed as differences from 2.2.1
(v211.py, v230.py).
"""

from functools import lru_cache
from typing import Any, NamedTuple

from marshmallow import Schema, ValidationError, fields
from marshmallow.exceptions import SCHEMA

from sgv.ocpi.schemas import v211, v221, v230
from sgv.ocpi.schemas.usable import usable
from sgv.ocpi.schemas.values import Lenient

__all__ = [
    "LoadResult",
    "describe",
    "load_connector",
    "load_credentials",
    "load_evse",
    "load_location",
    "load_tariff",
]


class LoadResult(NamedTuple):
    """A validated push: its data in the 2.2.1 shape, and warnings for the CPO's report."""

    data: dict[str, Any]
    warnings: list[str]


SCHEMAS: dict[str, dict[str, Schema]] = {
    "2.3.0": {
        "location": v230.Location(),
        "evse": v230.Evse(),
        "connector": v230.Connector(),
        "tariff": v230.Tariff(),
        "credentials": v230.Credentials(),
    },
    "2.2.1": {
        "location": v221.Location(),
        "evse": v221.Evse(),
        "connector": v221.Connector(),
        "tariff": v221.Tariff(),
        "credentials": v221.Credentials(),
    },
    "2.1.1": {
        "location": v211.Location(),
        "evse": v211.Evse(),
        "connector": v211.Connector(),
        "tariff": v211.Tariff(),
        "credentials": v211.Credentials(),
    },
}
SCHEMAS["2.2"] = SCHEMAS["2.2.1"]  # 2.2.1 only added enum values, lenient here anyway

# Lists whose elements a PATCH merges one by one, so each must say which one it is.
IDENTITY = {"evses": "uid", "connectors": "id"}
SHOWN = 4  # reasons describe() spells out; the rest are counted


def load_location(version: str, body: Any, *, partial: bool = False) -> LoadResult:
    """Validate a Location (PUT), or the fields a PATCH changes."""
    return _load(version, "location", body, partial)


def load_evse(version: str, body: Any, *, partial: bool = False) -> LoadResult:
    """Validate an EVSE (PUT), or the fields a PATCH changes."""
    return _load(version, "evse", body, partial)


def load_connector(version: str, body: Any, *, partial: bool = False) -> LoadResult:
    """Validate a Connector (PUT), or the fields a PATCH changes."""
    return _load(version, "connector", body, partial)


def load_tariff(version: str, body: Any, *, partial: bool = False) -> LoadResult:
    """Validate a Tariff (PUT), or the fields a PATCH changes."""
    return _load(version, "tariff", body, partial)


def load_credentials(version: str, body: Any) -> LoadResult:
    """Validate a Credentials object; 2.1.1's flat party becomes a single CPO role."""
    return _load(version, "credentials", body, partial=False)


def describe(error: ValidationError) -> str:
    """Say in one sentence which fields are wrong and why, fields sharing a reason together."""
    paths_by_reason: dict[str, list[str]] = {}
    for path, texts in _flatten(error.messages).items():
        paths_by_reason.setdefault(_clause(texts[0]), []).append(path)
    clauses = [
        reason if paths == [SCHEMA] else f"{', '.join(paths)}: {reason}"
        for reason, paths in paths_by_reason.items()
    ]
    if len(clauses) > SHOWN:
        clauses[SHOWN:] = [f"and {len(clauses) - SHOWN} more"]
    return "; ".join(clauses)


def _load(version: str, kind: str, body: Any, partial: bool) -> LoadResult:
    """Validate a body with the version's schema; PATCH rules when partial."""
    if version not in SCHEMAS:
        raise ValueError(f"unsupported OCPI version {version!r}")
    schema = SCHEMAS[version][kind]
    if not isinstance(body, dict):
        raise ValidationError({SCHEMA: ["The body must be a JSON object."]})
    if partial:  # only the fields sent: the same fields and messages, less to walk
        schema = _narrowed(schema, frozenset(schema.fields.keys() & body.keys()))
    errors: dict[str, list[str]] = {}
    try:
        data = schema.load(body, partial=_patchable(schema) if partial else None)
    except ValidationError as error:
        errors = _flatten(error.messages)
    # 2.2.1 makes last_updated mandatory in a PATCH; for 2.1.1 the caller stamps it.
    if partial and version != "2.1.1" and "last_updated" not in body:
        errors.setdefault("last_updated", []).append("Required in a PATCH (OCPI 2.2.1).")
    if errors:
        raise ValidationError(errors)
    notes = usable(schema, data, IDENTITY)  # empty strings, time zone, country
    # A PATCH merges connectors by id ([] changes none): only a full object can lack them.
    empty = [] if partial else _empty_evses(kind, data)
    extra = v230.warnings(kind, body) if version == "2.3.0" else []
    return LoadResult(data, notes + _warnings(schema, data) + extra + empty)


@lru_cache(maxsize=512)  # the sets of fields CPOs PATCH are few; the bound is for the rest
def _narrowed(schema: Schema, names: frozenset[str]) -> Schema:
    """Return `schema` loading only the fields `names` (a PATCH: what it changes)."""
    return type(schema)(only=sorted(names))


@lru_cache(maxsize=1024)
def _patchable(schema: Schema, identity: str | None = None, prefix: str = "") -> tuple[str, ...]:
    """Name the fields a PATCH may leave out, in marshmallow's dotted `partial` form."""
    names = [prefix + name for name in schema.fields if name != identity]
    for name, field in schema.fields.items():
        inner = field.inner if isinstance(field, fields.List) else None
        if name in IDENTITY and isinstance(inner, fields.Nested):
            names += _patchable(inner.schema, IDENTITY[name], f"{prefix}{name}.")
    return tuple(names)


def _flatten(messages: Any, path: str = "") -> dict[str, list[str]]:
    """Flatten marshmallow's nested messages to {"evses.0.status": [...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            here = path if key == SCHEMA else f"{path}.{key}" if path else str(key)
            for where, texts in _flatten(value, here).items():
                flat.setdefault(where, []).extend(texts)
    elif isinstance(messages, list):
        for item in messages:
            for where, texts in _flatten(item, path).items():
                flat.setdefault(where, []).extend(texts)
    else:
        flat[path or SCHEMA] = [str(messages)]
    return flat


def _clause(message: str) -> str:
    """Turn a marshmallow message into a clause: lower-case start, no full stop."""
    message = message.strip().rstrip(".").replace("one of: ", "one of ")
    return message[:1].lower() + message[1:]


def _empty_evses(kind: str, data: dict[str, Any]) -> list[str]:
    """Warn about each EVSE sent with an empty connectors list (SPEC §3, Acceptance)."""
    found = []
    if kind == "evse" and data.get("connectors") == []:
        found.append("connectors: none, so this EVSE is accepted but kept out of public data")
    for i, evse in enumerate(data.get("evses") or [] if kind == "location" else []):
        if evse.get("connectors") == []:
            found.append(
                f"evses[{i}].connectors: none, so EVSE {evse.get('uid')} is accepted "
                "but kept out of public data"
            )
    return found


def _warnings(schema: Schema, data: dict[str, Any], path: str = "") -> list[str]:
    """List the unknown values of lenient enums in validated data, by field path."""
    found = []
    for name, field in schema.fields.items():
        value = data.get(name)
        if value is None:
            continue
        if isinstance(field, fields.List):
            inner, items = field.inner, [(f"{path}{name}[{i}]", v) for i, v in enumerate(value)]
        else:
            inner, items = field, [(f"{path}{name}", value)]
        for here, item in items:
            if isinstance(inner, Lenient) and item not in inner.known:
                found.append(f"{here}: unknown value {item!r} (kept)")
            elif isinstance(inner, fields.Nested):
                found += _warnings(inner.schema, item, f"{here}.")
    return found
