"""Every public charge point's status and prices by installation, for DATEX II status.xml.

`site_texts` is what datex2/status.xml's snapshot (no `since`) reads: one statement over
the public views (sgv/public/rules.py) writes, per selected installation with public live
data (by id), its charge points (by id) and each one's prices now as text, in the form the
caller's `Writing` gives, and streams it as bytes (sgv/public/streaming.py), so a snapshot
of 45,000 charge points costs the database's time, not Python's per object. Each kind of
connector is priced once in Python (prices.Pricer), and its figures written once.
`as_refill_points` gives public.installations()' charge points as the same refill points
for the ?since= path (withdrawals included); tests/test_datex2_sql.py checks both write
the same bytes.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from psycopg.types.json import Jsonb

from sgv.public.documents import PUSHED
from sgv.public.kinds import MATCH, handed, priced_kinds
from sgv.public.rules import published, selection
from sgv.public.streaming import prepare, stream
from sgv.public.tariffs import Price
from sgv.public.view import ChargePoint, Installation

# One row per (charge point, tariff): a tariff is listed where its first connector is and
# shows its last connector's figures (as distinct() keeps them), unpriced connectors none.
# Then per charge point, its rates' figures joined in that order, and its time written once.
SITES = f"""
WITH price AS MATERIALIZED ({handed("tariff_id text, figures text", "k.tariff_id, k.figures")}),
rate AS (
    SELECT i.id AS site_id, i.country_code, i.party_id, cp.id AS point_id, cp.evse_ref,
           c.evse_pk, c.status, c.status_at, k.tariff_id, min(c.position) AS first,
           (array_agg(k.figures ORDER BY c.position DESC))[1] AS figures
    FROM installations i JOIN charge_points cp ON cp.installation_id = i.id
    JOIN public_connectors c ON c.charge_point_id = cp.id {{pushed}}
    LEFT JOIN price k ON {MATCH} AND c.connector_pk IS NOT NULL
    WHERE {{where}}
    GROUP BY i.id, cp.id, c.evse_pk, c.status, c.status_at, k.tariff_id),
point AS (
    SELECT site_id, point_id, {{point}} AS text
    FROM (SELECT site_id, point_id, evse_ref, status, status_at, {{at}} AS at,
                 country_code, party_id,
                 string_agg(figures, '' ORDER BY first) FILTER (WHERE tariff_id IS NOT NULL)
                   AS rates
          FROM rate
          GROUP BY site_id, point_id, evse_ref, evse_pk, status, status_at, country_code,
                   party_id) p)
SELECT {{site}} FROM (
    SELECT site_id, string_agg(text, '' ORDER BY point_id) AS points
    FROM point GROUP BY site_id) s
ORDER BY site_id
"""


@dataclass(frozen=True)
class Writing:
    """How a format writes the snapshot: SQL over the statement's columns, and Python once
    per price. `at`: a charge point's time, over status_at; `point`: a charge point, over
    evse_ref, status, status_at, at, country_code and party_id (its installation's
    operator) and rates: what `figures()` wrote for each of its prices, joined in order
    (NULL if none); `site`: an installation, over site_id and points: its charge points'
    texts by id; `params`: their parameters."""

    at: str
    point: str
    site: str
    figures: Callable[[Price], str]
    params: dict


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
def site_texts(
    writing: Writing,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    operator: str | None = None,
    at: datetime,
    batch: int = 200,
) -> Iterator[bytes]:
    """Yield `writing`'s text of each selected installation with public live data (by id)
    and of its charge points' statuses and prices now, `batch` installations at a time."""
    where, params = selection(None, bbox, operator)
    sql = SITES.replace("{at}", writing.at).replace("{point}", writing.point)
    sql = sql.replace("{site}", writing.site).replace("{pushed}", PUSHED if params else "")
    sql = sql.replace("{where}", where)
    prepare()
    params["prices"] = Jsonb(figures(where, params, at, writing.figures))
    rows = stream(sql, params | writing.params, batch)
    while texts := list(islice(rows, batch)):  # one part per batch: 80, not 15,000 parts
        yield b"".join(texts)


def figures(where: str, params: dict, at: datetime, write: Callable[[Price], str]) -> list[dict]:
    """Return each priced kind of public connector with its tariff and written figures."""
    return priced_kinds(
        where, params, at, lambda price: {"tariff_id": price.tariff_id, "figures": write(price)}
    )


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
