"""OCPI 2.3.0 prices in SGV's public terms: €/kWh excluding VAT (SPEC §3, §4; issue #16).

`tax_included` says what a 2.3.0 price is: YES (incl. VAT: divided by 1 + vat/100), NO
(excl. VAT), N/A (no VAT applies); an absent `vat` is 0 % in 2.3.0, unknown before.
"""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from sgv.public.session_cost import DC_SESSION, session_cost
from sgv.public.tariffs import current_price
from sgv.public.taxes import ex_vat
from tests.ocpi_helpers import EXAMPLES

D = Decimal
NOON = datetime(2025, 1, 15, 11, 0, tzinfo=UTC)


def energy_tariff(tax_included: str | None, price: float, vat: float | None) -> dict:
    component = {"type": "ENERGY", "price": price, "step_size": 1}
    if vat is not None:
        component["vat"] = vat
    return {
        "id": "T1",
        "currency": "EUR",
        "elements": [{"price_components": [component]}],
        **({} if tax_included is None else {"tax_included": tax_included}),
    }


def figures(tax_included: str | None, price: float, vat: float | None) -> tuple:
    tariff = ex_vat(energy_tariff(tax_included, price, vat), tax_included)
    shown = current_price(tariff, at=NOON, time_zone="Europe/Madrid")
    return shown.energy_excl_vat, shown.vat_rate, shown.energy_incl_vat


@pytest.mark.parametrize(
    ("tax_included", "price", "vat", "expected"),
    [
        # VAT-inclusive: the public figure is converted with the VAT rate
        ("YES", 0.363, 21.0, (D("0.300000"), D("21"), D("0.3630"))),
        ("YES", 0.40, 21.0, (D("0.330579"), D("21"), D("0.4000"))),  # incl. gives it back
        ("YES", 0.55, 10.0, (D("0.500000"), D("10"), D("0.5500"))),
        # YES without vat: 0 % in 2.3.0, so the price is already ex VAT
        ("YES", 0.30, None, (D("0.3"), D("0"), D("0.3000"))),
        # NO: the price is ex VAT; vat absent: none applies (0 %), not unknown
        ("NO", 0.30, 21.0, (D("0.3"), D("21"), D("0.3630"))),
        ("NO", 0.30, None, (D("0.3"), D("0"), D("0.3000"))),
        # N/A: no taxes apply, whatever vat says
        ("N/A", 0.30, 21.0, (D("0.3"), D("0"), D("0.3000"))),
        # before 2.3.0 (no tax_included): ex VAT, and an absent vat is unknown
        (None, 0.30, 21.0, (D("0.3"), D("21"), D("0.3630"))),
        (None, 0.30, None, (D("0.3"), None, None)),
    ],
)
def test_tax_included_decides_what_the_public_ex_vat_figure_is(tax_included, price, vat, expected):
    assert figures(tax_included, price, vat) == expected


def test_the_stored_tariff_is_not_changed_by_the_conversion():
    tariff = energy_tariff("YES", 0.363, 21.0)
    before = json.dumps(tariff, sort_keys=True)
    assert ex_vat(tariff, "YES")["elements"][0]["price_components"][0]["price"] == D("0.3")
    assert json.dumps(tariff, sort_keys=True) == before


@pytest.mark.parametrize(
    ("name", "excl", "vat", "incl", "time_per_hour"),
    [
        ("tariff_12_025kwh_min_price", D("0.25"), D("10"), D("0.2750"), None),  # NO, vat 10
        ("tariff_20_simple_north_american_inclusive", None, None, None, D("2.1")),  # YES, no vat
        ("tariff_19_simple_north_american_exclusive", None, None, None, D("2")),  # NO, no vat
        ("tariff_8_simple_025kwh", D("0.25"), D("10"), D("0.2750"), None),
    ],
)
def test_official_2_3_0_examples_give_their_ex_vat_figures(name, excl, vat, incl, time_per_hour):
    tariff = json.loads((EXAMPLES / "2.3.0" / f"{name}.json").read_text())
    shown = current_price(
        ex_vat(tariff, tariff["tax_included"]), at=NOON, time_zone="Europe/Madrid"
    )
    assert (shown.energy_excl_vat, shown.energy_incl_vat, shown.time_per_hour) == (
        excl,
        incl,
        time_per_hour,
    )
    assert shown.vat_rate == (vat if excl is not None else None)


def test_every_official_2_3_0_tariff_gives_a_sensible_ex_vat_price():
    for path in sorted((EXAMPLES / "2.3.0").glob("tariff_*.json")):
        tariff = json.loads(path.read_text())
        shown = current_price(
            ex_vat(tariff, tariff.get("tax_included")), at=NOON, time_zone="Europe/Madrid"
        )
        priced = (shown.energy_excl_vat, shown.flat, shown.time_per_hour, shown.parking_per_hour)
        assert any(f is not None for f in priced), path.name
        if shown.energy_excl_vat is not None and not shown.free:  # VAT known: both figures
            assert shown.vat_rate is not None and shown.energy_incl_vat is not None, path.name


def test_a_vat_inclusive_2_3_0_tariff_gets_a_session_cost():
    """0.363 €/kWh including 21 % VAT: a 40 kWh charge costs 40 × 0.30 = 12.00 € ex VAT,
    12.00 × 1.21 = 14.52 € with VAT (the cost used to be refused for tax_included YES)."""
    tariff = {
        "id": "T230",
        "currency": "EUR",
        "tax_included": "YES",
        "elements": [{"price_components": [{"type": "ENERGY", "price": 0.363, "vat": 21.0,
                                            "step_size": 1}]}],
    }  # fmt: skip
    at = datetime(2026, 12, 7, 16, 50, tzinfo=UTC)
    cost = session_cost(ex_vat(tariff, "YES"), DC_SESSION, at=at, time_zone="Europe/Madrid")
    assert cost is not None
    assert (cost.excl_vat, cost.incl_vat) == (Decimal("12.00"), Decimal("14.52"))
    assert session_cost(tariff, DC_SESSION, at=at, time_zone="Europe/Madrid") is None  # raw
