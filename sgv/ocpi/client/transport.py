"""The HTTP transport to CPOs: checked, pinned connections and a deadline per call.

`Outbound` is a requests session whose every connection (first request, each redirect,
each pagination page) is opened by `PinnedConnection._new_conn`: resolve the host once,
refuse it unless every address is allowed (guard.py), connect to one of those checked
addresses. The connection keeps the URL's host name, so the Host header, TLS SNI and
the certificate check use the name, not the address (the technique of Saleor's
requests-hardened, done at the connection so that no request can skip it).

requests' own `timeout` bounds each socket operation, so a CPO sending one byte every
few seconds never trips it. Here each call also gets a deadline: a timer shuts down the
session's sockets when it passes, which ends any read or write in progress, connect and
TLS handshake included (through a duplicate of the socket, shared with the TLS wrapper).
"""

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from sgv.core import metrics
from sgv.ocpi.client.guard import Allowance, checked


class Watch:
    """The sockets a session has open, and the deadline of the call in progress."""

    def __init__(self) -> None:
        self.deadline = float("inf")
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._round = 0

    def remaining(self) -> float:
        """Return the seconds left before the current call's deadline (0 when past)."""
        return min(max(self.deadline - time.monotonic(), 0.0), 3600.0)

    def add(self, sock: socket.socket) -> socket.socket:
        """Watch a new connection's socket; return the duplicate that cuts it."""
        duplicate = sock.dup()
        with self._lock:
            self._sockets.add(duplicate)
        return duplicate

    def discard(self, duplicate: socket.socket) -> None:
        """Stop watching a socket whose connection closes."""
        with self._lock:
            self._sockets.discard(duplicate)
            duplicate.close()

    @contextmanager
    def until(self, deadline: float) -> Iterator[None]:
        """Run one call: cut every watched socket if it is still running at `deadline`."""
        with self._lock:
            self._round += 1
            this_round = self._round
        self.deadline = deadline
        timer = threading.Timer(self.remaining(), self.cut, args=(this_round,))
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
            self.deadline = float("inf")

    def cut(self, this_round: int) -> None:
        """Shut down every watched socket: blocked reads and writes return at once."""
        with self._lock:
            if this_round != self._round:
                return  # that call is over
            for duplicate in self._sockets:
                try:
                    duplicate.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already closed by the peer


class Guard:
    """What a session's connections obey: the address allowance and the deadline."""

    def __init__(self, allowance: Allowance) -> None:
        self.allowance = allowance
        self.watch = Watch()

    def connect(self, conn: HTTPConnection) -> socket.socket:
        """Open a connection's socket to a checked address of its host, within the deadline."""
        addresses = checked(conn.host, conn.port, self.allowance, self.watch.remaining())
        last: OSError | None = None
        for family, kind, proto, _, sockaddr in addresses:
            sock = socket.socket(family, kind, proto)
            try:
                for option in conn.socket_options or ():
                    sock.setsockopt(*option)
                sock.settimeout(max(self.watch.remaining(), 0.001))
                sock.connect(sockaddr)
                return sock
            except OSError as error:
                sock.close()
                last = error
        if isinstance(last, TimeoutError):
            raise ConnectTimeoutError(conn, f"Connection to {conn.host} timed out")
        raise NewConnectionError(conn, f"Failed to establish a new connection: {last}")


class PinnedConnection:
    """A connection whose socket Guard.connect opens and whose deadline Watch enforces."""

    guard: Guard
    _duplicate: socket.socket | None = None

    def _new_conn(self) -> socket.socket:
        sock = self.guard.connect(self)  # type: ignore[arg-type]
        self._duplicate = self.guard.watch.add(sock)
        return sock

    def close(self) -> None:
        if self._duplicate is not None:
            self.guard.watch.discard(self._duplicate)
            self._duplicate = None
        super().close()  # type: ignore[misc]


class PinnedHTTPConnection(PinnedConnection, HTTPConnection):
    """Plain HTTP through the guard."""


class PinnedHTTPSConnection(PinnedConnection, HTTPSConnection):
    """HTTPS through the guard; SNI and the certificate check keep the host name."""


class PinnedHTTPPool(HTTPConnectionPool):
    ConnectionCls = PinnedHTTPConnection
    guard: Guard

    def _new_conn(self) -> Any:
        conn = super()._new_conn()
        conn.guard = self.guard
        return conn


class PinnedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = PinnedHTTPSConnection
    guard: Guard

    def _new_conn(self) -> Any:
        conn = super()._new_conn()
        conn.guard = self.guard
        return conn


class PinnedPoolManager(PoolManager):
    """A pool manager whose pools open only guarded connections."""

    def __init__(self, guard: Guard, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.guard = guard
        self.pool_classes_by_scheme = {"http": PinnedHTTPPool, "https": PinnedHTTPSPool}

    def _new_pool(self, scheme: str, host: str, port: int, request_context: Any = None) -> Any:
        pool = super()._new_pool(scheme, host, port, request_context)
        pool.guard = self.guard
        return pool


class PinnedAdapter(HTTPAdapter):
    """requests' adapter over the pinned pools; no proxy (a proxy would be checked instead)."""

    def __init__(self, guard: Guard) -> None:
        self.guard = guard
        super().__init__(max_retries=0)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        self._pool_connections, self._pool_maxsize, self._pool_block = connections, maxsize, block
        self.poolmanager = PinnedPoolManager(
            self.guard, num_pools=connections, maxsize=maxsize, block=block, **pool_kwargs
        )

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise requests.exceptions.InvalidProxyURL("SGV calls CPOs directly, never via a proxy")


class Outbound:
    """A session of calls to one CPO: checked, pinned connections, one deadline per call."""

    def __init__(self, allowance: Allowance = False) -> None:
        self.guard = Guard(allowance)
        self.session = requests.Session()
        # No proxy or .netrc from the environment: what SGV calls is what it checked. The
        # one environment setting kept is a CA bundle (REQUESTS_CA_BUNDLE), for closed PKIs.
        self.session.trust_env = False
        self.session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or True
        adapter = PinnedAdapter(self.guard)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def request(self, method: str, url: str, *, deadline: float, **kwargs: Any) -> Any:
        """Make one request (redirects included) that ends by `deadline` (time.monotonic)."""
        with self.guard.watch.until(deadline), metrics.outbound(method) as call:
            remaining = self.guard.watch.remaining()
            if remaining <= 0:
                raise requests.Timeout("the deadline has passed")
            response = self.session.request(method, url, timeout=remaining, **kwargs)
            call["status"] = response.status_code
            return response

    def close(self) -> None:
        """Close every connection."""
        self.session.close()

    def __enter__(self) -> "Outbound":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()
