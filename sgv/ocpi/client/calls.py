"""One call from the platform to a CPO: the token forms, the headers, the answer's envelope.

Plain `requests`, no Flask: settings (timeout, our identity) come as arguments, so the
registration views, the CLI and the hourly check share it. Every failure is a `CpoError`
whose message names the URL and the cause, and whose `kind` says why our own answer
refuses (SPEC §3: CPO unreachable, no common version, required endpoints missing).
"""

import base64
import re
import uuid
from dataclasses import dataclass
from typing import Any

import requests

from sgv.core.refusals import Kind
from sgv.ocpi.envelope import REFUSALS

ENCODINGS = ("base64", "raw")


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
