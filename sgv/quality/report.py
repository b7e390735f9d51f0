"""Per-CPO quality statistics over time, and the revocation policy (SPEC §5, docs/quality.md).

Figures come from rows that exist anyway: CheckRun (one per check), Rejection (one per
refused push) and the updated_at of locations, EVSEs and tariffs. Pushes are not
counted one by one: a write per push on a hot row would cost more than the figure is
worth, so "objects updated" counts rows changed in the period (by push or by check), a
lower bound on accepted pushes. Coverage (SPEC §4) is in sgv/quality/coverage.py.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Integer, func

from sgv.extensions import db
from sgv.models import CheckRun, Evse, Location, Party, Rejection, Tariff
from sgv.quality.coverage import coverage

REASONS_SHOWN = 10  # most frequent rejection reasons listed; all are counted


def percent(part: int, whole: int) -> float | None:
    """Return part/whole as a percentage with one decimal, None when there is no whole."""
    return round(100 * part / whole, 1) if whole else None


def check_figures(party: Party, since: datetime) -> dict[str, Any]:
    """Sum the CPO's CheckRuns since a moment: reachability, objects, not pushed, rejected."""
    ran = CheckRun.skipped.is_(None) & CheckRun.reachable.is_not(None)
    row = db.session.execute(
        db.select(
            func.count().filter(ran),
            func.count().filter(ran & CheckRun.reachable),
            func.count().filter(CheckRun.skipped.is_not(None)),
            func.count().filter(CheckRun.full_sync & CheckRun.reachable),
            func.coalesce(func.sum(CheckRun.objects_returned), 0),
            func.coalesce(func.sum(CheckRun.empty_answers), 0),
            func.coalesce(func.sum(CheckRun.not_pushed), 0),
            func.coalesce(func.sum(CheckRun.rejected), 0),
            func.coalesce(func.sum(CheckRun.details["removed_count"].astext.cast(Integer)), 0),
        ).where(CheckRun.party_fk == party.id, CheckRun.started_at >= since)
    ).one()
    checks, reachable, skipped, full, returned, empty, not_pushed, rejected, removed = row
    return {
        "checks": checks,
        "reachable_checks": reachable,
        "reachability_pct": percent(reachable, checks),
        "skipped_checks": skipped,
        "full_syncs": full,
        "objects_returned": returned,
        "empty_answers": empty,
        "not_pushed": not_pushed,
        "not_pushed_pct": percent(not_pushed, returned),
        "rejected_when_pulled": rejected,
        "removed_by_full_sync": removed,
    }


def push_figures(party: Party, since: datetime) -> dict[str, Any]:
    """Count objects updated and pushes rejected since a moment, rejections by reason."""
    mine = Location.party_fk == party.id
    counts = [
        db.select(func.count(Location.id)).where(mine, Location.updated_at >= since),
        db.select(func.count(Evse.id)).join(Location).where(mine, Evse.updated_at >= since),
        db.select(func.count(Tariff.id)).where(
            Tariff.party_fk == party.id, Tariff.updated_at >= since
        ),
    ]
    updated = sum(db.session.scalar(query) or 0 for query in counts)
    window = (Rejection.party_fk == party.id) & (Rejection.at >= since)
    rejected = db.session.scalar(db.select(func.count(Rejection.id)).where(window)) or 0
    reasons = db.session.execute(
        db.select(Rejection.reason, func.count(Rejection.id).label("n"))
        .where(window)
        .group_by(Rejection.reason)
        .order_by(func.count(Rejection.id).desc(), Rejection.reason)
        .limit(REASONS_SHOWN)
    )
    return {
        "objects_updated": updated,
        "rejected_pushes": rejected,
        "rejected_pushes_pct": percent(rejected, rejected + updated),
        "rejected_by_reason": [{"reason": r, "count": n} for r, n in reasons],
    }


def statistics(party: Party, days: int, now: datetime | None = None) -> dict[str, Any]:
    """Return a CPO's check and push figures over the last `days` days."""
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    return {
        "days": days,
        "since": since,
        **check_figures(party, since),
        **push_figures(party, since),
    }


def stale_figures(party: Party, now: datetime | None = None) -> dict[str, Any]:
    """Return the share of the CPO's EVSEs (not REMOVED) whose status is older than STALE_HOURS."""
    hours = float(current_app.config["STALE_HOURS"])
    cutoff = (now or datetime.now(UTC)) - timedelta(hours=hours)
    total, stale = db.session.execute(
        db.select(func.count(Evse.id), func.count(Evse.id).filter(Evse.status_updated_at < cutoff))
        .join(Location, Evse.location_fk == Location.id)
        .where(Location.party_fk == party.id, Evse.status != "REMOVED")
    ).one()
    return {
        "threshold_hours": hours,
        "evses": total,
        "stale": stale,
        "stale_pct": percent(stale, total),
    }


def tariffs_without_vat(party: Party) -> list[str]:
    """Name the tariffs with a price whose VAT is unknown (SPEC §3: flagged; all of 2.1.1)."""
    flagged = []
    for tariff in db.session.scalars(db.select(Tariff).where(Tariff.party_fk == party.id)):
        if tariff.tax_included is not None:  # OCPI 2.3.0: an absent vat means 0 %, known
            continue
        components = [
            c
            for element in tariff.data.get("elements") or []
            for c in (element.get("price_components") or [])
        ]
        if any(isinstance(c, dict) and c.get("vat") is None for c in components):
            flagged.append(tariff.tariff_id)
    return sorted(flagged)


# --- the revocation policy -------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One criterion of the revocation policy: a measure, a threshold and its direction."""

    name: str
    description: str
    threshold: float
    measure: Callable[[dict[str, Any]], float | None]
    above: bool = True  # breached when the measure is above the threshold (else below)
    min_checks: int = 0  # judged only on a CPO checked at least this often in the period

    def breached(self, figures: dict[str, Any]) -> float | None:
        """Return the measured value when the rule is breached, else None."""
        value = self.measure(figures)
        if value is None or figures["checks"] < self.min_checks:
            return None
        return value if (value > self.threshold if self.above else value < self.threshold) else None


def hours_unknown(figures: dict[str, Any]) -> float | None:
    """Return how long the CPO has been UNKNOWN (still failing), in hours."""
    since = figures.get("unknown_since")
    if since is None or not figures.get("failing"):
        return None
    return round((figures["now"] - since).total_seconds() / 3600, 1)


POLICY_DAYS = 7  # every rule looks at the last week
POLICY = (
    Rule(
        "unreachable",
        "UNKNOWN (N consecutive failed checks) for more than {threshold:g} hours",
        24,
        hours_unknown,
    ),
    Rule(
        "reachability",
        "answered fewer than {threshold:g} % of the checks of the last 7 days",
        95,
        lambda f: f["reachability_pct"],
        above=False,
        min_checks=24,
    ),
    Rule(
        "not_pushed",
        "more than {threshold:g} % of the objects the checks returned were never pushed",
        10,
        lambda f: f["not_pushed_pct"] if f["objects_returned"] >= 50 else None,
        min_checks=24,
    ),
    Rule(
        "rejected",
        "more than {threshold:g} % of its pushes rejected (at least 50 rejections)",
        10,
        lambda f: f["rejected_pushes_pct"] if f["rejected_pushes"] >= 50 else None,
    ),
    Rule(
        "stale",
        "more than {threshold:g} % of its EVSEs with a status older than SGV_STALE_HOURS",
        75,
        lambda f: f["stale_pct"],
        min_checks=24,
    ),
)


def policy() -> list[dict[str, Any]]:
    """Describe the policy's rules for people and JSON."""
    return [
        {
            "rule": r.name,
            "description": r.description.format(threshold=r.threshold),
            "threshold": r.threshold,
            "days": POLICY_DAYS,
            "min_checks": r.min_checks,
        }
        for r in POLICY
    ]


def party_breaches(party: Party, now: datetime | None = None) -> list[dict[str, Any]]:
    """Return the rules a CPO breaches now, with what was measured."""
    now = now or datetime.now(UTC)
    failing = party.consecutive_failures >= int(current_app.config["CHECK_FAILURES"])
    figures = {
        **statistics(party, POLICY_DAYS, now),
        **stale_figures(party, now),
        "unknown_since": party.unknown_since,
        "failing": failing,
        "now": now,
    }
    found = []
    for rule in POLICY:
        value = rule.breached(figures)
        if value is not None:
            found.append(
                {
                    "rule": rule.name,
                    "measured": value,
                    "threshold": rule.threshold,
                    "description": rule.description.format(threshold=rule.threshold),
                }
            )
    return found


def breaches(now: datetime | None = None) -> list[dict[str, Any]]:
    """List the live CPOs that breach the policy, as a dry run: nothing is revoked."""
    found = []
    parties = db.session.scalars(
        db.select(Party).where(Party.state == "live").order_by(Party.country_code, Party.party_id)
    )
    for party in parties:
        rules = party_breaches(party, now)
        if rules:
            found.append(
                {
                    "country_code": party.country_code,
                    "party_id": party.party_id,
                    "name": party.name,
                    "breaches": rules,
                }
            )
    return found


def last_check(party: Party) -> dict[str, Any] | None:
    """Return the CPO's latest CheckRun as a dict, or None before the first check."""
    run = db.session.scalar(
        db.select(CheckRun)
        .where(CheckRun.party_fk == party.id)
        .order_by(CheckRun.started_at.desc(), CheckRun.id.desc())
        .limit(1)
    )
    if run is None:
        return None
    keys = ("started_at", "finished_at", "full_sync", "skipped", "reachable", "error")
    counts = ("objects_returned", "empty_answers", "not_pushed", "rejected")
    return {k: getattr(run, k) for k in keys + counts} | {"details": run.details}


def quality_summary(party: Party, now: datetime | None = None) -> dict[str, Any]:
    """Return everything `cpo show` reports on a CPO's data quality and coverage."""
    operator = coverage(party.country_code, party.party_id)
    return {
        "consecutive_failures": party.consecutive_failures,
        "unknown_since": party.unknown_since,
        "last_successful_check_at": party.last_check_at,
        "last_full_sync_at": party.last_full_sync_at,
        "last_check": last_check(party),
        "last_7_days": statistics(party, 7, now),
        "last_30_days": statistics(party, 30, now),
        "stale_status": stale_figures(party, now),
        "tariffs_without_vat": tariffs_without_vat(party),
        "coverage": operator[0] if operator else None,
        "breaches": party_breaches(party, now) if party.state == "live" else [],
    }
