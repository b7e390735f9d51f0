"""The versions module: which OCPI versions SGV speaks and its endpoints in each."""

from flask import current_app, g

from sgv.ocpi import MODULES, VERSION_RULE, VERSIONS
from sgv.ocpi.auth import authenticate
from sgv.ocpi.blueprint import bp
from sgv.ocpi.envelope import ocpi_response


def public_url(*segments: str) -> str:
    """Join SGV_PUBLIC_URL and path segments, with the trailing slash OCPI URLs advertise."""
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    return "/".join([base, *segments]) + "/"


def version_details(version: str) -> dict:
    """Return our endpoints in `version`: every module we receive, role RECEIVER in 2.2.x."""
    endpoints = []
    for module in MODULES:
        endpoint = {"identifier": module, "url": public_url("api", version, module)}
        if version != "2.1.1":
            endpoint["role"] = "RECEIVER"
        endpoints.append(endpoint)
    return {"version": version, "endpoints": endpoints}


@bp.get("/versions")
def list_versions():
    """List the OCPI versions SGV offers, with their details URLs."""
    authenticate(allow_token_a=True)
    return ocpi_response([{"version": v, "url": public_url("api", v)} for v in VERSIONS])


@bp.get(VERSION_RULE)
def show_version():
    """Give the details of one version: the module endpoints."""
    authenticate(allow_token_a=True)
    return ocpi_response(version_details(g.ocpi_version))
