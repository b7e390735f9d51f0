"""The kinds of public connector an export prices, handed to its statement (SPEC §8, #18).

A connector's price depends on its CPO, tariffs, zone and power (prices.Pricer). The bulk
statements (sgv/public/documents.py, rows.py) price each kind of the selection once in
Python and hand the figures in as a JSON array of records, which PostgreSQL joins on those
four columns. A text key written per connector instead (format() of an array and a
number on each of 54,000 connectors) cost a third of the kinds query and of the join
(docs/performance.md).
"""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import text

from sgv.extensions import db
from sgv.public.prices import Pricer
from sgv.public.tariffs import Price


# Every kind of connector the selection's public EVSEs may have: those of every candidate
# (rules.py), a superset read without choosing the newest EVSE, is only priced, never shown.
def kind_columns(zone: str) -> str:
    """SQL: the power and zone of connector `k` at installation `i`, whose location's zone
    is `zone`: with the CPO and `k.tariff_ids`, what its price depends on."""
    return f"""public_power_kw(k.max_electric_power, k.max_voltage, k.max_amperage, k.power_type)
           AS power_kw,
       public_time_zone({zone}, i.geom) AS time_zone"""


CANDIDATE_KINDS = f"""
SELECT v.party_fk, k.tariff_ids, {kind_columns("v.location_time_zone")}
FROM public_evse_candidates v JOIN connectors k ON k.evse_fk = v.evse_pk
JOIN installations i ON i.id = v.installation_id WHERE {{where}}
"""
DISTINCT_KINDS = f"""
SELECT DISTINCT c.party_fk, c.tariff_ids, c.time_zone, c.power_kw FROM ({CANDIDATE_KINDS}) c
"""

# A connector `c` of a public view and its kind's figures `k` (a power unknown: -1, which
# no pushed power is).
MATCH = """k.party_fk = c.party_fk AND k.tariff_ids = c.tariff_ids
    AND k.time_zone = c.time_zone AND COALESCE(k.power_kw, -1) = COALESCE(c.power_kw, -1)"""


def handed(figures: str, shown: str) -> str:
    """SQL: the kinds handed in as :prices with their `figures` (name type, …), selecting
    the kind's columns and `shown` (SQL over the figures)."""
    return f"""SELECT k.party_fk, k.tariff_ids, k.time_zone, k.power_kw, {shown}
        FROM jsonb_to_recordset(CAST(:prices AS jsonb)) AS k(
            party_fk int, tariff_ids varchar[], time_zone text, power_kw numeric, {figures})"""


def priced_kinds(
    where: str, params: dict, at: datetime, figures: Callable[[Price], dict]
) -> list[dict]:
    """Return each kind of connector of the selection that has a price, with its `figures`.

    Numbers travel as text, so PostgreSQL's numeric holds exactly the Decimal.
    """
    kinds = db.session.execute(text(DISTINCT_KINDS.replace("{where}", where)), params).all()
    pricer = Pricer({party_fk for party_fk, *_ in kinds}, at)
    found = []
    for party_fk, tariff_ids, time_zone, power_kw in kinds:
        price = pricer.price(party_fk, tariff_ids, time_zone, power_kw)
        if price is not None:
            power = None if power_kw is None else str(power_kw)
            kind = {"party_fk": party_fk, "tariff_ids": tariff_ids, "time_zone": time_zone}
            found.append({**kind, "power_kw": power, **figures(price)})
    return found
