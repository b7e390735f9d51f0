"""/opendata/availability.json: each public installation's availability by hour of week.

The figures are computed by a scheduled job (`flask sgv history build`, hourly, one
host) into a table; a request only reads them (sgv/history/store.py). What is public is
checked on every request against the public door: an installation leaves at once when
any of its charge points stops being public (a revocation, a deregistration, a location
hidden) or its CPO is UNKNOWN after failed checks; one that becomes public joins at the
next build. The response's version is the build and the installations shown, so its ETag
changes exactly when the body would, and a cached gzip copy survives the status pushes.
"""

import hashlib
import json
from collections.abc import Iterator

from sgv import public
from sgv.core.times import utc_text
from sgv.history import store
from sgv.opendata import formats
from sgv.opendata.http import Version, last_modified
from sgv.opendata.params import Filters
from sgv.public import streaming

NAME = "availability.json"


def version(build: store.Build | None, ids: list[str]) -> Version:
    """Return the version of the export that shows these installations of `build`."""
    now = public.database_now()
    raw = json.dumps([NAME, build.id if build else None, ids])
    tag = hashlib.sha256(raw.encode()).hexdigest()[:24]
    return Version(tag, now, None, last_modified(NAME, Filters(), tag, now))


def opening(build: store.Build | None, v: Version) -> dict:
    """The export's fields before its installations."""
    return {
        "schema_version": formats.SCHEMA_VERSION,
        "generated_at": utc_text(v.generated_at),
        "built_at": utc_text(build.built_at) if build else None,
        "licence": formats.LICENCE,
        "window_start": utc_text(build.window_start) if build else None,
    }


def body(build: store.Build | None, ids: list[str], v: Version) -> Iterator[str | bytes]:
    """Stream the export: the opening, the stored objects as they are, the count."""
    head = json.dumps(opening(build, v), separators=(",", ":"))
    yield head[:-1] + ',"installations":['
    if build is not None and ids:
        streaming.prepare()
        for k, chunk in enumerate(streaming.stream(*store.figures_sql(build, ids))):
            yield b"," + chunk if k else chunk
    yield f'],"count":{len(ids)}}}'


def current() -> tuple[store.Build | None, list[str]]:
    """Return the newest build and its installations public now."""
    build = store.latest()
    return build, (store.visible(build) if build is not None else [])
