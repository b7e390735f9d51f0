"""SGV's answers read by a third party's OCPI models, version by version (issue #16, Proof).

ocpi-types (PyPI: quicktype-generated classes for 2.1.1, 2.2.1 and 2.3.0) is not ours: its
`from_dict` asserts every required field, type and enum value. Versions, version details,
credentials (GET, and the answer to a registration) and the Locations and Tariffs SGV
returns are read with the model of the version served; the OCPI envelope of every
answer, refusals included, with the spec's response format (ocpi-types has no envelope).

A version SGV starts to serve (sgv.ocpi.VERSIONS: 2.3.0 next) needs its entry in MODELS,
or test_every_served_version_has_a_third_party_model fails.
"""

import re
from types import ModuleType

import jsonschema
import pytest
from ocpi_types import v2_1_1, v2_2_1, v2_3_0

from sgv.ocpi import VERSIONS
from tests.cpo_server import CpoServer
from tests.ocpi_helpers import example, headers, make_created_party, make_party

MODELS: dict[str, ModuleType] = {"2.3.0": v2_3_0, "2.2.1": v2_2_1, "2.2": v2_2_1, "2.1.1": v2_1_1}
NEWEST = v2_3_0  # reads the versions list, which names every version
# OCPI 2.2.1 transport_and_format §4.1.7 (2.1.1 §4.1.6 is the same): the response format.
ENVELOPE = {
    "type": "object",
    "required": ["status_code", "timestamp"],
    "properties": {
        "data": {},
        "status_code": {"type": "integer", "minimum": 1000, "maximum": 4999},
        "status_message": {"type": "string"},
        "timestamp": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"},
    },
}
# OCPI 2.1.1 version_information_endpoint §2.2: 2.1.1 endpoints carry no role; ocpi-types
# models no 2.1.1 versions module, so its version details are read with this schema.
DETAILS_211 = {
    "type": "object",
    "required": ["version", "endpoints"],
    "properties": {
        "version": {"const": "2.1.1"},
        "endpoints": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["identifier", "url"],
                "properties": {
                    "identifier": {"enum": ["cdrs", "commands", "credentials", "locations",
                                            "sessions", "tariffs", "tokens"]},
                    "url": {"type": "string", "pattern": "^https?://"},
                },
            },
        },
    },
}  # fmt: skip
SERVED = [v for v in VERSIONS if v in MODELS]


def envelope(response) -> object:
    """Check an answer's envelope against the response format; return its data."""
    jsonschema.validate(response.json, ENVELOPE)
    return response.json.get("data")


def form(version: str) -> str:
    return "raw" if version == "2.1.1" else "base64"


def test_every_served_version_has_a_third_party_model():
    assert set(VERSIONS) <= set(MODELS), "add the version's ocpi-types module to MODELS"


def test_the_versions_list_reads_as_ocpi_versions(client):
    _, token = make_party("ES", "ABC")
    data = envelope(client.get("/api/versions", headers=headers(token)))
    versions = [NEWEST.Version.from_dict(item) for item in data]
    assert [v.version.value for v in versions] == list(VERSIONS)


@pytest.mark.parametrize("version", SERVED)
def test_version_details_read_as_the_versions_model(client, version):
    _, token = make_party("ES", "ABC", version=version)
    data = envelope(client.get(f"/api/{version}", headers=headers(token, form(version))))
    if version == "2.1.1":
        jsonschema.validate(data, DETAILS_211)
        return
    details = MODELS[version].VersionDetails.from_dict(data)
    assert details.version.value == version
    roles = {(e.identifier.value, e.role.value) for e in details.endpoints}
    assert {("credentials", "RECEIVER"), ("locations", "RECEIVER")} <= roles


def credentials_of(version: str, data: dict) -> object:
    """Read a credentials object with the version's model, and check its required fields."""
    read = MODELS[version].Credentials.from_dict(data)
    # ocpi-types makes every 2.1.1 credentials field optional; OCPI 2.1.1 §credentials
    # requires them all.
    if version == "2.1.1":
        assert None not in (read.token, read.url, read.business_details, read.party_id)
        assert (read.country_code, read.party_id) == ("ES", "SGV")
    else:
        [role] = read.roles
        assert (role.role.value, role.country_code, role.party_id) == ("NSP", "ES", "SGV")
    return read


@pytest.mark.parametrize("version", SERVED)
def test_credentials_read_as_the_versions_model(client, version):
    _, token = make_party("ES", "ABC", version=version)
    response = client.get(f"/api/{version}/credentials", headers=headers(token, form(version)))
    assert credentials_of(version, envelope(response)).token == token


@pytest.mark.parametrize("version", SERVED)
def test_the_answer_to_a_registration_reads_as_the_versions_model(client, version):
    _, token_a = make_created_party("ES", "CPO")
    with CpoServer(versions=(version,)) as cpo:
        response = client.post(
            f"/api/{version}/credentials",
            json=cpo.credentials(version),
            headers=headers(token_a, form(version)),
        )
    assert response.status_code == 200, response.json
    assert credentials_of(version, envelope(response)).token != token_a


@pytest.mark.parametrize("version", SERVED)
def test_locations_and_tariffs_read_back_as_the_versions_model(client, version):
    _, token = make_party("ES", "ABC", version=version)
    auth = headers(token, form(version))
    tag = version if version in ("2.1.1", "2.3.0") else "2.2.1"  # each version's examples
    location, tariff = example(tag, "location_example"), example(tag, "tariff_1_simple_2hour")
    owner = "ES/ABC"
    if version != "2.1.1":
        location |= {"country_code": "ES", "party_id": "ABC"}
        tariff |= {"country_code": "ES", "party_id": "ABC"}
    for evse in location.get("evses", []) if version == "2.3.0" else []:
        # The v2.3.0 tag's example names parking places by bare id; the errata (and
        # ocpi-types) use EVSEParking objects, which SGV takes without a warning.
        evse["parking"] = [{"parking_id": ref} for ref in evse.get("parking", [])]
    pushed = [
        client.put(
            f"/api/{version}/locations/{owner}/{location['id']}", json=location, headers=auth
        ),
        client.put(f"/api/{version}/tariffs/{owner}/{tariff['id']}", json=tariff, headers=auth),
    ]
    for response in pushed:
        assert response.status_code in (200, 201), response.json
        assert envelope(response) is None  # acknowledgements carry no data
    got = client.get(f"/api/{version}/locations/{owner}/{location['id']}", headers=auth)
    assert MODELS[version].Location.from_dict(envelope(got)).id == location["id"]
    got = client.get(f"/api/{version}/tariffs/{owner}/{tariff['id']}", headers=auth)
    assert MODELS[version].Tariff.from_dict(envelope(got)).id == tariff["id"]


@pytest.mark.parametrize("version", SERVED)
@pytest.mark.parametrize(
    ("method", "path", "token", "status"),
    [
        ("get", "locations/ES/ABC/NOPE", True, (404, 2003)),
        ("put", "locations/ES/ABC/L1", True, (400, 2001)),
        ("get", "tariffs/ES/ABC/NOPE", True, (404, 2000)),
        ("get", "locations/ES/ABC/L1", False, (401, 2000)),
        ("get", "nowhere", True, (404, 2000)),
    ],
)
def test_refusals_carry_the_ocpi_envelope(client, version, method, path, token, status):
    _, valid = make_party("ES", "ABC", version=version)
    auth = headers(valid if token else "not-a-token", form(version))
    response = getattr(client, method)(f"/api/{version}/{path}", json={}, headers=auth)
    envelope(response)
    assert (response.status_code, response.json["status_code"]) == status
    assert re.search(r"\S", response.json["status_message"])
