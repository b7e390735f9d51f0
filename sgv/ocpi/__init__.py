"""The OCPI protocol, versions 2.3.0, 2.2.1, 2.2 (served by the 2.2.1 code) and 2.1.1.

Paths follow the real SGV (SPEC §3): /api/versions, /api/<version> for its details,
/api/<version>/<module>/… for the modules. This file holds what every OCPI module
shares: the versions served and the modules; sgv/ocpi/api.py registers the endpoints.
"""

VERSIONS = ("2.3.0", "2.2.1", "2.2", "2.1.1")  # highest first: the order of our preference
# The modules SGV receives in every version, and requires a CPO to offer (Sender side):
# the seed guide requires the CPO interface of both Locations and Tariffs (SPEC §3).
MODULES = ("credentials", "locations", "tariffs")
# The URL part that names a version SGV serves, e.g. /api/2.2.1/…
VERSION_RULE = "/<any(" + ",".join(f"'{v}'" for v in VERSIONS) + "):version>"


def since_2_2(version: str) -> bool:
    """Say whether a version is 2.2 or later: endpoints with roles, base64 tokens, routing
    headers (2.2, 2.2.1 and 2.3.0 alike)."""
    return not version.startswith(("2.0", "2.1"))
