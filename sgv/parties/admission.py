"""Admitting CPOs and what the operator weighs about them (SPEC §4, §6): RIPREE, obligation."""

from sgv.extensions import db
from sgv.models import Installation, Party
from sgv.parties.lifecycle import audit


def listed_in_register(country_code: str, party_id: str) -> bool:
    """Say whether RIPREE lists an installation (not retired) of this operator."""
    found = db.session.scalar(
        db.select(Installation.id)
        .where(
            Installation.country_code == country_code.upper(),
            Installation.party_id == party_id.upper(),
            Installation.retired_at.is_(None),
        )
        .limit(1)
    )
    return found is not None


def admit(
    country_code: str,
    party_id: str,
    *,
    name: str,
    actor: str,
    tax_id: str | None = None,
    phone: str | None = None,
    website: str | None = None,
) -> Party:
    """Create a CPO in state `created`, audited (its phone is public at once)."""
    party = Party(
        country_code=country_code.upper(),
        party_id=party_id.upper(),
        name=name,
        tax_id=tax_id,
        phone=phone,
        website=website,
        state="created",
        endpoints={},
        roles=[],
    )
    db.session.add(party)
    db.session.flush()
    audit(party, "add", actor=actor, to_state="created")
    return party


def roster() -> list[Party]:
    """Return every CPO, by country and party id."""
    return list(db.session.scalars(db.select(Party).order_by(Party.country_code, Party.party_id)))
