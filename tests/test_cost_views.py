"""What a charge costs here, now: the panel's JSON and the installation page (issue #19).

INST1 of live CPO ABC: E1 a 150 kW DC connector, E2 turned into a 22 kW AC one, both on
tariff T1 (0.45 €/kWh excl. VAT, 21 % VAT). DC default 40 kWh in 25 min: 40 × 0.45 = 18.00,
× 1.21 = 21.78. AC default 20 kWh in 30 min: 9.00, 10.89; 40 kW is more than E2's 22 kW.
"""

import pytest

from sgv.extensions import db
from tests.ocpi_helpers import headers
from tests.public_helpers import add_installation, live_cpo
from tests.test_hostile_rendering import BAD_ROWS, world  # noqa: F401 (a fixture)

COST = "/map/installations/INST1/cost.json"
DC_LINE = "Una recarga de 40 kWh en 25 min cuesta unos 18,00\u00a0€ sin IVA (21,78\u00a0€ con IVA)"
AC_LINE = "Una recarga de 20 kWh en 30 min cuesta unos 9,00\u00a0€ sin IVA (10,89\u00a0€ con IVA)"
TOO_FAST = "Necesita 40 kW de media y este conector da como máximo 22 kW: tardaría más."


@pytest.fixture
def site(app, client):
    add_installation()
    token = live_cpo(client)
    ac = {"power_type": "AC_3_PHASE", "max_voltage": 230, "max_amperage": 32,
          "max_electric_power": 22000, "last_updated": "2025-01-02T10:00:00Z"}  # fmt: skip
    response = client.patch("/api/2.2.1/locations/ES/ABC/INST1/U2/1", json=ac,
                            headers=headers(token))  # fmt: skip
    assert response.status_code == 200, response.json
    return token


def lines(client, query: str = "") -> list[dict]:
    response = client.get(COST + query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["connectors"]


def test_each_connector_costs_its_ac_or_dc_default_session(site, client):
    dc, ac = lines(client)
    assert (dc["charge_point"], dc["text"], dc["note"]) == ("ES*ABC*E1", DC_LINE, None)
    assert (dc["excl_vat"], dc["incl_vat"], dc["kwh"], dc["minutes"]) == (18, 21.78, 40, 25)
    assert (ac["charge_point"], ac["text"], ac["note"]) == ("ES*ABC*E2", AC_LINE, TOO_FAST)
    assert client.get(COST).json["form"] == {"kwh": "40", "minutes": "25"}  # a DC site


def test_the_driver_sets_the_session_and_every_connector_follows(site, client):
    # 10 kWh: 4.50 excl. VAT; × 1.21 = 5.445 → 5.45.
    expected = "A 10 kWh session in 60 min costs about €4.50 excl. VAT (€5.45 incl. VAT)"
    assert [line["text"] for line in lines(client, "?kwh=10&minutes=60&lang=en")] == [expected] * 2
    # Only kWh given: each connector keeps its default minutes.
    assert [(x["kwh"], x["minutes"]) for x in lines(client, "?kwh=12.5")] == [
        (12.5, 25),
        (12.5, 30),
    ]
    # The form keeps the kWh asked and the site's (DC) default minutes.
    assert client.get(COST + "?kwh=12.5").json["form"] == {"kwh": "12.5", "minutes": "25"}


@pytest.mark.parametrize(
    ("query", "field"),
    [("?kwh=-1", "kwh"), ("?kwh=0", "kwh"), ("?kwh=1001", "kwh"), ("?kwh=abc", "kwh"),
     ("?kwh=NaN", "kwh"), ("?minutes=0", "minutes"), ("?minutes=1441", "minutes"),
     ("?minutes=2.5", "minutes")],
)  # fmt: skip
def test_a_bad_session_is_a_400_naming_the_parameter(site, client, query, field):
    response = client.get(COST + query)
    assert response.status_code == 400
    assert response.json["description"].startswith(f"{field}: ")


def test_an_unknown_installation_has_no_cost(site, client):
    assert client.get(COST).status_code == 200
    assert client.get("/map/installations/NOPE/cost.json").status_code == 404


def test_the_installation_page_shows_the_cost_and_lets_the_driver_change_it(site, client):
    page = client.get("/installations/INST1").get_data(as_text=True)
    assert DC_LINE in page and AC_LINE in page and TOO_FAST in page
    assert 'name="kwh" type="number"' in page and 'value="40"' in page and 'value="25"' in page
    page = client.get("/installations/INST1?kwh=10&minutes=60").get_data(as_text=True)
    assert page.count("Una recarga de 10 kWh en 60 min cuesta unos 4,50\u00a0€ sin IVA") == 2
    assert 'value="10"' in page and 'value="60"' in page


def test_a_bad_session_on_the_page_says_why_and_shows_the_defaults(site, client):
    response = client.get("/installations/INST1?kwh=abc")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "No se puede calcular: kwh: Not a valid number." in page
    assert DC_LINE in page


@pytest.mark.parametrize("how", ["revoke", "staging"])
def test_a_hidden_cpo_shows_no_cost(site, app, client, how):
    assert len(lines(client)) == 2 and "Una recarga de" in client.get("/installations/INST1").text
    if how == "staging":
        app.config["ENVIRONMENT"] = "staging"
    else:
        args = ["sgv", "cpo", "revoke", "ES", "ABC", "--reason", "quality"]
        assert app.test_cli_runner().invoke(args=args).exit_code == 0
    response = client.get(COST)
    assert response.status_code == (404 if how == "staging" else 200)
    assert how == "staging" or response.json["connectors"] == []
    page = client.get("/installations/INST1").get_data(as_text=True)
    assert "Una recarga de" not in page and 'name="kwh"' not in page


@pytest.mark.parametrize("bad", BAD_ROWS, ids=list(BAD_ROWS))
def test_a_bad_stored_row_loses_its_own_cost_and_fails_nothing(world, client, bad):  # noqa: F811
    sql, loses = BAD_ROWS[bad]
    db.session.execute(db.text(sql))
    db.session.commit()
    found = {line["charge_point"]: line for line in lines(client)}
    # E2: tariff T2, 0.39 €/kWh without VAT, 40 kWh: 15.60, incl. VAT unknown.
    assert (found["ES*ABC*E2"]["excl_vat"], found["ES*ABC*E2"]["incl_vat"]) == (15.6, None)
    assert ("ES*ABC*E1" in found) == (loses != "price")
    assert client.get("/installations/INST1").status_code == 200
