"""What a typical charge costs under every official OCPI example tariff (issue #19).

Each figure below is worked out by hand in its comment. "Now" is Monday 7 December 2026,
16:50 in Madrid: the AC session (20 kWh in 30 min, 40 kW) runs 16:50–17:20, the DC one
(40 kWh in 25 min, 96 kW) 16:50–17:15. The AC connector works at 230 V (current summed
over phases: 40,000 / 230 = 174 A), the DC one at 400 V (240 A). Rounding: half-up to cents.
"""

import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sgv.public.session_cost import AC_SESSION, DC_SESSION, Session, session_cost
from tests.fuzz_strategies import dump, mutated
from tests.ocpi_helpers import EXAMPLES, example

MADRID = ZoneInfo("Europe/Madrid")
NOW = datetime(2026, 12, 7, 16, 50, tzinfo=MADRID)  # a Monday
AC, DC = (AC_SESSION, 230), (DC_SESSION, 400)

# (version, example, session, excl. VAT, incl. VAT or None)
OFFICIAL = [
    # TIME 2.00/h, 10 % VAT, step 60 s. AC: 0.5 h × 2.00 = 1.00; × 1.10 = 1.10.
    ("2.2.1", "tariff_1_simple_2hour", AC, "1.00", "1.10"),
    # DC: 25/60 h × 2.00 = 0.8333 → 0.83; × 1.10 = 0.9167 → 0.92.
    ("2.2.1", "tariff_1_simple_2hour", DC, "0.83", "0.92"),
    # TIME 1.90/h, 5.2 %, step 300 s. AC: 0.5 × 1.90 = 0.95; × 1.052 = 0.9994 → 1.00.
    ("2.2.1", "tariff_2_alt_text", AC, "0.95", "1.00"),
    # DC: 25 min is 5 steps: 25/60 × 1.90 = 0.7917 → 0.79; × 1.052 = 0.8328 → 0.83.
    ("2.2.1", "tariff_2_alt_text", DC, "0.79", "0.83"),
    # FLAT 0.50 (20 %) + ENERGY 0.25/kWh (10 %), step 100 Wh: 20 kWh is 200 steps.
    # 0.50 + 5.00 = 5.50; 0.60 + 5.50 = 6.10.
    ("2.2.1", "tariff_3_alt_url", AC, "5.50", "6.10"),
    # 0.50 + 40 × 0.25 = 10.50; 0.60 + 11.00 = 11.60.
    ("2.2.1", "tariff_3_alt_url", DC, "10.50", "11.60"),
    # FLAT 2.50 (15 %); TIME: 174 A is not < 32 A (1.00/h out), ≥ 32 A on a weekday:
    # 2.00/h (20 %), step 600 s. AC 30 min: 1.00. 2.50 + 1.00 = 3.50;
    # 2.875 + 1.20 = 4.075 → 4.08. No parking in the session.
    ("2.2.1", "tariff_4_complex", AC, "3.50", "4.08"),
    # DC 25 min rounds up to 30 min (step 600 s): the same 3.50 and 4.08.
    ("2.2.1", "tariff_4_complex", DC, "3.50", "4.08"),
    # FLAT 0.00 without VAT: free; a zero amount needs no VAT rate.
    ("2.2.1", "tariff_5_free_of_charge", AC, "0.00", "0.00"),
    ("2.2.1", "tariff_5_free_of_charge", DC, "0.00", "0.00"),
    # FLAT 0.50 (20 %) + ENERGY 0.25 (10 %), max_price 10.00 / 11.00.
    # AC: 0.50 + 5.00 = 5.50; 0.60 + 5.50 = 6.10 (under the limit).
    ("2.2.1", "tariff_6_025kwh_start_max_price", AC, "5.50", "6.10"),
    # DC: 10.50 > 10.00 → 10.00; 11.60 > 11.00 → 11.00.
    ("2.2.1", "tariff_6_025kwh_start_max_price", DC, "10.00", "11.00"),
    # ENERGY 0.25 (10 %): 20 × 0.25 = 5.00, 5.50; 40 × 0.25 = 10.00, 11.00.
    ("2.2.1", "tariff_8_simple_025kwh", AC, "5.00", "5.50"),
    ("2.2.1", "tariff_8_simple_025kwh", DC, "10.00", "11.00"),
    # FLAT 0.50 (20 %) + ENERGY 0.25 (10 %), as tariff 3 with 1 Wh steps.
    ("2.2.1", "tariff_9_025kwh_start", AC, "5.50", "6.10"),
    ("2.2.1", "tariff_9_025kwh_start", DC, "10.50", "11.60"),
    # Tariff 9 plus PARKING_TIME 2.00/h: the session does not park, so the same.
    ("2.2.1", "tariff_10_025kwh_parking_start", AC, "5.50", "6.10"),
    ("2.2.1", "tariff_10_025kwh_parking_start", DC, "10.50", "11.60"),
    # FLAT 0.40 (25 %) + TIME 1.90/h (5.2 %), step 300 s.
    # AC: 0.40 + 0.95 = 1.35; 0.50 + 0.9994 = 1.4994 → 1.50.
    ("2.2.1", "tariff_11_not_possible_alt_text", AC, "1.35", "1.50"),
    # DC: 0.40 + 0.7917 = 1.1917 → 1.19; 0.50 + 0.8328 = 1.3328 → 1.33.
    ("2.2.1", "tariff_11_not_possible_alt_text", DC, "1.19", "1.33"),
    # ENERGY 0.25 (10 %), min_price 0.50 / 0.55: both sessions cost more than that.
    ("2.2.1", "tariff_12_025kwh_min_price", AC, "5.00", "5.50"),
    ("2.2.1", "tariff_12_025kwh_min_price", DC, "10.00", "11.00"),
    # TIME 3.00/h (10 %), step 60 s; parking unused. AC: 1.50, 1.65.
    ("2.2.1", "tariff_13_simple_3hour_5parking", AC, "1.50", "1.65"),
    # DC: 25/60 × 3.00 = 1.25; × 1.10 = 1.375 → 1.38.
    ("2.2.1", "tariff_13_simple_3hour_5parking", DC, "1.25", "1.38"),
    # No VAT anywhere. TIME 1.20/h before 17:00 (step 1800 s), 2.40/h 17:00–20:00 (900 s).
    # AC: 10 min × 1.20/h = 0.20; 20 min × 2.40/h = 0.80; 30 min in all is 2 steps of 900 s
    # of the last component: nothing to round. 1.00, incl. VAT unknown.
    ("2.2.1", "tariff_14_step_size", AC, "1.00", None),
    # DC: 0.20 + 15 min × 2.40/h = 0.60; 25 min rounds up to 30 (900 s): 5 more minutes at
    # 2.40/h = 0.20. 1.00.
    ("2.2.1", "tariff_14_step_size", DC, "1.00", None),
    # Tariffs 15–18 add reservation elements, which never price a charge: tariff 9's figures.
    ("2.2.1", "tariff_15_reservation_5_euro_per_hour", AC, "5.50", "6.10"),
    ("2.2.1", "tariff_15_reservation_5_euro_per_hour", DC, "10.50", "11.60"),
    ("2.2.1", "tariff_16_reservation_2_euro_fee_5_euro_per_hour", AC, "5.50", "6.10"),
    ("2.2.1", "tariff_16_reservation_2_euro_fee_5_euro_per_hour", DC, "10.50", "11.60"),
    ("2.2.1", "tariff_17_reservation_with_expire_fee", AC, "5.50", "6.10"),
    ("2.2.1", "tariff_17_reservation_with_expire_fee", DC, "10.50", "11.60"),
    ("2.2.1", "tariff_18_reservation_with_expire_time", AC, "5.50", "6.10"),
    ("2.2.1", "tariff_18_reservation_with_expire_time", DC, "10.50", "11.60"),
    # TIME 2.00/h (10 %), step 300 s: as tariff 1.
    ("2.2.1", "tariff_put_example", AC, "1.00", "1.10"),
    ("2.2.1", "tariff_put_example", DC, "0.83", "0.92"),
    # ENERGY free below 1800 s, 0.25 below 3600 s, else 0.40 (20 %): both sessions end by
    # 30 min, so every kWh is free.
    ("2.2.1", "tariffrestriction_example_max_duration", AC, "0.00", "0.00"),
    ("2.2.1", "tariffrestriction_example_max_duration", DC, "0.00", "0.00"),
    # ENERGY 0.20 below 16 kW, 0.35 below 32 kW, else 0.50 (20 %). AC at 40 kW: 20 × 0.50
    # = 10.00; × 1.2 = 12.00. DC at 96 kW: 40 × 0.50 = 20.00; 24.00.
    ("2.2.1", "tariffrestriction_example_max_power", AC, "10.00", "12.00"),
    ("2.2.1", "tariffrestriction_example_max_power", DC, "20.00", "24.00"),
    # OCPI 2.1.1 has no VAT: incl. VAT is always unknown, except for a free tariff.
    # TIME 2.00/h, step 300 s: 1.00 and 25/60 × 2.00 = 0.8333 → 0.83.
    ("2.1.1", "tariff_1_simple_2hour", AC, "1.00", None),
    ("2.1.1", "tariff_1_simple_2hour", DC, "0.83", None),
    ("2.1.1", "tariff_2_alt_text", AC, "1.00", None),
    ("2.1.1", "tariff_2_alt_text", DC, "0.83", None),
    ("2.1.1", "tariff_3_alt_url", AC, "1.00", None),
    ("2.1.1", "tariff_3_alt_url", DC, "0.83", None),
    # FLAT 2.50; TIME by power: 40 and 96 kW are ≥ 32 kW on a weekday: 2.00/h, step 600 s.
    # AC: 2.50 + 1.00 = 3.50. DC: 25 min → 30 min: 2.50 + 1.00 = 3.50.
    ("2.1.1", "tariff_4_complex", AC, "3.50", None),
    ("2.1.1", "tariff_4_complex", DC, "3.50", None),
    ("2.1.1", "tariff_5_free_of_charge", AC, "0.00", "0.00"),
    ("2.1.1", "tariff_5_free_of_charge", DC, "0.00", "0.00"),
    ("2.1.1", "tariff_put_example", AC, "1.00", None),
    ("2.1.1", "tariff_put_example", DC, "0.83", None),
]


def cost(tariff: dict, session: Session, at: datetime = NOW, volts=None, version="2.2.1", **kw):
    return session_cost(
        tariff, session, at=at, time_zone="Europe/Madrid", volts=volts, ocpi_version=version, **kw
    )


@pytest.mark.parametrize(
    ("version", "name", "connector", "excl", "incl"),
    OFFICIAL,
    ids=[f"{v}-{n}-{'AC' if c is AC else 'DC'}" for v, n, c, _, _ in OFFICIAL],
)
def test_a_typical_session_costs_the_hand_worked_figure(version, name, connector, excl, incl):
    session, volts = connector
    found = cost(example(version, name), session, volts=volts, version=version)
    assert found.currency == "EUR"
    assert found.excl_vat == Decimal(excl)
    assert found.incl_vat == (None if incl is None else Decimal(incl))


def test_every_official_tariff_example_has_a_figure():
    tested = {(v, n) for v, n, *_ in OFFICIAL}
    for version in ("2.2.1", "2.1.1"):
        folder = EXAMPLES / version
        names = {p.stem for p in folder.glob("tariff*.json")} - {"tariff_patch_example"}
        assert names <= {n for v, n in tested if v == version}


def test_a_patch_body_is_no_tariff_and_has_no_cost():
    assert cost(example("2.1.1", "tariff_patch_example"), AC_SESSION, version="2.1.1") is None


def session(kwh: str, minutes: int, parking: int = 0) -> Session:
    return Session(Decimal(kwh), minutes, parking)


MONDAY_0930 = datetime(2026, 12, 7, 9, 30, tzinfo=MADRID)
SATURDAY_1330 = datetime(2026, 12, 12, 13, 30, tzinfo=MADRID)
# The OCPI 2.2.1 text's own worked figures: (example, session, start, volts, excl, incl).
SPEC = [
    # "20 kWh … parked for 40 minutes after": 0.50 + 5.00 + 45 min × 2.00/h = 7.00; 7.90.
    ("tariff_10_025kwh_parking_start", session("20", 60, 40), MONDAY_0930, None, "7.00", "7.90"),
    # "150 minutes (charging) + 42 minutes (parking)": 7.50 + 45 min × 5.00/h = 11.25; 12.75.
    (
        "tariff_13_simple_3hour_5parking",
        session("20", 150, 42),
        MONDAY_0930,
        None,
        "11.25",
        "12.75",
    ),  # fmt: skip
    # "a charging session of 2.5 hours": 2.5 × 1.90 = 4.75; × 1.052 = 4.997 → 5.00.
    ("tariff_2_alt_text", session("20", 150), MONDAY_0930, None, "4.75", "5.00"),
    # Monday 09:30, 147 min at 16 A (3.68 kW at 230 V: 9.016 kWh), 42 min parked:
    # 2.50 + 150 min × 1.00/h + 45 min × 5.00/h = 8.75; 2.875 + 3.00 + 4.125 = 10.00.
    ("tariff_4_complex", session("9.016", 147, 42), MONDAY_0930, 230, "8.75", "10.00"),
    # Saturday 13:30, 114 min at 43 A (9.89 kW: 18.791 kWh), 71 min parked:
    # 2.50 + 120 min × 1.25/h + 75 min × 6.00/h = 12.50; 2.875 + 3.00 + 8.25 = 14.125 → 14.13.
    ("tariff_4_complex", session("18.791", 114, 71), SATURDAY_1330, 230, "12.50", "14.13"),
    # Switching elements #2: 16:35, 35 min: 25 min × 1.20/h + 10 min × 2.40/h, rounded to
    # 45 min by the last step (900 s): + 10 min × 2.40/h. 0.50 + 0.40 + 0.40 = 1.30.
    (
        "tariff_14_step_size",
        session("5", 35),
        datetime(2026, 12, 7, 16, 35, tzinfo=MADRID),
        None,
        "1.30",
        None,
    ),  # fmt: skip
    # Switching to free parking: 19:55, 10 min charging, 2 min parked after 20:00 (free).
    # 5 min × 2.40/h + 5 min × 2.40/h, rounded to 15 min: 0.20 + 0.20 + 0.20 = 0.60.
    (
        "tariff_14_step_size",
        session("5", 10, 2),
        datetime(2026, 12, 7, 19, 55, tzinfo=MADRID),
        None,
        "0.60",
        None,
    ),  # fmt: skip
    # "if less than 2 kWh is charged, 0.50 … or 0.55" (1 kWh: 0.25, 0.275).
    ("tariff_12_025kwh_min_price", session("1", 10), MONDAY_0930, None, "0.50", "0.55"),
    # "If only 30 kWh were charged, the costs would be 8.00 … and 8.85".
    ("tariff_6_025kwh_start_max_price", session("30", 60), MONDAY_0930, None, "8.00", "8.85"),
]


@pytest.mark.parametrize(("name", "what", "at", "volts", "excl", "incl"), SPEC)
def test_the_specifications_own_worked_examples(name, what, at, volts, excl, incl):
    found = cost(example("2.2.1", name), what, at, volts)
    assert (found.excl_vat, found.incl_vat) == (Decimal(excl), incl and Decimal(incl))


def test_parking_within_the_rounded_up_charging_time_is_billed():
    # OCPI's "switching #1" (16:55, 10 min charging, 2 min parked) says 0.50, by not billing
    # parking inside the charging time rounded up; its complex example bills such parking
    # in full (8.75 above). We follow the complex example: 0.10 + 0.40 + 15 min × 1.00/h.
    at = datetime(2026, 12, 7, 16, 55, tzinfo=MADRID)
    assert cost(example("2.2.1", "tariff_14_step_size"), session("5", 10, 2), at).excl_vat == (
        Decimal("0.75")
    )


def test_the_locations_time_zone_decides_which_element_applies():
    # 16:50 in Madrid is 15:50 in the Canary Islands: 30 min × 1.20/h, all before 17:00,
    # rounded to its 1800 s step: 0.60 (Madrid: 1.00, above).
    tariff = example("2.2.1", "tariff_14_step_size")
    canary = session_cost(tariff, AC_SESSION, at=NOW, time_zone="Atlantic/Canary")
    assert canary.excl_vat == Decimal("0.60")


def test_a_time_boundary_on_the_day_clocks_change_is_honoured():
    # 29 March 2026, clocks jump 02:00 → 03:00 in Madrid. TIME 6.00/h from 03:00, free
    # before: a 01:30–03:30 local session (one hour long in real time) is charged for 30 min.
    tariff = {"currency": "EUR", "elements": [
        {"price_components": [{"type": "TIME", "price": 6, "step_size": 1}],
         "restrictions": {"start_time": "03:00", "end_time": "04:00"}}]}  # fmt: skip
    at = datetime(2026, 3, 29, 1, 30, tzinfo=MADRID)
    assert cost(tariff, session("10", 60), at).excl_vat == Decimal("3.00")


# --- properties ---------------------------------------------------------------------------

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
STARTS = st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31), timezones=st.just(MADRID))
SESSIONS = st.builds(
    Session,
    st.decimals(0, 1000, places=3),
    st.integers(1, 1440),
    st.integers(0, 1440),
)
SEEDS = [example(v, n) for v, n in sorted({(v, n) for v, n, *_ in OFFICIAL})]
TIMES = st.sampled_from([None, "00:00", "07:30", "17:00", "23:59", "24:00"])
RESTRICTIONS = st.fixed_dictionaries(
    {},
    optional={
        "start_time": TIMES,
        "end_time": TIMES,
        "day_of_week": st.lists(st.sampled_from(["MONDAY", "SATURDAY", "SUNDAY"]), max_size=2),
        "min_kwh": st.integers(0, 60),
        "max_kwh": st.integers(0, 60),
        "min_duration": st.integers(0, 7200),
        "max_duration": st.integers(0, 7200),
        "start_date": st.sampled_from(["2025-06-01", "2026-12-07"]),
    },
)
ENERGY_ONLY = st.lists(
    st.fixed_dictionaries(
        {
            "price_components": st.lists(
                st.fixed_dictionaries(
                    {
                        "type": st.just("ENERGY"),
                        "price": st.decimals(0, 100, places=4).map(float),
                        "step_size": st.integers(0, 5000),
                    },
                    optional={"vat": st.decimals(0, 100, places=1).map(float)},
                ),
                min_size=1,
                max_size=2,
            ),
            "restrictions": RESTRICTIONS,
        }
    ),
    min_size=1,
    max_size=5,
)


@PROPERTY
@given(st.sampled_from(SEEDS).flatmap(mutated), SESSIONS, STARTS, st.sampled_from([None, 230]))
def test_no_stored_tariff_makes_it_fail_or_cost_less_than_nothing(raw, what, at, volts):
    try:
        tariff = json.loads(dump(raw))  # what a JSONB column gives back
    except (ValueError, RecursionError):
        assume(False)
    found = cost(tariff, what, at, volts)
    assert found is None or (found.excl_vat >= 0 and (found.incl_vat or 0) >= 0)


LIMITS = st.sampled_from([{}, {"min_price": {"excl_vat": 5}}, {"max_price": {"excl_vat": 50}}])


@PROPERTY
@given(ENERGY_ONLY, LIMITS, SESSIONS, st.decimals(0, 1000, places=3), STARTS)
def test_more_kwh_never_costs_less_with_an_energy_only_tariff(elements, limit, what, more, at):
    tariff = {"currency": "EUR", "elements": elements, **limit}
    few = cost(tariff, what, at)
    many = cost(tariff, Session(what.kwh + more, what.minutes, what.parking_minutes), at)
    # OCPI rounds a dimension's whole volume up to the step of the last component that
    # priced it, and bills the rounding at that price: when a cheaper element priced the
    # session's first kWh, a little more energy can need less rounding than it adds (a
    # free first 2 s, then 2 Wh steps at 2.52 €/kWh: 1 Wh costs 0.01, 2 Wh 0.00). Less
    # never by more than one step of the dearest component, and a cent of rounding.
    components = [c for element in elements for c in element["price_components"]]
    step = max(Decimal(c["step_size"]) * Decimal(str(c["price"])) / 1000 for c in components)
    slack = step + Decimal("0.01") if step else 0
    assert few.excl_vat <= many.excl_vat + slack
    # A limit scales the incl.-VAT total by the ex-VAT factor, and the kWh past it may bear
    # another VAT rate: only without a limit is incl. VAT monotonic too (VAT ≤ 100 %).
    if not limit and few.incl_vat is not None and many.incl_vat is not None:
        assert few.incl_vat <= many.incl_vat + 2 * slack


def test_a_free_start_then_steps_can_make_a_little_more_energy_cost_a_cent_less():
    """The case hypothesis found: OCPI's rounding of the whole volume to the last step."""
    free_2_s = {"price_components": [{"type": "ENERGY", "price": 0, "step_size": 0}]}
    free_2_s["restrictions"] = {"max_duration": 2}
    paid = {"price_components": [{"type": "ENERGY", "price": 2.5211, "step_size": 2}]}
    tariff = {"currency": "EUR", "elements": [free_2_s, paid]}
    # 1 Wh: 0.983 Wh paid + 1 Wh of rounding; 2 Wh: 1.967 Wh paid, no rounding.
    assert cost(tariff, session("0.001", 2)).excl_vat == Decimal("0.01")
    assert cost(tariff, session("0.002", 2)).excl_vat == Decimal("0.00")


def test_a_tariff_past_the_caps_has_no_cost_rather_than_slowing_the_server(monkeypatch):
    element = {"price_components": [{"type": "ENERGY", "price": 0.3, "step_size": 1}]}
    assert cost({"currency": "EUR", "elements": [element] * 32}, DC_SESSION) is not None
    assert cost({"currency": "EUR", "elements": [element] * 33}, DC_SESSION) is None
    # 32 elements cut a day at most ~300 times; the period cap is a second fence.
    hourly = {"currency": "EUR", "elements": [element]}
    assert cost(hourly, session("20", 600)) is not None  # 10 h: 11 periods or so
    monkeypatch.setattr("sgv.public.session_periods.MAX_PERIODS", 5)
    assert cost(hourly, session("20", 600)) is None
