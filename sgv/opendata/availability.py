"""/opendata/availability.json: each public installation's availability by hour of week.

The figures come from sgv/history/aggregate.py, set-based in one query for the whole
country, then kept for an hour (caching.throttled): a static change (a revocation, a
deregistration, a location hidden) rebuilds it on the next request: a hidden CPO's
sites leave at once.
"""

from datetime import UTC, datetime

from sgv.core import caching
from sgv.core.times import utc_text
from sgv.history.aggregate import WINDOW, SiteHistory, Week, histories
from sgv.opendata import formats

REBUILD_SECONDS = 3600  # the figures are 4-week averages: an hour old is fresh enough


def week_object(week: Week) -> dict:
    return {"available_share": week.shares(), "observed_hours": week.hours()}


def installation_object(site: SiteHistory) -> dict:
    return {
        "installation_id": site.installation_id,
        "simulated": site.simulated,
        "observed_since": utc_text(site.since),
        **week_object(site.site),
        "charge_points": [
            {"evse_ref": ref, **week_object(week)} for ref, week in site.charge_points.items()
        ],
    }


def document(at: datetime) -> dict:
    """Return the export as of `at`."""
    sites = histories(None, at)
    return {
        "schema_version": formats.SCHEMA_VERSION,
        "generated_at": utc_text(at),
        "licence": formats.LICENCE,
        "window_start": utc_text(at - WINDOW),
        "installations": [installation_object(site) for site in sites.values()],
        "count": len(sites),
    }


def current() -> dict:
    """Return the export, rebuilt at most hourly and at once on a static change."""
    return caching.throttled(
        "availability",
        lambda: document(datetime.now(UTC).replace(microsecond=0)),
        every=REBUILD_SECONDS,
        timeout=REBUILD_SECONDS,
    )
