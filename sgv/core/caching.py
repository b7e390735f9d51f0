"""Public responses cached under the data versions they depend on (STYLE §5).

A key carries the current static and/or dynamic data version, which committed changes
bump (sgv/core/dataversion.py): a revocation or a push is visible on the next request, with
no invalidation to forget, and the version pair doubles as an ETag.

A document is built once per version across every worker and host that share the cache
(Redis, SGV_CACHE_URL): the first to miss takes a build lock (`cache.add`, Redis SET NX)
and the others wait for its result, at most BUILD_WAIT seconds, instead of all querying
the database for the same thing at the moment a version moves.
"""

import hashlib
import time
from collections.abc import Callable
from typing import Any

from sgv.core import dataversion, metrics
from sgv.extensions import cache

STATIC = "static"
DYNAMIC = "dynamic"
PRICED = "priced"  # what prices live data: moves with DYNAMIC, but not with statuses


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
    still_valid: Callable[[Any], bool] = lambda value: True,
) -> tuple[Any, str]:
    """Return (value, tag): from the cache when the data versions have not moved.

    `timeout` bounds the life of values that also change with time (prices by time of
    day, maintenance windows that begin), in seconds; `still_valid` says whether a kept
    value is still right now, when the value itself knows until when it is.
    """
    tag = version_tag(depends, *parts)
    key = f"sgv:{name}:{tag}"
    built: list[bool] = []  # a miss: built by this request (not by another, waited for)

    def entry() -> tuple:
        built.append(True)
        return (build(),)  # a 1-tuple, so that a None (no such installation) is cached too

    value = once(key, entry, lambda found: still_valid(found[0]), timeout=timeout)[0]
    metrics.cache_lookup(name, not built)
    return value, tag


BUILD_WAIT = 10.0  # seconds a request waits for another's build before building itself
POLL = 0.01  # seconds between two looks for it


def building(key: str) -> bool:
    """Take the build lock of `key`; False when another worker or host holds it."""
    return bool(cache.add(f"{key}:building", 1, timeout=int(BUILD_WAIT) + 1))


def built(key: str) -> None:
    """Release the build lock of `key`."""
    cache.delete(f"{key}:building")


def being_built(key: str) -> bool:
    """Tell whether someone holds the build lock of `key`."""
    return cache.get(f"{key}:building") is not None


def once(
    key: str,
    build: Callable[[], Any],
    usable: Callable[[Any], bool],
    *,
    timeout: int | None = None,
) -> Any:
    """Return the usable entry under `key`, built by one process for all who ask at once."""
    deadline = time.monotonic() + BUILD_WAIT
    while True:
        entry = cache.get(key)
        if entry is not None and usable(entry):
            return entry
        if building(key):
            try:
                entry = cache.get(key)  # built by the holder we just followed?
                if entry is None or not usable(entry):
                    entry = build()
                    cache.set(key, entry, timeout=timeout)
            finally:
                built(key)
            return entry
        if time.monotonic() > deadline:  # the builder is slow or died: build for ourselves
            return build()
        time.sleep(POLL)


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

    def usable(entry: tuple) -> bool:
        static, dynamic, built_at, _ = entry
        fresh = dynamic == versions[DYNAMIC] or now - built_at < every
        return static == versions[STATIC] and fresh and now - built_at < timeout

    built: list[bool] = []  # a miss: built by this request (not by another, waited for)

    def fresh_entry() -> tuple:
        built.append(True)
        return versions[STATIC], versions[DYNAMIC], time.time(), build()

    value = once(key, fresh_entry, usable, timeout=timeout)[3]
    metrics.cache_lookup(name, not built)
    return value
