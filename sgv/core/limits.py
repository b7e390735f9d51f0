"""Rate limits per client address, with flask-limiter (SPEC §10; sizes in docs/security.md).

Two limits, both keyed on `request.remote_addr` (behind nginx, ProxyFix makes it the
real client's address):

* SGV_RATELIMIT_PUBLIC (1200/minute) — one budget shared by the public pages, the map's
  documents and the open-data exports (the blueprints passed to `init_app`); fixed
  window: one counter per address and minute, so at least that many always pass.
* SGV_RATELIMIT_AUTH (60/minute) — failed OCPI authentications only (no token, or one that
  matches no CPO), counted by `failed_authentication()` once the token was looked up;
  moving window: never more than that many 401s in any minute. Past it, a failed attempt
  is answered 429 instead of 401. A request carrying a valid token is never counted nor
  refused, even from an address that is blocked: a CPO's pushes (tens of thousands a
  minute) never touch the limiter, and a guesser sharing a CPO's address (or the CPO's
  own stale node) cannot lock the CPO out. Guessing itself is hopeless against 256-bit
  tokens; the limit bounds the 401s and tells a misconfigured client to back off.

Counts live in Redis when SGV_CACHE_URL is set, shared by every worker and host; else in
each process's memory (per gunicorn worker: N workers let up to N times as many through).
A storage failure lets requests through and is logged: the map stays up without Redis.
SGV_RATELIMIT_ENABLED=false switches both limits off.
"""

import math
import time

from flask import Blueprint, Flask, current_app
from flask_limiter.util import get_remote_address
from limits import parse
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import HTTPException, TooManyRequests

from sgv.config import ratelimit_storage
from sgv.extensions import limiter

AUTH_SCOPE = "ocpi-auth"
PUBLIC_SCOPE = "public"
SETTINGS = ("RATELIMIT_AUTH", "RATELIMIT_PUBLIC")


def public_rate() -> str:
    """The public limit of the app at hand (read per request: tests use several apps)."""
    return current_app.config["RATELIMIT_PUBLIC"]


def public_message() -> str:
    """The 429's description past the public limit."""
    return (
        f"Too many requests from your address: at most {parse(public_rate())} "
        "for the map and the open data. Please wait before trying again."
    )


# One shared budget per address across every public blueprint (`scope`).
PUBLIC_LIMIT = limiter.shared_limit(public_rate, scope=PUBLIC_SCOPE, error_message=public_message)


def init_app(app: Flask, public: tuple[Blueprint, ...]) -> None:
    """Check the limits' settings, bind flask-limiter and limit the `public` blueprints."""
    config = app.config
    for name in SETTINGS:
        try:
            parse(str(config[name]))
        except ValueError:
            raise ValueError(
                f"SGV_{name} must be a rate such as '60/minute' or '1200 per minute', "
                f"not {config[name]!r}"
            ) from None
    config.setdefault("RATELIMIT_STORAGE_URI", ratelimit_storage(config["CACHE_URL"]))
    config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)  # a Redis outage must not stop the map
    config.setdefault("RATELIMIT_KEY_PREFIX", "sgv")
    hooks = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    before = [list(registry.get(None, ())) for registry in hooks]
    limiter.init_app(app)
    # flask-limiter hooks every request of the app (its check, headers and context). Only
    # the public blueprints carry a limit, so its hooks move to them: a CPO's push, the
    # hot path, runs none (about 20 µs of CPU less per status PATCH).
    for registry, had in zip(hooks, before, strict=True):
        added = [hook for hook in registry.get(None, ()) if hook not in had]
        registry[None] = had
        for blueprint in public:
            registry.setdefault(blueprint.name, []).extend(added)
    for blueprint in public:
        PUBLIC_LIMIT(blueprint)


def failed_authentication() -> None:
    """Count one failed OCPI authentication from the client's address.

    Raises TooManyRequests (429, with Retry-After) once the address has failed
    SGV_RATELIMIT_AUTH times within the last window.
    """
    config = current_app.config
    if not config["RATELIMIT_ENABLED"]:
        return
    item = parse(config["RATELIMIT_AUTH"])
    window = MovingWindowRateLimiter(limiter.storage)
    key = (config["RATELIMIT_KEY_PREFIX"], get_remote_address(), AUTH_SCOPE)
    try:
        if window.hit(item, *key):
            return
        reset_at = window.get_window_stats(item, *key).reset_time
    except Exception:  # the storage is down: fail open, as flask-limiter does (swallow)
        current_app.logger.exception("Rate limit storage failed; authentication not counted")
        return
    raise TooManyRequests(
        description=(
            f"Too many failed authentications from your address: at most {item}. "
            "Check your token (Authorization: Token …) and retry later."
        ),
        retry_after=seconds_until(reset_at),
    )


def seconds_until(moment: float) -> int:
    """Whole seconds from now until `moment` (a Unix time), at least 1."""
    return max(1, math.ceil(moment - time.time()))


def with_retry_after(error: HTTPException) -> HTTPException:
    """Give a 429 its Retry-After: flask-limiter's own exception carries none."""
    if getattr(error, "retry_after", None) is None:
        current = limiter.current_limit
        if current is not None and current.breached:
            error.retry_after = seconds_until(current.reset_at)
    return error
