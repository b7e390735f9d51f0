"""Which operators keep their word: coverage and quality per RIPREE operator (issue #19).

Coverage (charge points, how many show live data, the ≥ 43 kW ones without, SPEC §4) is
read through the public door (`public_evse_candidates`, sgv/public/rules.py), so a hidden
CPO counts no live charge point. Quality comes from what the hourly check and the push
path record anyway (check_runs, rejections, the EVSEs' status times): how a CPO behaves,
never what its chargers are doing, so it is shown whatever the CPO's state.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text

from sgv.extensions import db
from sgv.quality.coverage import OBLIGED_KW
from sgv.quality.report import percent

WINDOW_DAYS = 30  # the quality figures of the overview
WEEKS = 12  # the history of one operator's page
# Party states as a driver or a journalist would say them: the handshake is under way until
# the operator makes the CPO live; one that deregistered is no longer integrated.
STATES = {
    None: "not_integrated",
    "created": "integrating",
    "registered": "integrating",
    "live": "live",
    "revoked": "revoked",
    "deregistered": "not_integrated",
}

OVERVIEW = f"""
WITH live AS (SELECT DISTINCT charge_point_id FROM public_evse_candidates),
points AS (
    SELECT i.country_code, i.party_id, min(i.operator_name) AS name,
           count(*) AS charge_points,
           count(live.charge_point_id) AS live_charge_points,
           count(*) FILTER (WHERE cp.max_power_kw >= {OBLIGED_KW}) AS obliged,
           count(*) FILTER (WHERE cp.max_power_kw >= {OBLIGED_KW}
                            AND live.charge_point_id IS NULL) AS obliged_without_live
    FROM charge_points cp JOIN installations i ON i.id = cp.installation_id
    LEFT JOIN live ON live.charge_point_id = cp.id
    WHERE i.retired_at IS NULL {{operator}}
    GROUP BY i.country_code, i.party_id),
checks AS (
    SELECT party_fk,
           count(*) FILTER (WHERE skipped IS NULL AND reachable IS NOT NULL) AS checks,
           count(*) FILTER (WHERE skipped IS NULL AND reachable) AS answered,
           coalesce(sum(objects_returned), 0) AS returned,
           coalesce(sum(not_pushed), 0) AS not_pushed
    FROM check_runs WHERE started_at >= :since GROUP BY party_fk),
rejected AS (
    SELECT party_fk, count(*) AS rejected FROM rejections WHERE at >= :since GROUP BY party_fk),
ages AS (
    SELECT l.party_fk, percentile_cont(0.5) WITHIN GROUP (
               ORDER BY extract(epoch FROM CAST(:now AS timestamptz) - e.status_updated_at)
           ) AS median_age
    FROM evses e JOIN locations l ON l.id = e.location_fk
    WHERE e.status <> 'REMOVED' GROUP BY l.party_fk)
SELECT points.*, p.state, c.checks, c.answered, c.returned, c.not_pushed,
       coalesce(r.rejected, 0) AS rejected, a.median_age
FROM points
LEFT JOIN parties p ON p.country_code = points.country_code AND p.party_id = points.party_id
LEFT JOIN checks c ON c.party_fk = p.id
LEFT JOIN rejected r ON r.party_fk = p.id
LEFT JOIN ages a ON a.party_fk = p.id
ORDER BY points.country_code, points.party_id
"""

WEEK = "date_trunc('week', CAST(:now AS timestamptz)) - n * interval '1 week'"
HISTORY = f"""
WITH weeks AS (SELECT {WEEK} AS week FROM generate_series(0, :weeks - 1) AS n)
SELECT w.week, c.checks, c.answered, c.returned, c.not_pushed, r.rejected
FROM weeks w
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE skipped IS NULL AND reachable IS NOT NULL) AS checks,
           count(*) FILTER (WHERE skipped IS NULL AND reachable) AS answered,
           coalesce(sum(objects_returned), 0) AS returned,
           coalesce(sum(not_pushed), 0) AS not_pushed
    FROM check_runs WHERE party_fk = :party
      AND started_at >= w.week AND started_at < w.week + interval '1 week') c
CROSS JOIN LATERAL (
    SELECT count(*) AS rejected FROM rejections WHERE party_fk = :party
      AND at >= w.week AND at < w.week + interval '1 week') r
ORDER BY w.week DESC
"""


def overview(
    now: datetime, country_code: str | None = None, party_id: str | None = None
) -> list[dict[str, Any]]:
    """Return every RIPREE operator's coverage and quality (one operator's if named)."""
    operator = ""
    params: dict[str, Any] = {"now": now, "since": now - timedelta(days=WINDOW_DAYS)}
    if party_id is not None:
        operator = "AND i.country_code = :country_code AND i.party_id = :party_id"
        params |= {"country_code": country_code, "party_id": party_id}
    rows = db.session.execute(text(OVERVIEW.replace("{operator}", operator)), params)
    return [figures(row) for row in rows]


def figures(row: Any) -> dict[str, Any]:
    """Return one operator's row as the page and operators.json show it."""
    integrated = row.state is not None
    return {
        "country_code": row.country_code,
        "party_id": row.party_id,
        "name": row.name,
        "state": STATES.get(row.state, "not_integrated"),
        "charge_points": row.charge_points,
        "live_charge_points": row.live_charge_points,
        "obliged_charge_points": row.obliged,
        "obliged_without_live": row.obliged_without_live,
        "quality": {
            "days": WINDOW_DAYS,
            "checks": row.checks or 0,
            "checks_answered_pct": percent(row.answered or 0, row.checks or 0),
            "updates_not_pushed_pct": percent(row.not_pushed or 0, row.returned or 0),
            "rejected_pushes": row.rejected,
            "median_status_age_s": None if row.median_age is None else round(row.median_age),
        }
        if integrated
        else None,
    }


def history(country_code: str, party_id: str, now: datetime) -> list[dict[str, Any]]:
    """Return the operator's quality week by week, newest first ([] if never integrated)."""
    party = db.session.scalar(
        text("SELECT id FROM parties WHERE country_code = :c AND party_id = :p"),
        {"c": country_code, "p": party_id},
    )
    if party is None:
        return []
    rows = db.session.execute(text(HISTORY), {"now": now, "weeks": WEEKS, "party": party})
    return [
        {
            "week": row.week.date().isoformat(),
            "checks": row.checks,
            "checks_answered_pct": percent(row.answered, row.checks),
            "updates_not_pushed_pct": percent(row.not_pushed, row.returned),
            "rejected_pushes": row.rejected,
        }
        for row in rows
    ]
