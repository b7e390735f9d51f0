"""Slow clients and probes, for tests/test_front.py and bench/slow_clients.py.

A slow client opens a connection and sends its request a header line (or a body byte)
every few seconds, never finishing: a server that gives each connection a thread until
the request is whole runs out of threads; a front that reads requests itself does not.
Connections are opened a little apart, as an attacker's would be. Which of gunicorn's
workers accepts each one is up to the kernel: one worker may take nearly all of them and
the other keep free threads, so an attacker adds connections until nobody is answered
(`starve`).
"""

import socket
import threading
import time
from dataclasses import dataclass
from types import TracebackType

import requests

SLOW_HEADER = b"GET /healthz HTTP/1.1\r\nHost: sgv.test\r\n"
SLOW_BODY = (
    "PUT {path} HTTP/1.1\r\nHost: sgv.test\r\n{credentials}"
    "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{"
)


class SlowClients:
    """`headers` connections trickling header lines and `bodies` trickling PUT bodies.

    With an `authorization` header the bodies are a CPO's: the app reads them, so each one
    holds a thread until it is whole; without, the app refuses them before reading.
    """

    def __init__(
        self,
        port: int,
        headers: int,
        bodies: int,
        every: float = 2.0,
        spacing: float = 0.05,
        authorization: str = "",
        path: str = "/api/2.2.1/locations/ES/ABC/LOC1",
    ) -> None:
        self.port = port
        credentials = f"Authorization: {authorization}\r\n" if authorization else ""
        body = SLOW_BODY.format(path=path, credentials=credentials).encode()
        self.kinds = [SLOW_HEADER] * headers + [body] * bodies
        self.every = every
        self.spacing = spacing
        self.sockets: list[socket.socket] = []
        self.closed_by_server = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, name="slow-clients", daemon=True)

    def __enter__(self) -> "SlowClients":
        self._open(self.kinds)
        self._thread.start()
        return self

    def _open(self, kinds: list[bytes]) -> None:
        for start in kinds:
            conn = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            conn.sendall(start)
            self.sockets.append(conn)
            time.sleep(self.spacing)

    def grow(self, headers: int) -> None:
        """Open `headers` more header-trickling connections while the attack goes on."""
        added = [SLOW_HEADER] * headers
        # A new list, longer first: the trickle thread zips a copy of the sockets with it.
        self.kinds = self.kinds + added
        self._open(added)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        for conn in self.sockets:
            conn.close()

    def _trickle(self) -> None:
        line = 0
        while not self._stop.wait(self.every):
            line += 1
            for conn, start in zip(list(self.sockets), self.kinds, strict=False):
                if conn.fileno() < 0:
                    continue
                try:
                    conn.sendall(b"X-Slow-%d: 1\r\n" % line if start == SLOW_HEADER else b" ")
                except OSError:
                    conn.close()  # the server gave up on it
                    self.closed_by_server += 1


@dataclass
class Probe:
    ok: bool
    seconds: float
    error: str = ""


def probe(url: str, timeout: float) -> Probe:
    """GET `url` on a new connection; ok when it answers 200 within `timeout` seconds."""
    started = time.perf_counter()
    try:
        response = requests.get(url, timeout=timeout, headers={"Connection": "close"})
    except requests.RequestException as exc:
        return Probe(False, time.perf_counter() - started, type(exc).__name__)
    seconds = time.perf_counter() - started
    return Probe(response.status_code == 200, seconds, f"HTTP {response.status_code}")


def probes(url: str, count: int, timeout: float, pause: float = 0.1) -> list[Probe]:
    """Probe `url` `count` times, one after the other."""
    results = []
    for _ in range(count):
        results.append(probe(url, timeout))
        time.sleep(pause)
    return results


def starve(attack: SlowClients, url: str, timeout: float = 60.0, misses: int = 3) -> None:
    """Add slow clients until `misses` probes of `url` in a row get no answer.

    A probe that is answered means some worker still has a free thread (the kernel gave it
    fewer slow connections than threads), so the attacker opens eight more; connections
    are handed to threads as the workers get to them, so a probe may also slip through
    while the last ones are taken.
    """
    deadline = time.monotonic() + timeout
    missed = 0
    while time.monotonic() < deadline:
        if probe(url, timeout=2).ok:
            missed = 0
            attack.grow(8)
            continue
        missed += 1
        if missed == misses:
            return
    raise RuntimeError(f"{url} still answers with {len(attack.sockets)} slow clients connected")


def wait_until_answering(url: str, timeout: float = 30.0) -> None:
    """Wait until `url` answers 200 again (gunicorn frees its threads when slow clients go)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if probe(url, timeout=2).ok:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer again within {timeout} s")
