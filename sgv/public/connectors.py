"""The OCPI static details of public connectors: format, current, voltage and amperage.

Read from the `public_connectors` view (sgv/public/rules.py holds the rules), joined to
the connector rows for the columns the view does not carry; the DATEX II table
(sgv/datex2/table.py) shows them where RIPREE has only a charge point's power and types.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
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
