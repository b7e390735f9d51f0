"""/opendata/availability.json: each public installation's availability by hour of week.

The figures come from sgv/history/aggregate.py, set-based in one query for the whole
country, and are kept for the hour (they are 4-week averages; building them takes
seconds). What is public is checked on every request against the public door: an
installation leaves at once when any of its charge points stops being public (a
revocation, a deregistration, a location hidden); one that becomes public joins at the
next hourly build.
"""

from datetime import UTC, datetime

from sgv.core import caching
from sgv.core.times import utc_text
from sgv.history.aggregate import WINDOW, SiteHistory, Week, histories, public_candidates
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


def build() -> dict:
    """Return the export as of now, and the EVSEs each installation's figures come from."""
    at = datetime.now(UTC).replace(microsecond=0)
    sites = histories(None, at)
    return {"document": document(sites, at), "evses": {k: s.evses for k, s in sites.items()}}


def document(sites: dict[str, SiteHistory], at: datetime) -> dict:
    """Return the export of these installations' figures as of `at`."""
    return {
        "schema_version": formats.SCHEMA_VERSION,
        "generated_at": utc_text(at),
        "licence": formats.LICENCE,
        "window_start": utc_text(at - WINDOW),
        "installations": [installation_object(site) for site in sites.values()],
        "count": len(sites),
    }


def visible(built: dict) -> dict:
    """Return the document without the installations that are not wholly public now."""
    public = public_candidates()
    document, read_from = built["document"], built["evses"]
    kept = [
        site
        for site in document["installations"]
        if read_from[site["installation_id"]] <= public.get(site["installation_id"], set())
    ]
    return {**document, "installations": kept, "count": len(kept)}


def current() -> dict:
    """Return the export: built at most hourly, filtered by what is public now."""
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    built, _ = caching.versioned(
        "availability",
        build,
        depends=(),
        parts=(hour.isoformat(),),
        timeout=REBUILD_SECONDS,
    )
    return visible(built)
