"""The map's live summary, built set-wise by PostgreSQL (SPEC §4, §8; issue #18).

Per installation with public live data: its free, live and UNKNOWN charge points and its
"price from". One statement groups the public views (sgv/public/rules.py) by installation;
prices come from prices.Pricer once per kind of connector, as for the exports
(sgv/public/documents.py), handed in as exact decimals. Building every live
installation in Python instead (public.installations()) cost about 2 s at Spain's
13,600 live sites (docs/performance.md); tests/test_map_live_sql.py checks that the two
agree.
"""

from datetime import UTC, datetime

from psycopg.types.json import Jsonb
from sqlalchemy import text

from sgv.extensions import db
from sgv.public.prices import Pricer
from sgv.public.rules import published, selection

# Every kind of public connector that may carry a price: what prices.Pricer depends on.
# Read from the candidates (rules.py), a superset of the public EVSEs: only priced here.
KINDS = """
SELECT DISTINCT v.party_fk, k.tariff_ids,
       public_time_zone(v.location_time_zone, i.geom) AS time_zone,
       public_power_kw(k.max_electric_power, k.max_voltage, k.max_amperage, k.power_type)
           AS power_kw
FROM public_evse_candidates v JOIN connectors k ON k.evse_fk = v.evse_pk
JOIN installations i ON i.id = v.installation_id
WHERE i.retired_at IS NULL AND k.tariff_ids <> '{}'
"""
# One row per public charge point with its cheapest priced connector, then per site; only
# installations selection() selects (a retired one is not public; `trucks` filters). The
# prices join on their columns (a connector without power: -1, never a pushed power).
SUMMARY = """
WITH price AS MATERIALIZED (
    SELECT * FROM jsonb_to_recordset(CAST(:prices AS jsonb))
        AS k(party_fk int, tariff_ids varchar[], time_zone text, power_kw numeric,
             energy numeric)),
point AS (
    SELECT c.installation_id, c.charge_point_id, c.status, min(k.energy) AS cheapest
    FROM public_connectors c LEFT JOIN price k
      ON k.party_fk = c.party_fk AND k.tariff_ids = c.tariff_ids
     AND k.time_zone = c.time_zone AND coalesce(k.power_kw, -1) = coalesce(c.power_kw, -1)
    GROUP BY c.installation_id, c.charge_point_id, c.status)
SELECT p.installation_id AS id,
       count(*) FILTER (WHERE p.status = 'AVAILABLE')::int AS available,
       count(*)::int AS live,
       count(*) FILTER (WHERE p.status = 'UNKNOWN')::int AS unknown,
       min(p.cheapest) AS price_from
FROM point p JOIN installations i ON i.id = p.installation_id AND {where}
GROUP BY p.installation_id
"""


def energy_prices(at: datetime) -> list[dict]:
    """Return each kind of public connector that has an ex-VAT €/kWh now, with it.

    Decimals travel as text, so PostgreSQL's numeric gives back exactly the Decimal the
    dataclass view would hold (the map writes 1 for 1 €/kWh, 0.39 for 0.39).
    """
    kinds = db.session.execute(text(KINDS)).all()
    pricer = Pricer({kind.party_fk for kind in kinds}, at)
    found = []
    for kind in kinds:
        price = pricer.price(kind.party_fk, kind.tariff_ids, kind.time_zone, kind.power_kw)
        if price is not None and price.energy_excl_vat is not None:
            power = None if kind.power_kw is None else str(kind.power_kw)
            found.append(
                {
                    "party_fk": kind.party_fk,
                    "tariff_ids": kind.tariff_ids,
                    "time_zone": kind.time_zone,
                    "power_kw": power,
                    "energy": str(price.energy_excl_vat),
                }
            )
    return found


@published(dict)
def live_index(at: datetime | None = None, *, trucks: bool = False) -> dict[str, dict]:
    """Return, per installation with live data, its availability and price from, for the map
    (`trucks`: only sites with parking suitable for trucks, OCPI 2.3.0).

    Changes with every push (the dynamic data version) and as prices change with time.
    """
    where, params = selection(None, None, None, trucks)
    params["prices"] = Jsonb(energy_prices(at or datetime.now(UTC)))
    rows = db.session.execute(text(SUMMARY.replace("{where}", where)), params)
    return {
        row.id: {
            "available": row.available,
            "live": row.live,
            "unknown": row.unknown,
            "price_from": row.price_from,
        }
        for row in rows
    }
