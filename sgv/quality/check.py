"""The hourly data-quality check (SPEC §5) and the UNKNOWN rule after failures (SPEC §4).

Per CPO: inside a maintenance window the check is skipped without penalty. Otherwise
its locations and tariffs are pulled with `date_from` = start of the last successful
check − SGV_CHECK_OVERLAP, or without it (a full sync) every SGV_FULL_SYNC_HOURS, on
the first check and after an outage. The fetch comes first (sgv/quality/pull.py), then
one transaction applies what differs and removes what a complete full sync no longer
lists (sgv/quality/sync.py), records a CheckRun and the failure streak, and commits.

Columns of Party kept here: `last_check_at` is the start of the last successful check
whose pulls were complete (the next `date_from`); `last_full_sync_at` the start of the
last complete full sync; `consecutive_failures` the current streak; `unknown_since`
the start of the first failed check of the streak that reached SGV_CHECK_FAILURES.
Every EVSE whose status is older than `unknown_since` shows UNKNOWN (the public views,
sgv/public/rules.py); a success resets the streak but keeps `unknown_since`, so each
EVSE recovers only with its next newer status.
"""

import logging
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import func
from sqlalchemy.exc import InterfaceError, OperationalError

from sgv.extensions import db
from sgv.models import CheckRun, MaintenanceWindow, Party
from sgv.ocpi import client
from sgv.parties.lifecycle import locked, show_unknown
from sgv.quality.pull import MODULES, REJECTIONS_KEPT, Plan, Pulled, fetch, warnings_in
from sgv.quality.sync import Tally, remove_locations, remove_tariffs, sync_locations, sync_tariffs

log = logging.getLogger(__name__)

CHECKED_STATES = ("live", "registered")
MAINTENANCE = "maintenance window"
IDS_KEPT = 50  # ids listed per module in a CheckRun's details; all are counted


def label(party: Party) -> str:
    """Return ES*ABC."""
    return f"{party.country_code}*{party.party_id}"


def in_maintenance(party: Party, moment: datetime) -> bool:
    """Say whether a declared, uncancelled maintenance window covers the moment."""
    return bool(
        db.session.scalar(
            db.select(func.count(MaintenanceWindow.id)).where(
                MaintenanceWindow.party_fk == party.id,
                MaintenanceWindow.starts_at <= moment,
                MaintenanceWindow.ends_at > moment,
                MaintenanceWindow.cancelled_at.is_(None),
            )
        )
    )


def full_sync_due(party: Party, moment: datetime) -> bool:
    """Say whether this check pulls everything: first check, daily, or after an outage."""
    every = timedelta(hours=float(current_app.config["FULL_SYNC_HOURS"]))
    return (
        party.last_check_at is None
        or party.last_full_sync_at is None
        or party.last_full_sync_at <= moment - every
        or party.consecutive_failures >= int(current_app.config["CHECK_FAILURES"])
    )


def plan_for(party: Party, moment: datetime) -> Plan | str:
    """Read what to ask the CPO, or return why it cannot be asked."""
    urls = {m: client.endpoint_url(party.endpoints or {}, m) for m in MODULES}
    missing = [m for m, url in urls.items() if not url]
    if not party.token_b or not party.version or missing:
        return f"no OCPI connection: Sender interfaces missing ({', '.join(missing) or 'token'})"
    config = current_app.config
    overlap = timedelta(seconds=float(config["CHECK_OVERLAP"]))
    full = full_sync_due(party, moment)
    return Plan(
        label=label(party),
        owner=(party.country_code, party.party_id),
        version=party.version,
        token=party.token_b,
        encoding=party.token_b_encoding or client.default_encoding(party.version),
        urls={m: url for m, url in urls.items() if url},
        date_from=None if full else party.last_check_at - overlap,
        timeout=float(config["HTTP_TIMEOUT"]),
        retry_delay=float(config["CHECK_RETRY_DELAY"]),
        page_size=int(config["CHECK_PAGE_SIZE"]),
        max_pages=int(config["CHECK_MAX_PAGES"]),
        our_party=(config["COUNTRY_CODE"], config["PARTY_ID"]),
        budget=float(config["CHECK_CPO_DEADLINE"]),
        deadline=time.monotonic() + float(config["CHECK_CPO_DEADLINE"]),
        allow_private=config["OUTBOUND_ALLOW_PRIVATE"],
    )


def fetch_all(plan: Plan) -> tuple[list[Pulled], str | None]:
    """Pull each module; stop at the first that fails twice and say why."""
    pulled = []
    for module in MODULES:
        try:
            pulled.append(fetch(plan, module))
        except client.CpoError as error:
            return pulled, str(error)
    return pulled, None


def check_party(party: Party, now: datetime | None = None) -> CheckRun:
    """Check one CPO now: skip, or pull, apply, record and commit once."""
    started = now or datetime.now(UTC)
    if in_maintenance(party, started):
        run = CheckRun(party_fk=party.id, started_at=started, skipped=MAINTENANCE)
        run.finished_at = datetime.now(UTC)
        db.session.add(run)
        db.session.commit()
        return run
    plan = plan_for(party, started)
    db.session.commit()  # nothing pending: no connection idles in a transaction during HTTP
    if isinstance(plan, Plan):
        pulled, error = fetch_all(plan)
    else:
        pulled, error = [], plan
    party = locked(party)
    tally = Tally()
    for module in pulled:
        (sync_locations if module.module == "locations" else sync_tariffs)(party, module, tally)
    full = isinstance(plan, Plan) and plan.date_from is None
    if full:
        for module in (m for m in pulled if m.complete):
            if module.module == "locations":
                remove_locations(party, module, started, tally)
            else:
                remove_tariffs(party, module, tally)
    run = record(party, started, full, pulled, tally, error)
    settle(party, run, pulled)
    db.session.commit()  # what was applied, removed or turned UNKNOWN touched its versions
    return run


def run_summary(run: CheckRun) -> dict:
    """Return what the operator sees of one check: its figures and the CPO's streak."""
    party = db.session.get(Party, run.party_fk)
    return {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "started_at": run.started_at,
        "full_sync": run.full_sync,
        "skipped": run.skipped,
        "reachable": run.reachable,
        "error": run.error,
        "objects_returned": run.objects_returned,
        "empty_answers": run.empty_answers,
        "not_pushed": run.not_pushed,
        "rejected": run.rejected,
        "removed": (run.details or {}).get("removed_count", 0),
        "warnings": warnings_in(run.details),
        "consecutive_failures": party.consecutive_failures,
        "unknown_since": party.unknown_since,
    }


def record(
    party: Party,
    started: datetime,
    full: bool,
    pulled: list[Pulled],
    tally: Tally,
    error: str | None,
) -> CheckRun:
    """Add the CheckRun of one check with its figures."""
    rejected = [r for module in pulled for r in module.rejected] + tally.refused
    reasons = Counter(item["reason"] for item in rejected)
    run = CheckRun(
        party_fk=party.id,
        started_at=started,
        finished_at=datetime.now(UTC),
        full_sync=full,
        reachable=error is None,
        error=error,
        objects_returned=sum(m.returned for m in pulled),
        empty_answers=sum(1 for m in pulled if m.returned == 0),
        not_pushed=tally.count(tally.not_pushed),
        rejected=len(rejected),
        details={
            "modules": {m.module: m.summary() for m in pulled},
            "not_pushed": {k: v[:IDS_KEPT] for k, v in tally.not_pushed.items()},
            "older_than_stored": {k: v[:IDS_KEPT] for k, v in tally.older.items()},
            "removed": {k: v[:IDS_KEPT] for k, v in tally.removed.items()},
            "removed_count": tally.count(tally.removed),
            "rejected_objects": rejected[:REJECTIONS_KEPT],
            "rejected_by_reason": dict(reasons.most_common(IDS_KEPT)),
        },
    )
    db.session.add(run)
    db.session.flush()
    return run


def settle(party: Party, run: CheckRun, pulled: list[Pulled]) -> None:
    """Update the CPO's streak, its high-water mark and, after N failures, UNKNOWN."""
    if run.reachable:
        party.consecutive_failures = 0
        if all(m.complete for m in pulled):
            party.last_check_at = run.started_at
            if run.full_sync:
                party.last_full_sync_at = run.started_at
        for module in pulled:
            if module.encoding and module.encoding != party.token_b_encoding:
                party.token_b_encoding = module.encoding  # the form the CPO accepted
        return
    party.consecutive_failures += 1
    if party.consecutive_failures >= int(current_app.config["CHECK_FAILURES"]):
        first = streak_start(party)
        if party.unknown_since is None or party.unknown_since < first:
            show_unknown(party, first)
    log.warning(
        "check %s failed (%d in a row): %s", label(party), party.consecutive_failures, run.error
    )


def streak_start(party: Party) -> datetime:
    """Return the start of the first failed check since the last successful one."""
    last_success = (
        db.select(func.max(CheckRun.started_at))
        .where(CheckRun.party_fk == party.id, CheckRun.reachable.is_(True))
        .scalar_subquery()
    )
    return db.session.scalar(
        db.select(func.min(CheckRun.started_at)).where(
            CheckRun.party_fk == party.id,
            CheckRun.reachable.is_(False),
            CheckRun.started_at > func.coalesce(last_success, datetime.min.replace(tzinfo=UTC)),
        )
    )


def parties_to_check(*, due: bool = False) -> list[Party]:
    """Return every live or registered CPO; only those due when asked (SGV_CHECK_INTERVAL).

    A CPO is due when its last check started an interval ago, less a minute: a timer
    firing a little early must not push the check to its next round.
    """
    query = db.select(Party).where(Party.state.in_(CHECKED_STATES))
    parties = list(db.session.scalars(query.order_by(Party.country_code, Party.party_id)))
    if not due:
        return parties
    interval = timedelta(seconds=float(current_app.config["CHECK_INTERVAL"]))
    cutoff = datetime.now(UTC) - interval + timedelta(minutes=1)
    last = dict(
        db.session.execute(
            db.select(CheckRun.party_fk, func.max(CheckRun.started_at)).group_by(CheckRun.party_fk)
        ).all()
    )
    return [p for p in parties if last.get(p.id) is None or last[p.id] <= cutoff]


def cannot_check(party: Party) -> str | None:
    """Say why a CPO cannot be checked now (it has no OCPI connection), or None."""
    if not party.token_b:
        return f"{label(party)} is {party.state}: it has no OCPI connection"
    return None


def run_checks(parties: list[Party] | None = None) -> list[CheckRun]:
    """Check each CPO in turn (default: every live or registered one), committing per CPO.

    A database failure stops the run (the command then exits non-zero); a fault of ours
    with one CPO is logged and recorded for it, and the others are still checked.
    """
    runs = []
    for party in parties_to_check() if parties is None else parties:
        started = datetime.now(UTC)
        try:
            runs.append(check_party(party, started))
        except (OperationalError, InterfaceError):
            db.session.rollback()
            raise
        except Exception as error:
            db.session.rollback()
            log.exception("check %s: internal error", label(party))
            runs.append(record_internal_error(party, started, error))
    return runs


def record_internal_error(party: Party, started: datetime, error: Exception) -> CheckRun:
    """Record a check that failed on our side: neither reachable nor a failure of the CPO."""
    run = CheckRun(
        party_fk=party.id,
        started_at=started,
        finished_at=datetime.now(UTC),
        error=f"internal error ({type(error).__name__}): see the platform's log",
        details={},
    )
    db.session.add(run)
    db.session.commit()
    return run
