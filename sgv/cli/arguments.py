"""Arguments every CPO command shares: the operator's name and COUNTRY PARTY."""

import getpass
import re

from sgv.cli.output import fail
from sgv.models import Party
from sgv.parties.lifecycle import find_party


def operator() -> str:
    """Name the operator running the command, for the audit log."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "operator"


def party_identity(country: str, party: str, as_json: bool) -> tuple[str, str]:
    """Validate COUNTRY PARTY arguments (ES IBD) and return them upper-cased."""
    if not re.fullmatch(r"[A-Za-z]{2}", country):
        fail(f"COUNTRY must be two letters (e.g. ES), not {country!r}", as_json, 2)
    if not re.fullmatch(r"[A-Za-z0-9]{3}", party):
        fail(f"PARTY must be three letters or digits (e.g. IBD), not {party!r}", as_json, 2)
    return country.upper(), party.upper()


def existing_party(country: str, party: str, as_json: bool) -> Party:
    """Return the admitted CPO or stop with a one-line error."""
    country, party = party_identity(country, party, as_json)
    found = find_party(country, party)
    if found is None:
        fail(f"no CPO {country}*{party}: add it first with `flask sgv cpo add`", as_json)
    return found
