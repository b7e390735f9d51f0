"""The demo CPOs' HTTP sessions: a push lost to a stale kept-alive connection is sent again.

A connection idle for about the server's keep-alive may be closed by the server just as
the client reuses it; the request then dies with RemoteDisconnected or
ConnectionResetError although the server never processed it (issue #15: 91 lost rounds
in 25 minutes against gunicorn's old 5 s keep-alive). urllib3 sends such a request once
more on a new connection. Only OCPI's idempotent writes are retried (PUT replaces, a
PATCH carries its last_updated: the same push applied twice is the same state, SPEC §3),
never POST (the credentials handshake), and never after a read timeout: a server that is
slow is not asked twice.
"""

from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

RETRIED_METHODS = frozenset({"GET", "PUT", "PATCH", "DELETE"})


class DroppedConnectionRetry(Retry):
    """Retry a request whose connection was dropped; give up on a timed-out answer."""

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Retry:
        """Count one more attempt, unless the server was only slow: then give up at once."""
        if isinstance(error, ReadTimeoutError):
            raise error
        return super().increment(method, url, response, error, *args, **kwargs)


def pushing_session() -> requests.Session:
    """Return a session that resends an idempotent request once if its connection dropped."""
    retry = DroppedConnectionRetry(
        total=1,
        connect=1,
        read=1,
        status=0,
        other=0,
        redirect=0,
        allowed_methods=RETRIED_METHODS,
        backoff_factor=0,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
