"""A demo CPO: the CPO side of OCPI that SGV calls, and the calls a CPO makes to SGV.

Its server (werkzeug, a thread, a free port on 127.0.0.1) answers what SGV asks a CPO:
versions, version details, credentials (SGV PUTs new ones when it renews) and the
Sender interfaces of locations and tariffs, paginated, so the hourly check can pull
them. Its client registers with a TOKEN_A and pushes through SGV's real OCPI endpoints.
Tokens live in this object only: nothing is written to disk.

    with DemoCpo(profile, locations, tariffs) as cpo:
        cpo.register(sgv_versions_url, token_a)
        cpo.push_all()
"""

import base64
import json
import secrets
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import requests
from werkzeug.wrappers import Request, Response

from sgv.demo.objects import Profile
from sgv.demo.serving import Background
from sgv.demo.session import pushing_session

PAGE = 100  # objects per page of a Sender list (X-Limit)
TIMEOUT = 30.0  # seconds for a call to SGV: pushes queue up while it works
MODULES = ("locations", "tariffs")


class DemoError(Exception):
    """SGV refused or did not answer a demo CPO's call."""


def moment(value: str) -> datetime:
    """Read an OCPI DateTime; without a zone it is UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class DemoCpo:
    """One demo CPO: its objects, its OCPI server, and its client of SGV."""

    def __init__(self, profile: Profile, locations: list[dict], tariffs: list[dict]) -> None:
        self.profile = profile
        self.version = profile.version
        self.token_b = secrets.token_urlsafe(32)  # what SGV presents to us
        self.token_c: str | None = None  # what we present to SGV
        self.endpoints: dict[str, str] = {}  # SGV's module URLs
        self.objects = {
            "locations": {doc["id"]: doc for doc in locations},
            "tariffs": {doc["id"]: doc for doc in tariffs},
        }
        self._lock = threading.Lock()
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._server = Background(self.wsgi, f"demo-cpo-{profile.party_id}")
        self.base_url = f"{self._server.url}/ocpi"
        self.versions_url = f"{self.base_url}/versions"

    def __enter__(self) -> "DemoCpo":
        self._server.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._server.__exit__(kind, error, trace)
        for session in self._sessions:
            session.close()

    # -- the server: what SGV calls -----------------------------------------------------

    @Request.application
    def wsgi(self, request: Request) -> Response:
        """Answer one request from SGV, echoing its request and correlation ids (OCPI)."""
        response = self.route(request)
        for name in ("X-Request-ID", "X-Correlation-ID"):
            if name in request.headers:
                response.headers[name] = request.headers[name]
        return response

    def route(self, request: Request) -> Response:
        """Route one request from SGV."""
        if not self.authorised(request.headers.get("Authorization", "")):
            return self.answer(None, 2000, "Unknown token", http_status=401)
        match [segment for segment in request.path.split("/") if segment]:
            case ["ocpi", "versions"]:
                return self.answer([{"version": self.version, "url": self.details_url}])
            case ["ocpi", version] if version == self.version:
                return self.answer(self.details())
            case ["ocpi", version, "credentials"] if version == self.version:
                return self.credentials(request)
            case ["ocpi", version, module, *rest] if version == self.version and module in MODULES:
                if request.method != "GET" or len(rest) > 1:
                    return self.answer(None, 2000, "Sender interface: GET only", http_status=405)
                return self.sender(module, rest[0] if rest else None, request)
        return self.answer(None, 2000, f"No such path {request.path}", http_status=404)

    @property
    def details_url(self) -> str:
        return f"{self.base_url}/{self.version}"

    def authorised(self, header: str) -> bool:
        """Accept TOKEN_B raw or in base64, as SGV may send either."""
        given = header.removeprefix("Token ").strip()
        encoded = base64.b64encode(self.token_b.encode()).decode()
        return header.startswith("Token ") and given in (self.token_b, encoded)

    def answer(
        self,
        data: Any,
        status_code: int = 1000,
        message: str | None = None,
        *,
        http_status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """Answer with an OCPI envelope."""
        envelope: dict[str, Any] = {} if data is None else {"data": data}
        envelope["status_code"] = status_code
        if message:
            envelope["status_message"] = message
        envelope["timestamp"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return Response(json.dumps(envelope), http_status, headers, mimetype="application/json")

    def details(self) -> dict:
        """List our modules: credentials, and the Sender interfaces SGV requires."""
        endpoints = []
        for module in ("credentials", *MODULES):
            endpoint = {"identifier": module, "url": f"{self.details_url}/{module}"}
            if self.version != "2.1.1":
                endpoint["role"] = "SENDER"
            endpoints.append(endpoint)
        return {"version": self.version, "endpoints": endpoints}

    def our_credentials(self) -> dict:
        """Return our credentials object, flat in 2.1.1, with roles from 2.2."""
        party = {"country_code": self.profile.country_code, "party_id": self.profile.party_id}
        business = {"business_details": {"name": self.profile.name}}
        if self.version == "2.1.1":
            return {"token": self.token_b, "url": self.versions_url, **business, **party}
        role = {"role": "CPO", **business, **party}
        return {"token": self.token_b, "url": self.versions_url, "roles": [role]}

    def credentials(self, request: Request) -> Response:
        """Show ours (GET), take SGV's new token (POST, PUT on renewal), forget it (DELETE)."""
        if request.method in ("POST", "PUT"):
            body = request.get_json(silent=True)
            if not isinstance(body, dict) or not isinstance(body.get("token"), str):
                return self.answer(None, 2001, "A credentials object is needed", http_status=400)
            self.token_c = body["token"]
        elif request.method == "DELETE":
            self.token_c = None
            return self.answer(None)
        return self.answer(self.our_credentials())

    def sender(self, module: str, object_id: str | None, request: Request) -> Response:
        """Serve one object, or a page of the list filtered by date_from/date_to."""
        with self._lock:
            objects = list(self.objects[module].values())
        if object_id is not None:
            found = [o for o in objects if o["id"].lower() == object_id.lower()]
            if found:
                return self.answer(found[0])
            code = 2003 if module == "locations" else 2000
            return self.answer(None, code, f"Unknown id {object_id}", http_status=404)
        try:
            since = moment(request.args["date_from"]) if "date_from" in request.args else None
            until = moment(request.args["date_to"]) if "date_to" in request.args else None
            offset = int(request.args.get("offset", 0))
            limit = max(1, min(int(request.args.get("limit", PAGE)), PAGE))
        except ValueError as exc:
            return self.answer(None, 2001, f"Bad query parameter: {exc}", http_status=400)
        selected = [
            o
            for o in objects
            if (since is None or moment(o["last_updated"]) >= since)
            and (until is None or moment(o["last_updated"]) < until)
        ]
        headers = {"X-Total-Count": str(len(selected)), "X-Limit": str(PAGE)}
        if offset + limit < len(selected):
            query = urlencode({**request.args, "offset": offset + limit, "limit": limit})
            headers["Link"] = f'<{self.details_url}/{module}?{query}>; rel="next"'
        return self.answer(selected[offset : offset + limit], headers=headers)

    # -- the client: what we send to SGV --------------------------------------------------

    def session(self) -> requests.Session:
        """Return this thread's HTTP session (requests sessions are not thread-safe)."""
        if not hasattr(self._local, "session"):
            self._local.session = pushing_session()  # resends a push a stale connection lost
            with self._lock:
                self._sessions.append(self._local.session)
        return self._local.session

    def call(self, method: str, url: str, token: str, body: Any = None) -> Any:
        """Call SGV; return the envelope's data or raise DemoError saying what went wrong."""
        if self.version != "2.1.1":
            token = base64.b64encode(token.encode()).decode()
        headers = {
            "Authorization": f"Token {token}",
            "X-Request-ID": str(uuid.uuid4()),
            "X-Correlation-ID": str(uuid.uuid4()),
        }
        try:
            response = self.session().request(
                method, url, json=body, headers=headers, timeout=TIMEOUT
            )
            envelope = response.json()
        except requests.RequestException as exc:
            raise DemoError(f"{method} {url}: {exc}") from exc
        except ValueError as exc:
            raise DemoError(f"{method} {url}: HTTP {response.status_code}, not JSON") from exc
        status_code = envelope.get("status_code") if isinstance(envelope, dict) else None
        if not response.ok or not isinstance(status_code, int) or status_code >= 2000:
            message = envelope.get("status_message") if isinstance(envelope, dict) else None
            raise DemoError(
                f"{method} {url}: HTTP {response.status_code}, OCPI {status_code}: {message}"
            )
        return envelope.get("data")

    def register(self, versions_url: str, token_a: str) -> None:
        """Run the credentials handshake with a TOKEN_A; keep the TOKEN_C SGV returns."""
        versions = self.call("GET", versions_url, token_a) or []
        details_url = next((v["url"] for v in versions if v["version"] == self.version), None)
        if details_url is None:
            raise DemoError(f"GET {versions_url}: SGV does not offer OCPI {self.version}")
        details = self.call("GET", details_url, token_a)
        self.endpoints = {
            e["identifier"]: e["url"]
            for e in details["endpoints"]
            if e.get("role", "RECEIVER") == "RECEIVER"
        }
        theirs = self.call("POST", self.endpoints["credentials"], token_a, self.our_credentials())
        self.token_c = theirs["token"]

    def url(self, module: str, *ids: str) -> str:
        """Return SGV's URL for one of our objects."""
        owner = (self.profile.country_code, self.profile.party_id)
        return "/".join([self.endpoints[module].rstrip("/"), *owner, *ids])

    def registered_token(self) -> str:
        """Return the TOKEN_C SGV gave us, or refuse to push before the handshake."""
        if self.token_c is None:
            raise DemoError(f"{self.profile.party_id} has not registered with SGV")
        return self.token_c

    def put(self, module: str, document: dict) -> None:
        """PUT one location or tariff to SGV."""
        self.call("PUT", self.url(module, document["id"]), self.registered_token(), document)

    def push_all(self, workers: int = 8) -> dict[str, int]:
        """PUT every tariff, then every location, a few at a time; return what was pushed."""
        pushed = {}
        for module in ("tariffs", "locations"):
            documents = list(self.objects[module].values())
            with ThreadPoolExecutor(workers, thread_name_prefix="demo-push") as pool:
                list(pool.map(partial(self.put, module), documents))
            pushed[module] = len(documents)
        pushed["evses"] = sum(
            len(doc.get("evses", [])) for doc in self.objects["locations"].values()
        )
        return pushed

    def evses(self) -> list[tuple[str, str, str]]:
        """Return (location id, EVSE uid, status) of every EVSE not removed."""
        with self._lock:
            return [
                (location["id"], evse["uid"], evse["status"])
                for location in self.objects["locations"].values()
                for evse in location.get("evses", [])
                if evse["status"] != "REMOVED"
            ]

    def set_status(self, location_id: str, uid: str, status: str, when: str) -> None:
        """PATCH an EVSE's status to SGV, then remember it for our Sender interface."""
        body = {"status": status, "last_updated": when}
        url = self.url("locations", location_id, uid)
        self.call("PATCH", url, self.registered_token(), body)
        with self._lock:
            location = self.objects["locations"][location_id]
            evse = next(e for e in location["evses"] if e["uid"] == uid)
            evse.update(body)
            location["last_updated"] = max(location["last_updated"], when)
