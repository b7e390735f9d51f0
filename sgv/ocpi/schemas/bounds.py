"""The bounds of every number a CPO pushes (SPEC §3; the table in docs/ocpi.md).

One table, read by the schemas (out of bounds: 400/2001 naming the field) and by the
public renderer (sgv/public/prices.py: a stored value out of bounds loses its price
rather than failing a page). Bounds are generous for real charging and far below what
would overflow a column (int4) or the 28 digits of Decimal arithmetic: the 1e24 €/kWh
that once made every export answer 500 is refused at push time and never shown.
"""

from decimal import Decimal
from typing import NamedTuple

INT4 = 2**31 - 1  # PostgreSQL `integer`: connector columns (sgv/models/ocpi.py)


class Bound(NamedTuple):
    """An inclusive range and its unit, as docs/ocpi.md writes it."""

    minimum: Decimal
    maximum: Decimal
    unit: str
    fields: str  # where OCPI sends it


def bound(minimum: int | str, maximum: int | str, unit: str, fields: str) -> Bound:
    return Bound(Decimal(minimum), Decimal(maximum), unit, fields)


BOUNDS = {
    "price": bound(0, 100, "currency per unit (kWh, hour, session)", "price_components.price"),
    "vat": bound(0, 100, "%", "price_components.vat"),
    "session_price": bound(
        0, 10_000, "currency per session", "min_price, max_price (excl_vat, incl_vat)"
    ),
    "step_size": bound(0, INT4, "Wh, s or 1", "price_components.step_size"),
    "kwh": bound(0, 10_000, "kWh", "restrictions.min_kwh, max_kwh"),
    "current": bound(0, 4_000, "A", "restrictions.min_current, max_current"),
    "restricted_power": bound(0, 4_000, "kW", "restrictions.min_power, max_power"),
    "duration": bound(0, 31_536_000, "s (365 days)", "restrictions.min_duration, max_duration"),
    "voltage": bound(0, 2_000, "V", "connector max_voltage (2.1.1: voltage)"),
    "amperage": bound(0, 4_000, "A", "connector max_amperage (2.1.1: amperage)"),
    "power": bound(0, 4_000_000, "W (4 MW)", "connector max_electric_power"),
    "percentage": bound(0, 100, "%", "energy_sources.percentage"),
    "impact": bound(0, 1_000_000, "g/kWh", "environ_impact.amount"),
    "pixels": bound(0, 99_999, "px", "images.width, height"),
    # OCPI 2.3.0 (v230.py): parking places and the tariff's pre-authorisation
    "vehicle_weight": bound(0, 100_000, "kg", "parking_places.max_vehicle_weight"),
    "vehicle_size": bound(
        0,
        10_000,
        "cm",
        "parking_places.max_vehicle_height, max_vehicle_length, max_vehicle_width, "
        "parking_space_length, parking_space_width",
    ),
    "time_limit": bound(0, 527_040, "min (366 days)", "parking_places.time_limit"),
    "preauthorize": bound(0, 10_000, "currency per session", "preauthorize_amount"),
    "price_limit": bound(
        0, 10_000, "currency per session", "min_price, max_price (before_taxes, after_taxes)"
    ),
}
# A connector's power in kW shown publicly: the power bound (max_electric_power, or
# volts × amps × phases of a stored row) beyond which a stored value is not believed.
MAX_POWER_KW = BOUNDS["power"].maximum / 1000


def within(name: str, value: Decimal | None) -> bool:
    """Say whether a finite value lies within the named bound (None: absent, fine)."""
    if value is None:
        return True
    limits = BOUNDS[name]
    return value.is_finite() and limits.minimum <= value <= limits.maximum
