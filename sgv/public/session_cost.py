"""What a typical charging session costs under one tariff, now (issue #19; docs/session-cost.md).

Pure: a stored OCPI Tariff (a dict, 2.2.1 or 2.1.1 shape), a session, its start and the
location's zone in; a `Cost` out, or None when the tariff cannot be priced. Every element,
restriction and step size counts, not only the element that applies at the start:

* The session charges at constant power (kWh ÷ hours) for its minutes, then may stay
  parked (`parking_minutes`, 0 by default). Restrictions are evaluated over time: local
  time, day and date in the location's zone, kWh delivered so far, seconds since the
  start, the session's power (0 while parked) and, when the connector's voltage is known,
  its current summed over phases (kW × 1000 ÷ V; unknown current: those restrictions are
  ignored, as sgv/public/tariffs.py does).
* The session is cut where any restriction may flip (sgv/public/session_periods.py); in
  each period, per dimension, the first matching element with that dimension prices it
  (OCPI). FLAT is billed once, from the first period that has one; TIME while charging,
  PARKING_TIME while parked, ENERGY per kWh.
* step_size (Wh for ENERGY, seconds for TIME and PARKING_TIME): while a dimension stays
  priced its volume adds up; when it stops being priced (or the session ends) the total is
  rounded up to the step of the last component that priced it, and the rounding is billed
  at that component's price (OCPI 2.2.1 "switching Tariff Elements"). 0 means no rounding.
* VAT per component; incl.-VAT is unknown if any non-zero amount has no `vat` (always in
  2.1.1). `min_price`/`max_price` bound the ex-VAT and incl.-VAT totals independently; a
  limit without an incl.-VAT figure scales the incl.-VAT total by the same factor.
* Reservation elements never apply. An unreadable restriction makes its element never
  match. The tariff is not priced (None) when a price, step_size or price limit is
  unusable, when `tax_included` is still "YES" (2.3.0 prices incl. tax: convert them first,
  sgv/public/taxes.py ex_vat(), as every reader does), or when it has more
  than MAX_ELEMENTS elements or cuts the session into more than MAX_PERIODS periods.

Arithmetic is exact (fractions); the totals are rounded half-up to cents at the very end.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import ceil

from sgv.ocpi.schemas.bounds import INT4, within
from sgv.public.session_periods import MAX_PERIODS, Rule, State, periods, rule
from sgv.public.tariffs import to_decimal, zone

MAX_ELEMENTS = 32  # real tariffs have a handful; bounds the work (docs/security.md)
CENT = Decimal("0.01")
HOUR = 3600
DC_STANDARDS = frozenset(
    {"CHADEMO", "CHAOJI", "GBT_DC", "IEC_62196_T1_COMBO", "IEC_62196_T2_COMBO", "MCS"}
)


class Unpriceable(ValueError):
    """The tariff holds a value no cost can be computed from."""


@dataclass(frozen=True)
class Session:
    """A charging session: kWh delivered at constant power over `minutes`, then parking."""

    kwh: Decimal
    minutes: int
    parking_minutes: int = 0


AC_SESSION = Session(Decimal(20), 30)
DC_SESSION = Session(Decimal(40), 25)


def typical_session(power_type: str | None, standard: str | None) -> Session:
    """Return the default session for a connector: 40 kWh in 25 min on DC, else 20 in 30."""
    if power_type == "DC" or (power_type is None and standard in DC_STANDARDS):
        return DC_SESSION
    return AC_SESSION


@dataclass(frozen=True)
class Cost:
    """The cost of one session: totals in the tariff's currency, rounded to cents."""

    currency: str
    excl_vat: Decimal
    incl_vat: Decimal | None  # None: the VAT of some amount is unknown
    power_kw: Decimal  # the session's constant power, to 0.1 kW
    limited_by: str | None = None  # "min_price" or "max_price" when a limit applied


@dataclass(frozen=True)
class Component:
    price: Fraction
    vat: Fraction | None
    step: int


@dataclass
class Element:
    rule: Rule
    components: dict[str, Component]


@dataclass
class Totals:
    """Running totals, and per dimension the priced run not yet rounded to its step."""

    excl: Fraction = Fraction(0)
    incl: Fraction | None = Fraction(0)
    runs: dict[str, tuple[Fraction, Component]] = field(default_factory=dict)

    def bill(self, component: Component, amount: Fraction) -> None:
        self.excl += amount
        if self.incl is not None and amount:
            vat = component.vat
            self.incl = None if vat is None else self.incl + amount * (1 + vat / 100)

    def add(self, dimension: str, component: Component, volume: Fraction, unit: int) -> None:
        """Bill `volume` (kWh or seconds) and add it to the dimension's run."""
        self.bill(component, component.price * volume / unit)
        total = self.runs[dimension][0] if dimension in self.runs else Fraction(0)
        self.runs[dimension] = (total + volume, component)

    def close(self, dimension: str, step_unit: Fraction, unit: int) -> None:
        """End a dimension's run: bill the rounding up to its last component's step."""
        if dimension not in self.runs:
            return
        total, component = self.runs.pop(dimension)
        if component.step > 0 and total > 0:
            step = component.step * step_unit
            extra = ceil(total / step) * step - total
            self.bill(component, component.price * extra / unit)


def _fraction(value: object, name: str, bound: str) -> Fraction:
    number = to_decimal(value)
    if number is None or not within(bound, number):
        raise Unpriceable(f"{name}: {value!r}")
    return Fraction(number)


def _component(raw: dict, with_vat: bool) -> Component:
    price = _fraction(raw.get("price"), "price", "price")
    step = to_decimal(raw.get("step_size", 1))
    if step is None or step != step.to_integral_value() or not 0 <= step <= INT4:
        raise Unpriceable(f"step_size: {raw.get('step_size')!r}")
    vat = to_decimal(raw.get("vat")) if with_vat else None
    known = vat is not None and within("vat", vat)
    return Component(price, Fraction(vat) if known else None, int(step))


def _elements(tariff: dict, with_vat: bool) -> list[Element]:
    """Return the elements that may apply to a charge, components parsed (first per type)."""
    raw = tariff.get("elements")
    if not isinstance(raw, list) or len(raw) > MAX_ELEMENTS:
        raise Unpriceable("elements")
    found = []
    for element in raw:
        parsed = rule(element.get("restrictions")) if isinstance(element, dict) else None
        components = element.get("price_components") if parsed else None
        if parsed is None or not isinstance(components, list):
            continue  # reservation, malformed: never applies
        chosen: dict[str, Component] = {}
        for c in components:
            kind = c.get("type") if isinstance(c, dict) else None
            if kind in ("ENERGY", "FLAT", "TIME", "PARKING_TIME") and kind not in chosen:
                chosen[kind] = _component(c, with_vat)
        found.append(Element(parsed, chosen))
    return found


def _limit(tariff: dict, name: str) -> tuple[Fraction | None, Fraction | None] | None:
    """Return a price limit (excl., incl. VAT); 2.3.0 spells them before/after taxes."""
    limit = tariff.get(name)
    if limit is None:
        return None
    if not isinstance(limit, dict):
        raise Unpriceable(name)
    values = []
    for keys in (("excl_vat", "before_taxes"), ("incl_vat", "after_taxes")):
        raw = next((limit[k] for k in keys if limit.get(k) is not None), None)
        values.append(None if raw is None else _fraction(raw, name, "session_price"))
    return values[0], values[1]


def _bounded(tariff: dict, excl: Fraction, incl: Fraction | None) -> tuple:
    """Apply min_price then max_price to both totals; return them and the limit applied."""
    limited = None
    for name, outside in (("min_price", lambda v, b: v < b), ("max_price", lambda v, b: v > b)):
        limit = _limit(tariff, name)
        if limit is None:
            continue
        low_excl, low_incl = limit
        if low_excl is not None and outside(excl, low_excl):
            if incl is not None and low_incl is None:
                incl = incl * low_excl / excl if excl else None
            excl, limited = low_excl, name
        if incl is not None and low_incl is not None and outside(incl, low_incl):
            incl, limited = low_incl, name
    return excl, incl, limited


def _cents(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(CENT, ROUND_HALF_UP)


def session_cost(
    tariff: dict,
    session: Session,
    *,
    at: datetime,
    time_zone: str | None,
    volts: Decimal | float | None = None,
    ocpi_version: str | None = None,
) -> Cost | None:
    """Return what `session`, starting at `at`, costs under `tariff`; None if unpriceable."""
    currency = tariff.get("currency") if isinstance(tariff, dict) else None
    kwh = to_decimal(session.kwh)
    if not isinstance(currency, str) or kwh is None or kwh < 0 or session.minutes < 1:
        return None
    if tariff.get("tax_included") == "YES" or session.parking_minutes < 0:
        return None
    try:
        elements = _elements(tariff, with_vat=ocpi_version != "2.1.1")
        charging = session.minutes * 60
        end = charging + session.parking_minutes * 60
        cut = periods([e.rule for e in elements], Fraction(kwh), charging, end, at, zone(time_zone))
        if cut is None:
            return None
        totals = _total(elements, cut, Fraction(kwh), charging, volts)
        excl, incl, limited = _bounded(tariff, totals.excl, totals.incl)
    except Unpriceable:
        return None
    power = Decimal(kwh * 60 / session.minutes).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return Cost(currency, _cents(excl), None if incl is None else _cents(incl), power, limited)


def _total(
    elements: list[Element], cut: list[State], kwh: Fraction, charging: int, volts: object
) -> Totals:
    """Price each period of the session and round each dimension's runs to their steps."""
    totals, flat_billed = Totals(), False
    power = kwh * HOUR / charging  # kW, constant while charging
    voltage = to_decimal(volts)
    current = power * 1000 / Fraction(voltage) if voltage and voltage > 0 else None
    wh = Fraction(1, 1000)  # an ENERGY step (Wh) in kWh
    for state in cut:
        on = state.charging
        now = state.with_load(power if on else 0, current if on or current is None else 0)
        matched = [e.components for e in elements if e.rule.holds(now)]

        def first(kind: str, matched: list = matched) -> Component | None:
            return next((c[kind] for c in matched if kind in c), None)

        if not flat_billed and (flat := first("FLAT")) is not None:
            totals.bill(flat, flat.price)
            flat_billed = True
        for kind, relevant, volume, unit, step_unit in (
            ("ENERGY", on, kwh * state.length / charging, 1, wh),
            ("TIME", on, state.length, HOUR, Fraction(1)),
            ("PARKING_TIME", not on, state.length, HOUR, Fraction(1)),
        ):
            component = first(kind) if relevant else None
            if component is None:
                totals.close(kind, step_unit, unit)
            else:
                totals.add(kind, component, volume, unit)
    totals.close("ENERGY", wh, 1)
    totals.close("TIME", Fraction(1), HOUR)
    totals.close("PARKING_TIME", Fraction(1), HOUR)
    return totals


__all__ = ["AC_SESSION", "DC_SESSION", "MAX_PERIODS", "Cost", "Session", "session_cost"]
