"""Helpers for data-quality tests: a live CPO connected to a CpoServer, objects, pushes."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sgv.extensions import db
from sgv.models import ChargePoint, CheckRun, Evse, Installation, Location, Party, Tariff
from sgv.quality.check import check_party
from tests.cpo_server import CpoServer
from tests.ocpi_helpers import example, headers, make_party


def stamp(moment: datetime | None = None, *, seconds: float = 0) -> str:
    """Return an OCPI DateTime for a moment (default now) shifted by some seconds."""
    moment = (moment or datetime.now(UTC)) + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def connect(cpo: CpoServer, state: str = "live", **fields: object) -> tuple[Party, str]:
    """Create ES*CPO holding a TOKEN_C, connected to the CPO server's Sender interfaces."""
    party, token = make_party("ES", "CPO", state=state)
    party.token_b = cpo.token
    party.token_b_encoding = "base64"
    party.versions_url = cpo.versions_url
    party.endpoints = {m: {"SENDER": cpo.endpoint_url(m)} for m in cpo.modules}
    for name, value in fields.items():
        setattr(party, name, value)
    db.session.commit()
    return party, token


def location(number: int, last_updated: str | None = None, **evse_status: str) -> dict:
    """Return the official Location example as ES*CPO's LOC<number>, all times equal."""
    body = example("2.2.1", "location_example")
    moment = last_updated or stamp()
    body |= {"country_code": "ES", "party_id": "CPO", "id": f"LOC{number}", "last_updated": moment}
    for evse in body["evses"]:
        evse["evse_id"] = f"ES*CPO*E{number}{evse['uid']}"
        evse["status"] = evse_status.get(f"uid{evse['uid']}", evse["status"])
        evse["last_updated"] = moment
        for connector in evse["connectors"]:
            connector["last_updated"] = moment
    return body


def tariff(number: int, last_updated: str | None = None, price: float = 2.0) -> dict:
    """Return an official Tariff example as ES*CPO's TAR<number>."""
    body = example("2.2.1", "tariff_1_simple_2hour")
    body |= {"country_code": "ES", "party_id": "CPO", "id": f"TAR{number}"}
    body["last_updated"] = last_updated or stamp()
    body["elements"][0]["price_components"][0]["price"] = price
    return body


def push_location(client, token: str, body: dict):
    """PUT a Location through the OCPI API, as the CPO would."""
    path = f"/api/2.2.1/locations/ES/CPO/{body['id']}"
    return client.put(path, json=body, headers=headers(token))


def push_tariff(client, token: str, body: dict):
    """PUT a Tariff through the OCPI API, as the CPO would."""
    path = f"/api/2.2.1/tariffs/ES/CPO/{body['id']}"
    return client.put(path, json=body, headers=headers(token))


def check(party: Party) -> CheckRun:
    """Run one check of the party and return its CheckRun with the party re-read."""
    run = check_party(party)
    db.session.expire_all()
    return run


def stored_evse(location_id: str, uid: str) -> Evse:
    """Return a stored EVSE of ES*CPO."""
    return db.session.scalars(
        db.select(Evse).join(Location).where(Location.location_id == location_id, Evse.uid == uid)
    ).one()


def stored_tariff_ids() -> list[str]:
    """Return the ids of the stored tariffs."""
    return sorted(db.session.scalars(db.select(Tariff.tariff_id)))


def installation(
    installation_id: str, party_id: str, *powers: float, operator: str | None = None
) -> list[ChargePoint]:
    """Add a RIPREE installation of ES*<party_id> with one charge point per power (kW)."""
    site = Installation(
        id=installation_id,
        operator_name=operator or f"Operador {party_id}",
        country_code="ES",
        party_id=party_id,
        name=f"Sitio {installation_id}",
        address="Calle Mayor 1",
        postal_code="28013",
        municipality="Madrid",
        province="Madrid",
        geom="SRID=4326;POINT(-3.7 40.4)",
        access="public",
    )
    site.charge_points = [
        ChargePoint(
            evse_ref=f"ES*{party_id}*{installation_id}{n}",
            max_power_kw=Decimal(str(kw)),
            connector_types=["IEC_62196_T2_COMBO"],
        )
        for n, kw in enumerate(powers, start=1)
    ]
    db.session.add(site)
    db.session.commit()
    return site.charge_points
