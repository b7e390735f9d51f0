"""Public responses cached under the data versions they depend on (STYLE §5).

A key carries the current static and/or dynamic data version, which committed changes
bump (sgv/core/dataversion.py): a revocation or a push is visible on the next request, with
no invalidation to forget, and the version pair doubles as an ETag.
"""

import hashlib
import time
from collections.abc import Callable
from typing import Any

from sgv.core import dataversion, metrics
from sgv.extensions import cache

STATIC = "static"
DYNAMIC = "dynamic"


def version_tag(depends: tuple[str, ...], *parts: Any) -> str:
    """Return a short tag naming the data versions (and parameters) a response depends on."""
    versions = dataversion.current()
    raw = "|".join([*(f"{d}={versions[d]}" for d in depends), *map(str, parts)])
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


def versioned(
    name: str,
    build: Callable[[], Any],
    *,
    depends: tuple[str, ...] = (STATIC, DYNAMIC),
    parts: tuple[Any, ...] = (),
    timeout: int | None = None,
) -> tuple[Any, str]:
    """Return (value, tag): from the cache when the data versions have not moved.

    `timeout` bounds the life of values that also change with time (prices by time of
    day, maintenance windows that begin), in seconds.
    """
    tag = version_tag(depends, *parts)
    key = f"sgv:{name}:{tag}"
    value = cache.get(key)
    metrics.cache_lookup(name, value is not None)
    if value is None:
        value = build()
        cache.set(key, value, timeout=timeout)
    return value, tag


def throttled(
    name: str, build: Callable[[], Any], *, every: float, timeout: int, parts: tuple = ()
) -> Any:
    """Return a value rebuilt at once on a static change, at most every `every` s otherwise.

    For documents that every push invalidates but that are costly to build (the map's
    live data): a stream of status pushes then costs one rebuild per `every` seconds,
    not one per push, while a revocation or an approval (static) shows on the next
    request (SPEC §4).
    """
    versions = dataversion.current()
    key = f"sgv:{name}:latest:" + hashlib.sha256(repr(parts).encode()).hexdigest()[:16]
    now = time.time()
    entry = cache.get(key)
    if entry is not None:
        static, dynamic, built_at, value = entry
        fresh = dynamic == versions[DYNAMIC] or now - built_at < every
        if static == versions[STATIC] and fresh and now - built_at < timeout:
            metrics.cache_lookup(name, True)
            return value
    metrics.cache_lookup(name, False)
    value = build()
    cache.set(key, (versions[STATIC], versions[DYNAMIC], now, value), timeout=timeout)
    return value
