"""The OCPI static details of public connectors: format, current, voltage and amperage,
and the tariffs they name (the rates DATEX II status updates refer to).

Read from the `public_connectors` view (sgv/public/rules.py holds the rules), joined to
the connector rows for the columns the view does not carry; the DATEX II table
(sgv/datex2/table.py) shows them where RIPREE has only a charge point's power and types.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import text

from sgv.extensions import db
from sgv.public.rules import published


@dataclass(frozen=True)
class ConnectorDetails:
    """One public connector as its CPO describes it (OCPI 2.2.1 enumerations)."""

    standard: str
    format: str | None
    power_type: str | None
    max_voltage: int | None
    max_amperage: int | None
    power_kw: Decimal | None


@published(dict)
def connector_details(charge_point_ids: Iterable[int]) -> dict[int, list[ConnectorDetails]]:
    """Return, per charge point with a public EVSE, its connectors in the CPO's order."""
    rows = db.session.execute(
        text("""
        SELECT c.charge_point_id, c.standard, k.format, k.power_type, k.max_voltage,
               k.max_amperage, c.power_kw
        FROM public_connectors c JOIN connectors k ON k.id = c.connector_pk
        WHERE c.charge_point_id = ANY(:ids)
        ORDER BY c.charge_point_id, c.position
    """),
        {"ids": list(charge_point_ids)},
    ).all()
    found: dict[int, list[ConnectorDetails]] = defaultdict(list)
    for row in rows:
        found[row.charge_point_id].append(ConnectorDetails(*row[1:]))
    return dict(found)


@dataclass(frozen=True)
class Rate:
    """A tariff that a public connector names and its CPO has pushed."""

    tariff_id: str
    currency: str
    last_updated: datetime


@published(dict)
def connector_rates(charge_point_ids: Iterable[int]) -> dict[int, list[Rate]]:
    """Return, per charge point with a public EVSE, the tariffs its connectors name, by id.

    Every tariff named, not only the one that applies now: which applies changes with the
    time of day, and the DATEX II table that defines them changes only with the data.
    """
    rows = db.session.execute(
        text("""
        SELECT DISTINCT c.charge_point_id, t.tariff_id, t.currency, t.last_updated
        FROM public_connectors c CROSS JOIN LATERAL unnest(c.tariff_ids) AS named(id)
        JOIN tariffs t ON t.party_fk = c.party_fk AND lower(t.tariff_id) = lower(named.id)
        WHERE c.charge_point_id = ANY(:ids)
        ORDER BY c.charge_point_id, t.tariff_id
    """),
        {"ids": list(charge_point_ids)},
    ).all()
    found: dict[int, list[Rate]] = defaultdict(list)
    for row in rows:
        found[row.charge_point_id].append(Rate(*row[1:]))
    return dict(found)
