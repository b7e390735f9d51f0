"""Retention: delete what grows without bound, keep what the reports and the check read.

Three tables grow with time, not with the size of the network: check runs (one per CPO
and hour), rejections (one per refused push: a misbehaving CPO makes millions) and the
audit log. `sgv maintenance prune` (scheduled daily, deploy/) deletes their rows older
than SGV_RETAIN_CHECK_RUNS_DAYS, SGV_RETAIN_REJECTIONS_DAYS and SGV_RETAIN_AUDIT_DAYS
(0: keep for ever), and never what a report or the check still needs:

* the quality report sums the last 30 days (sgv/quality/report.py), so check runs and
  rejections are kept at least that long (a shorter setting is refused);
* per CPO, its latest check run (`cpo show`), its latest successful one and the first
  failure after it (where a failure streak began: the check dates UNKNOWN from it,
  sgv/quality/check.py `streak_start`), whatever their age;
* per CPO, its latest LATEST_REJECTIONS rejections (`cpo show` lists them);
* every audit row that changed a CPO's state: the history that explains the state it is
  in. Routine rows (credentials updates, token renewals, maintenance windows) go.

Rows go in batches, each in a short transaction of its own, so that a first prune of a
large table never holds locks or a snapshot for long.
"""

from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import BigInteger, Integer, TextClause, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY

from sgv.extensions import db
from sgv.parties.report import LATEST_REJECTIONS

REPORT_DAYS = 30  # the longest period the quality report reads (`cpo show`: last 30 days)
BATCH = 5000  # rows per delete
SETTINGS = {
    "check_runs": ("RETAIN_CHECK_RUNS_DAYS", REPORT_DAYS),
    "rejections": ("RETAIN_REJECTIONS_DAYS", REPORT_DAYS),
    "audit_log": ("RETAIN_AUDIT_DAYS", 0),
}

# Which rows of each table may go: older than :cutoff, and not among the CPO's :keep.
WHERE = {
    "check_runs": "party_fk = :party AND started_at < :cutoff AND id <> ALL(:keep)",
    "rejections": "party_fk IS NOT DISTINCT FROM :party AND at < :cutoff AND id <> ALL(:keep)",
    "audit_log": "at < :cutoff AND from_state IS NOT DISTINCT FROM to_state",
}
# What each CPO keeps whatever its age, read once per prune: (party, [ids]) rows.
KEEP = {
    "check_runs": """
        SELECT p.party_fk, array_remove(ARRAY[
            (SELECT l.id FROM check_runs l WHERE l.party_fk = p.party_fk
             ORDER BY l.started_at DESC, l.id DESC LIMIT 1),
            (SELECT s.id FROM check_runs s WHERE s.party_fk = p.party_fk AND s.reachable
             ORDER BY s.started_at DESC, s.id DESC LIMIT 1),
            (SELECT f.id FROM check_runs f
             WHERE f.party_fk = p.party_fk AND f.reachable IS FALSE
               AND f.started_at > coalesce((SELECT max(s.started_at) FROM check_runs s
                                            WHERE s.party_fk = p.party_fk AND s.reachable),
                                           '-infinity')
             ORDER BY f.started_at, f.id LIMIT 1)
        ], NULL)
        FROM (SELECT DISTINCT party_fk FROM check_runs) p""",
    "rejections": """
        SELECT party_fk, array_agg(id) FROM (
            SELECT party_fk, id, row_number() OVER (PARTITION BY party_fk ORDER BY id DESC) AS n
            FROM rejections) latest
        WHERE n <= :latest GROUP BY party_fk""",
    "audit_log": "SELECT NULL, ARRAY[]::bigint[]",  # one pass over every CPO
}
PARAMS = (bindparam("keep", type_=ARRAY(BigInteger)), bindparam("party", type_=Integer))


class RetentionError(ValueError):
    """A retention setting that would delete what the reports need."""


def days_kept() -> dict[str, int]:
    """Return the days each table keeps (0: for ever), refusing settings below the minimum."""
    kept = {}
    for table, (setting, minimum) in SETTINGS.items():
        raw = current_app.config[setting]
        try:
            days = int(raw)
        except (TypeError, ValueError):
            message = f"SGV_{setting} must be a whole number of days, not {raw!r}"
            raise RetentionError(message) from None
        if days < 0 or (days and days < minimum):
            raise RetentionError(
                f"SGV_{setting} must be 0 (keep for ever) or at least {minimum} days"
                f" (the quality report reads {REPORT_DAYS} days back), not {days}"
            )
        kept[table] = days
    return kept


def prune(now: datetime | None = None, *, dry_run: bool = False) -> dict[str, dict]:
    """Delete, table by table, the old rows nothing needs; return days kept and rows deleted.

    With dry_run, count what would go and delete nothing.
    """
    now = now or datetime.now(UTC)
    result = {}
    for table, days in days_kept().items():
        deleted = 0
        if days:
            cutoff = now - timedelta(days=days)
            keep = db.session.execute(text(KEEP[table]), {"latest": LATEST_REJECTIONS}).all()
            for party, ids in keep:
                params = {"cutoff": cutoff, "party": party, "keep": list(ids)}
                deleted += (_count if dry_run else _delete)(table, params)
        result[table] = {"days": days, "deleted": deleted}
    db.session.rollback()  # a dry run's reads: nothing to keep
    return result


def _delete(table: str, params: dict) -> int:
    """Delete in batches, committing each, until a batch comes back short."""
    statement = _statement(
        f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {WHERE[table]} "
        "LIMIT :batch)"
    )
    total = 0
    while True:
        count = db.session.execute(statement, {**params, "batch": BATCH}).rowcount
        db.session.commit()
        total += count
        if count < BATCH:
            return total


def _count(table: str, params: dict) -> int:
    """Count what _delete would remove."""
    statement = _statement(f"SELECT count(*) FROM {table} WHERE {WHERE[table]}")
    return db.session.scalar(statement, params) or 0


def _statement(sql: str) -> TextClause:
    """Return the SQL with the types of the parameters it uses (the ids: a bigint array)."""
    return text(sql).bindparams(*(p for p in PARAMS if f":{p.key}" in sql))
