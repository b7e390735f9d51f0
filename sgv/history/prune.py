"""Bound the status history: delete what is older than SGV_HISTORY_DAYS."""

from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import text

from sgv.extensions import db

# The chart covers 4 weeks and needs the status in force at their start: a shorter
# retention would leave the first days without a known status.
MIN_DAYS = 29


class RetentionError(ValueError):
    """SGV_HISTORY_DAYS is not a whole number of days the aggregate can live with."""


def days_kept() -> int:
    """Return SGV_HISTORY_DAYS, checked."""
    value = current_app.config["HISTORY_DAYS"]
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = None
    if days is None or isinstance(value, bool) or str(days) != str(value).strip():
        raise RetentionError(f"SGV_HISTORY_DAYS must be a whole number of days, not {value!r}")
    if days < MIN_DAYS:
        raise RetentionError(
            f"SGV_HISTORY_DAYS must be at least {MIN_DAYS} (4 weeks of history and the "
            f"status in force at their start), not {days}"
        )
    return days


# A row older than the cut-off goes unless it is the newest one of its EVSE before the
# cut-off: that status was still in force at the cut-off, and the aggregate starts from
# it. The BRIN index finds the old rows, the (evse_fk, changed_at) btree the newer ones.
PRUNE = text(
    """
    DELETE FROM status_history h
    WHERE h.changed_at < :cutoff
      AND EXISTS (SELECT 1 FROM status_history n
                  WHERE n.evse_fk = h.evse_fk AND n.changed_at > h.changed_at
                    AND n.changed_at <= :cutoff)
    """
)


def prune_history(now: datetime | None = None) -> dict:
    """Delete the history older than the retention; return the cut-off and the count."""
    days = days_kept()
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    deleted = db.session.execute(PRUNE, {"cutoff": cutoff}).rowcount
    return {"days": days, "cutoff": cutoff, "deleted": deleted}
