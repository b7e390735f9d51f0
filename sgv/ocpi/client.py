"""Calls from the platform to a CPO: versions, version details, credentials, Sender pull.

Plain `requests`, no Flask: settings (timeout, our identity) come as arguments, so the
registration views, the CLI and the hourly check share it. Every failure is a `CpoError`
whose message names the URL and the cause, and whose `status_code` is the OCPI code
our own answer should carry (SPEC §3: 3001, 3002, 3003).
"""

import base64
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests

from sgv.core.times import utc_text
from sgv.ocpi import MODULES, VERSIONS
from sgv.ocpi.envelope import (
    NO_MATCHING_ENDPOINTS,
    UNABLE_TO_USE_CLIENT_API,
    UNSUPPORTED_VERSION,
)

log = logging.getLogger(__name__)

ENCODINGS = ("base64", "raw")
# 2.1.1 endpoints carry no role; a CPO's 2.1.1 modules are its Sender (CPO) interfaces,
# so they are stored under SENDER and looked up the same way in every version.
DEFAULT_ROLE = "SENDER"


class CpoError(Exception):
    """A call to a CPO that gave no usable answer; `status_code` is the OCPI code for ours."""

    status_code = UNABLE_TO_USE_CLIENT_API

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class CpoUnreachable(CpoError):
    """A timeout, a connection error, an HTTP error, invalid JSON or an OCPI error status."""

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        http_status: int | None = None,
        ocpi_status: int | None = None,
    ) -> None:
        super().__init__(message, url=url)
        self.http_status = http_status
        self.ocpi_status = ocpi_status


class NoCommonVersion(CpoError):
    """The CPO offers none of the OCPI versions the platform speaks."""

    status_code = UNSUPPORTED_VERSION

    def __init__(self, message: str, *, url: str | None = None, offered: list[str]) -> None:
        super().__init__(message, url=url)
        self.offered = offered


class MissingEndpoints(CpoError):
    """The CPO's version details lack endpoints the platform needs."""

    status_code = NO_MATCHING_ENDPOINTS

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


def default_encoding(version: str) -> str:
    """Return the token form OCPI prescribes for a version: base64 from 2.2 on, raw before."""
    return "raw" if version.startswith(("2.0", "2.1")) else "base64"


def other_encoding(encoding: str) -> str:
    """Return the token form to retry with after a 401."""
    return "raw" if encoding == "base64" else "base64"


def authorization(token: str, encoding: str) -> str:
    """Return the Authorization header value for a token in the given form."""
    if encoding == "base64":
        token = base64.b64encode(token.encode()).decode("ascii")
    return f"Token {token}"


def new_id() -> str:
    """Return a fresh X-Request-ID / X-Correlation-ID."""
    return str(uuid.uuid4())


def routing_headers(
    version: str, our_party: tuple[str, str], their_party: tuple[str, str] | None
) -> dict[str, str]:
    """Return the OCPI-from/to headers for a module call (2.2 and later only)."""
    if not version.startswith("2.2"):
        return {}
    headers = {"OCPI-from-country-code": our_party[0], "OCPI-from-party-id": our_party[1]}
    if their_party:
        headers |= {"OCPI-to-country-code": their_party[0], "OCPI-to-party-id": their_party[1]}
    return headers


@dataclass
class Answer:
    """A successful OCPI answer: the envelope's data, the response, the token form used."""

    data: Any
    response: requests.Response
    encoding: str


def call(
    session: requests.Session,
    method: str,
    url: str,
    token: str,
    *,
    encoding: str,
    timeout: float,
    correlation_id: str,
    headers: dict[str, str] | None = None,
    body: Any = None,
) -> Answer:
    """Call a CPO, once more with the other token form on a 401; return the checked answer."""
    if encoding not in ENCODINGS:
        raise ValueError(f"token encoding must be one of {ENCODINGS}, not {encoding!r}")
    response = send(session, method, url, token, encoding, timeout, correlation_id, headers, body)
    if response.status_code == 401:
        encoding = other_encoding(encoding)
        response = send(
            session, method, url, token, encoding, timeout, correlation_id, headers, body
        )
        if response.status_code == 401:
            raise CpoUnreachable(
                f"{method} {url}: HTTP 401 with the token both in base64 and raw",
                url=url,
                http_status=401,
            )
    return Answer(envelope_data(method, url, response), response, encoding)


def send(
    session: requests.Session,
    method: str,
    url: str,
    token: str,
    encoding: str,
    timeout: float,
    correlation_id: str,
    headers: dict[str, str] | None,
    body: Any,
) -> requests.Response:
    """Make one HTTP request; network failures become CpoUnreachable."""
    all_headers = {
        "Authorization": authorization(token, encoding),
        "X-Request-ID": new_id(),
        "X-Correlation-ID": correlation_id,
        "Accept": "application/json",
        **(headers or {}),
    }
    try:
        return session.request(
            method,
            url,
            headers=all_headers,
            json=body,
            timeout=timeout,
        )
    except requests.Timeout as exc:
        raise CpoUnreachable(f"{method} {url}: no answer within {timeout:g} s", url=url) from exc
    except requests.ConnectionError as exc:
        # requests reports a read timeout during the body as a ConnectionError.
        if "timed out" in str(exc):
            cause = f"no answer within {timeout:g} s"
        else:
            cause = f"cannot connect ({network_cause(exc)})"
        raise CpoUnreachable(f"{method} {url}: {cause}", url=url) from exc
    except (requests.RequestException, ValueError) as exc:
        # A URL or token that cannot go on the wire (bad scheme, non-ASCII token …).
        cause = f"cannot send the request ({shorten(str(exc) or type(exc).__name__)})"
        raise CpoUnreachable(f"{method} {url}: {cause}", url=url) from exc


def network_cause(exc: Exception) -> str:
    """Return the short OS-level reason buried in a requests exception."""
    found = re.search(r"\[Errno -?\d+\] ([^'\")]+)", str(exc))
    return found.group(1).strip() if found else type(exc).__name__


def shorten(text: str, size: int = 200) -> str:
    """Cut what a CPO sent us to a size fit for a message."""
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


def envelope_data(method: str, url: str, response: requests.Response) -> Any:
    """Return the data of a successful OCPI envelope, or raise CpoUnreachable saying why."""
    where = f"{method} {url}"
    http = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = None
        not_json = True
    else:
        not_json = False
    status = body.get("status_code") if isinstance(body, dict) else None
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if isinstance(status, bool) or not isinstance(status, int):
        status = None
    said = ""
    if status is not None:
        said = f", OCPI status {status}"
        if body.get("status_message"):
            said += f" ({shorten(str(body['status_message']))})"
    if not 200 <= http < 300:
        raise CpoUnreachable(
            f"{where}: HTTP {http}{said}", url=url, http_status=http, ocpi_status=status
        )
    if not_json:
        raise CpoUnreachable(
            f"{where}: HTTP {http} with a body that is not JSON: {shorten(response.text, 80)!r}",
            url=url,
            http_status=http,
        )
    if status is None:
        raise CpoUnreachable(
            f"{where}: the answer is not an OCPI response (no numeric status_code)",
            url=url,
            http_status=http,
        )
    if not 1000 <= status <= 1999:
        raise CpoUnreachable(f"{where}: OCPI error{said}", url=url, ocpi_status=status)
    return body.get("data")


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
        if not version.startswith("2.2") or not isinstance(role, str) or not role:
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
) -> Negotiation:
    """Find the highest common version at a CPO and check it offers the required endpoints."""
    correlation_id = correlation_id or new_id()
    with requests.Session() as session:
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
        version = next((v for v in VERSIONS if v in offered), None)
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
) -> dict:
    """PUT the platform's new credentials to a CPO; return the CPO's credentials (data)."""
    with requests.Session() as session:
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


def with_query(url: str, **params: str | int | None) -> str:
    """Return the URL with query parameters set (None removes one), others kept."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for name, value in params.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = str(value)
    # ':' stays readable in date_from; '+' in an offset would be read as a space, never sent.
    return urlunsplit(parts._replace(query=urlencode(query, safe=":")))


def origin(url: str) -> tuple[str, str, int | None]:
    """Return scheme, host and port: where a token may be sent."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def canonical(url: str) -> str:
    """Return the URL with sorted query parameters, to spot a repeated page."""
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit(parts._replace(query=query, fragment=""))


LINK = re.compile(r"<([^>]*)>([^<]*)")
REL = re.compile(r'rel\s*=\s*"?([^";,]*)"?', re.IGNORECASE)


def next_link(header: str | None, current: str) -> str | None:
    """Return the rel="next" URL of a Link header (possibly empty or several links)."""
    for target, params in LINK.findall(header or ""):
        rel = REL.search(params)
        if target.strip() and rel and "next" in rel.group(1).lower().split():
            return urljoin(current, target.strip())
    return None


def int_header(response: requests.Response, name: str) -> int | None:
    """Return a numeric header, or None when absent or not a number."""
    value = response.headers.get(name, "").strip()
    return int(value) if value.isdigit() else None


def offset_of(url: str) -> int | None:
    """Return the offset query parameter of a URL, if it is a number."""
    value = dict(parse_qsl(urlsplit(url).query)).get("offset", "")
    return int(value) if value.isdigit() else None


class Crawl(Iterator[dict]):
    """A pull from a Sender interface: iterate for the raw objects, then read how it ended.

    `complete` is True only when the CPO's own pagination said the last page was reached,
    so a full sync may treat what it did not see as gone. A guard that stops the crawl
    (repeated or non-advancing Link, empty page, Link to another host, page limit)
    leaves `complete` False and says why in `stopped`. A failed call raises CpoError;
    objects already yielded stay yielded.
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        version: str,
        encoding: str,
        timeout: float,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        limit: int = 100,
        max_pages: int = 1000,
        our_party: tuple[str, str] = ("ES", "SGV"),
        their_party: tuple[str, str] | None = None,
        correlation_id: str | None = None,
    ) -> None:
        self.url = url
        self.version = version
        self.encoding = encoding  # updated to the form that worked, after a 401 retry
        self.limit = limit
        self.max_pages = max_pages
        self.pages = 0
        self.objects = 0
        self.total_count: int | None = None  # the last X-Total-Count seen
        self.server_limit: int | None = None  # the last X-Limit seen
        self.complete = False
        self.stopped: str | None = None
        self.first_url = with_query(
            url,
            date_from=utc_text(date_from) if date_from else None,
            date_to=utc_text(date_to) if date_to else None,
            offset=0,
            limit=limit,
        )
        self._token = token
        self._timeout = timeout
        self._headers = routing_headers(version, our_party, their_party)
        self._correlation_id = correlation_id or new_id()
        self._items = self._crawl()

    def __next__(self) -> dict:
        return next(self._items)

    def close(self) -> None:
        """Stop early and release the connection."""
        self._items.close()

    def __enter__(self) -> "Crawl":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _stop(self, reason: str) -> None:
        self.stopped = reason
        log.warning("pull %s stopped after %d pages: %s", self.url, self.pages, reason)

    def _guard(self, url: str, previous: str | None, seen: set[str]) -> str | None:
        """Return why the crawl must not fetch `url`, or None when it may."""
        if canonical(url) in seen:
            return f"the Link header repeats {url}"
        if origin(url) != origin(self.url):
            return f"the Link header leaves the registered host: {url}"
        if previous is not None:
            before, after = offset_of(previous), offset_of(url)
            if before is not None and after is not None and after <= before:
                return f"the Link header does not advance (offset {before} then {after})"
        if self.pages >= self.max_pages:
            return f"more than {self.max_pages} pages"
        return None

    def _crawl(self) -> Iterator[dict]:
        seen: set[str] = set()
        url, previous = self.first_url, None
        with requests.Session() as session:
            while True:
                reason = self._guard(url, previous, seen)
                if reason:
                    self._stop(reason)
                    return
                seen.add(canonical(url))
                answer = call(
                    session,
                    "GET",
                    url,
                    self._token,
                    encoding=self.encoding,
                    timeout=self._timeout,
                    correlation_id=self._correlation_id,
                    headers=self._headers,
                )
                self.encoding = answer.encoding
                self.pages += 1
                items = [] if answer.data is None else answer.data
                if not isinstance(items, list):
                    raise CpoUnreachable(f"GET {url}: data is not a list", url=url)
                self.total_count = int_header(answer.response, "X-Total-Count")
                self.server_limit = int_header(answer.response, "X-Limit")
                following = next_link(answer.response.headers.get("Link"), url)
                if following is None:
                    following = self._by_offset(url, len(items))
                if following is not None and not items:
                    self._stop(f"empty page at {url} although more were announced")
                    return
                self.objects += len(items)
                yield from items
                if following is None:
                    self.complete = True
                    return
                url, previous = following, url

    def _by_offset(self, url: str, received: int) -> str | None:
        """Return the next page by offset when Link is missing but X-Total-Count says more."""
        if self.total_count is None:
            return None
        reached = (offset_of(url) or 0) + received
        if reached >= self.total_count:
            return None
        return with_query(self.first_url, offset=reached)


# Pull a CPO's Sender interface page by page, yielding raw (unvalidated) objects; the
# Crawl tells afterwards whether it reached the last page (`complete`, `stopped`).
pull = Crawl
