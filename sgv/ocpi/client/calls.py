"""One call from the platform to a CPO: the token forms, the headers, the answer's envelope.

Plain `requests` through transport.Outbound (checked, pinned connections, a deadline per
call), no Flask: settings (timeout, allowance, our identity) come as arguments, so the
registration views, the CLI and the hourly check share it. Every failure is a `CpoError`
whose message names the URL and the cause, and whose `kind` says why our own answer
refuses (SPEC §3: CPO unreachable, no common version, required endpoints missing).

What a message may say (issue #15): never a byte of the answer's body, and one wording
for every network failure — closed port, reset, timeout, an answer that is not HTTP —
so that a caller who chooses the URL learns nothing about the ports behind it.
"""

import base64
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from sgv.core.refusals import Kind
from sgv.ocpi import since_2_2
from sgv.ocpi.client.guard import AddressRefused
from sgv.ocpi.client.transport import Outbound
from sgv.ocpi.envelope import REFUSALS

log = logging.getLogger(__name__)

ENCODINGS = ("base64", "raw")
# The one wording of every network failure (closed port, reset, not HTTP, timeout).
NO_ANSWER = "no HTTP answer within {timeout:g} s (the connection failed, broke or timed out)"
NOT_CALLED = "not called: SGV calls only hosts that resolve to public internet addresses"
REDIRECT_REFUSED = (
    "a redirect was not followed: SGV calls only hosts that resolve to public internet addresses"
)


class CpoError(Exception):
    """A call to a CPO that gave no usable answer; `kind` is why we refuse in turn."""

    kind = Kind.CPO_UNREACHABLE

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url

    @property
    def status_code(self) -> int:
        """Return the OCPI status_code our own answer carries (3001, 3002 or 3003)."""
        return REFUSALS[self.kind][1]


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
    if not since_2_2(version):
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


def deadline_for(timeout: float, within: float | None = None) -> float:
    """Return the time.monotonic() by which a call must end: `timeout` from now, or earlier."""
    deadline = time.monotonic() + timeout
    return deadline if within is None else min(deadline, within)


def call(
    outbound: Outbound,
    method: str,
    url: str,
    token: str,
    *,
    encoding: str,
    timeout: float,
    correlation_id: str,
    headers: dict[str, str] | None = None,
    body: Any = None,
    within: float | None = None,
) -> Answer:
    """Call a CPO, once more with the other token form on a 401; return the checked answer.

    The whole call (connect, every read, redirects, the retry) ends `timeout` seconds
    from now, or at `within` (a time.monotonic() deadline of the caller) if earlier.
    """
    if encoding not in ENCODINGS:
        raise ValueError(f"token encoding must be one of {ENCODINGS}, not {encoding!r}")
    deadline = deadline_for(timeout, within)
    request = (outbound, method, url, token, timeout, deadline, correlation_id, headers, body)
    response = send(*request, encoding)
    if response.status_code == 401:
        encoding = other_encoding(encoding)
        response = send(*request, encoding)
        if response.status_code == 401:
            raise CpoUnreachable(
                f"{method} {url}: HTTP 401 with the token both in base64 and raw",
                url=url,
                http_status=401,
            )
    return Answer(envelope_data(method, url, response), response, encoding)


def send(
    outbound: Outbound,
    method: str,
    url: str,
    token: str,
    timeout: float,
    deadline: float,
    correlation_id: str,
    headers: dict[str, str] | None,
    body: Any,
    encoding: str,
) -> requests.Response:
    """Make one HTTP request by the deadline; failures become CpoUnreachable."""
    all_headers = {
        "Authorization": authorization(token, encoding),
        "X-Request-ID": new_id(),
        "X-Correlation-ID": correlation_id,
        "Accept": "application/json",
        **(headers or {}),
    }
    try:
        return outbound.request(method, url, headers=all_headers, json=body, deadline=deadline)
    except AddressRefused as exc:
        first = exc.host.strip("[]").lower() == (urlsplit(url).hostname or "").lower()
        cause = NOT_CALLED if first else REDIRECT_REFUSED
        raise CpoUnreachable(f"{method} {url}: {cause}", url=url) from exc
    except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema) as exc:
        raise unsendable(method, url, exc) from exc
    except (requests.exceptions.MissingSchema, requests.exceptions.InvalidHeader) as exc:
        raise unsendable(method, url, exc) from exc
    except requests.RequestException as exc:
        # The cause (refused, reset, garbage, timeout) goes to our log only: said to
        # whoever chose the URL, it would tell open ports from closed ones.
        log.warning("%s %s: %s: %s", method, url, type(exc).__name__, exc)
        cause = NO_ANSWER.format(timeout=timeout)
        raise CpoUnreachable(f"{method} {url}: {cause}", url=url) from exc
    except ValueError as exc:
        raise unsendable(method, url, exc) from exc


def unsendable(method: str, url: str, exc: Exception) -> CpoUnreachable:
    """Say that a URL or token cannot go on the wire (bad scheme, non-ASCII token …)."""
    cause = f"cannot send the request ({shorten(str(exc) or type(exc).__name__)})"
    return CpoUnreachable(f"{method} {url}: {cause}", url=url)


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
    # The numeric status only: the status_message is the CPO's text (SSRF: no body bytes).
    said = "" if status is None else f", OCPI status {status}"
    if not 200 <= http < 300:
        raise CpoUnreachable(
            f"{where}: HTTP {http}{said}", url=url, http_status=http, ocpi_status=status
        )
    if not_json:
        raise CpoUnreachable(
            f"{where}: HTTP {http} with a body that is not JSON",
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
