"""The price drivers see: tariff choice, element restrictions, VAT and "price from" (SPEC §4)."""

import json
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from sgv.public.prices import choose_tariff, price_from
from sgv.public.tariffs import Price, current_price
from tests.ocpi_helpers import EXAMPLES

EXAMPLE_FILES = sorted(EXAMPLES.glob("2.[12]*/tariff*.json"))  # 2.3.0: test_tariffs_230.py
MADRID, CANARY = "Europe/Madrid", "Atlantic/Canary"
NOON = "2025-01-15T12:00"  # a Wednesday in winter: Madrid UTC+1, Canaries UTC+0
D = Decimal


def example(name: str) -> dict:
    """Load an official example tariff, e.g. "2.2.1/tariff_8_simple_025kwh"."""
    return json.loads((EXAMPLES / f"{name}.json").read_text())


def local(text: str, tz: str = MADRID) -> datetime:
    """Return the wall-clock time `text` in zone `tz`."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz))


def price_of(name: str, when: str = NOON, power: float | None = None) -> Price:
    """Price an official example in Madrid, with VAT ignored for 2.1.1 ones."""
    version = name.split("/")[0]
    return current_price(
        example(name), at=local(when), time_zone=MADRID, max_power_kw=power, ocpi_version=version
    )


def test_the_official_examples_are_where_the_tests_expect_them():
    assert len(EXAMPLE_FILES) == 27


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_official_example_tariff_gives_a_sensible_price(path):
    price = current_price(json.loads(path.read_text()), at=local(NOON), time_zone=MADRID)
    figures = (price.energy_excl_vat, price.flat, price.time_per_hour, price.parking_per_hour)
    assert any(f is not None for f in figures)
    assert all(f is None or (isinstance(f, Decimal) and f >= 0) for f in figures)
    if price.energy_incl_vat is not None:
        assert price.energy_incl_vat >= price.energy_excl_vat
    if path.parent.name == "2.1.1":
        assert price.vat_rate is None and (price.energy_incl_vat is None or price.free)


FIGURES = "energy_excl_vat vat_rate energy_incl_vat flat time_per_hour parking_per_hour".split()


@pytest.mark.parametrize(
    ("name", "when", "power", "figures"),
    [
        # figures: energy_excl_vat vat_rate energy_incl_vat flat time_per_hour parking_per_hour
        ("2.2.1/tariff_8_simple_025kwh", NOON, None, "0.25 10 0.275 - - -"),
        ("2.2.1/tariff_12_025kwh_min_price", NOON, None, "0.25 10 0.275 - - -"),
        ("2.2.1/tariff_9_025kwh_start", NOON, None, "0.25 10 0.275 0.5 - -"),
        ("2.2.1/tariff_10_025kwh_parking_start", NOON, None, "0.25 10 0.275 0.5 - 2"),
        ("2.2.1/tariff_3_alt_url", NOON, None, "0.25 10 0.275 0.5 - -"),
        ("2.2.1/tariff_1_simple_2hour", NOON, None, "- - - - 2 -"),
        ("2.2.1/tariff_11_not_possible_alt_text", NOON, None, "- - - 0.4 1.9 -"),
        ("2.2.1/tariff_13_simple_3hour_5parking", NOON, None, "- - - - 3 5"),
        # three time-of-day bands, the last without parking
        ("2.2.1/tariff_14_step_size", "2025-01-15T16:59", None, "- - - - 1.2 1"),
        ("2.2.1/tariff_14_step_size", "2025-01-15T17:00", None, "- - - - 2.4 1"),
        ("2.2.1/tariff_14_step_size", "2025-01-15T20:00", None, "- - - - 2.4 -"),
        ("2.2.1/tariff_14_step_size", "2025-01-15T23:59", None, "- - - - 2.4 -"),
        # reservation elements come first in the list but never apply to a normal charge
        ("2.2.1/tariff_15_reservation_5_euro_per_hour", NOON, None, "0.25 10 0.275 0.5 - -"),
        ("2.2.1/tariff_16_reservation_2_euro_fee_5_euro_per_hour", NOON, None,
         "0.25 10 0.275 0.5 - -"),
        ("2.2.1/tariff_17_reservation_with_expire_fee", NOON, None, "0.25 10 0.275 0.5 - -"),
        ("2.2.1/tariff_18_reservation_with_expire_time", NOON, None, "0.25 10 0.275 0.5 - -"),
        # current unknown: max_current 32 is ignored and the 1.00 €/h element wins
        ("2.2.1/tariff_4_complex", NOON, None, "- - - 2.5 1 5"),
        ("2.2.1/tariff_4_complex", "2025-01-18T12:00", None, "- - - 2.5 1 6"),  # Saturday
        ("2.2.1/tariff_4_complex", "2025-01-19T12:00", None, "- - - 2.5 1 -"),  # Sunday
        ("2.2.1/tariff_4_complex", "2025-01-15T18:00", None, "- - - 2.5 1 -"),
        # a session starting now has lasted 0 s: its first 30 minutes are free
        ("2.2.1/tariffrestriction_example_max_duration", NOON, None, "0 20 0 - - -"),
        ("2.2.1/tariffrestriction_example_max_power", NOON, None, "0.5 20 0.6 - - -"),
        ("2.2.1/tariffrestriction_example_max_power", NOON, 11, "0.2 20 0.24 - - -"),
        ("2.2.1/tariffrestriction_example_max_power", NOON, 16, "0.35 20 0.42 - - -"),
        ("2.2.1/tariffrestriction_example_max_power", NOON, 31.9, "0.35 20 0.42 - - -"),
        ("2.2.1/tariffrestriction_example_max_power", NOON, 32, "0.5 20 0.6 - - -"),
        ("2.1.1/tariff_1_simple_2hour", NOON, None, "- - - - 2 -"),
        ("2.1.1/tariff_put_example", NOON, None, "- - - - 2 -"),
        # 2.1.1 complex restricts by power: unknown power leaves TIME unpriced
        ("2.1.1/tariff_4_complex", NOON, None, "- - - 2.5 - 5"),
        ("2.1.1/tariff_4_complex", NOON, 22, "- - - 2.5 1 5"),
        ("2.1.1/tariff_4_complex", NOON, 50, "- - - 2.5 2 5"),
        ("2.1.1/tariff_4_complex", "2025-01-18T10:00", 32, "- - - 2.5 1.25 6"),
        ("2.1.1/tariff_4_complex", "2025-01-18T17:00", 32, "- - - 2.5 1.25 -"),
    ],
)  # fmt: skip
def test_official_examples_give_their_figures(name, when, power, figures):
    price = price_of(name, when, power)
    expected = [None if f == "-" else D(f) for f in figures.split()]
    assert [getattr(price, field) for field in FIGURES] == expected
    assert price.currency == "EUR" and not price.free


@pytest.mark.parametrize("name", ["2.2.1/tariff_5_free_of_charge", "2.1.1/tariff_5_free_of_charge"])
def test_an_explicitly_free_tariff_shows_zero_for_every_dimension(name):
    price = price_of(name)
    assert price.free
    assert price.energy_excl_vat == price.energy_incl_vat == 0
    assert price.flat == price.time_per_hour == price.parking_per_hour == 0
    assert price.vat_rate is None
    assert price_from([price, price_of("2.2.1/tariff_8_simple_025kwh")]) == 0


def test_a_dimension_without_component_is_unpriced_not_free():
    price = price_of("2.2.1/tariff_1_simple_2hour")
    assert price.energy_excl_vat is None and price.flat is None and not price.free


def test_a_reservation_fee_does_not_stop_a_tariff_being_free():
    tariff = example("2.2.1/tariff_15_reservation_5_euro_per_hour")
    tariff["elements"][1]["price_components"] = [{"type": "FLAT", "price": 0, "step_size": 1}]
    assert current_price(tariff, at=local(NOON), time_zone=MADRID).free


def tariff_of(kind: str | None, tariff_id: str, **validity: str) -> dict:
    """Return a one-element tariff of type `kind` (None: untyped)."""
    tariff = {"id": tariff_id, "currency": "EUR", "elements": [], **validity}
    return tariff if kind is None else {**tariff, "type": kind}


@pytest.mark.parametrize(
    ("kinds", "chosen"),
    [
        (["PROFILE_CHEAP", "REGULAR", "AD_HOC_PAYMENT"], "2"),
        (["AD_HOC_PAYMENT", "AD_HOC_PAYMENT"], "0"),
        (["PROFILE_CHEAP", None, "REGULAR"], "1"),
        (["PROFILE_FAST", "REGULAR", None], "1"),
        (["PROFILE_GREEN", "PROFILE_FAST"], "0"),
        (["SOMETHING_NEW", "PROFILE_CHEAP"], "0"),
        ([None], "0"),
        ([], None),
    ],
)
def test_choice_prefers_ad_hoc_then_regular_or_untyped_then_the_first(kinds, chosen):
    tariffs = [tariff_of(kind, str(i)) for i, kind in enumerate(kinds)]
    picked = choose_tariff(tariffs, at=datetime(2025, 1, 15, tzinfo=UTC))
    assert (picked and picked["id"]) == chosen


@pytest.mark.parametrize(
    ("validity", "at", "valid"),
    [
        ({"start_date_time": "2025-02-01T00:00:00Z"}, "2025-01-31T23:59:59Z", False),
        ({"start_date_time": "2025-02-01T00:00:00Z"}, "2025-02-01T00:00:00Z", True),
        ({"end_date_time": "2025-02-01T00:00:00Z"}, "2025-01-31T23:59:59Z", True),
        ({"end_date_time": "2025-02-01T00:00:00Z"}, "2025-02-01T00:00:00Z", False),
        ({"end_date_time": "2025-02-01T00:00:00"}, "2025-01-31T23:59:59Z", True),  # zoneless: UTC
        ({"end_date_time": "2025-02-01T00:00:00"}, "2025-02-01T00:00:00Z", False),
        ({"start_date_time": "yesterday"}, "2025-02-01T00:00:00Z", False),
        ({"start_date_time": None, "end_date_time": None}, "2025-02-01T00:00:00Z", True),
    ],
)
def test_choice_ignores_an_ad_hoc_tariff_outside_its_validity(validity, at, valid):
    ad_hoc = tariff_of("AD_HOC_PAYMENT", "adhoc", **validity)
    picked = choose_tariff([tariff_of("REGULAR", "regular"), ad_hoc], at=datetime.fromisoformat(at))
    assert picked["id"] == ("adhoc" if valid else "regular")


def test_choice_skips_expired_and_missing_tariffs():
    expired = example("2.2.1/tariff_6_025kwh_start_max_price")  # ends 2019-06-30T23:59:59Z
    at = datetime(2025, 1, 15, tzinfo=UTC)
    assert choose_tariff([None, expired], at=at) is None
    assert choose_tariff([expired], at=datetime(2019, 6, 30, 23, 59, 58, tzinfo=UTC)) is expired
    simple = example("2.2.1/tariff_8_simple_025kwh")
    assert choose_tariff([expired, simple], at=at) is simple


def test_choice_defaults_to_now():
    assert choose_tariff([example("2.2.1/tariff_6_025kwh_start_max_price")]) is None


def cheap_when(restrictions: object) -> dict:
    """Return a tariff at 0.10 €/kWh under `restrictions`, else the default 0.50 €/kWh."""
    energy = {"type": "ENERGY", "vat": 21, "step_size": 1}
    return {
        "id": "R",
        "currency": "EUR",
        "elements": [
            {"price_components": [{**energy, "price": 0.10}], "restrictions": restrictions},
            {"price_components": [{**energy, "price": 0.50}]},
        ],
    }


def applies(restrictions: object, at: datetime, tz: str | None = MADRID, **kw: object) -> bool:
    """Tell whether the restricted element supplies the price at `at`."""
    price = current_price(cheap_when(restrictions), at=at, time_zone=tz, **kw)
    assert price.energy_excl_vat in (D("0.1"), D("0.5"))
    return price.energy_excl_vat == D("0.1")


@pytest.mark.parametrize(
    ("restrictions", "when", "expected"),
    [
        ({"start_time": "08:00", "end_time": "20:00"}, "2025-01-15T07:59:59", False),
        ({"start_time": "08:00", "end_time": "20:00"}, "2025-01-15T08:00", True),
        ({"start_time": "08:00", "end_time": "20:00"}, "2025-01-15T19:59:59", True),
        ({"start_time": "08:00", "end_time": "20:00"}, "2025-01-15T20:00", False),
        # end before start wraps past midnight
        ({"start_time": "22:00", "end_time": "06:00"}, "2025-01-15T21:59", False),
        ({"start_time": "22:00", "end_time": "06:00"}, "2025-01-15T22:00", True),
        ({"start_time": "22:00", "end_time": "06:00"}, "2025-01-16T00:00", True),
        ({"start_time": "22:00", "end_time": "06:00"}, "2025-01-16T05:59", True),
        ({"start_time": "22:00", "end_time": "06:00"}, "2025-01-16T06:00", False),
        ({"start_time": "22:00", "end_time": "06:00"}, "2025-01-16T12:00", False),
        # end "00:00" is the end of the day, not its start
        ({"start_time": "20:00", "end_time": "00:00"}, "2025-01-15T19:59", False),
        ({"start_time": "20:00", "end_time": "00:00"}, "2025-01-15T23:59:59", True),
        ({"start_time": "20:00", "end_time": "00:00"}, "2025-01-16T00:00", False),
        ({"start_time": "20:00", "end_time": "24:00"}, "2025-01-15T23:59", True),
        ({"start_time": "00:00", "end_time": "00:00"}, "2025-01-15T03:00", True),
        ({"start_time": "18:00"}, "2025-01-15T17:59", False),
        ({"start_time": "18:00"}, "2025-01-15T23:59", True),
        ({"end_time": "09:00"}, "2025-01-15T00:00", True),
        ({"end_time": "09:00"}, "2025-01-15T09:00", False),
        # 2025-01-17 is a Friday: the weekend starts at local midnight
        ({"day_of_week": ["SATURDAY", "SUNDAY"]}, "2025-01-17T23:59:59", False),
        ({"day_of_week": ["SATURDAY", "SUNDAY"]}, "2025-01-18T00:00", True),
        ({"day_of_week": ["SATURDAY", "SUNDAY"]}, "2025-01-19T23:59:59", True),
        ({"day_of_week": ["SATURDAY", "SUNDAY"]}, "2025-01-20T00:00", False),
        ({"day_of_week": []}, NOON, True),
        # start_date inclusive, end_date exclusive
        ({"start_date": "2025-03-01", "end_date": "2025-04-01"}, "2025-02-28T23:59:59", False),
        ({"start_date": "2025-03-01", "end_date": "2025-04-01"}, "2025-03-01T00:00", True),
        ({"start_date": "2025-03-01", "end_date": "2025-04-01"}, "2025-03-31T23:59:59", True),
        ({"start_date": "2025-03-01", "end_date": "2025-04-01"}, "2025-04-01T00:00", False),
        # a session starting now: 0 s elapsed, 0 kWh consumed
        ({"min_duration": 0}, NOON, True),
        ({"min_duration": 1}, NOON, False),
        ({"max_duration": 1}, NOON, True),
        ({"max_duration": 0}, NOON, False),
        ({"min_kwh": 0}, NOON, True),
        ({"min_kwh": 0.1}, NOON, False),
        ({"max_kwh": 10}, NOON, True),
        ({"max_kwh": 0}, NOON, False),
        # several restrictions must all hold
        ({"start_time": "08:00", "end_time": "20:00", "day_of_week": ["WEDNESDAY"]}, NOON, True),
        ({"start_time": "08:00", "end_time": "20:00", "day_of_week": ["MONDAY"]}, NOON, False),
        ({"start_time": "08:00", "end_time": "11:00", "day_of_week": ["WEDNESDAY"]}, NOON, False),
        ({"start_time": "08:00", "min_power": 50}, NOON, False),
        ({"reservation": "RESERVATION"}, NOON, False),
        ({"reservation": "RESERVATION_EXPIRES"}, NOON, False),
        ({"start_time": None, "reservation": None}, NOON, True),
        ({}, NOON, True),
    ],
)  # fmt: skip
def test_restrictions_at_their_boundaries(restrictions, when, expected):
    assert applies(restrictions, local(when)) is expected


@pytest.mark.parametrize(
    ("restrictions", "power", "expected"),
    [
        ({"min_power": 22}, 21.9, False),
        ({"min_power": 22}, 22, True),
        ({"min_power": 22}, D("150"), True),
        ({"max_power": 22}, D("21.99"), True),
        ({"max_power": 22}, 22.0, False),
        ({"min_power": "7.4", "max_power": "22"}, 7.4, True),
        ({"min_power": 22}, None, False),  # unknown power: the default element applies
        ({"max_power": 22}, None, False),
        ({"day_of_week": ["WEDNESDAY"]}, None, True),
    ],
)
def test_power_is_min_inclusive_max_exclusive_and_unknown_power_does_not_match(
    restrictions, power, expected
):
    assert applies(restrictions, local(NOON), max_power_kw=power) is expected


@pytest.mark.parametrize(
    ("restrictions", "current", "expected"),
    [
        ({"max_current": 32}, None, True),  # unknown current: ignored
        ({"min_current": 32}, None, True),
        ({"max_current": 32}, 16, True),
        ({"max_current": 32}, 32, False),
        ({"min_current": 32}, 16, False),
        ({"min_current": 32}, 32, True),
    ],
)
def test_current_is_ignored_when_unknown(restrictions, current, expected):
    assert applies(restrictions, local(NOON), max_current_a=current) is expected


@pytest.mark.parametrize(
    ("restrictions", "instant", "madrid", "canary"),
    [
        # winter: Madrid UTC+1, Canaries UTC+0; Saturday 2025-01-11 23:30 UTC
        ({"day_of_week": ["SUNDAY"]}, "2025-01-11T23:30:00Z", True, False),
        ({"day_of_week": ["SATURDAY"]}, "2025-01-11T23:30:00Z", False, True),
        ({"day_of_week": ["SUNDAY"]}, "2025-01-11T22:59:59Z", False, False),
        ({"day_of_week": ["SUNDAY"]}, "2025-01-11T23:00:00Z", True, False),
        ({"day_of_week": ["SUNDAY"]}, "2025-01-12T00:00:00Z", True, True),
        # summer: Madrid UTC+2, Canaries UTC+1; Saturday 2025-07-05 22:30 UTC
        ({"day_of_week": ["SUNDAY"]}, "2025-07-05T22:30:00Z", True, False),
        ({"day_of_week": ["SUNDAY"]}, "2025-07-05T23:00:00Z", True, True),
        ({"start_time": "00:00", "end_time": "01:00"}, "2025-01-15T23:30:00Z", True, False),
        ({"start_time": "00:00", "end_time": "01:00"}, "2025-01-16T00:30:00Z", False, True),
        ({"start_date": "2025-03-01"}, "2025-02-28T23:30:00Z", True, False),
        ({"end_date": "2025-03-01"}, "2025-02-28T23:30:00Z", False, True),
    ],
)
def test_local_time_and_date_follow_the_location_time_zone(restrictions, instant, madrid, canary):
    at = datetime.fromisoformat(instant)
    assert applies(restrictions, at, MADRID) is madrid
    assert applies(restrictions, at, CANARY) is canary


@pytest.mark.parametrize("tz", [None, "", "Mars/Olympus", "../etc/passwd", "Europe"])
def test_a_missing_or_invalid_time_zone_falls_back_to_madrid(tz):
    at = datetime.fromisoformat("2025-01-11T23:30:00Z")  # Sunday in Madrid, Saturday in UTC
    assert applies({"day_of_week": ["SUNDAY"]}, at, tz)


def test_a_naive_instant_is_utc():
    assert applies({"day_of_week": ["SUNDAY"]}, datetime(2025, 1, 11, 23, 30), MADRID)


@pytest.mark.parametrize(
    "restrictions",
    [
        "evenings",
        ["start_time", "20:00"],
        {"start_time": "8:00"},
        {"start_time": "25:00"},
        {"start_time": "24:00"},
        {"end_time": "12:60"},
        {"end_time": 1200},
        {"day_of_week": "WEDNESDAY"},
        {"start_date": "01/01/2025"},
        {"start_date": "2025-02-30"},
        {"end_date": 20251231},
        {"min_power": "lots"},
        {"max_kwh": True},
        {"max_duration": float("nan")},
        {"min_current": [32]},
        {"start_time": "08:00", "end_time": "20:00", "max_kwh": "x"},
    ],
)
def test_a_malformed_restriction_does_not_match_and_does_not_crash(restrictions):
    assert not applies(restrictions, local(NOON), max_power_kw=50, max_current_a=32)


def test_malformed_elements_and_components_are_skipped():
    tariff = cheap_when({"start_time": "08:00"})
    tariff["elements"][:0] = [
        "oops",
        {"price_components": "oops"},
        {"price_components": [{"type": "ENERGY", "price": "cheap"}, "oops"]},
    ]
    price = current_price(tariff, at=local(NOON), time_zone=MADRID)
    assert price.energy_excl_vat is None and price.energy_incl_vat is None  # first match wins
    assert current_price({"id": "x"}, at=local(NOON), time_zone=MADRID) == Price(
        "x", "", None, None, None, None, None, None
    )


def energy_at(price: object, vat: object = "absent", **kw: object) -> Price:
    """Price a one-component ENERGY tariff with the given `vat` field (or none)."""
    component = {"type": "ENERGY", "price": price, "step_size": 1}
    if vat != "absent":
        component["vat"] = vat
    tariff = {"id": "E", "currency": "EUR", "elements": [{"price_components": [component]}]}
    return current_price(tariff, at=local(NOON), time_zone=MADRID, **kw)


@pytest.mark.parametrize(
    ("price", "vat", "rate", "incl", "kw"),
    [
        (0.30, "absent", None, None, {}),  # absent: unknown, not 0 %
        (0.30, None, None, None, {}),
        (0.30, 0, "0", "0.3", {}),
        (0.30, 21, "21", "0.363", {}),
        ("0.3333", "21", "21", "0.4033", {}),  # 0.403293 rounds to 4 decimals
        ("0.12345", 0, "0", "0.1235", {}),  # half-up, not banker's
        (D("0.12344"), 0.0, "0", "0.1234", {}),
        (0.1, 21.0, "21", "0.121", {}),  # floats are read by their shortest form
        (0.30, "lots", None, None, {}),
        (0.30, -21, None, None, {}),
        (0.30, 21, None, None, {"ocpi_version": "2.1.1"}),  # 2.1.1 has no VAT
    ],
)
def test_vat_is_a_percentage_and_unknown_when_absent(price, vat, rate, incl, kw):
    result = energy_at(price, vat, **kw)
    assert result.energy_excl_vat == D(str(price))
    assert result.vat_rate == (None if rate is None else D(rate))
    assert result.energy_incl_vat == (None if incl is None else D(incl))


def test_incl_vat_has_four_decimals():
    assert energy_at(0.25, 10).energy_incl_vat.as_tuple().exponent == -4


@pytest.mark.parametrize(
    ("tariff", "when", "tz", "until"),
    [
        ("2.2.1/tariff_14_step_size", "2025-01-15T12:00", MADRID, "2025-01-15T16:00:00Z"),
        ("2.2.1/tariff_14_step_size", "2025-01-15T21:00", MADRID, "2025-01-15T23:00:00Z"),
        ("2.2.1/tariff_14_step_size", "2025-01-15T12:00", CANARY, "2025-01-15T17:00:00Z"),
        ("2.2.1/tariff_4_complex", "2025-01-15T19:00", MADRID, "2025-01-15T23:00:00Z"),
        ("2.2.1/tariff_6_025kwh_start_max_price", "2019-01-01T12:00", MADRID,
         "2019-06-30T23:59:59Z"),
        ("2.2.1/tariff_6_025kwh_start_max_price", "2025-01-15T12:00", MADRID, None),
        ("2.2.1/tariff_8_simple_025kwh", "2025-01-15T12:00", MADRID, None),
        ("2.2.1/tariffrestriction_example_max_duration", "2025-01-15T12:00", MADRID, None),
    ],
)  # fmt: skip
def test_valid_until_is_the_next_time_or_day_boundary(tariff, when, tz, until):
    price = current_price(example(tariff), at=local(when, tz), time_zone=tz)
    assert price.valid_until == (until and datetime.fromisoformat(until))


def test_valid_until_includes_date_restrictions():
    price = current_price(
        cheap_when({"start_date": "2025-03-01"}), at=local(NOON), time_zone=MADRID
    )
    assert price.valid_until == datetime(2025, 2, 28, 23, tzinfo=UTC)


@pytest.mark.parametrize(
    ("energies", "expected"),
    [
        (["0.30", "0.25", "0.40"], "0.25"),
        (["0.30", None, "0.25"], "0.25"),  # a connector without ENERGY price is left out
        ([None, None], None),
        ([], None),
        (["0", "0.25"], "0"),
    ],
)
def test_price_from_is_the_cheapest_energy_price_excl_vat(energies, expected):
    prices = [
        Price("t", "EUR", None if e is None else D(e), None, None, None, D(2), None)
        for e in energies
    ]
    assert price_from([*prices, None]) == (None if expected is None else D(expected))


def test_price_from_ignores_time_only_tariffs():
    prices = [price_of("2.2.1/tariff_1_simple_2hour"), price_of("2.2.1/tariff_9_025kwh_start")]
    assert price_from(prices) == D("0.25")
    assert price_from(iter([price_of("2.2.1/tariff_1_simple_2hour")])) is None
