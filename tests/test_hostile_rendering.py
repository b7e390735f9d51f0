"""A bad row already stored (issue #14) loses its own price or power and nothing else: every
public page, map document and export still answers 200 with a parseable body.

The bad rows are written straight into the database, as a row stored before the push
bounds existed (or by any path that bypasses the schemas) would be.
"""

import csv
import gzip
import io
import json

import pytest

from sgv.extensions import db
from tests.ocpi_helpers import headers
from tests.public_helpers import TARIFF, add_installation, live_cpo

E1 = "(SELECT id FROM evses WHERE evse_id = 'ES*ABC*E1')"
BAD_TARIFF = "UPDATE tariffs SET data = jsonb_set(data, '{%s}', '%s') WHERE tariff_id = 'T1'"
ENERGY = "elements,0,price_components,0"
BAD_ROWS = {  # name: the SQL that stores it, and what the bad connector loses
    "price 1e24": (BAD_TARIFF % (f"{ENERGY},price", "1e24"), "price"),
    "vat 1e30": (BAD_TARIFF % (f"{ENERGY},vat", "1e30"), "price"),
    "price 1e400": (BAD_TARIFF % (f"{ENERGY},price", "1e400"), "price"),
    "negative price": (BAD_TARIFF % (f"{ENERGY},price", "-5"), "price"),
    "price as text": (BAD_TARIFF % (f"{ENERGY},price", '"cheap"'), "price"),
    "currency =A1": (BAD_TARIFF % ("currency", '"=A1"'), "price"),
    "currency XX1": (BAD_TARIFF % ("currency", '"XX1"'), "price"),
    "volts x amps": (
        "UPDATE connectors SET max_electric_power = NULL, max_voltage = 400000, "
        f"max_amperage = 32000, power_type = 'AC_3_PHASE' WHERE evse_fk = {E1}",
        "power",
    ),
    "int4 power": (
        f"UPDATE connectors SET max_electric_power = 2147483647 WHERE evse_fk = {E1}",
        "power",
    ),
}
PAGES = ("/installations/INST1", "/installations/INST1?lang=en")
DOCUMENTS = (
    "/map/installations/INST1.json",
    "/map/live.json",
    "/map/sites.json",
    "/map/ids.json",
    "/map/places.json",
    "/opendata/installations.json",
    "/opendata/installations.geojson",
    "/opendata/status.json",
    "/opendata/status.json?since=2000-01-01T00:00:00Z",
)


@pytest.fixture
def world(app, client):
    """INST1 of live CPO ABC: E1 priced by tariff T1, E2 by tariff T2 (0.39 €/kWh)."""
    add_installation()
    token = live_cpo(client)
    t2 = {**TARIFF, "id": "T2"}
    t2["elements"] = [{"price_components": [{"type": "ENERGY", "price": 0.39, "step_size": 1}]}]
    response = client.put("/api/2.2.1/tariffs/ES/ABC/T2", json=t2, headers=headers(token))
    assert response.status_code == 201
    patch = {"tariff_ids": ["T2"], "last_updated": "2025-01-01T10:00:00Z"}
    path = "/api/2.2.1/locations/ES/ABC/INST1/U2/1"
    assert client.patch(path, json=patch, headers=headers(token)).status_code == 200
    return token


def strict_json(text: str):
    """Parse JSON as a strict reader would: NaN and Infinity are not JSON."""

    def refuse(name: str):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def fetch(client, url: str, *, zipped: bool = False) -> str:
    encoding = {"Accept-Encoding": "gzip"} if zipped else {}
    response = client.get(url, headers=encoding)
    assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
    body = response.get_data()
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return body.decode()


def connectors_by_evse(document: dict) -> dict[str, dict]:
    sites = document.get("installations") or [f["properties"] for f in document["features"]]
    return {p["evse_id"]: p["connectors"][0] for s in sites for p in s["charge_points"]}


@pytest.mark.parametrize("bad", BAD_ROWS, ids=list(BAD_ROWS))
def test_a_bad_stored_row_loses_its_own_price_or_power_and_fails_nothing(world, client, bad):
    sql, loses = BAD_ROWS[bad]
    db.session.execute(db.text(sql))
    db.session.commit()

    for url in PAGES:
        assert "Plaza Mayor" in fetch(client, url)
    for url in DOCUMENTS:
        for zipped in (False, True):
            strict_json(fetch(client, url, zipped=zipped))
    for zipped in (False, True):
        rows = list(
            csv.DictReader(io.StringIO(fetch(client, "/opendata/installations.csv", zipped=zipped)))
        )
        assert [row["status"] for row in rows] == ["AVAILABLE", "AVAILABLE"]

    for name in ("installations.json", "installations.geojson"):
        found = connectors_by_evse(strict_json(fetch(client, f"/opendata/{name}")))
        bad_one, good_one = found["ES*ABC*E1"], found["ES*ABC*E2"]
        assert good_one["price"]["energy_excl_vat"] == 0.39 and good_one["power_kw"] == 22
        if loses == "price":
            assert bad_one["price"] is None and bad_one["power_kw"] == 150
        else:
            assert bad_one["power_kw"] is None and bad_one["price"]["energy_excl_vat"] == 0.45
    detail = strict_json(fetch(client, "/map/installations/INST1.json"))
    prices = [p["prices"][0] for p in detail["charge_points"]]
    assert prices[1]["price"]["energy_excl_vat"] == 0.39
    assert (prices[0]["price"] is None) == (loses == "price")
    assert (prices[0]["kw"] is None) == (loses == "power")
