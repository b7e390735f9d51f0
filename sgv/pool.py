"""The database pool: a connection the server has closed is never lent (no query to ask).

SQLAlchemy's pre-ping asks the server with a query at every checkout: a round trip that
cost every request, a status PATCH above all, about a tenth of its CPU
(docs/performance.md). When PostgreSQL closes a connection — a restart, a terminated
backend, a failover of the server's process — it says so on the socket: the FATAL
message and the end of the stream make an idle connection's socket readable. So the
pool looks at the socket instead, without waiting: an idle connection has nothing to
read. A connection with something to read, or that psycopg knows is closed or broken,
is discarded at checkout, and the pool lends a fresh one in its place, as pre-ping did.

What neither check sees quickly is a peer that vanished without closing (a host lost
with its network): pre-ping waited for the kernel's TCP timeout there too.
"""

import select

from sqlalchemy import event, exc
from sqlalchemy.pool import QueuePool


class CheckedPool(QueuePool):
    """QueuePool whose checkout discards connections the server has closed."""


@event.listens_for(CheckedPool, "checkout")
def _discard_closed(dbapi_connection, record, proxy) -> None:
    """Refuse a connection the server has closed: the pool then connects a fresh one."""
    if not open_and_quiet(dbapi_connection):
        raise exc.DisconnectionError("the server closed this connection")


def open_and_quiet(connection) -> bool:
    """Say whether a psycopg connection is open and its socket has nothing to read."""
    if connection.closed or connection.broken:
        return False
    try:
        poller = select.poll()
        poller.register(connection.fileno(), select.POLLIN)
    except (OSError, ValueError):  # psycopg: no socket any more
        return False
    return not poller.poll(0)
