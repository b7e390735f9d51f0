"""How often each public charge point was AVAILABLE, by hour of the week (issue #19).

Read through the public door: only EVSEs in `public_evses` count, so a CPO whose live
data is hidden (revoked, deregistered, unpublished location…) shows no history at all,
not even from before. Each status holds from its change until the next one (the latest
until now), except where the public saw UNKNOWN: from the start of a maintenance window
begun after it was set (public_evses' rule); the window is the last 4 weeks, the status
in force at its start carried in.
Time is split at whole UTC hours, which are whole local hours in Spain's zones, and
each hour is filed under its weekday and hour in the location's time zone.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import text

from sgv.extensions import db
from sgv.public.rules import published

WINDOW = timedelta(weeks=4)
SLOTS = 7 * 24  # Monday 00h first, Sunday 23h last

# UNKNOWN is not an observation: neither available nor not, whether pushed or shown.
QUERY = """
WITH ev AS (
    SELECT pe.evse_pk, pe.charge_point_id, pe.installation_id, pe.party_fk, cp.evse_ref,
           CASE WHEN pe.time_zone = ANY(:zones) THEN pe.time_zone
                ELSE public_time_zone(NULL, i.geom) END AS zone
    FROM public_evses pe
    JOIN installations i ON i.id = pe.installation_id AND i.retired_at IS NULL
    JOIN charge_points cp ON cp.id = pe.charge_point_id
    {where}
), changes AS (
    SELECT h.evse_fk, ev.party_fk, h.status, h.simulated, h.changed_at AS since,
           lead(h.changed_at) OVER (PARTITION BY h.evse_fk ORDER BY h.changed_at) AS until
    FROM status_history h JOIN ev ON ev.evse_pk = h.evse_fk
    WHERE h.changed_at < :t1
), spans AS (
    -- As public_evses shows it: a status is UNKNOWN from the start of its CPO's first
    -- maintenance window begun after it was set, until a newer status (the span's end).
    SELECT evse_fk, status = 'AVAILABLE' AS available, simulated,
           extract(epoch FROM GREATEST(since, :t0)) AS s,
           extract(epoch FROM LEAST(COALESCE(until, :t1), :t1, (
               SELECT min(mw.starts_at) FROM maintenance_windows mw
               WHERE mw.party_fk = changes.party_fk AND mw.cancelled_at IS NULL
                 AND mw.starts_at > changes.since AND mw.starts_at <= :t1))) AS e
    FROM changes WHERE COALESCE(until, :t1) > :t0 AND status <> 'UNKNOWN'
), hours AS (
    -- Whole hours as integers since the epoch: cheap arithmetic for millions of rows.
    SELECT evse_fk, available, simulated, s, h,
           LEAST(e, (h + 1) * 3600.0) - GREATEST(s, h * 3600.0) AS secs
    FROM spans CROSS JOIN LATERAL generate_series(
        floor(s / 3600)::bigint, ceil(e / 3600)::bigint - 1) h
    WHERE e > s
), offsets AS (
    -- Each zone's UTC offset in hours at the window's start and end, and the first hour
    -- with the end's offset (one DST change at most in 4 weeks, whole hours: Spain's).
    SELECT zone, min(o) FILTER (WHERE h = h0) AS off0, min(o) FILTER (WHERE h = h1) AS off1,
           min(h) FILTER (WHERE o = o_end) AS switch_h
    FROM (
        SELECT zone, h, h0, h1, o, last_value(o) OVER w AS o_end
        FROM (SELECT DISTINCT zone FROM ev) zones
        CROSS JOIN (SELECT floor(extract(epoch FROM :t0) / 3600)::bigint AS h0,
                           floor(extract(epoch FROM :t1) / 3600)::bigint AS h1) b
        CROSS JOIN LATERAL generate_series(h0, h1) h
        CROSS JOIN LATERAL (SELECT to_timestamp(h * 3600) AS at) t
        CROSS JOIN LATERAL (SELECT round(extract(epoch FROM
            (at AT TIME ZONE zone) - (at AT TIME ZONE 'UTC')) / 3600)::bigint AS o) x
        WINDOW w AS (PARTITION BY zone ORDER BY h ROWS BETWEEN UNBOUNDED PRECEDING
                     AND UNBOUNDED FOLLOWING)
    ) g
    GROUP BY zone
), per_slot AS (
    -- Hour 0 of the epoch is a Thursday: 3 days after a Monday.
    SELECT hs.evse_fk,
           mod(hs.h + CASE WHEN hs.h >= o.switch_h THEN o.off1 ELSE o.off0 END + 72, 168)::int
               AS slot,
           sum(secs) FILTER (WHERE available) AS available,
           sum(secs) AS observed, bool_or(simulated) AS simulated, min(s) AS since
    FROM hours hs
    JOIN ev ON ev.evse_pk = hs.evse_fk
    JOIN offsets o ON o.zone = ev.zone
    GROUP BY 1, 2
)
SELECT ev.installation_id, ev.charge_point_id, ev.evse_ref, ev.evse_pk, p.slot,
       COALESCE(p.available, 0) AS available, p.observed, p.simulated,
       to_timestamp(p.since) AS since
FROM per_slot p JOIN ev ON ev.evse_pk = p.evse_fk
ORDER BY ev.installation_id, ev.charge_point_id, p.slot
"""
# The zones PostgreSQL is asked to convert to: only names Python's tz database knows
# (pg_timezone_names takes seconds to read); any other falls back to the site's zone.
ZONES = "SELECT DISTINCT time_zone FROM public_evses{where}"
# The grouping holds a row per EVSE and hour of the week: room for it in memory, and no
# JIT compilation (seconds) for a query that runs at most hourly.
SETTINGS = "SELECT set_config('work_mem', '64MB', true), set_config('jit', 'off', true)"


def known_zones(where: str, params: dict) -> list[str]:
    """Return the public EVSEs' time zones that name a real zone."""
    found = []
    for (name,) in db.session.execute(text(ZONES.format(where=where)), params):
        try:
            ZoneInfo(name)
        except (ValueError, ZoneInfoNotFoundError):
            continue
        found.append(name)
    return found


@dataclass
class Week:
    """Seconds AVAILABLE and seconds with a known status, per hour of the week."""

    available: list[float] = field(default_factory=lambda: [0.0] * SLOTS)
    observed: list[float] = field(default_factory=lambda: [0.0] * SLOTS)

    def add(self, slot: int, available: float, observed: float) -> None:
        self.available[slot] += available
        self.observed[slot] += observed

    def shares(self) -> list[float | None]:
        """The share of observed time AVAILABLE per hour (None where nothing was observed)."""
        pairs = zip(self.available, self.observed, strict=True)
        return [round(a / o, 3) if o else None for a, o in pairs]

    def hours(self) -> list[float]:
        """Hours observed per hour of the week (over all weeks and charge points)."""
        return [round(o / 3600, 2) for o in self.observed]


@dataclass
class SiteHistory:
    """One installation's aggregate: the site's week and each charge point's."""

    installation_id: str
    since: datetime  # the earliest known status in the window
    simulated: bool = False
    site: Week = field(default_factory=Week)
    charge_points: dict[str, Week] = field(default_factory=dict)
    evses: set[int] = field(default_factory=set)  # the EVSEs it was read from

    def days_covered(self, at: datetime) -> float:
        return (at - self.since).total_seconds() / 86400


@published(empty=dict)
def histories(ids: list[str] | None = None, at: datetime | None = None) -> dict[str, SiteHistory]:
    """Return the 4-week aggregate of these installations (None: every one), by id."""
    t1 = at or datetime.now(UTC)
    params: dict = {"t0": t1 - WINDOW, "t1": t1}
    where = zone_where = ""
    if ids is not None:
        # On installation_id PostgreSQL pushes the condition into public_evses.
        where, params["ids"] = "WHERE pe.installation_id = ANY(:ids)", list(ids)
        zone_where = " WHERE installation_id = ANY(:ids)"
    params["zones"] = known_zones(zone_where, params)
    db.session.execute(text(SETTINGS))
    found: dict[str, SiteHistory] = {}
    for row in db.session.execute(text(QUERY.format(where=where)), params):
        site = found.get(row.installation_id)
        if site is None:
            site = found[row.installation_id] = SiteHistory(row.installation_id, row.since)
        site.since = min(site.since, row.since)
        site.simulated = site.simulated or row.simulated
        site.evses.add(row.evse_pk)
        site.site.add(row.slot, float(row.available), float(row.observed))
        point = site.charge_points.setdefault(row.evse_ref, Week())
        point.add(row.slot, float(row.available), float(row.observed))
    return found


def history(installation_id: str, at: datetime | None = None) -> SiteHistory | None:
    """Return one installation's aggregate, or None without public history."""
    return histories([installation_id], at).get(installation_id)
