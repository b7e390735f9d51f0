"""The OCPI wire schemas: what a push must look like, and the shape callers read (SPEC §3).

Pure unit tests: no database. Bodies are the official OCPI examples, changed in memory.
"""

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from marshmallow import ValidationError

from sgv.ocpi.schemas import (
    LoadResult,
    describe,
    load_connector,
    load_credentials,
    load_evse,
    load_location,
    load_tariff,
)
from tests.ocpi_helpers import EXAMPLES

LOADERS = {
    "location": load_location,
    "evse": load_evse,
    "connector": load_connector,
    "tariff": load_tariff,
}
KNOWN_INVALID = {"location_put_example_add_evse", "tariff_put_example"}
FRAGMENTS = {  # official fragments, and the Location key they belong under
    "location_energymix_example_simple": None,
    "location_energymix_example_energy_provider": None,
    "location_energymix_example_complete": None,
    "location_regularhours_example": None,
    "location_hours_247_open_exception_closing": "opening_times",
    "location_hours_opening_hours_with_exceptional_closing": "opening_times",
    "location_hours_opening_hours_with_exceptional_opening": "opening_times",
}
PATCH_EXAMPLES = {  # official PATCH bodies and the level of the URL they are sent to
    "location_patch_example_location": "location",
    "location_patch_example_status": "evse",
    "location_patch_example_remove_evse": "evse",
    "location_patch_example_tariff": "connector",
    "tariff_patch_example": "tariff",
}
DELETE = object()  # at(): remove the key
STAMP = "2024-05-01T10:00:00Z"


def example(version: str, name: str) -> dict:
    """Return a fresh copy of an official OCPI example."""
    return copy.deepcopy(json.loads((EXAMPLES / version / f"{name}.json").read_text()))


def base(kind: str, version: str = "2.2.1") -> dict:
    """Return a valid full object of a kind, taken from the official examples."""
    if kind == "tariff":
        return example(version, "tariff_4_complex")
    location = example(version, "location_example")
    if kind == "evse":
        return location["evses"][0]
    if kind == "connector":
        return location["evses"][0]["connectors"][0]
    return location


def at(body: Any, path: str, value: Any) -> Any:
    """Return a copy of body with the value at a dotted path set (or removed with DELETE)."""
    body = copy.deepcopy(body)
    *parents, last = path.split(".")
    node = body
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    key: Any = int(last) if isinstance(node, list) else last
    if value is DELETE:
        del node[key]
    else:
        node[key] = value
    return body


def get(data: Any, path: str) -> Any:
    """Return the value at a dotted path."""
    for key in path.split("."):
        data = data[int(key)] if isinstance(data, list) else data[key]
    return data


def refusal(loader, version: str, body: Any, **options: Any) -> dict[str, list[str]]:
    """Load a body that must be refused and return the error messages by field path."""
    with pytest.raises(ValidationError) as caught:
        loader(version, body, **options)
    return caught.value.messages


def official(pattern: str) -> list[tuple[str, str]]:
    """List (version, name) of the official examples matching a file pattern."""
    return [
        (path.parent.name, path.stem)
        for path in sorted(EXAMPLES.glob(f"2.[12]*/{pattern}.json"))  # 2.3.0: test_ocpi_230
        if path.stem not in KNOWN_INVALID and path.stem not in PATCH_EXAMPLES
    ]


# --- the official examples -------------------------------------------------------------


def test_the_official_examples_are_where_the_tests_expect_them():
    assert len(official("location_example*")) == 7
    assert len(official("tariff*")) == 24
    assert len(official("credentials_example*")) == 5


@pytest.mark.parametrize(
    ("version", "name", "loader"),
    [(*found, load_location) for found in official("location_example*")]
    + [(*found, load_tariff) for found in official("tariff*")]
    + [(*found, load_credentials) for found in official("credentials_example*")],
)
def test_every_official_example_object_loads_without_warnings(version, name, loader):
    result = loader(version, example(version, name))
    assert isinstance(result, LoadResult)
    assert result.warnings == []


@pytest.mark.parametrize("name", FRAGMENTS)
def test_official_energy_mix_and_hours_fragments_load_inside_a_location(name):
    fragment = example("2.2.1", name)
    key = FRAGMENTS[name]
    wrapped = {key: fragment} if key else fragment
    data = load_location("2.2.1", {**base("location"), **wrapped}).data
    assert set(wrapped) <= set(data)


@pytest.mark.parametrize(
    ("version", "name"),
    [
        (path.parent.name, path.stem)
        for path in sorted(EXAMPLES.glob("2.*/*.json"))
        if path.stem in PATCH_EXAMPLES
    ],
)
def test_official_patch_examples_load_as_patches(version, name):
    body = example(version, name)
    data = LOADERS[PATCH_EXAMPLES[name]](version, body, partial=True).data
    assert set(data) >= set(body)


@pytest.mark.parametrize(
    ("version", "faults"),
    [
        (
            "2.2.1",
            {
                "physical_reference": "Not a valid string.",
                "connectors.0.power_type": "Missing data for required field.",
                "connectors.0.max_voltage": "Missing data for required field.",
                "connectors.0.max_amperage": "Missing data for required field.",
                "connectors.0.last_updated": "Missing data for required field.",
            },
        ),
        (
            "2.1.1",
            {
                "physical_reference": "Not a valid string.",
                "floor_level": "Not a valid string.",
                "connectors.0.power_type": "Missing data for required field.",
                "connectors.0.voltage": "Missing data for required field.",
                "connectors.0.amperage": "Missing data for required field.",
                "connectors.0.last_updated": "Missing data for required field.",
                "last_updated": "Missing data for required field.",
            },
        ),
    ],
)
def test_official_add_evse_example_is_refused_naming_each_fault(version, faults):
    messages = refusal(load_evse, version, example(version, "location_put_example_add_evse"))
    assert messages == {path: [text] for path, text in faults.items()}


def test_official_add_evse_example_is_described_by_field():
    with pytest.raises(ValidationError) as caught:
        load_evse("2.2.1", example("2.2.1", "location_put_example_add_evse"))
    assert describe(caught.value) == (
        "connectors.0.power_type, connectors.0.max_voltage, connectors.0.max_amperage, "
        "connectors.0.last_updated: missing data for required field; "
        "physical_reference: not a valid string"
    )


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_official_tariff_put_example_is_refused_for_its_missing_last_updated(version):
    messages = refusal(load_tariff, version, example(version, "tariff_put_example"))
    assert messages == {"last_updated": ["Missing data for required field."]}


# --- acceptance: unknown fields, ids, lengths, types -----------------------------------


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_unknown_fields_are_accepted_at_every_level_but_mean_nothing(version):
    # Changed on purpose (issue #16): unknown fields used to be copied into the loaded
    # data too. They are still accepted and kept in the stored raw object
    # (test_ocpi_locations.py::test_unknown_fields_are_kept), but a field a later
    # version defines (2.3.0's help_phone, parking) must not act in an older push.
    body = base("location", version)
    body["help_phone"] = "+34 900 000 000"  # OCPI 2.3.0 field
    body["coordinates"]["accuracy"] = 5
    body["evses"][0]["parking"] = {"vehicle_types": ["CAR"]}
    body["evses"][0]["connectors"][0]["x_vendor"] = [1, 2]
    result = load_location(version, body)
    assert result.warnings == []
    data = result.data
    assert "help_phone" not in data
    assert "accuracy" not in data["coordinates"]
    assert "parking" not in data["evses"][0]
    assert "x_vendor" not in data["evses"][0]["connectors"][0]


ID_FIELDS = [
    ("location", "id"),
    ("location", "evses.0.uid"),
    ("location", "evses.0.connectors.0.id"),
    ("evse", "uid"),
    ("connector", "id"),
    ("connector", "tariff_ids.0"),
    ("tariff", "id"),
]


@pytest.mark.parametrize(("kind", "path"), ID_FIELDS)
def test_ids_of_39_characters_are_accepted(kind, path):
    data = LOADERS[kind]("2.2.1", at(base(kind), path, "x" * 39)).data
    assert get(data, path) == "x" * 39


@pytest.mark.parametrize(("kind", "path"), ID_FIELDS)
def test_ids_of_40_characters_are_refused(kind, path):
    messages = refusal(LOADERS[kind], "2.2.1", at(base(kind), path, "x" * 40))
    assert messages == {path: ["Longer than maximum length 39."]}


@pytest.mark.parametrize(
    ("kind", "path", "limit"),
    [
        ("location", "country_code", 2),
        ("location", "party_id", 3),
        ("location", "address", 255),
        ("location", "city", 45),
        ("location", "postal_code", 10),
        ("location", "country", 3),
        ("evse", "evse_id", 48),
        ("evse", "physical_reference", 16),
        ("evse", "floor_level", 4),
        ("tariff", "country_code", 2),
        ("tariff", "party_id", 3),
    ],
)
def test_strings_are_limited_to_their_ocpi_lengths(kind, path, limit):
    assert LOADERS[kind]("2.2.1", at(base(kind), path, "A" * limit))
    messages = refusal(LOADERS[kind], "2.2.1", at(base(kind), path, "A" * (limit + 1)))
    assert messages == {path: [f"Longer than maximum length {limit}."]}


@pytest.mark.parametrize(
    ("kind", "path", "value", "message"),
    [
        ("location", "publish", "true", "Not a valid boolean."),
        ("location", "charging_when_closed", 1, "Not a valid boolean."),
        ("location", "name", 12, "Not a valid string."),
        ("location", "opening_times.twentyfourseven", "yes", "Not a valid boolean."),
        ("evse", "physical_reference", 3, "Not a valid string."),
        ("evse", "capabilities", "RESERVABLE", "Not a valid list."),
        ("evse", "coordinates", "51.0,3.7", "Invalid input type."),
        ("connector", "max_voltage", "220", "Not a valid integer."),
        ("connector", "max_voltage", 220.5, "Not a valid integer."),
        ("connector", "max_amperage", True, "Not a valid integer."),
        ("connector", "max_voltage", -1, "Out of bounds: 0 to 2,000 V"),
        ("tariff", "elements.0.price_components.0.price", "2.50", "Not a valid number."),
        ("tariff", "elements.0.price_components.0.price", False, "Not a valid number."),
        ("tariff", "elements.0.price_components.0.price", float("nan"), "Not a valid number."),
        ("tariff", "elements.0.price_components.0.price", -0.5, "Out of bounds: 0 to 100 "),
        ("tariff", "elements.0.price_components.0.step_size", -1, "Out of bounds: 0 to "),
        ("tariff", "elements.0.price_components.0.vat", "21", "Not a valid number."),
        ("tariff", "elements.1.restrictions.max_current", "32", "Not a valid number."),
    ],
)
def test_json_types_and_ranges_are_checked(kind, path, value, message):
    messages = refusal(LOADERS[kind], "2.2.1", at(base(kind), path, value))
    assert list(messages) == [path]
    assert messages[path][0].startswith(message)


@pytest.mark.parametrize("body", [[], ["a"], "location", None, 3, True])
@pytest.mark.parametrize("loader", [*LOADERS.values(), load_credentials])
def test_a_body_that_is_not_a_json_object_is_refused(loader, body):
    messages = refusal(loader, "2.2.1", body)
    assert messages == {"_schema": ["The body must be a JSON object."]}


def test_an_unsupported_version_is_a_programming_error():
    with pytest.raises(ValueError, match="3.0"):
        load_location("3.0", base("location"))


# --- enums: strict status, lenient descriptions ----------------------------------------


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("evses.0.status", "FOO"),
        ("evses.0.status", "available"),
        ("evses.0.status_schedule", [{"period_begin": STAMP, "status": "BROKEN"}]),
    ],
)
def test_evse_status_is_strict(path, value):
    messages = refusal(load_location, "2.2.1", at(base("location"), path, value))
    (error_path,) = messages
    assert error_path.startswith(path)
    assert messages[error_path][0].startswith("Must be one of: AVAILABLE, BLOCKED, CHARGING")


def test_a_bad_status_is_described_with_its_field_and_choices():
    with pytest.raises(ValidationError) as caught:
        load_location("2.2.1", at(base("location"), "evses.0.status", "FOO"))
    assert describe(caught.value) == (
        "evses.0.status: must be one of AVAILABLE, BLOCKED, CHARGING, INOPERATIVE, "
        "OUTOFORDER, PLANNED, REMOVED, RESERVED, UNKNOWN"
    )


LENIENT = [
    ("location", "evses.0.connectors.0.standard", "evses[0].connectors[0].standard"),
    ("location", "evses.0.connectors.0.format", "evses[0].connectors[0].format"),
    ("location", "evses.0.connectors.0.power_type", "evses[0].connectors[0].power_type"),
    ("location", "evses.0.capabilities.0", "evses[0].capabilities[0]"),
    ("location", "evses.0.parking_restrictions", "evses[0].parking_restrictions[0]"),
    ("location", "facilities", "facilities[0]"),
    ("location", "parking_type", "parking_type"),
    ("location", "images", "images[0].category"),
    ("location", "energy_mix", "energy_mix.energy_sources[0].source"),
    ("tariff", "type", "type"),
    ("tariff", "elements.0.price_components.0.type", "elements[0].price_components[0].type"),
    ("tariff", "elements.2.restrictions.day_of_week.1", "elements[2].restrictions.day_of_week[1]"),
]


def lenient_value(path: str) -> Any:
    """Return an unknown value 'NEW_IN_2_4' shaped for the field at path."""
    if path in ("evses.0.parking_restrictions", "facilities"):
        return ["NEW_IN_2_4"]
    if path == "images":
        return [{"url": "https://x.es/a.png", "category": "NEW_IN_2_4", "type": "png"}]
    if path == "energy_mix":
        sources = [{"source": "NEW_IN_2_4", "percentage": 100}]
        return {"is_green_energy": True, "energy_sources": sources}
    return "NEW_IN_2_4"


@pytest.mark.parametrize(("kind", "path", "where"), LENIENT)
def test_descriptive_enums_keep_unknown_values_with_a_warning(kind, path, where):
    result = LOADERS[kind]("2.2.1", at(base(kind), path, lenient_value(path)))
    assert result.warnings == [f"{where}: unknown value 'NEW_IN_2_4' (kept)"]
    assert get(result.data, path) == lenient_value(path)


@pytest.mark.parametrize("standard", ["MCS", "SAE_J3400", "IEC_60309_2_three_64", "DOMESTIC_O"])
def test_known_connector_standards_give_no_warning(standard):
    assert load_connector("2.2.1", at(base("connector"), "standard", standard)).warnings == []


def test_2_1_1_location_type_outside_its_list_is_kept_with_a_warning():
    result = load_location("2.1.1", at(base("location", "2.1.1"), "type", "AIRPORT"))
    assert result.warnings == ["type: unknown value 'AIRPORT' (kept)"]
    assert result.data["type"] == "AIRPORT"


# --- date-times and coordinates --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-06-29T20:39:09Z", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2015-06-29T20:39:09", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2015-06-29T20:39:09.2Z", datetime(2015, 6, 29, 20, 39, 9, 200000, tzinfo=UTC)),
        ("2015-06-29T20:39:09.123Z", datetime(2015, 6, 29, 20, 39, 9, 123000, tzinfo=UTC)),
        ("2015-06-29T20:39:09.1234567", datetime(2015, 6, 29, 20, 39, 9, 123456, tzinfo=UTC)),
        ("2015-06-29T22:39:09+02:00", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2015-06-29T18:39:09-0200", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2015-06-29t20:39:09z", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
    ],
)
def test_date_times_are_read_as_aware_utc_even_without_a_zone(text, expected):
    data = load_location("2.2.1", at(base("location"), "evses.0.last_updated", text)).data
    moment = data["evses"][0]["last_updated"]
    assert moment == expected
    assert moment.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    "value",
    ["2015-13-01T00:00:00Z", "2015-06-29", "2015-06-29T20:39Z", "yesterday", "", 1435610349],
)
def test_invalid_date_times_are_refused_naming_the_field(value):
    body = at(base("location"), "evses.0.connectors.0.last_updated", value)
    messages = refusal(load_location, "2.2.1", body)
    assert messages == {"evses.0.connectors.0.last_updated": ["Not a valid date-time (RFC 3339)."]}


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        ("51.047599", "3.729944"),
        ("51.0476", "3.73"),
        ("51.04759912", "-3.72994412"),
        (51.047599, -3.729944),
        (51, 3),
        ("-90", "180.0"),
    ],
)
def test_coordinates_are_strings_or_numbers_read_as_decimals(latitude, longitude):
    body = at(base("location"), "coordinates", {"latitude": latitude, "longitude": longitude})
    coordinates = load_location("2.2.1", body).data["coordinates"]
    assert coordinates == {"latitude": Decimal(str(latitude)), "longitude": Decimal(str(longitude))}
    assert all(isinstance(value, Decimal) for value in coordinates.values())


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("coordinates.latitude", "90.000001", "Out of range (-90 to 90)."),
        ("coordinates.latitude", -91, "Out of range (-90 to 90)."),
        ("coordinates.longitude", "180.5", "Out of range (-180 to 180)."),
        ("coordinates.latitude", "40,41", "Not a valid coordinate."),
        ("coordinates.latitude", "NaN", "Not a valid coordinate."),
        ("coordinates.latitude", True, "Not a valid coordinate."),
        ("coordinates.longitude", None, "Field may not be null."),
        ("coordinates.longitude", DELETE, "Missing data for required field."),
    ],
)
def test_bad_coordinates_are_refused_naming_the_field(path, value, message):
    messages = refusal(load_location, "2.2.1", at(base("location"), path, value))
    assert messages == {path: [message]}


def test_evse_coordinates_are_checked_like_the_location_ones():
    coordinates = {"latitude": "40.4", "longitude": -181}
    body = at(base("location"), "evses.0.coordinates", coordinates)
    messages = refusal(load_location, "2.2.1", body)
    assert messages == {"evses.0.coordinates.longitude": ["Out of range (-180 to 180)."]}


def test_coordinates_out_of_range_are_described_as_such():
    with pytest.raises(ValidationError) as caught:
        load_location("2.2.1", at(base("location"), "coordinates.latitude", "95.1"))
    assert describe(caught.value) == "coordinates.latitude: out of range (-90 to 90)"


# --- PATCH -----------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.2.1", "2.2"])
@pytest.mark.parametrize("kind", LOADERS)
def test_a_2_2_patch_without_last_updated_is_refused(version, kind):
    messages = refusal(LOADERS[kind], version, {}, partial=True)
    assert messages == {"last_updated": ["Required in a PATCH (OCPI 2.2.1)."]}


def test_a_patch_without_last_updated_is_described_as_ocpi_says():
    with pytest.raises(ValidationError) as caught:
        load_evse("2.2.1", {"status": "CHARGING"}, partial=True)
    assert describe(caught.value) == "last_updated: required in a PATCH (OCPI 2.2.1)"


@pytest.mark.parametrize("kind", LOADERS)
def test_a_2_1_1_patch_without_last_updated_is_accepted(kind):
    assert LOADERS[kind]("2.1.1", {}, partial=True).data == {}


@pytest.mark.parametrize(
    ("kind", "body", "expected"),
    [
        ("location", {"name": "Gasolinera Norte"}, None),
        (
            "location",
            {"coordinates": {"latitude": "40.4", "longitude": "-3.7"}},
            {"coordinates": {"latitude": Decimal("40.4"), "longitude": Decimal("-3.7")}},
        ),
        ("evse", {"status": "OUTOFORDER"}, None),
        ("connector", {"tariff_ids": ["T1", "T2"]}, None),
        ("tariff", {"currency": "EUR"}, None),
    ],
)
def test_a_patch_validates_only_the_fields_present(kind, body, expected):
    data = LOADERS[kind]("2.2.1", {**body, "last_updated": STAMP}, partial=True).data
    assert data == {**(expected or body), "last_updated": datetime(2024, 5, 1, 10, tzinfo=UTC)}


@pytest.mark.parametrize(
    ("kind", "body", "paths"),
    [
        ("location", {"city": "C" * 46}, ["city"]),
        ("location", {"coordinates": {"latitude": "40.4"}}, ["coordinates.longitude"]),
        (
            "location",
            {"opening_times": {"twentyfourseven": False}},
            ["opening_times.regular_hours"],
        ),
        ("evse", {"status": "FOO"}, ["status"]),
        ("tariff", {"elements": []}, ["elements"]),
        (  # tariff elements are replaced whole, so their components must be complete
            "tariff",
            {"elements": [{"price_components": [{"type": "FLAT"}]}]},
            ["elements.0.price_components.0.price", "elements.0.price_components.0.step_size"],
        ),
    ],
)
def test_a_patch_still_validates_whole_what_it_sends(kind, body, paths):
    messages = refusal(LOADERS[kind], "2.2.1", {**body, "last_updated": STAMP}, partial=True)
    assert list(messages) == paths


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("location", "address"),
        ("location", "publish"),
        ("location", "coordinates"),
        ("evse", "status"),
        ("evse", "connectors"),
        ("connector", "standard"),
        ("connector", "max_voltage"),
        ("tariff", "currency"),
        ("tariff", "elements"),
        ("tariff", "last_updated"),
    ],
)
def test_a_patch_setting_a_required_field_to_null_is_refused(kind, field):
    body = {"last_updated": STAMP, field: None}
    messages = refusal(LOADERS[kind], "2.2.1", body, partial=True)
    assert messages == {field: ["Field may not be null."]}


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("location", "name"),
        ("location", "opening_times"),
        ("location", "facilities"),
        ("evse", "floor_level"),
        ("evse", "coordinates"),
        ("connector", "tariff_ids"),
        ("connector", "max_electric_power"),
        ("tariff", "type"),
        ("tariff", "min_price"),
    ],
)
def test_a_patch_may_clear_an_optional_field_with_null(kind, field):
    data = LOADERS[kind]("2.2.1", {"last_updated": STAMP, field: None}, partial=True).data
    assert data[field] is None


@pytest.mark.parametrize("version", ["2.2.1", "2.1.1"])
def test_evses_and_connectors_inside_a_patch_are_partial_but_must_say_which_they_are(version):
    body = {
        "last_updated": STAMP,
        "evses": [
            {"uid": "3256", "status": "CHARGING"},
            {"status": "AVAILABLE", "connectors": [{"id": "1"}, {"max_electric_power": 22000}]},
        ],
    }
    messages = refusal(load_location, version, body, partial=True)
    assert messages == {
        "evses.1.uid": ["Missing data for required field."],
        "evses.1.connectors.1.id": ["Missing data for required field."],
    }


def test_an_evse_patch_may_carry_partial_connectors_with_their_ids():
    body = {"last_updated": STAMP, "connectors": [{"id": "2", "tariff_ids": ["15"]}]}
    data = load_evse("2.2.1", body, partial=True).data
    assert data["connectors"] == [{"id": "2", "tariff_ids": ["15"]}]


def test_a_full_location_validates_its_evses_and_connectors_fully():
    body = base("location")
    del body["evses"][1]["last_updated"]
    del body["evses"][0]["connectors"][1]["max_amperage"]
    messages = refusal(load_location, "2.2.1", body)
    assert messages == {
        "evses.0.connectors.1.max_amperage": ["Missing data for required field."],
        "evses.1.last_updated": ["Missing data for required field."],
    }


@pytest.mark.parametrize(
    ("path", "value", "error_path"),
    [
        # An empty list is no longer refused: see the test below (issue #16).
        ("evses.0.connectors", DELETE, "evses.0.connectors"),
        ("evses.0.connectors", None, "evses.0.connectors"),
        ("evses.0.status", DELETE, "evses.0.status"),
        ("evses.0.connectors.0.standard", DELETE, "evses.0.connectors.0.standard"),
        ("evses.0.connectors.0.tariff_ids", [None], "evses.0.connectors.0.tariff_ids.0"),
    ],
)
def test_required_evse_and_connector_fields_are_checked_inside_a_location(path, value, error_path):
    messages = refusal(load_location, "2.2.1", at(base("location"), path, value))
    assert list(messages) == [error_path]


def test_an_evse_without_connectors_is_accepted_with_a_warning():
    # A planned EVSE (issue #16): it does not sink its Location; the CPO is told.
    result = load_location("2.2.1", at(base("location"), "evses.0.connectors", []))
    assert result.data["evses"][0]["connectors"] == []
    assert [w for w in result.warnings if "connectors" in w] == [
        "evses[0].connectors: none, so EVSE 3256 is accepted but kept out of public data"
    ]


# --- what each version requires --------------------------------------------------------


@pytest.mark.parametrize(
    "field", ["country_code", "party_id", "publish", "time_zone", "last_updated", "address"]
)
def test_a_2_2_1_location_requires_its_owner_publish_and_time_zone(field):
    messages = refusal(load_location, "2.2.1", at(base("location"), field, DELETE))
    assert messages == {field: ["Missing data for required field."]}


def test_a_2_1_1_location_needs_no_owner_publish_or_time_zone():
    body = base("location", "2.1.1")
    assert not {"country_code", "party_id", "publish", "time_zone"} & set(body)
    assert load_location("2.1.1", body).data["id"] == "LOC1"


def test_a_2_1_1_location_may_carry_2_2_1_fields_checked_as_in_2_2_1():
    body = {**base("location", "2.1.1"), "publish": False, "time_zone": "Europe/Madrid"}
    assert load_location("2.1.1", body).data["publish"] is False
    assert list(refusal(load_location, "2.1.1", {**body, "publish": "no"})) == ["publish"]


@pytest.mark.parametrize("field", ["type", "postal_code"])
def test_a_2_1_1_location_requires_type_and_postal_code(field):
    messages = refusal(load_location, "2.1.1", at(base("location", "2.1.1"), field, DELETE))
    assert messages == {field: ["Missing data for required field."]}


def test_2_2_1_postal_code_is_optional():
    assert (
        "postal_code"
        not in load_location("2.2.1", at(base("location"), "postal_code", DELETE)).data
    )


@pytest.mark.parametrize(
    ("version", "hours", "result"),
    [
        ("2.2.1", {"twentyfourseven": True}, {"twentyfourseven": True}),
        ("2.2.1", {"regular_hours": []}, "opening_times.twentyfourseven"),
        ("2.2.1", {"twentyfourseven": False}, "opening_times.regular_hours"),
        ("2.1.1", {"twentyfourseven": True}, {"twentyfourseven": True}),
        ("2.1.1", {}, "opening_times.regular_hours"),
        (
            "2.1.1",
            {"regular_hours": [{"weekday": 7, "period_begin": "08:00", "period_end": "23:59"}]},
            {
                "regular_hours": [{"weekday": 7, "period_begin": "08:00", "period_end": "23:59"}],
                "twentyfourseven": False,
            },
        ),
    ],
)
def test_opening_hours_need_twentyfourseven_or_regular_hours(version, hours, result):
    body = at(base("location", version), "opening_times", hours)
    if isinstance(result, str):
        assert list(refusal(load_location, version, body)) == [result]
    else:
        assert load_location(version, body).data["opening_times"] == result


@pytest.mark.parametrize(
    ("regular", "path"),
    [
        ({"weekday": 8, "period_begin": "08:00", "period_end": "20:00"}, "weekday"),
        ({"weekday": 1, "period_begin": "8:00", "period_end": "20:00"}, "period_begin"),
        ({"weekday": 1, "period_begin": "08:00", "period_end": "24:00"}, "period_end"),
        ({"weekday": 1, "period_begin": "08:00"}, "period_end"),
    ],
)
def test_regular_hours_are_a_weekday_and_two_local_times(regular, path):
    hours = {"twentyfourseven": False, "regular_hours": [regular]}
    messages = refusal(load_location, "2.2.1", at(base("location"), "opening_times", hours))
    assert list(messages) == [f"opening_times.regular_hours.0.{path}"]


# --- 2.1.1 normalised to the 2.2.1 shape -----------------------------------------------


def test_a_2_1_1_connector_reads_as_2_2_1_keeping_its_own_keys():
    data = load_location("2.1.1", base("location", "2.1.1")).data
    connector = data["evses"][0]["connectors"][0]
    assert connector["max_voltage"] == connector["voltage"] == 220
    assert connector["max_amperage"] == connector["amperage"] == 16
    assert connector["tariff_ids"] == ["11"]
    assert connector["tariff_id"] == "11"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"tariff_id": "15"}, {"tariff_id": "15", "tariff_ids": ["15"]}),
        ({"tariff_id": None}, {"tariff_id": None, "tariff_ids": []}),
        ({"voltage": 400}, {"voltage": 400, "max_voltage": 400}),
        ({"amperage": 32}, {"amperage": 32, "max_amperage": 32}),
    ],
)
def test_a_2_1_1_connector_patch_reads_as_2_2_1(body, expected):
    assert load_connector("2.1.1", body, partial=True).data == expected


def test_a_2_1_1_connector_without_tariff_has_no_tariff_ids():
    body = at(base("connector", "2.1.1"), "tariff_id", DELETE)
    assert "tariff_ids" not in load_connector("2.1.1", body).data


@pytest.mark.parametrize(
    ("location_type", "parking_type"),
    [
        ("ON_STREET", "ON_STREET"),
        ("PARKING_GARAGE", "PARKING_GARAGE"),
        ("UNDERGROUND_GARAGE", "UNDERGROUND_GARAGE"),
        ("PARKING_LOT", "PARKING_LOT"),
        ("OTHER", None),
        ("UNKNOWN", None),
    ],
)
def test_a_2_1_1_location_type_gives_the_2_2_1_parking_type(location_type, parking_type):
    data = load_location("2.1.1", at(base("location", "2.1.1"), "type", location_type)).data
    assert data["type"] == location_type
    assert data["parking_type"] == parking_type


def test_a_2_1_1_environmental_impact_source_reads_as_category():
    energy_mix = {
        "is_green_energy": False,
        "environ_impact": [{"source": "CARBON_DIOXIDE", "amount": 372}],
    }
    body = at(base("location", "2.1.1"), "energy_mix", energy_mix)
    impact = load_location("2.1.1", body).data["energy_mix"]["environ_impact"][0]
    assert impact == {"source": "CARBON_DIOXIDE", "category": "CARBON_DIOXIDE", "amount": 372}


def test_a_2_1_1_tariff_has_no_vat_or_type():
    data = load_tariff("2.1.1", base("tariff", "2.1.1")).data
    assert "type" not in data
    assert all("vat" not in c for e in data["elements"] for c in e["price_components"])


def test_2_1_1_credentials_read_as_a_single_cpo_role():
    data = load_credentials("2.1.1", example("2.1.1", "credentials_example")).data
    assert data["roles"] == [
        {
            "role": "CPO",
            "party_id": "EXA",
            "country_code": "NL",
            "business_details": data["business_details"],
        }
    ]
    assert data["business_details"]["name"] == "Example Operator"
    assert data["token"] == "ebf3b399-779f-4497-9b9d-ac6ad3cc44d2"


# --- tariffs -----------------------------------------------------------------------------


def test_tariff_numbers_are_exact_decimals():
    data = load_tariff("2.2.1", example("2.2.1", "tariff_12_025kwh_min_price")).data
    component = data["elements"][0]["price_components"][0]
    assert component == {
        "type": "ENERGY",
        "price": Decimal("0.25"),
        "vat": Decimal("10.0"),
        "step_size": 1,
    }
    assert data["min_price"] == {"excl_vat": Decimal("0.5"), "incl_vat": Decimal("0.55")}


@pytest.mark.parametrize(
    ("path", "value", "error_path", "message"),
    [
        ("elements", [], "elements", "Must hold at least one item."),
        ("elements.0.price_components", [], None, "Must hold at least one item."),
        ("elements.0.restrictions", {"start_time": "25:00"}, "start_time", "Not a valid time"),
        ("elements.0.restrictions", {"end_time": "9:00"}, "end_time", "Not a valid time"),
        ("elements.0.restrictions", {"start_date": "2019-02-30"}, "start_date", "Not a valid date"),
        ("elements.0.restrictions", {"end_date": "20190201"}, "end_date", "Not a valid date"),
        ("elements.0.restrictions", {"min_duration": 1.5}, "min_duration", "Not a valid integer"),
        ("min_price", {"incl_vat": 1}, "min_price.excl_vat", "Missing data"),
        ("start_date_time", "tomorrow", "start_date_time", "Not a valid date-time"),
        (
            "tariff_alt_text",
            [{"language": "spa", "text": "2 €/h"}],
            "tariff_alt_text.0.language",
            "Longer",
        ),
    ],
)
def test_malformed_tariffs_are_refused_naming_the_field(path, value, error_path, message):
    messages = refusal(load_tariff, "2.2.1", at(base("tariff"), path, value))
    if error_path is None:
        error_path = path
    elif path == "elements.0.restrictions":
        error_path = f"{path}.{error_path}"
    assert list(messages) == [error_path]
    assert messages[error_path][0].startswith(message)


def test_tariff_restrictions_in_local_time_and_date_are_kept_as_sent():
    restrictions = {
        "start_time": "22:00",
        "end_time": "00:00",
        "start_date": "2024-02-29",
        "end_date": "2024-03-01",
        "min_kwh": 0.5,
        "max_duration": 3600,
        "reservation": "RESERVATION",
    }
    data = load_tariff("2.2.1", at(base("tariff"), "elements.0.restrictions", restrictions)).data
    kept = data["elements"][0]["restrictions"]
    assert kept == {**restrictions, "min_kwh": Decimal("0.5")}


# --- credentials -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "error_path"),
    [
        ("token", "has space", "token"),
        ("token", "ñandú", "token"),
        ("token", "t" * 65, "token"),
        ("token", "", "token"),
        ("roles", [], "roles"),
        ("roles.0.party_id", "EXAM", "roles.0.party_id"),
        ("roles.0.business_details", DELETE, "roles.0.business_details"),
        ("url", None, "url"),
    ],
)
def test_malformed_credentials_are_refused(path, value, error_path):
    body = at(example("2.2.1", "credentials_example"), path, value)
    assert list(refusal(load_credentials, "2.2.1", body)) == [error_path]


def test_credentials_token_of_64_printable_characters_is_accepted():
    body = at(example("2.2.1", "credentials_example"), "token", "!~" * 32)
    assert load_credentials("2.2.1", body).data["token"] == "!~" * 32


def test_an_unknown_credentials_role_is_kept_with_a_warning():
    body = at(example("2.2.1", "credentials_example"), "roles.0.role", "PTP")
    assert load_credentials("2.2", body).warnings == ["roles[0].role: unknown value 'PTP' (kept)"]


# --- describe --------------------------------------------------------------------------


def test_describe_groups_fields_sharing_a_reason_and_counts_the_rest():
    error = ValidationError(
        {
            "a": ["Not a valid string."],
            "b": ["Missing data for required field."],
            "c": ["Not a valid string."],
            "d": ["Not a valid integer."],
            "e": ["Not a valid number."],
            "f": ["Not a valid boolean."],
            "g": ["Not a valid list."],
        }
    )
    assert describe(error) == (
        "a, c: not a valid string; b: missing data for required field; "
        "d: not a valid integer; e: not a valid number; and 2 more"
    )


def test_describe_flattens_marshmallow_nested_messages():
    error = ValidationError({"evses": {0: {"connectors": {1: {"id": ["Not a valid string."]}}}}})
    assert describe(error) == "evses.0.connectors.1.id: not a valid string"
