"""One big statement read as bytes: the exports' way of reading PostgreSQL (SPEC §8).

sgv/public/documents.py and rows.py render whole exports in SQL; here is how they run
them: the transaction set up for it, and a server-side cursor whose rows are the bytes the
response sends.
"""

from collections.abc import Iterator
from itertools import count

from psycopg.abc import Buffer
from psycopg.adapt import Loader
from sqlalchemy import text

from sgv.extensions import db

CURSORS = count()  # server-side cursor names, unique in a session


def prepare() -> None:
    """Set up this transaction (an export's request) for one big statement read as bytes.

    Row estimates over these joins are poor, PostgreSQL would JIT-compile for longer than
    the statement runs; the sorts and hashes (~40 MB at 45,000 charge points) would spill
    to disk at 4 MB; and the rows are read as the bytes the response sends (BytesLoader).
    """
    db.session.execute(text("SET LOCAL jit = off"))
    db.session.execute(text("SET LOCAL work_mem = '64MB'"))
    db.session.execute(text("SET LOCAL client_encoding = 'UTF8'"))


def stream(sql: str, params: dict, batch: int = 500) -> Iterator[bytes]:
    """Yield the first column of each row of `sql` as UTF-8 bytes, through a server cursor."""
    statement = text(sql).compile(dialect=db.engine.dialect)
    # The driver's own server-side cursor, in this session's transaction, to read bytes:
    # decoding 33 MB to str and encoding it back for the response cost Python ~50 ms.
    connection = db.session.connection().connection.driver_connection
    with connection.cursor(name=f"sgv_documents_{next(CURSORS)}") as cursor:
        cursor.adapters.register_loader("text", BytesLoader)
        cursor.execute(statement.string, statement.construct_params(params))
        while rows := cursor.fetchmany(batch):
            yield from (row[0] for row in rows)
    # leaving the block closes the cursor, also when a reader stops early (a client gone)


class BytesLoader(Loader):
    """Load a text column as the bytes received (UTF-8: documents() sets the encoding)."""

    def load(self, data: Buffer) -> bytes:
        return bytes(data)
