"""Background HTTP servers for the demo: SGV itself and the demo CPOs, on free local ports."""

import threading
from types import TracebackType
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    """Serve one request per connection and keep request lines out of the operator's terminal."""

    # HTTP/1.0: no idle keep-alive connection holds a thread when the server stops.
    protocol_version = "HTTP/1.0"

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """Log nothing for a successful request; errors are still logged."""


class Background:
    """A WSGI app served by werkzeug on 127.0.0.1 (a free port) in a thread, while in `with`."""

    def __init__(self, app: Any, name: str) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.serve, name=name, daemon=True)

    def serve(self) -> None:
        """Serve until stopped; a short poll interval makes stopping quick."""
        self.server.serve_forever(poll_interval=0.05)

    def __enter__(self) -> "Background":
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()
