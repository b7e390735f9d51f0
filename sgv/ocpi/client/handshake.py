"""The platform's side of the credentials handshake with a CPO, as an OCPI client.

Version discovery (the highest version both sides speak, the endpoints it offers) and
the PUT of our new credentials when we renew (SPEC §3, credentials).
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from sgv.core.refusals import Kind
from sgv.ocpi import MODULES, VERSIONS, since_2_2
from sgv.ocpi.client.calls import CpoError, CpoUnreachable, call, default_encoding, new_id
from sgv.ocpi.client.guard import Allowance
from sgv.ocpi.client.transport import Outbound

# 2.1.1 endpoints carry no role; a CPO's 2.1.1 modules are its Sender (CPO) interfaces,
# so they are stored under SENDER and looked up the same way in every version.
DEFAULT_ROLE = "SENDER"


class NoCommonVersion(CpoError):
    """The CPO offers none of the OCPI versions the platform speaks."""

    kind = Kind.NO_COMMON_VERSION

    def __init__(self, message: str, *, url: str | None = None, offered: list[str]) -> None:
        super().__init__(message, url=url)
        self.offered = offered


class MissingEndpoints(CpoError):
    """The CPO's version details lack endpoints the platform needs."""

    kind = Kind.MISSING_ENDPOINTS

    def __init__(self, message: str, *, url: str | None = None, missing: list[str]) -> None:
        super().__init__(message, url=url)
        self.missing = missing


@dataclass
class Negotiation:
    """What the platform learnt from a CPO's versions and version details."""

    version: str  # the highest version both sides speak
    version_url: str  # the CPO's version details URL for it
    # identifier -> {role: url}; 2.1.1 endpoints (no role) under "SENDER" (DEFAULT_ROLE).
    endpoints: dict[str, dict[str, str]]
    encoding: str  # "base64" or "raw": the token form the CPO accepted on the last call

    def url(self, identifier: str, role: str = DEFAULT_ROLE) -> str | None:
        """Return the CPO's URL for a module (credentials: whatever role it published)."""
        return endpoint_url(self.endpoints, identifier, role)


def endpoint_url(
    endpoints: dict[str, dict[str, str]], identifier: str, role: str = DEFAULT_ROLE
) -> str | None:
    """Return a stored endpoint's URL; for credentials the role is ignored (OCPI §versions)."""
    roles = endpoints.get(identifier) or {}
    if identifier == "credentials":
        return roles.get(role) or next(iter(roles.values()), None)
    return roles.get(role)


def offered_versions(data: Any, url: str) -> dict[str, str]:
    """Read a versions list into {version: details URL}; entries without both are skipped."""
    if not isinstance(data, list):
        raise CpoUnreachable(f"GET {url}: data is not a list of versions", url=url)
    offered: dict[str, str] = {}
    for entry in data:
        if isinstance(entry, dict):
            version, details = entry.get("version"), entry.get("url")
            if isinstance(version, str) and isinstance(details, str) and details.strip():
                offered.setdefault(version.strip(), urljoin(url, details.strip()))
    return offered


def read_endpoints(data: Any, url: str, version: str) -> dict[str, dict[str, str]]:
    """Read version details into {identifier: {role: url}}; a missing role means SENDER."""
    entries = data.get("endpoints") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise CpoUnreachable(f"GET {url}: data has no list of endpoints", url=url)
    endpoints: dict[str, dict[str, str]] = {}
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        identifier, address, role = entry.get("identifier"), entry.get("url"), entry.get("role")
        if not isinstance(identifier, str) or not isinstance(address, str) or not address:
            continue
        if not since_2_2(version) or not isinstance(role, str) or not role:
            role = DEFAULT_ROLE
        roles = endpoints.setdefault(identifier.strip().lower(), {})
        roles.setdefault(role.strip().upper(), urljoin(url, address.strip()))
    return endpoints


def missing_endpoints(endpoints: dict[str, dict[str, str]], required: tuple[str, ...]) -> list[str]:
    """Name the required endpoints absent: credentials in any role, modules as SENDER."""
    missing = []
    for identifier in required:
        if endpoint_url(endpoints, identifier) is None:
            missing.append(identifier if identifier == "credentials" else f"{identifier} (SENDER)")
    return missing


def describe(endpoints: dict[str, dict[str, str]]) -> str:
    """List endpoints for a message, e.g. 'credentials (SENDER), locations (RECEIVER)'."""
    names = [f"{ident} ({role})" for ident, roles in endpoints.items() for role in roles]
    return ", ".join(names) or "none"


def negotiate(
    versions_url: str,
    token: str,
    *,
    timeout: float,
    required: tuple[str, ...] = MODULES,
    correlation_id: str | None = None,
    allow_private: Allowance = False,
    version: str | None = None,
) -> Negotiation:
    """Agree a version with a CPO and check it offers the required endpoints there.

    `version` is the one the CPO must offer (the version of the credentials endpoint it
    called, OCPI §credentials); without it, the highest version both sides speak.
    Two calls (versions, version details), each within `timeout` seconds.
    """
    wanted = version
    correlation_id = correlation_id or new_id()
    with Outbound(allow_private) as session:
        # No version is known yet: start with base64 (2.2.x) and let call() fall back.
        listing = call(
            session,
            "GET",
            versions_url,
            token,
            encoding="base64",
            timeout=timeout,
            correlation_id=correlation_id,
        )
        offered = offered_versions(listing.data, versions_url)
        version = next((v for v in VERSIONS if v in offered and v == (wanted or v)), None)
        if version is None and wanted is not None:
            raise NoCommonVersion(
                f"GET {versions_url}: the CPO offers {', '.join(offered) or 'no version'}, "
                f"not OCPI {wanted}, the version of the credentials endpoint it called",
                url=versions_url,
                offered=list(offered),
            )
        if version is None:
            raise NoCommonVersion(
                f"GET {versions_url}: the CPO offers {', '.join(offered) or 'no version'}; "
                f"SGV speaks {', '.join(VERSIONS)}",
                url=versions_url,
                offered=list(offered),
            )
        details_url = offered[version]
        # A CPO that refused base64 on versions will refuse it on details too; otherwise
        # start with the form its version prescribes.
        first = listing.encoding if listing.encoding == "raw" else default_encoding(version)
        details = call(
            session,
            "GET",
            details_url,
            token,
            encoding=first,
            timeout=timeout,
            correlation_id=correlation_id,
        )
    endpoints = read_endpoints(details.data, details_url, version)
    missing = missing_endpoints(endpoints, tuple(required))
    if missing:
        raise MissingEndpoints(
            f"GET {details_url}: OCPI {version} lacks {', '.join(missing)}; "
            f"the CPO offers {describe(endpoints)}",
            url=details_url,
            missing=[name.split(" ")[0] for name in missing],
        )
    return Negotiation(version, details_url, endpoints, details.encoding)


def put_credentials(
    url: str,
    token: str,
    body: dict,
    *,
    version: str,
    encoding: str,
    timeout: float,
    correlation_id: str | None = None,
    allow_private: Allowance = False,
) -> dict:
    """PUT the platform's new credentials to a CPO; return the CPO's credentials (data)."""
    with Outbound(allow_private) as session:
        answer = call(
            session,
            "PUT",
            url,
            token,
            encoding=encoding,
            timeout=timeout,
            correlation_id=correlation_id or new_id(),
            body=body,
        )
    data = answer.data
    if not isinstance(data, dict) or not isinstance(data.get("token"), str):
        raise CpoUnreachable(
            f"PUT {url}: the answer carries no OCPI {version} credentials object", url=url
        )
    return data
