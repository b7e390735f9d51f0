"""Apply CPO pushes to tariffs (SPEC §3, tariffs): PUT, PATCH (every version), DELETE."""

from sgv.core.dataversion import DYNAMIC, touch
from sgv.core.refusals import Kind, Refused
from sgv.extensions import db
from sgv.ingest.rules import Outcome, find_owned, merged, same_id, stale, without
from sgv.models import Party, Tariff


def find_tariff(party: Party, tariff_id: str, *, lock: bool = False) -> Tariff | None:
    """Return the party's tariff with this id (case-insensitive), locked if asked."""
    return find_owned(Tariff, Tariff.tariff_id, party, tariff_id, lock=lock)


def require_tariff(party: Party, tariff_id: str, *, lock: bool = False) -> Tariff:
    """Return the tariff or refuse it as unknown (SPEC §3: 404/2000)."""
    tariff = find_tariff(party, tariff_id, lock=lock)
    if tariff is None:
        raise Refused(Kind.UNKNOWN_TARIFF, f"Unknown tariff '{tariff_id}'")
    return tariff


def apply_tariff(tariff: Tariff, raw: dict, data: dict, partial: bool) -> None:
    """Write a tariff's fields; the raw object keeps everything the CPO sent."""
    if not partial or "currency" in data:
        tariff.currency = data.get("currency")
    if not partial or "type" in data:
        tariff.type = data.get("type")
    if not partial or "tax_included" in data:  # OCPI 2.3.0 only: None before (v221.Wire)
        tariff.tax_included = data.get("tax_included")
    if "last_updated" in data:
        tariff.last_updated = data["last_updated"]
    tariff.data = merged(tariff.data, raw) if partial else without(raw)


def put_tariff(party: Party, tariff_id: str, raw: dict, data: dict, warnings: list[str]) -> Outcome:
    """Create or replace a tariff."""
    same_id("id", data.get("id"), tariff_id)
    tariff = find_tariff(party, tariff_id, lock=True)
    if tariff is not None and stale(data["last_updated"], tariff.last_updated):
        return Outcome.STALE
    outcome = Outcome.UPDATED
    if tariff is None:
        outcome = Outcome.CREATED
        tariff = Tariff(
            party_fk=party.id,
            country_code=party.country_code,
            party_id=party.party_id,
            tariff_id=tariff_id,
            data={},
        )
        db.session.add(tariff)
    apply_tariff(tariff, raw, data, partial=False)
    tariff.warnings = warnings
    db.session.flush()
    touch(DYNAMIC)
    return outcome


def patch_tariff(party: Party, tariff_id: str, raw: dict, data: dict) -> Outcome:
    """Merge a partial tariff update unless it is older than the stored tariff."""
    same_id("id", data.get("id"), tariff_id)
    tariff = require_tariff(party, tariff_id, lock=True)
    if stale(data["last_updated"], tariff.last_updated):
        return Outcome.STALE
    apply_tariff(tariff, raw, data, partial=True)
    db.session.flush()
    touch(DYNAMIC)
    return Outcome.UPDATED


def delete_tariff(party: Party, tariff_id: str) -> None:
    """Delete a tariff; an unknown one gets 405, as the real SGV answers."""
    tariff = find_tariff(party, tariff_id, lock=True)
    if tariff is None:
        raise Refused(Kind.NOTHING_TO_DELETE, f"Unknown tariff '{tariff_id}': nothing to delete")
    db.session.delete(tariff)
    db.session.flush()
    touch(DYNAMIC)
