"""The map's live summary, built set-wise by PostgreSQL (SPEC §4, §8; issue #18).

Per installation with public live data: its free, live and UNKNOWN charge points and its
"price from". Two parts, because they change at different rates:

- `evse_prices()`: each EVSE's lowest €/kWh ex VAT, whether public or not. One statement
  groups the connectors by kind (CPO, tariffs, zone, power: what prices.Pricer depends
  on); each kind is priced once, in Python. It depends on the priced data version, not
  on statuses, so a stream of status pushes reuses it (sgv/maps/documents.py keeps it until
  a price may change).
- `live_columns()`: one statement reads the public EVSEs (sgv/public/rules.py holds the
  rules; one per charge point, hence one status) at that moment, counts them per
  installation with the lowest of their EVSEs' prices (passed in as two arrays), and
  writes the document's arrays in the map's order: Python only joins them.

Building every live installation in Python instead (public.installations()) cost about
2 s at Spain's 13,600 live sites; tests/test_map_live_sql.py checks that both agree byte
for byte.
"""

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import text

from sgv.extensions import db
from sgv.public.kinds import kind_columns
from sgv.public.prices import Pricer
from sgv.public.rules import published, selection
from sgv.public.streaming import prepare

# Every EVSE of a live CPO at a matched location, public or not: which of a charge point's
# EVSEs is public, and whether it is REMOVED, changes with pushes that leave prices alone.
KINDS = f"""
SELECT l.party_fk, k.tariff_ids, {kind_columns("l.time_zone")},
       string_agg(e.id::text, ',') AS evses
FROM evses e
JOIN locations l ON l.id = e.location_fk
JOIN public_parties p ON p.id = l.party_fk
JOIN installations i ON i.id = l.installation_id
JOIN connectors k ON k.evse_fk = e.id AND k.tariff_ids <> '{{}}'
GROUP BY 1, 2, 3, 4
"""

# The live document's arrays (sgv/maps/data.py), as JSON text, in the order of the map's
# sites (`order`, a JSON array: json.dumps is quicker than quoting an array literal): one
# entry per installation with public live data. A charge point has one public EVSE, hence
# one status. A price is a float8, written shortest and exact: as Python's json writes the
# float of the Decimal (≤ 100 €/kWh, sgv/ocpi/schemas/bounds.py, so an integral price is
# written as an integer by both; both round the Decimal's text to the nearest double).
SUMMARY = """
WITH site AS (
    SELECT e.installation_id,
           count(*) FILTER (WHERE e.status = 'AVAILABLE') AS available,
           count(*) AS live,
           count(*) FILTER (WHERE e.status = 'UNKNOWN') AS unknown,
           min(p.energy) AS price_from
    FROM public_evses e
    JOIN installations i ON i.id = e.installation_id AND {where}
    LEFT JOIN unnest(CAST(CAST(:evses AS text) AS int[]),
                     CAST(CAST(:energy AS text) AS float8[])) AS p (evse_pk, energy)
           ON p.evse_pk = e.evse_pk
    GROUP BY e.installation_id)
SELECT '[' || coalesce(string_agg((o.n - 1)::text, ',' ORDER BY o.n), '') || ']',
       '[' || coalesce(string_agg(s.available::text, ',' ORDER BY o.n), '') || ']',
       '[' || coalesce(string_agg(s.live::text, ',' ORDER BY o.n), '') || ']',
       '[' || coalesce(string_agg(s.unknown::text, ',' ORDER BY o.n), '') || ']',
       '[' || coalesce(string_agg(coalesce(s.price_from::text, 'null'), ','
                                  ORDER BY o.n), '') || ']'
FROM site s
JOIN json_array_elements_text(CAST(:order AS json)) WITH ORDINALITY AS o (id, n)
  ON o.id = s.installation_id
"""


class EvsePrices(NamedTuple):
    """Each priced EVSE's lowest €/kWh ex VAT, as two PostgreSQL array literals (passed as
    text: adapting 45,000 numbers one by one cost the client ~50 ms), and until when."""

    evses: str
    energy: str
    valid_until: datetime | None  # the first moment a price may change (None: never)


class LiveColumns(NamedTuple):
    """The live document's arrays as JSON text: sites by position in the map's order, and
    their free, live and UNKNOWN charge points and price from (null: none)."""

    site: str
    available: str
    live: str
    unknown: str
    price_from: str


NOTHING_LIVE = LiveColumns("[]", "[]", "[]", "[]", "[]")


def evse_prices(at: datetime | None = None) -> EvsePrices:
    """Return every EVSE's lowest €/kWh ex VAT at `at` (default: now)."""
    moment = at or datetime.now(UTC)
    prepare()  # the statement's hashes in memory, no JIT (sgv/public/streaming.py)
    # Grouped by hashing: PostgreSQL expects every connector to be a kind of its own
    # (54,000 groups, not 1,250) and would sort them all (~30 % slower).
    db.session.execute(text("SET LOCAL enable_sort = off"))
    kinds = db.session.execute(text(KINDS)).all()
    db.session.execute(text("SET LOCAL enable_sort TO DEFAULT"))
    pricer = Pricer({party_fk for party_fk, *_ in kinds}, moment)
    lowest: dict[str, Decimal] = {}  # by EVSE id, as text
    for party_fk, tariff_ids, power_kw, time_zone, evses in kinds:
        price = pricer.price(party_fk, tariff_ids, time_zone, power_kw)
        energy = None if price is None else price.energy_excl_vat
        if energy is None:
            continue
        for evse in evses.split(","):
            if evse not in lowest or energy < lowest[evse]:
                lowest[evse] = energy
    return EvsePrices(
        "{" + ",".join(lowest) + "}",
        "{" + ",".join(map(str, lowest.values())) + "}",
        pricer.until,  # a tariff's time, day or date restriction or validity flips
    )


@published(lambda: NOTHING_LIVE)
def live_columns(
    order: Sequence[str],
    at: datetime | None = None,
    *,
    trucks: bool = False,
    prices: EvsePrices | None = None,
) -> LiveColumns:
    """Return the live document's arrays for the sites `order` lists (the map's sites, in
    their order): each one's availability and price from, where it has live data
    (`trucks`: only sites with parking suitable for trucks, OCPI 2.3.0).

    Changes with every push (the dynamic data version) and as prices change with time.
    `prices`: evse_prices() at `at`, when the caller kept them.
    """
    if prices is None:
        prices = evse_prices(at)
    where, params = selection(None, None, None, trucks)
    prepare()
    bound = {"evses": prices.evses, "energy": prices.energy, "order": json.dumps(order)}
    row = db.session.execute(text(SUMMARY.replace("{where}", where)), params | bound).one()
    return LiveColumns(*row)
