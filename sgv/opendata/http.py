"""How exports travel: validators, conditional requests, gzip streaming and a cached copy.

An export's version is the data versions it depends on (sgv/core/caching.py), its query and
the next instant the clock alone changes live data (a maintenance window that begins, a
tariff's time restriction): the ETag names that version exactly, and the gzip copy of a
full export is cached under it, so neither outlives a commit or a clock change
(STYLE §5). A push or a revocation moves the version on the next request.
"""

import hashlib
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Response, current_app, request, stream_with_context
from werkzeug.http import http_date, is_resource_modified

from sgv import public
from sgv.core import caching
from sgv.core.caching import DYNAMIC, STATIC, version_tag
from sgv.extensions import cache
from sgv.opendata.params import Filters

CHUNK = 64 * 1024  # bytes per write: few syscalls, small buffers
NEVER = "never"


@dataclass(frozen=True)
class Version:
    """What one export response is: its tag, its time, and when the clock next changes it."""

    tag: str
    generated_at: datetime
    expires: datetime | None
    last_modified: datetime | None


def setting(name: str) -> int:
    """Return an SGV_OPENDATA_* tunable (seconds, bytes or a level; sgv/config.py)."""
    return int(current_app.config[f"OPENDATA_{name}"])


def current_version(name: str, filters: Filters) -> Version:
    """Return the version of export `name` for these filters, as of this transaction."""
    now = public.database_now()
    data = version_tag((STATIC, DYNAMIC))  # read before any data: bumps follow commits
    expires = next_change(data, now)
    raw = "|".join(map(str, (data, name, *filters.parts(), expires)))
    tag = hashlib.sha256(raw.encode()).hexdigest()[:24]
    return Version(tag, now, expires, last_modified(name, filters, tag, now))


def next_change(data: str, now: datetime) -> datetime | None:
    """Return public.next_change(now), cached for these data versions until it passes."""
    key = f"sgv:opendata:next-change:{data}"
    known = cache.get(key)
    if known == NEVER:
        return None
    if known is not None and known > now:
        return known
    found = public.next_change(now)
    cache.set(key, found or NEVER, timeout=setting("CACHE_SECONDS"))
    return found


def last_modified(name: str, filters: Filters, tag: str, now: datetime) -> datetime | None:
    """Return when this version was first served; None while another owns that second.

    HTTP dates count whole seconds. Two versions dated alike would let a client that holds
    the older one be told 304, so each second dates at most one version of a resource;
    a version that meets a taken second gets its date on a later request.
    """
    key = f"sgv:opendata:lm:{tag}"
    if (known := cache.get(key)) is not None:
        return known
    second = now.replace(microsecond=0)
    resource = hashlib.sha256(repr((name, filters.parts())).encode()).hexdigest()[:16]
    claim = f"sgv:opendata:second:{resource}:{int(second.timestamp())}"
    if not cache.add(claim, tag, timeout=120) and cache.get(claim) != tag:
        return None
    cache.add(key, second, timeout=setting("CACHE_SECONDS"))
    return cache.get(key) or second


def wants_gzip() -> bool:
    """Tell whether the client accepts a gzip-encoded body."""
    return request.accept_encodings["gzip"] > 0


def buffered(chunks: Iterable[str | bytes]) -> Iterator[bytes]:
    """Join small chunks, text or UTF-8 bytes, into writes of about CHUNK bytes."""
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        data = chunk.encode() if isinstance(chunk, str) else chunk
        parts.append(data)
        size += len(data)
        if size >= CHUNK:
            yield b"".join(parts)
            parts, size = [], 0
    if parts:
        yield b"".join(parts)


def gzipped(
    chunks: Iterable[bytes], keep: Callable[[bytes | None], None] | None
) -> Iterator[bytes]:
    """Compress as it streams; hand the whole body to `keep` when it stayed small enough
    (None as soon as it is too big)."""
    compressor = zlib.compressobj(setting("GZIP_LEVEL"), zlib.DEFLATED, 31)  # 31: gzip
    limit = setting("CACHE_MAX_BYTES")
    kept: list[bytes] | None = [] if keep else None
    size = 0
    for chunk in chunks:
        block = compressor.compress(chunk)
        if not block:
            continue
        size += len(block)
        if kept is not None and size > limit:
            kept = None  # too big to cache: stop holding it, memory stays flat
            if keep is not None:
                keep(None)
        if kept is not None:
            kept.append(block)
        yield block
    tail = compressor.flush()
    yield tail
    if kept is not None and keep is not None and size + len(tail) <= limit:
        keep(b"".join([*kept, tail]))


def respond(
    name: str,
    mimetype: str,
    filters: Filters,
    body: Callable[[Version], Iterable[str | bytes]],
    version: Version | None = None,
) -> Response:
    """Answer an export: 304 when the client's copy is current, else cached gzip or a stream.

    `version`: the export's own, when what it shows is not named by the data versions
    (availability.json: a stored build and what of it is public now)."""
    version = version or current_version(name, filters)
    gzip = wants_gzip()
    headers = {
        "ETag": f'"{version.tag}{"-gz" if gzip else ""}"',
        "Cache-Control": "public, no-cache",  # revalidate every time: data moves each push
        "Vary": "Accept-Encoding",
        "Link": '<https://creativecommons.org/licenses/by/4.0/>; rel="license"',
    }
    if version.last_modified:
        headers["Last-Modified"] = http_date(version.last_modified)
    if not is_resource_modified(
        request.environ, etag=headers["ETag"], last_modified=version.last_modified
    ):
        return Response(status=304, headers=headers)
    if gzip:
        headers["Content-Encoding"] = "gzip"
    key = f"sgv:opendata:body:{version.tag}" if gzip and filters.is_full else None
    if key:
        copy, key = copy_or_claim(key)
        if copy is not None:
            return Response(copy, mimetype=mimetype, headers=headers)
    data = buffered(body(version))
    stream = released(gzipped(data, keeper(key, version)), key) if gzip else data
    return Response(stream_with_context(stream), mimetype=mimetype, headers=headers)


def copy_or_claim(key: str) -> tuple[bytes | None, str | None]:
    """Return the cached copy, waiting while another worker or host builds it, or build it:
    (None, key) when this request holds the build lock, (None, None) to stream unkept."""
    deadline = time.monotonic() + caching.BUILD_WAIT
    while (copy := cache.get(key)) is None:
        if caching.building(key):
            if (copy := cache.get(key)) is not None:  # kept by the holder we just followed
                caching.built(key)
                return copy, None
            return None, key
        if time.monotonic() > deadline:
            return None, None
        time.sleep(caching.POLL)
    return copy, None


def released(chunks: Iterator[bytes], key: str | None) -> Iterator[bytes]:
    """Stream `chunks`, then release the build lock of `key` however the stream ends."""
    try:
        yield from chunks
    finally:
        if key is not None:
            caching.built(key)


def keeper(key: str | None, version: Version) -> Callable[[bytes | None], None] | None:
    """Return how to cache a finished gzip body under `key`, until the clock changes it
    (None: too big to keep; others waiting for it stream their own at once)."""
    if key is None:
        return None
    seconds = setting("CACHE_SECONDS")
    if version.expires is not None:
        left = (version.expires - version.generated_at) / timedelta(seconds=1)
        seconds = max(1, min(seconds, int(left)))

    def keep(data: bytes | None) -> None:
        if data is not None:
            cache.set(key, data, timeout=seconds)
        caching.built(key)

    return keep
