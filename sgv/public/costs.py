"""What a charge costs now at each public connector of one installation (issue #19).

Connectors come from the `public_connectors` view (sgv/public/rules.py), so a CPO whose
live data is hidden shows no cost, like no price; a staging instance shows none. Each
connector's tariff is the one prices.py chooses and shows (`choose_tariff`,
`publishable`); session_cost.py prices the session on it.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import text

from sgv.extensions import db
from sgv.public.prices import choose_tariff, publishable, tariffs_of
from sgv.public.rules import published
from sgv.public.session_cost import Cost, Session, session_cost, typical_session

# Distinct (tariff, zone, voltage, session) a request prices at most: one costs up to tens
# of milliseconds with a hostile tariff (docs/security.md); a real site needs two or three.
MAX_PRICED = 8


@dataclass(frozen=True)
class ConnectorCost:
    """The cost of one session at one public connector."""

    charge_point: str  # the charge point's reference (its EVSE-ID when it has one)
    standard: str
    power_kw: Decimal | None
    session: Session
    cost: Cost
    typical: Session  # the connector's default session (AC or DC)


CONNECTORS = text("""
    SELECT cp.evse_ref, c.party_fk, c.standard, c.power_kw, c.tariff_ids, c.time_zone,
           k.power_type, k.max_voltage, p.version
    FROM public_connectors c
    JOIN connectors k ON k.id = c.connector_pk
    JOIN charge_points cp ON cp.id = c.charge_point_id
    JOIN parties p ON p.id = c.party_fk
    WHERE c.installation_id = :id
    ORDER BY c.charge_point_id, c.position
""")


@published(list)
def session_costs(
    installation_id: str,
    kwh: Decimal | None = None,
    minutes: int | None = None,
    *,
    at: datetime | None = None,
) -> list[ConnectorCost]:
    """Return the cost of a session starting now at each public connector with a priced
    tariff; `kwh` or `minutes` left out take the connector's default (AC or DC). Past
    MAX_PRICED distinct tariffs, zones, voltages and sessions, connectors get no cost."""
    at = at or datetime.now(UTC)
    rows = db.session.execute(CONNECTORS, {"id": installation_id}).all()
    known = tariffs_of({row.party_fk for row in rows})
    found, memo = [], {}
    for row in rows:
        typical = typical_session(row.power_type, row.standard)
        session = Session(
            typical.kwh if kwh is None else kwh, typical.minutes if minutes is None else minutes
        )
        key = (row.party_fk, tuple(row.tariff_ids or ()), row.time_zone, row.max_voltage, session)
        if key not in memo and len(memo) < MAX_PRICED:  # connectors mostly share a tariff
            mine = known.get(row.party_fk, {})
            tariffs = [mine[t.lower()] for t in key[1] if t.lower() in mine]
            tariff = choose_tariff(tariffs, at=at)
            memo[key] = None
            if tariff is not None and publishable(tariff):
                memo[key] = session_cost(
                    tariff,
                    session,
                    at=at,
                    time_zone=row.time_zone,
                    volts=row.max_voltage,
                    ocpi_version=row.version,
                )
        if memo.get(key) is not None:
            found.append(
                ConnectorCost(row.evse_ref, row.standard, row.power_kw, session, memo[key], typical)
            )
    return found
