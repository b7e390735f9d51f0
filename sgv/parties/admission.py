"""Admitting CPOs and what the operator weighs about them (SPEC §4, §6): RIPREE, obligation."""

import re
from urllib.parse import urlsplit

from sgv.extensions import db
from sgv.models import Installation, Party
from sgv.parties.lifecycle import audit

# A customer-service number as drivers dial it: an optional +, then digits with spaces,
# dashes or parentheses between them (E.164 allows 15 digits; short codes have 3).
PHONE = re.compile(r"\+?[0-9(][0-9 ()-]*\Z")
PHONE_DIGITS = (3, 15)
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class DetailError(ValueError):
    """A CPO detail the operator gave that cannot be stored or shown: which, and why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _fits(field: str, value: str) -> None:
    """Refuse a value longer than its column (sgv/models) or holding control characters."""
    length = Party.__table__.c[field].type.length
    if len(value) > length:
        raise DetailError(field, f"at most {length} characters, not {len(value)}")
    if CONTROL.search(value):
        raise DetailError(field, "control characters (line breaks, tabs …) are not allowed")


def check_details(*, name: str, tax_id: str | None, phone: str | None, website: str | None) -> None:
    """Refuse details that do not fit their columns or are not what they claim to be."""
    if not name.strip():
        raise DetailError("name", "must not be empty")
    _fits("name", name)
    if tax_id is not None:
        _fits("tax_id", tax_id)
    if phone is not None:
        _fits("phone", phone)
        digits = sum(c.isdigit() for c in phone)
        if not PHONE.match(phone) or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
            raise DetailError(
                "phone",
                f"{phone!r} is not a phone number (an optional +, then 3 to 15 digits with "
                "spaces, dashes or parentheses)",
            )
    if website is not None:
        _fits("website", website)
        parts = urlsplit(website)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise DetailError("website", f"{website!r} is not an http:// or https:// URL")


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
    """Create a CPO in state `created`, audited (its phone is public at once).

    Raises DetailError, before anything is written, for a detail that does not fit.
    """
    check_details(name=name, tax_id=tax_id, phone=phone, website=website)
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
