"""Security headers on every answer, with flask-talisman (SPEC §10; docs/security.md).

The Content-Security-Policy allows scripts, styles, fonts and fetches from this site only.
The one inline script, folium's map set-up in templates/map.html (built per request from
the view, filters and language), runs by a per-request nonce (`csp_nonce()` in the
template); no inline style or style attribute is needed. Images may also come from the
tile server of SGV_TILE_URL. Pages may be framed by this site only (`frame-ancestors
'self'`, and X-Frame-Options for old browsers).

Referrer-Policy strict-origin-when-cross-origin: other sites, the tile server included,
see our origin, never a page's path or query (OpenStreetMap's tile policy asks for a
referrer). HTTPS is never forced unless SGV_FORCE_HTTPS is set (development is plain
http); Strict-Transport-Security is sent on answers served over https (nginx's
X-Forwarded-Proto, through ProxyFix), never over http.

The OCPI API under /api is left alone: its clients are CPO servers, not browsers, and its
pushes (tens of thousands a minute) are the hot path; nor is it redirected to https (a
CPO's PUT would not follow a redirect; nginx terminates TLS in front of it anyway).
"""

from urllib.parse import urlsplit

from flask import Flask, Response, request
from flask_talisman import Talisman

SELF = "'self'"


def tile_source(tile_url: str) -> str | None:
    """Return the CSP source of the tile server in SGV_TILE_URL; None for our own site.

    A placeholder in the first label of the host (`https://{s}.tile.example.org/…`) becomes
    the CSP wildcard (`https://*.tile.example.org`).
    """
    parts = urlsplit(tile_url)
    if not parts.netloc:
        return None
    host, _, port = parts.netloc.rpartition("@")[2].partition(":")
    labels = host.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    if parts.scheme not in ("http", "https") or any("{" in label for label in labels[1:]):
        raise ValueError(
            f"SGV_TILE_URL must be an http(s) URL whose host has a placeholder in its first "
            f"label at most (https://{{s}}.tile.example.org/{{z}}/{{x}}/{{y}}.png), "
            f"not {tile_url!r}"
        )
    if "{" in port:
        raise ValueError(f"SGV_TILE_URL's port cannot be a placeholder: {tile_url!r}")
    return f"{parts.scheme}://{'.'.join(labels)}" + (f":{port}" if port else "")


def content_security_policy(tile_url: str) -> dict[str, str | list[str]]:
    """Return the policy for an app whose map takes its tiles from `tile_url`."""
    tiles = tile_source(tile_url)
    return {
        "default-src": SELF,
        "script-src": SELF,  # + the request's nonce, for folium's inline map set-up
        "style-src": SELF,
        "img-src": [SELF, "data:", *([tiles] if tiles else [])],  # data: Leaflet's blank tile
        "font-src": SELF,
        "connect-src": SELF,
        "object-src": "'none'",
        "base-uri": SELF,
        "form-action": SELF,
        "frame-ancestors": SELF,
    }


def ocpi() -> bool:
    path = request.path  # one look-up through the request proxy: three hooks ask per request
    return path.startswith("/api/") or path == "/api"


class PageHeaders(Talisman):
    """Talisman for every answer but the OCPI API's."""

    def _force_https(self) -> Response | None:
        return None if ocpi() else super()._force_https()

    def _make_nonce(self) -> None:
        if not ocpi():
            super()._make_nonce()

    def _set_response_headers(self, response: Response) -> Response:
        return response if ocpi() else super()._set_response_headers(response)


def init_app(app: Flask) -> None:
    """Send the security headers on every answer of `app` but the OCPI API's."""
    force_https = bool(app.config["FORCE_HTTPS"])
    app.extensions["talisman"] = PageHeaders(
        app,
        force_https=force_https,
        strict_transport_security=True,  # Talisman sends it over https only
        content_security_policy=content_security_policy(app.config["TILE_URL"]),
        content_security_policy_nonce_in=["script-src"],
        frame_options="SAMEORIGIN",
        referrer_policy="strict-origin-when-cross-origin",
        session_cookie_secure=force_https,
        x_content_type_options=True,
    )
