"""A small world for public-view tests: one RIPREE site, its CPO, and what the CPO pushed."""

from decimal import Decimal

from sgv.extensions import db
from sgv.models import ChargePoint, Installation
from tests.ocpi_helpers import headers, make_party

LAT, LON = "40.416500", "-3.703500"


def add_installation(
    installation_id: str = "INST1",
    *,
    party_id: str = "ABC",
    lat: str = LAT,
    lon: str = LON,
    name: str = "Plaza Mayor",
    refs: tuple[tuple[str, int, str], ...] = (
        ("ES*ABC*E1", 150, "IEC_62196_T2_COMBO"),
        ("ES*ABC*E2", 22, "IEC_62196_T2"),
    ),
) -> Installation:
    """Register an installation in RIPREE with its charge points."""
    site = Installation(
        id=installation_id,
        operator_name=f"Operador {party_id}",
        country_code="ES",
        party_id=party_id,
        name=name,
        address="Calle Mayor 1",
        postal_code="28013",
        municipality="Madrid",
        province="Madrid",
        geom=f"SRID=4326;POINT({lon} {lat})",
        access="public",
        opening_hours="24/7",
    )
    site.charge_points = [
        ChargePoint(evse_ref=ref, max_power_kw=Decimal(kw), connector_types=[standard])
        for ref, kw, standard in refs
    ]
    db.session.add(site)
    db.session.commit()
    return site


def location_body(
    location_id: str = "INST1",
    *,
    lat: str = LAT,
    lon: str = LON,
    party_id: str = "ABC",
    when: str = "2025-01-01T10:00:00Z",
) -> dict:
    """Return a 2.2.1 Location with two EVSEs whose evse_ids are the RIPREE refs."""

    def evse(n: int, standard: str, power: int) -> dict:
        return {
            "uid": f"U{n}",
            "evse_id": f"ES*{party_id}*E{n}",
            "status": "AVAILABLE",
            "connectors": [
                {
                    "id": "1",
                    "standard": standard,
                    "format": "CABLE",
                    "power_type": "DC",
                    "max_voltage": 500,
                    "max_amperage": power * 2,
                    "max_electric_power": power * 1000,
                    "tariff_ids": ["T1"],
                    "last_updated": when,
                }
            ],
            "last_updated": when,
        }

    return {
        "country_code": "ES",
        "party_id": party_id,
        "id": location_id,
        "publish": True,
        "name": "Plaza Mayor (CPO)",
        "address": "Calle Mayor 1",
        "city": "Madrid",
        "postal_code": "28013",
        "country": "ESP",
        "coordinates": {"latitude": lat, "longitude": lon},
        "time_zone": "Europe/Madrid",
        "evses": [evse(1, "IEC_62196_T2_COMBO", 150), evse(2, "IEC_62196_T2", 22)],
        "last_updated": when,
    }


TARIFF = {
    "country_code": "ES",
    "party_id": "ABC",
    "id": "T1",
    "currency": "EUR",
    "type": "AD_HOC_PAYMENT",
    "elements": [
        {"price_components": [{"type": "ENERGY", "price": 0.45, "vat": 21.0, "step_size": 1}]}
    ],
    "last_updated": "2025-01-01T10:00:00Z",
}


def live_cpo(
    client, *, state: str = "live", party_id: str = "ABC", location_id: str = "INST1"
) -> str:
    """Create the CPO in `state`, push the location and the tariff; return its token."""
    _, token = make_party("ES", party_id, state=state)
    body = location_body(location_id, party_id=party_id)
    response = client.put(
        f"/api/2.2.1/locations/ES/{party_id}/{location_id}", json=body, headers=headers(token)
    )
    assert response.status_code in (200, 201), response.json
    tariff = {**TARIFF, "party_id": party_id}
    response = client.put(
        f"/api/2.2.1/tariffs/ES/{party_id}/T1", json=tariff, headers=headers(token)
    )
    assert response.status_code in (200, 201), response.json
    return token


def push_status(
    client,
    token: str,
    status: str,
    when: str,
    *,
    evse: str = "U1",
    location_id: str = "INST1",
    party_id: str = "ABC",
) -> None:
    """PATCH one EVSE's status through the OCPI API."""
    response = client.patch(
        f"/api/2.2.1/locations/ES/{party_id}/{location_id}/{evse}",
        json={"status": status, "last_updated": when},
        headers=headers(token),
    )
    assert response.status_code == 200, response.json
