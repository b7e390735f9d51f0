"""The world of tests/test_doors.py and the writes that change it.

A small RIPREE register (INST1 and INST2 of ES*ABC, INST3 of ES*NEW, which has not
integrated yet); ES*ABC integrated over OCPI for real (TOKEN_A, credentials POST to the
platform, which calls the CPO server back), approved, with location INST1 (two EVSEs)
and tariff T1 (an ENERGY price) that both connectors refer to.

Every write goes where a real one comes from: OCPI requests to gunicorn, operator
commands through the CLI on the same database (in this process: another host, as far as
gunicorn's workers can tell), a token expiry as a committed UPDATE.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from flask import Flask

from sgv.extensions import db
from sgv.parties.lifecycle import find_party, transition
from sgv.parties.maintenance import add_window
from tests.cpo_server import SENDER_MODULES, CpoServer
from tests.ocpi_helpers import headers, make_created_party, send
from tests.public_helpers import TARIFF, location_body
from tests.ripree_helpers import MADRID, imported, write_csv

LOCATION = "/api/2.2.1/locations/ES/ABC/INST1"
LATER = "2025-06-01T10:00:00Z"  # newer than everything the world was built with


def rows(name: str, installation_id: str, party_id: str, lat: str, lon: str, *points) -> list:
    site = MADRID | {
        "installation_id": installation_id,
        "party_id": party_id,
        "operator_name": f"Operador {party_id}",
        "name": name,
        "latitude": lat,
        "longitude": lon,
    }
    return [
        site | {"evse_ref": f"ES*{party_id}*{ref}", "max_power_kw": kw, "connector_types": kind}
        for ref, kw, kind in points
    ]


def register(path: Path, inst1: str = "Plaza Mayor", *, inst2: bool = True) -> Path:
    """Write the register: INST1 under the name given; INST2 unless told not to."""
    sites = [
        rows(inst1, "INST1", "ABC", "40.416500", "-3.703500", ("E1", "150", "IEC_62196_T2_COMBO"),
             ("E2", "22", "IEC_62196_T2")),
        rows("Calle de Alcalá", "INST2", "ABC", "40.418889", "-3.696944",
             ("E3", "22", "IEC_62196_T2"), ("E4", "50", "CHADEMO")),
        rows("Gran Vía", "INST3", "NEW", "40.420000", "-3.705000", ("N1", "22", "IEC_62196_T2")),
    ]  # fmt: skip
    if not inst2:
        del sites[1]
    return write_csv(path, [row for site in sites for row in site])


@dataclass
class World:
    """What a write needs: where things run, the CPOs, their tokens."""

    app: Flask
    base_url: str
    database_url: str
    tmp: Path
    abc: CpoServer  # ES*ABC's OCPI server
    new: CpoServer  # ES*NEW's, for its first handshake
    token: str = ""  # ES*ABC's TOKEN_C
    token_a: str = ""  # ES*NEW's TOKEN_A, once created
    window: int = 0  # a maintenance window's id, once declared


def build(world: World) -> None:
    """Import the register, integrate and approve ES*ABC, push its location and tariff."""
    for cpo in (world.abc, world.new):
        cpo.objects = {module: [] for module in SENDER_MODULES}
        cpo.heal()
    imported(register(world.tmp / "register.csv"))
    _, token_a = make_created_party("ES", "ABC")
    client = world.app.test_client()
    answer = client.post(
        "/api/2.2.1/credentials", json=world.abc.credentials("2.2.1"), headers=headers(token_a)
    )
    assert answer.status_code == 200, answer.json
    world.token = answer.json["data"]["token"]
    transition(find_party("ES", "ABC"), "approve", actor="test")
    db.session.commit()
    for path, body in ((LOCATION, location_body()), ("/api/2.2.1/tariffs/ES/ABC/T1", TARIFF)):
        answer = client.put(path, json=body, headers=headers(world.token))
        assert answer.status_code == 201, answer.json


# -- writes -----------------------------------------------------------------------------


def ocpi(world: World, method: str, path: str, body=None, *, token=None, expect=(200, 201)):
    """Send an OCPI request to gunicorn as ES*ABC (or with another token)."""
    status, answer = send(world.base_url, method, path, token or world.token, body)
    assert status in expect, (status, answer)


def sgv(world: World, *args: str) -> dict:
    """Run `flask sgv ARGS --json` on the same database as gunicorn, as another host would."""
    result = world.app.test_cli_runner().invoke(args=["sgv", *args, "--json"])
    assert result.exit_code == 0, (args, result.output, result.exception)
    db.session.expire_all()  # the command changed rows this session may hold
    return json.loads(result.output)


def evse(uid: str, status: str) -> dict:
    """Return ES*ABC's EVSE `uid` of INST1 as a full object, with a new status."""
    body = next(e for e in location_body(when=LATER)["evses"] if e["uid"] == uid)
    return body | {"status": status}


def new_location() -> dict:
    """Return ES*ABC's location at INST2, whose EVSEs are INST2's charge points."""
    body = location_body("INST2", lat="40.418889", lon="-3.696944", when=LATER)
    for number, item in zip((3, 4), body["evses"], strict=True):
        item |= {"uid": f"U{number}", "evse_id": f"ES*ABC*E{number}"}
    return body


def price(value: float) -> list[dict]:
    return [{"price_components": [{"type": "ENERGY", "price": value, "vat": 21.0, "step_size": 1}]}]


def moment(hours: float) -> str:
    """Return now shifted by some hours, as ISO 8601 with an offset."""
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat(timespec="seconds")


def party():
    return find_party("ES", "ABC")


def set_state(state: str) -> None:
    party().state = state
    db.session.commit()


def declare_window(world: World, start: float, end: float) -> None:
    """Declare a maintenance window for ES*ABC from `start` to `end` hours from now."""
    world.window = add_window(party(), moment(start), moment(end), actor="test").id
    db.session.commit()


def create_new(world: World) -> None:
    """Let ES*NEW be created (`cpo add`), holding a TOKEN_A."""
    world.token_a = make_created_party("ES", "NEW")[1]


def expire_token(world: World) -> None:
    """Let ES*ABC's TOKEN_C expire (a committed UPDATE), then push with it: 401."""
    with psycopg.connect(world.database_url) as conn:
        conn.execute(
            "UPDATE parties SET token_c_expires_at = now() - interval '1 minute' "
            "WHERE party_id = 'ABC'"
        )
    status = {"status": "CHARGING", "last_updated": LATER}
    ocpi(world, "PATCH", LOCATION + "/U1", status, expect=(401,))


def serve_changed_location(world: World) -> None:
    """Let ES*ABC's server hold INST1 with a status it never pushed, and T1 as pushed."""
    body = location_body(when=LATER)
    body["evses"][0]["status"] = "CHARGING"
    world.abc.add("locations", body)
    world.abc.add("tariffs", TARIFF)
