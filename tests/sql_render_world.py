"""A demo-like world full of edge cases, for tests that compare a set-based SQL rendering
with the Python one it replaced (issue #18: /map/live.json, installations.csv, status.json).

The demo register with Iberdrola live at Valdemoro (two EVSEs, tariff T1) under a
maintenance window (UNKNOWN), plus: a Canary site of CPO ABC with a night tariff, a
connector powered by volts × amps, a missing tariff and two EVSEs on one charge point; a
site of a revoked CPO and a hidden location (`publish: false`), which show nothing; a
retired installation that had live data; a price of exactly 1 €/kWh and one with many
decimals; hostile text (formula, quotes, control characters, non-ASCII) in the register.
"""

from flask import current_app

from sgv.extensions import db
from sgv.registry import import_register
from tests.ocpi_helpers import headers
from tests.public_helpers import TARIFF, add_installation, live_cpo, location_body
from tests.test_opendata import DEMO, NIGHT_TARIFF, SITE, edge_rows, go_live, run_cli

VALDEMORO = SITE
HOSTILE_NAME = '=HYPERLINK("http://x","ñ")\t"quoted", \x01 \u2028 <b>'


def put(client, token: str, path: str, body: dict) -> None:
    response = client.put(path, json=body, headers=headers(token))
    assert response.status_code in (200, 201), response.json


def build(app, client) -> str:
    """Load the demo register and every edge case above, committed through the real paths;
    return CPO ABC's token."""
    import_register(DEMO)
    db.session.commit()
    go_live(client)
    add_installation("INST1", lat="28.1", lon="-15.4", name=HOSTILE_NAME)  # Atlantic/Canary
    token = live_cpo(client)
    night = NIGHT_TARIFF | {"party_id": "ABC"}
    put(client, token, "/api/2.2.1/tariffs/ES/ABC/T1", night)
    one_euro = {**TARIFF, "party_id": "ABC", "id": "T2"}
    one_euro["elements"] = [{"price_components": [{"type": "ENERGY", "price": 1, "step_size": 1}]}]
    put(client, token, "/api/2.2.1/tariffs/ES/ABC/T2", one_euro)
    for site, party in (("INST2", "ABC"), ("INST3", "XYZ"), ("INST4", "ABC"), ("INST5", "ABC")):
        refs = ((f"ES*{party}*{site}A", 50, "CHADEMO"), (f"ES*{party}*{site}B", 7, "IEC_62196_T2"))
        add_installation(site, party_id=party, refs=refs, name=f"-{site} @sum(1)")
    db.session.commit()
    for site in ("INST2", "INST4", "INST5"):
        body = location_body(site)
        for n, evse in enumerate(body["evses"]):
            evse["evse_id"] = f"ES*ABC*{site}{'AB'[n]}"
            evse["connectors"][0]["tariff_ids"] = ["T2"] if site == "INST2" else ["T1", "T2"]
        if site == "INST4":
            body["publish"] = False  # hidden: no live data anywhere
        put(client, token, f"/api/2.2.1/locations/ES/ABC/{site}", body)
    revoked = live_cpo(client, party_id="XYZ", location_id="INST3")
    assert revoked
    run_cli(app, "cpo", "revoke", "ES", "XYZ", "--reason", "stale data")
    edge_rows(app)
    for statement in (
        "UPDATE tariffs SET data = jsonb_set(data, '{elements,1,price_components,0,price}', "
        "'0.123456789012') WHERE tariff_id = 'T1' AND party_id = 'ABC'",
        "UPDATE installations SET retired_at = now() WHERE id = 'INST5'",
    ):
        db.session.execute(db.text(statement))
    db.session.commit()
    return token


def seed() -> None:
    """build() in the current app (conftest.module_world's seed)."""
    build(current_app, current_app.test_client())
