"""The availability aggregates as stored by the scheduled job, and read through the door.

`build()` runs in `flask sgv history build` (hourly, on one host: advisory lock
'sgv.availability') and at `demo load`: it computes every public installation's figures
(aggregate.py, seconds to minutes) and stores them as one build. Readers never compute:
they take the newest build and keep, at read time, only the installations whose EVSEs
are all public now (`public_evse_candidates`) and not UNKNOWN for failed checks, so a
revocation, a deregistration or a failing CPO hides its whole history on the next
request, not at the next build.
"""

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, text

from sgv.core.times import utc_text
from sgv.extensions import db
from sgv.history.aggregate import WINDOW, SiteHistory, Week, histories
from sgv.models.history import availability_builds, availability_sites
from sgv.public.rules import published

KEEP = 2  # builds kept: the newest, and the one a reader may have picked just before it


@dataclass(frozen=True)
class Build:
    """One stored build: its id, when it was computed and the window it covers."""

    id: int
    built_at: datetime
    window_start: datetime
    seconds: float
    installations: int


def week_object(week: Week) -> dict:
    return {"available_share": week.shares(), "observed_hours": week.hours()}


def installation_object(site: SiteHistory) -> dict:
    """Return one installation's object of availability.json."""
    return {
        "installation_id": site.installation_id,
        "simulated": site.simulated,
        "observed_since": utc_text(site.since),
        **week_object(site.site),
        "charge_points": [
            {"evse_ref": ref, **week_object(week)} for ref, week in site.charge_points.items()
        ],
    }


# The object as compact text, stored as written (`json` keeps it): the export streams it.
INSERT_SITE = text(
    """
    INSERT INTO availability_sites
        (build_fk, installation_id, evses, simulated, observed_since, figures)
    VALUES (:build_fk, :installation_id, :evses, :simulated, :observed_since,
            CAST(:figures AS json))
    """
)


def build(at: datetime | None = None) -> Build:
    """Compute every public installation's figures as of `at` (now) and store them."""
    started = time.monotonic()
    at = (at or datetime.now(UTC)).replace(microsecond=0)
    sites = histories(None, at)
    seconds = round(time.monotonic() - started, 3)
    values = {"built_at": at, "window_start": at - WINDOW, "seconds": seconds}
    build_id = db.session.execute(
        insert(availability_builds)
        .values(**values, installations=len(sites))
        .returning(availability_builds.c.id)
    ).scalar_one()
    rows = [
        {
            "build_fk": build_id,
            "installation_id": site.installation_id,
            "evses": sorted(site.evses),
            "simulated": site.simulated,
            "observed_since": site.since,
            "figures": json.dumps(installation_object(site), separators=(",", ":")),
        }
        for site in sites.values()
    ]
    if rows:
        db.session.execute(INSERT_SITE, rows)
    kept = select(availability_builds.c.id).order_by(availability_builds.c.id.desc()).limit(KEEP)
    db.session.execute(delete(availability_builds).where(availability_builds.c.id.not_in(kept)))
    return Build(build_id, at, at - WINDOW, seconds, len(sites))


def latest() -> Build | None:
    """Return the newest build, or None before the job first ran."""
    row = db.session.execute(
        select(
            availability_builds.c.id,
            availability_builds.c.built_at,
            availability_builds.c.window_start,
            availability_builds.c.seconds,
            availability_builds.c.installations,
        )
        .order_by(availability_builds.c.id.desc())
        .limit(1)
    ).first()
    return Build(*row) if row else None


def stale(age: timedelta = timedelta(hours=1)) -> bool:
    """Tell whether the newest build is older than `age` (or there is none)."""
    found = latest()
    return found is None or found.built_at < datetime.now(UTC) - age


# An installation is shown when every EVSE its figures come from is public now and not
# shown UNKNOWN for its CPO's failed checks (SPEC §4, §5; public_evses' rule: a status
# older than the streak's first failure): the door, read at read time. A maintenance
# window, declared and without penalty, hides nothing.
VISIBLE = """
WITH door AS (
    SELECT installation_id, array_agg(evse_pk) AS evses
    FROM public_evse_candidates
    WHERE (unknown_since IS NULL OR status_updated_at >= unknown_since) {where}
    GROUP BY installation_id
)
SELECT a.installation_id FROM availability_sites a JOIN door USING (installation_id)
WHERE a.build_fk = :build AND a.evses <@ door.evses {where_a}
ORDER BY a.installation_id
"""


@published(empty=list)
def visible(build: Build, ids: list[str] | None = None) -> list[str]:
    """Return the installations of `build` whose history is public now (of `ids`: all)."""
    where = where_a = ""
    params: dict = {"build": build.id}
    if ids is not None:
        where, params["ids"] = "AND installation_id = ANY(:ids)", list(ids)
        where_a = "AND a.installation_id = ANY(:ids)"
    sql = VISIBLE.format(where=where, where_a=where_a)
    return list(db.session.scalars(text(sql), params))


FIGURES = """
SELECT figures::text FROM availability_sites
WHERE build_fk = :build AND installation_id = ANY(:ids) ORDER BY installation_id
"""


def figures_sql(build: Build, ids: list[str]) -> tuple[str, dict]:
    """The statement that reads these installations' stored JSON objects, in id order."""
    return FIGURES, {"build": build.id, "ids": list(ids)}


@dataclass(frozen=True)
class StoredSite:
    """What the installation page shows of one site's stored figures."""

    shares: list[float | None]
    simulated: bool
    since: datetime

    def days_covered(self, at: datetime) -> float:
        return (at - self.since).total_seconds() / 86400


def site(installation_id: str) -> StoredSite | None:
    """Return one installation's stored figures if they are public now, else None."""
    found = latest()
    if found is None or not visible(found, [installation_id]):
        return None
    row = db.session.execute(
        select(
            availability_sites.c.figures,
            availability_sites.c.simulated,
            availability_sites.c.observed_since,
        ).where(
            availability_sites.c.build_fk == found.id,
            availability_sites.c.installation_id == installation_id,
        )
    ).one()
    figures = row.figures if isinstance(row.figures, dict) else json.loads(row.figures)
    return StoredSite(figures["available_share"], row.simulated, row.observed_since)
