"""A CPO on 127.0.0.1 for tests: versions, version details, credentials and Sender pull.

A real HTTP server in a background thread, so the platform's client is tested over
sockets, timeouts and all. Configure it per test, load objects, read what it received:

    with CpoServer(versions=("2.2.1", "2.1.1"), accept="raw") as cpo:
        cpo.add("locations", location_1, location_2)
        cpo.fail("tariffs", http_status=500)            # or status_code=3000, body=b"{", delay=1
        cpo.link = "loop"                               # misbehaving pagination, see LINK_MODES
        ... call cpo.versions_url with cpo.token ...
        assert cpo.requests_to("locations")[0].headers["OCPI-from-party-id"] == "SGV"

Paths: /ocpi/versions, /ocpi/{version} (details), /ocpi/{version}/credentials and the
Sender interfaces /ocpi/cpo/{version}/{locations|tariffs}[/{id}].
"""

import base64
import json
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from requests.structures import CaseInsensitiveDict

MODULES = ("credentials", "locations", "tariffs")
SENDER_MODULES = ("locations", "tariffs")
TOKEN_FORMS = ("base64", "raw", "both")
# How the Sender interfaces paginate:
#   next      the spec: Link rel="next" on every page but the last
#   none      no Link at all, X-Total-Count only (continue by offset)
#   empty     as next, plus an empty `Link:` header on the last page (extrawest does this)
#   multiple  the next link in a second Link header, after a rel="prev" one
#   relative  the next link as a path without scheme and host
#   repeat    Link points at the very page just served (non-advancing)
#   stalled   Link keeps the same offset but changes another parameter (never repeats)
#   loop      the last page links back to the first
#   foreign   Link points at another host (localhost for 127.0.0.1)
LINK_MODES = (
    "next",
    "none",
    "empty",
    "multiple",
    "relative",
    "repeat",
    "stalled",
    "loop",
    "foreign",
)


@dataclass
class Recorded:
    """One request the CPO received."""

    method: str
    path: str
    query: dict[str, str]  # the last value of each parameter
    headers: CaseInsensitiveDict
    body: bytes
    route: str | None  # versions, details, credentials, locations, tariffs; None: unknown

    def json(self) -> Any:
        """Return the body read as JSON."""
        return json.loads(self.body)

    @property
    def token(self) -> str | None:
        """Return what followed `Token ` in the Authorization header."""
        value = self.headers.get("Authorization", "")
        return value[len("Token ") :] if value.startswith("Token ") else None


@dataclass
class Fault:
    """A misbehaviour of one route: answer late, with an error, or with garbage."""

    http_status: int | None = None  # e.g. 500, 401; with an OCPI error envelope
    status_code: int | None = None  # e.g. 3000, sent with HTTP 200 unless http_status says
    body: bytes | str | None = None  # sent verbatim instead of an envelope (invalid JSON …)
    delay: float = 0.0  # seconds to wait before answering (stop() cuts it short)
    skip: int = 0  # serve this many requests normally first
    times: int | None = None  # then misbehave this many times; None: for good
    headers: dict[str, str] = field(default_factory=dict)
    released: threading.Event = field(default_factory=threading.Event, repr=False)

    def release(self) -> None:
        """End the delay of the requests held now and to come: they misbehave at once."""
        self.released.set()

    def held(self, stopping: threading.Event) -> bool:
        """Wait out the delay, or until released; say whether the server is going down."""
        deadline = time.monotonic() + self.delay
        while not self.released.is_set() and time.monotonic() < deadline:
            if stopping.wait(min(0.05, max(0.0, deadline - time.monotonic()))):
                return True
        return stopping.is_set()

    def applies(self) -> bool:
        """Count a request; say whether this one misbehaves."""
        if self.skip > 0:
            self.skip -= 1
            return False
        if self.times is None:
            return True
        if self.times > 0:
            self.times -= 1
            return True
        return False


def parse_datetime(value: str) -> datetime:
    """Read an OCPI DateTime (Z, offset or none: UTC) into an aware datetime."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def now() -> str:
    """Return the current time as OCPI writes it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class CpoServer:
    """A configurable fake CPO serving OCPI over HTTP on 127.0.0.1."""

    def __init__(
        self,
        versions: Iterable[str] = ("2.2.1",),
        *,
        token: str = "token-b-from-the-cpo",
        accept: str = "both",
        modules: Iterable[str] = MODULES,
        role: str = "SENDER",
        country_code: str = "ES",
        party_id: str = "CPO",
        max_limit: int = 100,
        link: str = "next",
        trailing_slash: bool = False,
    ) -> None:
        if accept not in TOKEN_FORMS:
            raise ValueError(f"accept must be one of {TOKEN_FORMS}")
        if link not in LINK_MODES:
            raise ValueError(f"link must be one of {LINK_MODES}")
        self.versions = list(versions)
        self.token: str | None = token  # None: no Authorization needed
        self.next_token: str | None = None  # set: a credentials POST/PUT switches to it
        # True: on a credentials PUT, first call the sender's versions URL and version
        # details with the token it hands over, and answer 3001 when that fails (the OCPI
        # update sequence, as extrawest-ocpi does); then answer `after_call_back`.
        self.call_back = False
        self.after_call_back = 1000  # the status_code of the answer once the calls worked
        self.call_backs: list[tuple[str, int]] = []  # (URL, HTTP status) of each call back
        self.accept = accept
        self.modules = list(modules)
        self.role = role  # the role published for modules in 2.2.x
        self.country_code = country_code
        self.party_id = party_id
        self.max_limit = max_limit  # X-Limit: the most objects a page holds
        self.link = link
        self.total_count = True  # False: pages carry no X-Total-Count
        self.trailing_slash = trailing_slash
        self.versions_data: Any = None  # set: served as the versions list instead
        self.details_data: dict[str, Any] = {}  # version -> data served instead
        self.objects: dict[str, list[dict]] = {module: [] for module in SENDER_MODULES}
        self.faults: dict[str, Fault] = {}
        self.requests: list[Recorded] = []
        self.received_credentials: list[tuple[str, dict]] = []  # (method, body)
        self.errors: list[BaseException] = []  # unexpected failures inside the server
        self.port: int | None = None
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- life cycle ---------------------------------------------------------------------

    def start(self) -> "CpoServer":
        """Listen on a free port (the same one again after a stop) and serve in a thread."""
        if self._httpd is not None:
            return self
        self._stopping = threading.Event()
        self._httpd = QuietServer(("127.0.0.1", self.port or 0), Handler)
        self._httpd.cpo = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Go down: stop listening, wake slow answers, wait for every handler thread."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()  # joins the handler threads
        if self._thread is not None:
            self._thread.join()
        self._httpd = self._thread = None

    def __enter__(self) -> "CpoServer":
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Return http://127.0.0.1:<port>."""
        if self.port is None:
            raise RuntimeError("the CPO server has not been started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def versions_url(self) -> str:
        """Return the versions URL a CPO would put in its credentials."""
        return f"{self.base_url}/ocpi/versions"

    def details_url(self, version: str) -> str:
        """Return the version details URL of a version."""
        return f"{self.base_url}/ocpi/{version}"

    def endpoint_url(self, module: str, version: str | None = None) -> str:
        """Return the URL published for a module (credentials or a Sender interface)."""
        version = version or self.versions[0]
        if module == "credentials":
            url = f"{self.base_url}/ocpi/{version}/credentials"
        else:
            url = f"{self.base_url}/ocpi/cpo/{version}/{module}"
        return url + "/" if self.trailing_slash else url

    # -- configuration ------------------------------------------------------------------

    def add(self, module: str, *objects: dict) -> None:
        """Serve these objects on a Sender interface, after those already there."""
        with self._lock:
            self.objects[module].extend(objects)

    def fail(self, route: str, **fault: Any) -> Fault:
        """Make a route misbehave (see Fault); route as in Recorded.route."""
        self.faults[route] = Fault(**fault)
        return self.faults[route]

    def heal(self) -> None:
        """Remove every fault."""
        self.faults.clear()

    def requests_to(self, route: str) -> list[Recorded]:
        """Return the recorded requests for one route, oldest first."""
        with self._lock:
            return [request for request in self.requests if request.route == route]

    def credentials(self, version: str) -> dict:
        """Return the CPO's credentials object in a version's shape."""
        business = {"name": "CPO de pruebas"}
        identity = {"country_code": self.country_code, "party_id": self.party_id}
        if version.startswith(("2.0", "2.1")):
            return {
                "token": self.token,
                "url": self.versions_url,
                "business_details": business,
                **identity,
            }
        return {
            "token": self.token,
            "url": self.versions_url,
            "roles": [{"role": "CPO", "business_details": business, **identity}],
        }

    # -- what is served -------------------------------------------------------------------

    def versions_list(self) -> Any:
        if self.versions_data is not None:
            return self.versions_data
        return [{"version": v, "url": self.details_url(v)} for v in self.versions]

    def version_details(self, version: str) -> Any:
        if version in self.details_data:
            return self.details_data[version]
        endpoints = []
        for module in self.modules:
            endpoint = {"identifier": module, "url": self.endpoint_url(module, version)}
            if not version.startswith(("2.0", "2.1")):
                endpoint["role"] = "SENDER" if module == "credentials" else self.role
            endpoints.append(endpoint)
        return {"version": version, "endpoints": endpoints}

    def authorised(self, header: str) -> bool:
        """Say whether an Authorization header carries the token in an accepted form."""
        if self.token is None:
            return True
        if not header.startswith("Token "):
            return False
        given = header[len("Token ") :].strip()
        if self.accept in ("raw", "both") and given == self.token:
            return True
        encoded = base64.b64encode(self.token.encode()).decode()
        return self.accept in ("base64", "both") and given == encoded


class QuietServer(ThreadingHTTPServer):
    """A threaded HTTP server that joins its handlers on close and ignores hang-ups."""

    daemon_threads = False
    block_on_close = True
    cpo: CpoServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        # The client gave up (its timeout): nothing to report.
        if isinstance(error, ConnectionError | TimeoutError):
            return
        if error is not None:
            self.cpo.errors.append(error)
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    """Route one request to the fake CPO and answer it."""

    server: QuietServer
    timeout = 5  # a connection that sends nothing must not keep stop() waiting
    # HTTP/1.0: one request per connection, so no idle keep-alive thread blocks stop().
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""

    def do_GET(self) -> None:
        self.handle_ocpi()

    def do_POST(self) -> None:
        self.handle_ocpi()

    def do_PUT(self) -> None:
        self.handle_ocpi()

    def do_DELETE(self) -> None:
        self.handle_ocpi()

    def do_PATCH(self) -> None:
        self.handle_ocpi()

    @property
    def cpo(self) -> CpoServer:
        return self.server.cpo

    def handle_ocpi(self) -> None:
        """Record the request, apply any fault, check the token, then serve the route."""
        parts = urlsplit(self.path)
        path = "/" + "/".join(segment for segment in parts.path.split("/") if segment)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        route, args = self.route(path)
        recorded = Recorded(
            self.command, path, query, CaseInsensitiveDict(self.headers.items()), body, route
        )
        with self.cpo._lock:
            self.cpo.requests.append(recorded)
        fault = self.cpo.faults.get(route or "")
        if fault is not None and fault.applies():
            if fault.delay and fault.held(self.cpo._stopping):
                return  # going down: the client has long given up
            if fault.body is not None or fault.http_status or fault.status_code:
                self.misbehave(fault)
                return
        if route is None:
            self.answer(404, 2000, message=f"no such path {path}")
        elif not self.cpo.authorised(self.headers.get("Authorization", "")):
            self.answer(401, 2000, message="Unknown token")
        else:
            getattr(self, f"serve_{route}")(*args, query=query, body=body)

    def route(self, path: str) -> tuple[str | None, tuple[str, ...]]:
        """Return the route name and its arguments for a path."""
        segments = path.strip("/").split("/")
        versions = self.cpo.versions
        match segments:
            case ["ocpi", "versions"]:
                return "versions", ()
            case ["ocpi", version] if version in versions:
                return "details", (version,)
            case ["ocpi", version, "credentials"] if version in versions:
                if "credentials" in self.cpo.modules:
                    return "credentials", (version,)
            case ["ocpi", "cpo", version, module, *rest] if version in versions:
                if module in SENDER_MODULES and module in self.cpo.modules and len(rest) <= 1:
                    return module, (version, module, *rest)
        return None, ()

    # -- answers ----------------------------------------------------------------------------

    def send(self, http_status: int, payload: bytes, headers: list[tuple[str, str]]) -> None:
        """Write a response; headers as pairs, so a name may repeat (Link)."""
        self.send_response(http_status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name in ("X-Request-ID", "X-Correlation-ID"):
            if self.headers.get(name):
                self.send_header(name, self.headers[name])
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def answer(
        self,
        http_status: int = 200,
        status_code: int = 1000,
        data: Any = None,
        *,
        message: str | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        """Answer with an OCPI envelope."""
        envelope: dict[str, Any] = {}
        if data is not None:
            envelope["data"] = data
        envelope["status_code"] = status_code
        if message:
            envelope["status_message"] = message
        envelope["timestamp"] = now()
        self.send(http_status, json.dumps(envelope).encode(), headers or [])

    def misbehave(self, fault: Fault) -> None:
        """Answer as a fault says."""
        headers = list(fault.headers.items())
        if fault.body is not None:
            payload = fault.body.encode() if isinstance(fault.body, str) else fault.body
            self.send(fault.http_status or 200, payload, headers)
            return
        http_status = fault.http_status or 200
        status_code = fault.status_code or (3000 if http_status >= 500 else 2000)
        self.answer(http_status, status_code, message="fault injected by the test", headers=headers)

    # -- routes ---------------------------------------------------------------------------

    def serve_versions(self, **_: Any) -> None:
        self.answer(data=self.cpo.versions_list())

    def serve_details(self, version: str, **_: Any) -> None:
        self.answer(data=self.cpo.version_details(version))

    def serve_credentials(self, version: str, *, body: bytes, **_: Any) -> None:
        if self.command in ("POST", "PUT"):
            try:
                received = json.loads(body)
            except ValueError:
                self.answer(400, 2001, message="body is not JSON")
                return
            with self.cpo._lock:
                self.cpo.received_credentials.append((self.command, received))
            if self.command == "PUT" and self.cpo.call_back:
                outcome = self.call_back(version, received)
                if outcome != 1000:
                    self.answer(200, outcome, message="unable to use the client's API")
                    return
            if self.cpo.next_token:
                self.cpo.token, self.cpo.next_token = self.cpo.next_token, None
        if self.command == "DELETE":
            self.answer()
        elif self.command in ("GET", "POST", "PUT"):
            self.answer(data=self.cpo.credentials(version))
        else:
            self.answer(405, 2000, message="method not allowed")

    def call_back(self, version: str, received: dict) -> int:
        """Call the sender's versions and version details with its new token; 1000 or 3001."""
        token = str(received.get("token", ""))
        if not version.startswith(("2.0", "2.1")):
            token = base64.b64encode(token.encode()).decode()
        auth = {"Authorization": f"Token {token}"}
        url = str(received.get("url", ""))
        for step in ("versions", "details"):
            try:
                response = requests.get(url, headers=auth, timeout=5)
            except requests.RequestException:
                self.cpo.call_backs.append((url, 0))
                return 3001
            self.cpo.call_backs.append((url, response.status_code))
            if response.status_code != 200:
                return 3001
            if step == "versions":
                offered = {v.get("version"): v.get("url") for v in response.json()["data"]}
                if version not in offered:
                    return 3002
                url = offered[version]
        return self.cpo.after_call_back

    def serve_locations(self, version: str, module: str, *rest: str, query: dict, **_: Any) -> None:
        self.serve_sender(version, module, rest, query)

    def serve_tariffs(self, version: str, module: str, *rest: str, query: dict, **_: Any) -> None:
        self.serve_sender(version, module, rest, query)

    def serve_sender(self, version: str, module: str, rest: tuple, query: dict) -> None:
        """Serve one object, or one page of a Sender list with Link/X-Total-Count/X-Limit."""
        with self.cpo._lock:
            objects = list(self.cpo.objects[module])
        if rest:
            found = [obj for obj in objects if str(obj.get("id", "")).upper() == rest[0].upper()]
            if found:
                self.answer(data=found[0])
            else:
                self.answer(404, 2003 if module == "locations" else 2000, message="unknown id")
            return
        try:
            date_from = parse_datetime(query["date_from"]) if "date_from" in query else None
            date_to = parse_datetime(query["date_to"]) if "date_to" in query else None
            offset = int(query.get("offset", 0))
            limit = min(int(query.get("limit", self.cpo.max_limit)), self.cpo.max_limit)
        except ValueError as exc:
            self.answer(400, 2001, message=f"bad query parameter: {exc}")
            return
        if date_from or date_to:
            objects = [
                obj
                for obj in objects
                if (date_from is None or parse_datetime(obj["last_updated"]) >= date_from)
                and (date_to is None or parse_datetime(obj["last_updated"]) < date_to)
            ]
        page = objects[offset : offset + limit]
        headers = [("X-Limit", str(self.cpo.max_limit))]
        if self.cpo.total_count:
            headers.append(("X-Total-Count", str(len(objects))))
        headers += self.links(module, version, query, offset, limit, len(objects))
        self.answer(data=page, headers=headers)

    def links(
        self, module: str, version: str, query: dict, offset: int, limit: int, total: int
    ) -> list[tuple[str, str]]:
        """Return the Link headers for a page, as the configured mode misbehaves."""
        mode = self.cpo.link
        base = self.cpo.endpoint_url(module, version)
        last = offset + limit >= total

        def url(at: int, **extra: str) -> str:
            return base + "?" + urlencode({**query, "offset": at, "limit": limit, **extra})

        match mode:
            case "none":
                return []
            case "repeat":
                return [("Link", f'<{url(offset)}>; rel="next"')]
            case "stalled":
                again = str(int(query.get("again", 0)) + 1)
                return [("Link", f'<{url(offset, again=again)}>; rel="next"')]
            case "loop" if last:
                return [("Link", f'<{url(0)}>; rel="next"')]
            case "empty" if last:
                return [("Link", "")]
        if last:
            return []
        following = url(offset + limit)
        match mode:
            case "multiple":
                return [
                    ("Link", f'<{url(0)}>; rel="first"'),
                    ("Link", f'<{following}>; rel="next"'),
                ]
            case "relative":
                return [("Link", f'<{following.removeprefix(self.cpo.base_url)}>; rel="next"')]
            case "foreign":
                other = following.replace("://127.0.0.1:", "://localhost:")
                return [("Link", f'<{other}>; rel="next"')]
        return [("Link", f'<{following}>; rel="next"')]
