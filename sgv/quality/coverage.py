"""Coverage of the live-data obligation (SPEC §4, Orden TED/445/2023).

Per RIPREE operator: its charge points of 43 kW or more (in installations not retired),
how many have live data, and which do not — operators that never integrated included,
since those are exactly the ones the obligation is about.
"""

from typing import Any

from sqlalchemy import and_, func

from sgv.extensions import db
from sgv.models import ChargePoint, Installation, Party
from sgv.public import has_live_data

OBLIGED_KW = 43  # Orden TED/445/2023: charge points of 43 kW or more send live data
INTEGRATED_STATES = ("registered", "live", "revoked")  # an OCPI connection exists
LISTED = 50  # charge points without live data listed per operator; all are counted


def obliged(country_code: str | None, party_id: str | None) -> list[Any]:
    """Return the conditions selecting obliged charge points, of one operator if named."""
    conditions = [Installation.retired_at.is_(None), ChargePoint.max_power_kw >= OBLIGED_KW]
    if party_id is not None:
        conditions += [
            Installation.country_code == (country_code or "").upper(),
            Installation.party_id == party_id.upper(),
        ]
    return conditions


def coverage(country_code: str | None = None, party_id: str | None = None) -> list[dict]:
    """Return, per RIPREE operator, its obliged charge points and those without live data."""
    live = has_live_data(ChargePoint.id)
    rows = db.session.execute(
        db.select(
            Installation.country_code,
            Installation.party_id,
            func.min(Installation.operator_name),
            func.count(ChargePoint.id),
            func.count(ChargePoint.id).filter(live),
            func.min(Party.state),
        )
        .join(Installation, ChargePoint.installation_id == Installation.id)
        .outerjoin(
            Party,
            and_(
                Party.country_code == Installation.country_code,
                Party.party_id == Installation.party_id,
            ),
        )
        .where(*obliged(country_code, party_id))
        .group_by(Installation.country_code, Installation.party_id)
        .order_by(Installation.country_code, Installation.party_id)
    )
    result = []
    for cc, pid, name, total, covered, state in rows:
        result.append(
            {
                "country_code": cc,
                "party_id": pid,
                "operator_name": name,
                "cpo_state": state,  # None: the operator never started an integration
                "integrated": state in INTEGRATED_STATES,
                "obliged_charge_points": total,
                "with_live_data": covered,
                "without_live_data": total - covered,
                "without_live_data_refs": uncovered(cc, pid, LISTED),
            }
        )
    return result


def uncovered(country_code: str, party_id: str, limit: int | None = None) -> list[dict]:
    """List an operator's obliged charge points without live data (installation, evse_ref)."""
    query = (
        db.select(ChargePoint.installation_id, ChargePoint.evse_ref, ChargePoint.max_power_kw)
        .join(Installation, ChargePoint.installation_id == Installation.id)
        .where(*obliged(country_code, party_id), ~has_live_data(ChargePoint.id))
        .order_by(ChargePoint.installation_id, ChargePoint.evse_ref)
        .limit(limit)
    )
    return [
        {"installation_id": i, "evse_ref": ref, "max_power_kw": float(kw)}
        for i, ref, kw in db.session.execute(query)
    ]


def obliged_charge_points(party: Party) -> int:
    """Count the CPO's RIPREE charge points that oblige it to send live data (SPEC §4)."""
    return db.session.scalar(
        db.select(db.func.count(ChargePoint.id))
        .join(Installation, ChargePoint.installation_id == Installation.id)
        .where(*obliged(party.country_code, party.party_id))
    )
