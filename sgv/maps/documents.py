"""The map's JSON documents, each built once per data version it depends on (STYLE §5).

Sites by the static version, so they survive the stream of status pushes; live data and
details by both, and for LIVE_SECONDS at most, because prices and maintenance windows
also change with the clock. Each document is serialised and gzipped once per version.
The live document reuses each EVSE's price, which no status push changes (the priced
data version, sgv/core/dataversion.py), until the clock reaches a price's change.
"""

from datetime import UTC, datetime

from flask import current_app

from sgv import public
from sgv.core import caching
from sgv.maps import data as map_data

LIVE_SECONDS = 30  # longest a live document is served after the clock changed a price
PRICES_SECONDS = 3600  # longest each EVSE's price is kept unused (a new version is a new key)
STATIC = (caching.STATIC,)
BOTH = (caching.STATIC, caching.DYNAMIC)


def _parts() -> tuple:
    # A staging instance publishes nothing: never serve a production document there.
    return (public.publishes(),)


def site_order() -> map_data.SiteOrder:
    """Return the markers' document and its order, built once per static data version."""

    def build() -> map_data.SiteOrder:
        return map_data.site_order(public.map_sites())

    return caching.versioned("map-sites", build, depends=STATIC, parts=_parts())[0]


def sites_document() -> map_data.Encoded:
    """Return the markers' document, built once per static data version."""
    return site_order().sites


def ids_document() -> map_data.Encoded:
    """Return the sites' ids in map order, built once per static data version."""

    def build() -> map_data.Encoded:
        return map_data.encode(map_data.ids_payload(site_order().ids))

    return caching.versioned("map-ids", build, depends=STATIC, parts=_parts())[0]


def places_document() -> map_data.Encoded:
    """Return the search box's document, built once per static data version."""

    def build() -> map_data.Encoded:
        return map_data.encode(map_data.places_payload(public.map_places()))

    return caching.versioned("map-places", build, depends=STATIC, parts=_parts())[0]


def evse_prices() -> public.EvsePrices:
    """Return each EVSE's lowest price, computed once per static and priced data version
    (status pushes leave it) and again when the clock reaches a price's change."""

    def build() -> public.EvsePrices:
        return public.evse_prices(datetime.now(UTC))

    def still_valid(prices: public.EvsePrices) -> bool:
        return prices.valid_until is None or datetime.now(UTC) < prices.valid_until

    return caching.versioned(
        "map-prices",
        build,
        depends=(caching.STATIC, caching.PRICED),
        parts=_parts(),
        timeout=PRICES_SECONDS,
        still_valid=still_valid,
    )[0]


def live_document(trucks: bool = False) -> map_data.Encoded:
    """Return the live document: rebuilt at once when CPO visibility changes, otherwise
    at most every SGV_LIVE_REFRESH seconds as pushes arrive, and LIVE_SECONDS at most.

    Its entries are positions in the sites document of the static version current when
    it is built (a static change rebuilds it at once), whose `key` it carries.
    """

    def build() -> map_data.Encoded:
        order = site_order()  # first: live data at least as new as the order
        columns = public.live_columns(order.ids, trucks=trucks, prices=evse_prices())
        return map_data.live_encoded(columns, order)

    return caching.throttled(
        "map-live",
        build,
        every=current_app.config["LIVE_REFRESH"],
        timeout=LIVE_SECONDS,
        parts=(*_parts(), trucks),
    )


def site_detail(installation_id: str) -> dict | None:
    """Return one installation's detail, or None when it is not public."""

    def build() -> dict | None:
        site = public.installation(installation_id)
        return map_data.detail(site) if site else None

    parts = (installation_id, *_parts())
    return caching.versioned("map-site", build, depends=BOTH, parts=parts, timeout=LIVE_SECONDS)[0]
