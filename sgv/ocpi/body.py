"""Reading a request body no bigger than SGV_MAX_BODY, chunked or not (SPEC §3).

With a Content-Length, a larger body is refused before a byte is read. A chunked body
has no length: Werkzeug's stream then stops quietly at the limit, so the first megabyte
of a larger body would pass for all of it (a truncated body, or valid JSON followed by
megabytes of spaces, accepted). Here the server's stream is read a block at a time and
refused at the first byte past the limit: never more than the limit is held in memory.
"""

from flask import current_app, request

from sgv.core.refusals import Refused
from sgv.ocpi.envelope import ProtocolKind

BLOCK = 64 * 1024  # bytes read at a time from a chunked body
RAW = "sgv.raw_body"  # the body's bytes, kept with the request: read once


def too_large(limit: int) -> Refused:
    """Return the refusal of a body over the limit, naming the limit."""
    return Refused(ProtocolKind.TOO_LARGE, f"Body bigger than SGV_MAX_BODY ({limit:,} bytes)")


def read_body() -> bytes:
    """Return the request body; 413/2001 as soon as it is known to pass SGV_MAX_BODY."""
    environ = request.environ
    if RAW not in environ:
        environ[RAW] = _read(current_app.config["MAX_BODY"])
    return environ[RAW]


def _read(limit: int) -> bytes:
    length = request.content_length
    if length is not None:
        if length > limit:
            raise too_large(limit)
        return request.get_data(cache=False)
    if not request.environ.get("wsgi.input_terminated"):
        # No length, and a server that does not say where the body ends: nothing can be
        # read safely (Werkzeug's own rule), so the body is empty.
        return b""
    stream = request.input_stream  # the server's, which ends where the chunked body ends
    blocks: list[bytes] = []
    size = 0
    while block := stream.read(min(BLOCK, limit + 1 - size)):
        size += len(block)
        if size > limit:
            raise too_large(limit)
        blocks.append(block)
    return b"".join(blocks)
