"""The map's live summary, built set-wise by PostgreSQL (SPEC §4, §8; issue #18).

Per installation with public live data: its free, live and UNKNOWN charge points and its
"price from". One statement reads the public connectors (sgv/public/rules.py holds the
rules) once and returns two kinds of rows: one per installation with its counts, and one
per kind of connector (CPO, tariffs, zone, power: what prices.Pricer depends on) with the
installations that have it. Each kind is priced once, in Python; an installation's "price
from" is the lowest €/kWh of its kinds. Building every live installation in Python
instead (public.installations()) cost about 2 s at Spain's 13,600 live sites, two
statements that read the connectors twice 0.46 s (docs/performance.md);
tests/test_map_live_sql.py checks that they agree byte for byte.
"""

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import text

from sgv.extensions import db
from sgv.public.prices import Pricer
from sgv.public.rules import published, selection
from sgv.public.streaming import prepare

# `conn`: the public connectors of the installations selection() selects (a retired one
# is not public; `trucks` filters), read once. A charge point has one public EVSE, hence
# one status: its rows are counted once per installation. A kind row lists, once each,
# the installations where a connector of that kind (with tariffs) is public.
SUMMARY = """
WITH conn AS MATERIALIZED (
    SELECT c.installation_id, c.charge_point_id, c.status, c.party_fk, c.tariff_ids,
           c.time_zone, c.power_kw
    FROM public_connectors c JOIN installations i ON i.id = c.installation_id AND {where}),
site_kind AS (
    SELECT DISTINCT installation_id, party_fk, tariff_ids, time_zone, power_kw FROM conn
    WHERE tariff_ids <> '{}'),
site AS (
    SELECT installation_id,
           count(*) FILTER (WHERE status = 'AVAILABLE')::int AS available,
           count(*)::int AS live,
           count(*) FILTER (WHERE status = 'UNKNOWN')::int AS unknown
    FROM (SELECT DISTINCT installation_id, charge_point_id, status FROM conn) point
    GROUP BY installation_id)
SELECT installation_id AS id, available, live, unknown, NULL::varchar[] AS sites,
       NULL::int AS party_fk, NULL::varchar[] AS tariff_ids, NULL::text AS time_zone,
       NULL::numeric AS power_kw
FROM site
UNION ALL
SELECT NULL, NULL, NULL, NULL, array_agg(installation_id), party_fk, tariff_ids, time_zone,
       power_kw
FROM site_kind GROUP BY party_fk, tariff_ids, time_zone, power_kw
"""


@published(dict)
def live_index(at: datetime | None = None, *, trucks: bool = False) -> dict[str, dict]:
    """Return, per installation with live data, its availability and price from, for the map
    (`trucks`: only sites with parking suitable for trucks, OCPI 2.3.0).

    Changes with every push (the dynamic data version) and as prices change with time.
    """
    where, params = selection(None, None, None, trucks)
    prepare()  # the statement's hashes in memory, no JIT (sgv/public/streaming.py)
    rows = db.session.execute(text(SUMMARY.replace("{where}", where)), params).all()
    sites, kinds = {}, []
    for site, available, live, unknown, *kind in rows:  # unpacked: Row attributes cost ~10x
        if site is None:
            kinds.append(kind)
        else:
            sites[site] = {"available": available, "live": live, "unknown": unknown}
    pricer = Pricer({party_fk for _, party_fk, *_ in kinds}, at or datetime.now(UTC))
    cheapest: dict[str, Decimal] = {}
    for where_found, party_fk, tariff_ids, time_zone, power_kw in kinds:
        price = pricer.price(party_fk, tariff_ids, time_zone, power_kw)
        energy = None if price is None else price.energy_excl_vat
        if energy is None:
            continue
        for site in where_found:
            if site not in cheapest or energy < cheapest[site]:
                cheapest[site] = energy
    for site, entry in sites.items():
        entry["price_from"] = cheapest.get(site)
    return sites
