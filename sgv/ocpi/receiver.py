"""The locations and tariffs modules: what a CPO pushes (SPEC §3).

Each write view: authenticate → load the body with the version's schema → apply →
commit once → answer. Any refusal raises Refused before the commit.
"""

from datetime import UTC, datetime

from flask import Response, request

from sgv.core.refusals import Kind, Refused
from sgv.extensions import autocommit_session, db
from sgv.ingest import locations as ingest
from sgv.ingest import lookup
from sgv.ingest import tariffs as ingest_tariffs
from sgv.ingest.fast import fits_one_statement
from sgv.models import Party
from sgv.ocpi import VERSION_RULE
from sgv.ocpi.auth import authenticate
from sgv.ocpi.blueprint import bp
from sgv.ocpi.envelope import ProtocolKind, ocpi_response
from sgv.ocpi.envelope import ocpi_timestamp as timestamp
from sgv.ocpi.payload import json_body, load, peek_json, unprintable
from sgv.ocpi.schemas import load_connector, load_evse, load_location, load_tariff
from sgv.ocpi.status import apply_status
from sgv.ocpi.tokens import candidates

LOCATION = VERSION_RULE + "/locations/<cc>/<pid>/<location_id>"
EVSE = LOCATION + "/<evse_uid>"
CONNECTOR = EVSE + "/<connector_id>"
TARIFF = VERSION_RULE + "/tariffs/<cc>/<pid>/<tariff_id>"
MAX_ID = 39  # the real SGV's limit; OCPI says 36


def module_party(cc: str, pid: str, **ids: str) -> Party:
    """Authenticate with TOKEN_C; refuse URLs of another party (403), bad or overlong ids."""
    party = authenticate(allow_token_a=False)
    for name, value in {"country_code": cc, "party_id": pid, **ids}.items():
        if problem := unprintable(value):  # e.g. %00: PostgreSQL would refuse it
            raise Refused(Kind.INVALID, f"{name} in the URL: {problem}")
    if cc.upper() != party.country_code or pid.upper() != party.party_id:
        raise Refused(
            ProtocolKind.NOT_YOUR_PARTY,
            f"{cc}/{pid} is not your party: you push as {party.country_code}/{party.party_id}",
        )
    for name, value in ids.items():
        if len(value) > MAX_ID:
            raise Refused(Kind.INVALID, f"{name}: longer than {MAX_ID} characters")
    return party


def pushed(loader, cc: str, pid: str, *, partial: bool) -> tuple[dict, dict, list[str]]:
    """Return (raw body, normalised data, warnings) of a push, owner checked against the URL."""
    raw = json_body()
    result = load(loader, raw, partial=partial)
    data = result.data
    if "last_updated" not in data:  # only possible for a 2.1.1 PATCH: stamp the receipt
        now = datetime.now(UTC)
        data["last_updated"] = now
        raw = {**raw, "last_updated": timestamp(now)}
    ingest.same_id("country_code", data.get("country_code"), cc)
    ingest.same_id("party_id", data.get("party_id"), pid)
    return raw, data, result.warnings


def acknowledge(outcome: ingest.Outcome, warnings: list[str] = ()):
    """Commit (the services touched the data versions they changed) and answer (SPEC §3).

    Warnings (unknown values of descriptive enums, kept) go back to the CPO's engineers
    in status_message, so they learn of them without asking the operator.
    """
    db.session.commit()  # a stale push changed nothing, but its transaction holds locks
    return answer(outcome, warnings)


def answer(outcome: ingest.Outcome, warnings: list[str] = ()) -> Response:
    """Answer an applied (or stale) push in the envelope, warnings in status_message."""
    if outcome is ingest.Outcome.STALE:
        return ocpi_response(message="Not applied: last_updated is older than the stored object")
    message = ("Accepted with warnings: " + "; ".join(warnings)) if warnings else None
    return ocpi_response(
        http_status=201 if outcome is ingest.Outcome.CREATED else 200, message=message
    )


@bp.get(LOCATION)
def get_location(cc: str, pid: str, location_id: str):
    """Return a stored Location with its EVSEs, as the CPO pushed it."""
    party = module_party(cc, pid, location_id=location_id)
    return ocpi_response(ingest.location_document(lookup.require_location(party, location_id)))


@bp.put(LOCATION)
def put_location(cc: str, pid: str, location_id: str):
    """Receive a full Location from a CPO."""
    party = module_party(cc, pid, location_id=location_id)
    raw, data, warnings = pushed(load_location, cc, pid, partial=False)
    outcome = ingest.put_location(party, location_id, raw, data, warnings)
    return acknowledge(outcome, warnings=warnings)


@bp.patch(LOCATION)
def patch_location(cc: str, pid: str, location_id: str):
    """Receive a partial Location update."""
    party = module_party(cc, pid, location_id=location_id)
    raw, data, warnings = pushed(load_location, cc, pid, partial=True)
    outcome = ingest.patch_location(party, location_id, raw, data, warnings)
    return acknowledge(outcome, warnings=warnings)


@bp.get(EVSE)
def get_evse(cc: str, pid: str, location_id: str, evse_uid: str):
    """Return a stored EVSE with its connectors."""
    party = module_party(cc, pid, location_id=location_id, evse_uid=evse_uid)
    location = lookup.require_location(party, location_id)
    return ocpi_response(ingest.evse_document(lookup.require_evse(location, evse_uid)))


@bp.put(EVSE)
def put_evse(cc: str, pid: str, location_id: str, evse_uid: str):
    """Receive a full EVSE of a known location."""
    party = module_party(cc, pid, location_id=location_id, evse_uid=evse_uid)
    raw, data, warnings = pushed(load_evse, cc, pid, partial=False)
    outcome = ingest.put_evse(party, location_id, evse_uid, raw, data, warnings)
    return acknowledge(outcome, warnings=warnings)


@bp.patch(EVSE)
def patch_evse(cc: str, pid: str, location_id: str, evse_uid: str):
    """Receive a partial EVSE update, most often a status change."""
    if (answered := status_patch(cc, pid, location_id, evse_uid)) is not None:
        return answered
    if fits_one_statement(peek_json()):
        # The most frequent push is one statement, atomic by itself: without a transaction
        # around it, it costs no BEGIN and COMMIT round trips (docs/performance.md).
        autocommit_session()
    party = module_party(cc, pid, location_id=location_id, evse_uid=evse_uid)
    raw, data, warnings = pushed(load_evse, cc, pid, partial=True)
    outcome = ingest.patch_evse(party, location_id, evse_uid, raw, data, warnings)
    return acknowledge(outcome, warnings=warnings)


def status_patch(cc: str, pid: str, location_id: str, evse_uid: str) -> Response | None:
    """Apply a PATCH of the EVSE's own fields in one statement, token included (status.py).

    Everything that needs no database is checked first; None when the general path must
    answer instead: a refusal there comes in the usual order (401 before 400 …).
    """
    tokens = candidates(request.headers.get("Authorization"))
    ids = (cc, pid, location_id, evse_uid)
    if not tokens or not fits_one_statement(peek_json()) or not plain_ids(*ids):
        return None
    try:
        raw, data, warnings = pushed(load_evse, cc, pid, partial=True)
        ingest.same_id("uid", data.get("uid"), evse_uid)
    except Refused:
        return None
    outcome = apply_status(tokens, cc, pid, location_id, evse_uid, raw, data)
    return None if outcome is None else answer(outcome, warnings)


def plain_ids(cc: str, pid: str, *ids: str) -> bool:
    """Say whether the URL's ids pass module_party's checks (printable, not too long)."""
    return not any(map(unprintable, (cc, pid, *ids))) and all(len(i) <= MAX_ID for i in ids)


@bp.get(CONNECTOR)
def get_connector(cc: str, pid: str, location_id: str, evse_uid: str, connector_id: str):
    """Return a stored connector."""
    party = module_party(
        cc, pid, location_id=location_id, evse_uid=evse_uid, connector_id=connector_id
    )
    evse = lookup.require_evse(lookup.require_location(party, location_id), evse_uid)
    return ocpi_response(dict(lookup.require_connector(evse, connector_id).data))


@bp.put(CONNECTOR)
def put_connector(cc: str, pid: str, location_id: str, evse_uid: str, connector_id: str):
    """Receive a full connector of a known EVSE."""
    party = module_party(
        cc, pid, location_id=location_id, evse_uid=evse_uid, connector_id=connector_id
    )
    raw, data, warnings = pushed(load_connector, cc, pid, partial=False)
    outcome = ingest.put_connector(party, location_id, evse_uid, connector_id, raw, data, warnings)
    return acknowledge(outcome, warnings=warnings)


@bp.patch(CONNECTOR)
def patch_connector(cc: str, pid: str, location_id: str, evse_uid: str, connector_id: str):
    """Receive a partial connector update, e.g. new tariff_ids."""
    party = module_party(
        cc, pid, location_id=location_id, evse_uid=evse_uid, connector_id=connector_id
    )
    raw, data, warnings = pushed(load_connector, cc, pid, partial=True)
    outcome = ingest.patch_connector(
        party, location_id, evse_uid, connector_id, raw, data, warnings
    )
    return acknowledge(outcome, warnings=warnings)


@bp.get(TARIFF)
def get_tariff(cc: str, pid: str, tariff_id: str):
    """Return a stored tariff."""
    party = module_party(cc, pid, tariff_id=tariff_id)
    return ocpi_response(dict(ingest_tariffs.require_tariff(party, tariff_id).data))


@bp.put(TARIFF)
def put_tariff(cc: str, pid: str, tariff_id: str):
    """Receive a full tariff."""
    party = module_party(cc, pid, tariff_id=tariff_id)
    raw, data, warnings = pushed(load_tariff, cc, pid, partial=False)
    outcome = ingest_tariffs.put_tariff(party, tariff_id, raw, data, warnings)
    return acknowledge(outcome, warnings=warnings)


@bp.patch(TARIFF)
def patch_tariff(cc: str, pid: str, tariff_id: str):
    """Receive a partial tariff update (offered in every version, as the real SGV does)."""
    party = module_party(cc, pid, tariff_id=tariff_id)
    raw, data, _ = pushed(load_tariff, cc, pid, partial=True)
    return acknowledge(ingest_tariffs.patch_tariff(party, tariff_id, raw, data))


@bp.delete(TARIFF)
def delete_tariff(cc: str, pid: str, tariff_id: str):
    """Delete a tariff the CPO no longer uses."""
    party = module_party(cc, pid, tariff_id=tariff_id)
    ingest_tariffs.delete_tariff(party, tariff_id)
    db.session.commit()
    return ocpi_response()
