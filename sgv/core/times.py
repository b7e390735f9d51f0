"""The one way SGV writes a time: UTC to the second, `Z`-suffixed (`YYYY-MM-DDTHH:MM:SSZ`).

OCPI envelopes, outbound `date_from`, the exports and the map all write times this way.
The Python writer and its SQL twin stand side by side, so the two cannot drift apart.
"""

from datetime import UTC, datetime
from functools import lru_cache

PATTERN = "%Y-%m-%dT%H:%M:%SZ"
SQL_PATTERN = 'YYYY-MM-DD"T"HH24:MI:SS"Z"'  # to_char()'s spelling of PATTERN


def now() -> datetime:
    """Return the current time, aware, in UTC."""
    return datetime.now(UTC)


@lru_cache(maxsize=4096)  # exports repeat the same times (tariff boundaries, imports) often
def utc_text(moment: datetime | None) -> str | None:
    """Write a time as UTC text; a naive time is taken as UTC; None stays None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    # strftime writes years before 1000 with fewer digits ("233-…"); to_char pads them.
    return moment.strftime(PATTERN.replace("%Y", f"{moment.year:04d}"))


def utc_sql(sql: str) -> str:
    """Return SQL writing the timestamptz expression `sql` as utc_text() does (no quotes)."""
    return f"to_char(({sql}) AT TIME ZONE 'UTC', '{SQL_PATTERN}')"
