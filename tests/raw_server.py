"""A raw TCP server on loopback for outbound-call tests: drips, garbage, silence, tripwires.

Unlike tests/cpo_server.py it controls every byte and its timing, and it records each
connection (when it opened, when the client hung up, what it sent), so a test can say
"nothing ever connected here" or "the client gave up after N seconds":

    with RawServer(drip(ok_versions()), interval=1.0) as server:   # one byte a second
        ... call server.url("/ocpi/versions") ...
    longest = max(c.seconds for c in server.connections)
"""

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType


@dataclass
class Connection:
    """One connection the server accepted."""

    opened: float
    closed: float | None = None
    received: bytes = b""

    @property
    def seconds(self) -> float:
        """Return how long the client stayed connected (so far)."""
        return (self.closed or time.monotonic()) - self.opened


@dataclass
class Behaviour:
    """What the server answers once a request arrived: bytes, paced by `interval`."""

    reply: bytes = b""
    interval: float = 0.0  # seconds between bytes; 0: all at once
    hold: bool = False  # then keep the connection open, silent, until the client leaves
    read_request: bool = True


def http_response(body: object, status: str = "200 OK") -> bytes:
    """Return a complete HTTP/1.1 response carrying `body` as JSON."""
    payload = json.dumps(body).encode()
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + payload


def drip(reply: bytes, interval: float = 1.0) -> Behaviour:
    """Answer a valid response, one byte every `interval` seconds."""
    return Behaviour(reply, interval)


def garbage(reply: bytes = b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n") -> Behaviour:
    """Answer something that is not HTTP, then hang up (an SSH port, say)."""
    return Behaviour(reply, read_request=False)


def silence() -> Behaviour:
    """Accept, read the request, and never answer."""
    return Behaviour(hold=True)


def tripwire() -> Behaviour:
    """Answer 404 at once: a server that must never be reached."""
    return Behaviour(http_response({"status_code": 2000}, "404 Not Found"))


@dataclass
class RawServer:
    """Serve one behaviour on host:port (default 127.0.0.1, a free port) in threads."""

    behaviour: Behaviour
    host: str = "127.0.0.1"
    port: int = 0
    connections: list[Connection] = field(default_factory=list)

    def __post_init__(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((self.host, self.port))
        self._sock.listen(16)
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def url(self, path: str = "/ocpi/versions", host: str | None = None) -> str:
        """Return http://host:port/path (host as a URL writes it)."""
        name = host or (f"[{self.host}]" if ":" in self.host else self.host)
        return f"http://{name}:{self.port}{path}"

    def __enter__(self) -> "RawServer":
        self._spawn(self._accept)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        for thread in list(self._threads):
            thread.join()
        self._sock.close()

    def _spawn(self, target: Callable, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self._lock:
            self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            record = Connection(time.monotonic())
            with self._lock:
                self.connections.append(record)
            self._spawn(self._serve, conn, record)

    def _serve(self, conn: socket.socket, record: Connection) -> None:
        conn.settimeout(0.05)
        try:
            if self.behaviour.read_request:
                self._read_request(conn, record)
            self._reply(conn)
            while self.behaviour.hold and not self._stop.is_set():
                if self._peer_left(conn):
                    break
            if not self.behaviour.hold:
                self._wait_for_hangup(conn)
        except OSError:
            pass  # the client hung up: that is what we measure
        finally:
            record.closed = time.monotonic()
            conn.close()

    def _read_request(self, conn: socket.socket, record: Connection) -> None:
        while b"\r\n\r\n" not in record.received and not self._stop.is_set():
            try:
                chunk = conn.recv(4096)
            except TimeoutError:
                continue
            if not chunk:
                raise ConnectionResetError
            record.received += chunk
        head, _, body = record.received.partition(b"\r\n\r\n")
        length = next(
            (int(line.split(b":")[1]) for line in head.lower().split(b"\r\n")
             if line.startswith(b"content-length:")),
            0,
        )  # fmt: skip
        while len(body) < length and not self._stop.is_set():
            try:
                body += conn.recv(4096)
            except TimeoutError:
                continue
        record.received = head + b"\r\n\r\n" + body

    def _reply(self, conn: socket.socket) -> None:
        reply, interval = self.behaviour.reply, self.behaviour.interval
        if not interval:
            conn.sendall(reply)
            return
        for index in range(len(reply)):
            conn.sendall(reply[index : index + 1])
            pause_until = time.monotonic() + interval
            while time.monotonic() < pause_until:  # noticing a hang-up within 0.05 s
                if self._stop.is_set() or self._peer_left(conn):
                    return

    def _peer_left(self, conn: socket.socket) -> bool:
        """Say whether the client closed its side (waits up to the socket's 0.05 s)."""
        try:
            return conn.recv(1, socket.MSG_PEEK) == b""
        except TimeoutError:
            return False

    def _wait_for_hangup(self, conn: socket.socket) -> None:
        """After the answer, wait (briefly) for the client to close, to time the call."""
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and not self._stop.is_set():
            if self._peer_left(conn):
                return
