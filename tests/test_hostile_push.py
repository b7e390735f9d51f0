"""Hostile pushes (issue #14): numbers out of bounds, times in the future, bad currencies,
duplicate connector ids. Each is refused with 400/2001 naming the field, changes nothing
stored, and leaves exactly one row in the rejection log (SPEC §3); the bounds are those of
docs/ocpi.md, in every version, for PUT and PATCH."""

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sgv.extensions import db
from sgv.models import Rejection
from sgv.ocpi.schemas.bounds import BOUNDS
from tests.ocpi_helpers import example, headers, make_party

VERSIONS = ("2.2.1", "2.2", "2.1.1")
STORED = {
    "locations": "SELECT location_id, last_updated, data FROM locations ORDER BY id",
    "evses": "SELECT uid, status, last_updated, data FROM evses ORDER BY id",
    "connectors": "SELECT connector_id, max_voltage, max_amperage, max_electric_power, "
    "last_updated, data FROM connectors ORDER BY id",
    "tariffs": "SELECT tariff_id, currency, last_updated, data FROM tariffs ORDER BY id",
}


def base(version: str) -> str:
    return f"/api/{version}"


def location(version: str) -> dict:
    body = example("2.1.1" if version == "2.1.1" else "2.2.1", "location_example")
    if version != "2.1.1":
        body.update(country_code="ES", party_id="ABC")
    return body


def tariff(version: str) -> dict:
    body = example("2.1.1" if version == "2.1.1" else "2.2.1", "tariff_1_simple_2hour")
    if version != "2.1.1":
        body.update(country_code="ES", party_id="ABC")
    body["elements"][0]["price_components"].append({"type": "ENERGY", "price": 0.3, "step_size": 1})
    return body


@pytest.fixture
def seeded(app, client):
    """A CPO holding location LOC1 and tariff 12 in the version under test: its token."""

    def seed(version: str) -> str:
        _, token = make_party("ES", "ABC", version=version)
        for path, body in (
            ("locations/ES/ABC/LOC1", location(version)),
            ("tariffs/ES/ABC/12", tariff(version)),
        ):
            response = client.put(f"{base(version)}/{path}", json=body, headers=headers(token))
            assert response.status_code == 201, response.json
        return token

    return seed


def stored() -> dict:
    return {name: db.session.execute(db.text(sql)).all() for name, sql in STORED.items()}


def rejections() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Rejection))


def assert_refused(client, token, method, path, body, field) -> dict:
    """Send a hostile push; assert SPEC §3's refusal, nothing changed, one rejection row."""
    before, refused_before = stored(), rejections()
    response = client.open(path, method=method, json=body, headers=headers(token))
    assert (response.status_code, response.json["status_code"]) == (400, 2001), response.json
    assert field in response.json["status_message"], response.json["status_message"]
    db.session.expire_all()
    assert stored() == before
    assert rejections() == refused_before + 1
    return response.json


def connector_key(version: str, name: str) -> str:
    """2.1.1 names a connector's voltage and amperage without `max_`."""
    if version == "2.1.1" and name != "max_electric_power":
        return name.removeprefix("max_")
    return name


# --- numbers out of bounds --------------------------------------------------------------

CONNECTOR_VALUES = [  # (field, hostile value): past the bound, past int4
    ("max_voltage", 400_000),
    ("max_voltage", 2**31),
    ("max_amperage", 32_000),
    ("max_amperage", 2**40),
    ("max_electric_power", 4_000_001),
    ("max_electric_power", 2**31),
    ("max_voltage", -1),
]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("name", "value"), CONNECTOR_VALUES)
def test_connector_numbers_out_of_bounds_are_refused_at_every_level(
    client, seeded, version, name, value
):
    token = seeded(version)
    key = connector_key(version, name)
    root = f"{base(version)}/locations/ES/ABC/LOC1"
    body = location(version)
    body["evses"][0]["connectors"][0][key] = value
    assert_refused(client, token, "PUT", root, body, f"evses.0.connectors.0.{key}")
    evse = copy.deepcopy(location(version)["evses"][0])
    evse["connectors"][1][key] = value
    assert_refused(client, token, "PUT", f"{root}/3256", evse, f"connectors.1.{key}")
    connector = {**evse["connectors"][1]}
    assert_refused(client, token, "PUT", f"{root}/3256/2", connector, key)
    patch = {key: value, "last_updated": "2020-01-01T00:00:00Z"}
    assert_refused(client, token, "PATCH", f"{root}/3256/2", patch, key)


TARIFF_VALUES = [  # (path in the tariff, hostile value, the field the message names)
    (("elements", 0, "price_components", 0, "price"), 1e24, "price"),
    (("elements", 0, "price_components", 0, "price"), 100.01, "price"),
    (("elements", 0, "price_components", 1, "price"), 10**30, "price"),
    (("elements", 0, "price_components", 0, "vat"), 1e30, "vat"),
    (("elements", 0, "price_components", 0, "vat"), 100.5, "vat"),
    (("elements", 0, "price_components", 0, "step_size"), 2**31, "step_size"),
    (("elements", 0, "restrictions"), {"max_power": 1e9}, "restrictions.max_power"),
    (("elements", 0, "restrictions"), {"min_kwh": 1e12}, "restrictions.min_kwh"),
    (("elements", 0, "restrictions"), {"max_current": 40_000}, "restrictions.max_current"),
    (("elements", 0, "restrictions"), {"max_duration": 2**31}, "restrictions.max_duration"),
    (("min_price",), {"excl_vat": 1e24}, "min_price.excl_vat"),
    (("max_price",), {"excl_vat": 1.0, "incl_vat": 1e24}, "max_price.incl_vat"),
]


def put_in(body: dict, path: tuple, value) -> dict:
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(("path", "value", "field"), TARIFF_VALUES)
def test_tariff_numbers_out_of_bounds_are_refused_in_put_and_patch(
    client, seeded, version, path, value, field
):
    token = seeded(version)
    url = f"{base(version)}/tariffs/ES/ABC/12"
    body = put_in(tariff(version), path, value)
    assert_refused(client, token, "PUT", url, body, field)
    patch = {path[0]: body[path[0]], "last_updated": "2020-01-01T00:00:00Z"}
    assert_refused(client, token, "PATCH", url, patch, field)


@pytest.mark.parametrize("version", VERSIONS)
def test_values_at_the_bounds_are_accepted(client, seeded, version):
    token = seeded(version)
    body = tariff(version)
    component = body["elements"][0]["price_components"][0]
    component.update(price=100, vat=100)  # docs/ocpi.md: price ≤ 100 per unit, vat ≤ 100 %
    body["last_updated"] = "2020-01-01T00:00:00Z"
    response = client.put(f"{base(version)}/tariffs/ES/ABC/12", json=body, headers=headers(token))
    assert response.status_code == 200, response.json
    connector = location(version)["evses"][0]["connectors"][0]
    connector.update(
        {
            connector_key(version, "max_voltage"): 2_000,
            connector_key(version, "max_amperage"): 4_000,
            "max_electric_power": 4_000_000,
            "last_updated": "2020-01-01T00:00:00Z",
        }
    )
    path = f"{base(version)}/locations/ES/ABC/LOC1/3256/1"
    response = client.put(path, json=connector, headers=headers(token))
    assert response.status_code == 200, response.json


# --- times in the future ----------------------------------------------------------------


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize("version", VERSIONS)
def test_a_future_last_updated_is_refused_at_every_level(client, seeded, version):
    token = seeded(version)
    future, root = "2099-01-01T00:00:00Z", f"{base(version)}/locations/ES/ABC/LOC1"
    body = location(version)
    body["last_updated"] = future
    assert_refused(client, token, "PUT", root, body, "last_updated")
    body = location(version)
    body["evses"][1]["connectors"][0]["last_updated"] = future
    assert_refused(client, token, "PUT", root, body, "evses.1.connectors.0.last_updated")
    status = {"status": "CHARGING", "last_updated": future}  # the one-statement fast path
    assert_refused(client, token, "PATCH", f"{root}/3256", status, "last_updated")
    patch = {"last_updated": future}
    assert_refused(client, token, "PATCH", f"{root}/3256/1", patch, "last_updated")
    body = {**tariff(version), "last_updated": future}
    assert_refused(client, token, "PUT", f"{base(version)}/tariffs/ES/ABC/12", body, "last_updated")


def test_after_a_refused_future_time_correct_updates_apply(client, seeded):
    token = seeded("2.2.1")
    path = "/api/2.2.1/locations/ES/ABC/LOC1/3256"
    client.patch(
        path,
        json={"status": "OUTOFORDER", "last_updated": "2099-01-01T00:00:00Z"},
        headers=headers(token),
    )
    now = stamp(datetime.now(UTC))
    response = client.patch(
        path, json={"status": "CHARGING", "last_updated": now}, headers=headers(token)
    )
    assert response.status_code == 200 and "status_message" not in response.json
    assert client.get(path, headers=headers(token)).json["data"]["status"] == "CHARGING"


def test_the_clock_skew_allowance_is_sgv_clock_skew_seconds(app, client, seeded):
    token = seeded("2.2.1")
    path = "/api/2.2.1/locations/ES/ABC/LOC1/3256"
    ahead = stamp(datetime.now(UTC) + timedelta(seconds=600))
    response = client.patch(
        path, json={"status": "CHARGING", "last_updated": ahead}, headers=headers(token)
    )
    assert response.status_code == 200, response.json  # 10 min ahead: within 900 s
    app.config["CLOCK_SKEW"] = 60
    later = stamp(datetime.now(UTC) + timedelta(seconds=700))
    message = assert_refused(
        client, token, "PATCH", path, {"status": "BLOCKED", "last_updated": later}, "last_updated"
    )
    assert "60 s" in message["status_message"]


def test_tariff_validity_dates_far_ahead_are_accepted(client, seeded):
    token = seeded("2.2.1")
    body = {
        **tariff("2.2.1"),
        "start_date_time": "2099-01-01T00:00:00Z",
        "last_updated": "2020-01-01T00:00:00Z",
    }
    response = client.put("/api/2.2.1/tariffs/ES/ABC/12", json=body, headers=headers(token))
    assert response.status_code == 200, response.json


def test_cpo_show_names_future_time_refusals(app, client, seeded):
    token = seeded("2.2.1")
    path = "/api/2.2.1/locations/ES/ABC/LOC1/3256"
    for _ in range(2):
        client.patch(
            path,
            json={"status": "CHARGING", "last_updated": "2099-01-01T00:00:00Z"},
            headers=headers(token),
        )
    result = app.test_cli_runner().invoke(args=["sgv", "cpo", "show", "ES", "ABC"])
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if "in the future" in line]
    assert "2 × last_updated" in line and "clock" in line


# --- currency -----------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("currency", ["=A1", "XX1", "eur", "EU", "ABC", "€"])
def test_a_currency_that_is_not_iso_4217_is_refused(client, seeded, version, currency):
    token = seeded(version)
    url = f"{base(version)}/tariffs/ES/ABC/12"
    assert_refused(client, token, "PUT", url, {**tariff(version), "currency": currency}, "currency")
    patch = {"currency": currency, "last_updated": "2020-01-01T00:00:00Z"}
    assert_refused(client, token, "PATCH", url, patch, "currency")


# --- duplicate connector ids --------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("ids", [("1", "1"), ("c7", "C7")])
def test_an_evse_naming_one_connector_twice_is_refused(client, seeded, version, ids):
    token = seeded(version)
    root = f"{base(version)}/locations/ES/ABC/LOC1"
    evse = location(version)["evses"][0]
    for connector, connector_id in zip(evse["connectors"], ids, strict=True):
        connector["id"] = connector_id
    assert_refused(client, token, "PUT", f"{root}/3256", evse, f"'{ids[1]}' appears twice")
    patch = {"connectors": evse["connectors"], "last_updated": "2020-01-01T00:00:00Z"}
    assert_refused(client, token, "PATCH", f"{root}/3256", patch, f"'{ids[1]}' appears twice")
    body = {"evses": [evse], "last_updated": "2020-01-01T00:00:00Z"}
    assert_refused(client, token, "PATCH", root, body, f"'{ids[1]}' appears twice")


def test_docs_write_every_bound_the_schemas_apply():
    docs = (Path(__file__).resolve().parent.parent / "docs" / "ocpi.md").read_text()
    for name, limits in BOUNDS.items():
        row = f"| {limits.minimum:,} to {limits.maximum:,} |"
        first = limits.fields.split(",")[0].split(" (")[0].split()[-1]
        assert any(row in line and first in line for line in docs.splitlines()), (name, row)
