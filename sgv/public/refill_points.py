"""Every public charge point's status and prices, read by one statement (DATEX II status).

What datex2/status.xml writes for a snapshot (no `since`): per charge point with public
live data, its installation (and the operator's identity, which qualifies rate ids), its
status and time, and the prices of its connectors now, in connector order. The rows come
from the public views (sgv/public/rules.py), in the order of public.installations(); each
kind of connector is priced once (prices.Pricer), like sgv/public/rows.py's status items.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import text

from sgv.extensions import db
from sgv.public.documents import KEY, KINDS, PUSHED
from sgv.public.prices import Pricer
from sgv.public.rules import published, selection
from sgv.public.tariffs import Price
from sgv.public.view import ChargePoint, Installation

STATUSES = f"""
SELECT i.id, i.country_code, i.party_id, cp.evse_ref, c.status, c.status_at,
       array_agg({KEY} ORDER BY c.position) FILTER (WHERE c.connector_pk IS NOT NULL) AS kinds
FROM installations i JOIN charge_points cp ON cp.installation_id = i.id
JOIN public_connectors c ON c.charge_point_id = cp.id {{pushed}}
WHERE {{where}}
GROUP BY i.id, cp.id, c.evse_pk, c.status, c.status_at
ORDER BY i.id, cp.id
"""


@dataclass(frozen=True)
class RefillPoint:
    """One charge point as a status publication shows it; `status` None: withdrawn."""

    site_id: str
    country_code: str
    party_id: str
    evse_ref: str
    status: str | None
    status_at: datetime | None
    prices: tuple[Price, ...]  # distinct tariffs, in connector order


@published()
def refill_points(
    *,
    bbox: tuple[float, float, float, float] | None = None,
    operator: str | None = None,
    at: datetime,
    batch: int = 2000,
) -> Iterator[RefillPoint]:
    """Yield every selected charge point with public live data, by installation."""
    where, params = selection(None, bbox, operator)
    sql = STATUSES.replace("{pushed}", PUSHED if params else "").replace("{where}", where)
    kinds = db.session.execute(text(KINDS.replace("{where}", where)), params).all()
    pricer = Pricer({kind.party_fk for kind in kinds}, at)
    prices = {
        kind.key: pricer.price(kind.party_fk, kind.tariff_ids, kind.time_zone, kind.power_kw)
        for kind in kinds
    }
    result = db.session.execute(text(sql).execution_options(yield_per=batch), params)
    try:
        for row in result:
            yield RefillPoint(
                row.id, row.country_code, row.party_id, row.evse_ref, row.status,
                row.status_at, distinct(prices.get(key) for key in row.kinds or ()),
            )  # fmt: skip
    finally:
        result.close()


def distinct(prices: Iterable[Price | None]) -> tuple[Price, ...]:
    """Return one price per tariff, where the tariff is first met (the last connector's
    figures, as a dict keeps them), without the unpriced."""
    found: dict[str, Price] = {}
    for price in prices:
        if price is not None:
            found[price.tariff_id] = price
    return tuple(found.values())


def as_refill_points(pairs: Iterable[tuple[Installation, ChargePoint]]) -> Iterator[RefillPoint]:
    """Return public.installations()' charge points as refill points (live None: withdrawn)."""
    for site, point in pairs:
        live = point.live
        yield RefillPoint(
            site.id, site.country_code, site.party_id, point.evse_ref,
            live.status if live else None, live.status_at if live else None,
            distinct(c.price for c in live.connectors) if live else (),
        )  # fmt: skip
