"""Which element of one tariff applies now, and its figures (SPEC §4; choice: prices.py).

Pure functions over OCPI Tariff objects as plain dicts (2.2.1 shape; 2.1.1 ones simply lack
`type`, `vat` and the validity window). Numbers may be int, float, Decimal or str; all
arithmetic is Decimal. Decisions OCPI leaves open, made here once:

* A dimension (ENERGY, FLAT, TIME, PARKING_TIME) with no matching component is `None`, "not
  priced": OCPI bills it at zero, but showing 0 €/kWh for a time-based tariff would make the
  site look free. Only an explicitly free tariff (every component of its non-reservation
  elements priced 0, as in OCPI's "free of charge" example) shows 0 for every dimension.
* Restrictions are evaluated for a session that starts at `at`: 0 s elapsed, 0 kWh consumed,
  local time and date in the location's zone. Power restrictions compare the connector's
  maximum power; when that is unknown they do not match, so the unrestricted default
  element (OCPI puts it last) applies rather than a guessed tier. Current restrictions are
  ignored when the current is unknown, or OCPI's own complex example would leave charging
  time unpriced. A restriction value that cannot be parsed makes its element not match.
* `valid_until` is the next boundary of any element's time, day or date restriction, or the
  tariff's end: the figures may, not must, change then.
* VAT is the ENERGY component's `vat` percentage; absent means unknown, never 0 %.
  Incl.-VAT = excl. × (1 + vat/100), rounded half-up to 4 decimals (sub-cent €/kWh matter;
  OCPI says nothing about rounding). A free tariff's incl.-VAT energy price is 0 even when
  its VAT is unknown.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

DEFAULT_ZONE = "Europe/Madrid"
DIMENSIONS = ("ENERGY", "FLAT", "TIME", "PARKING_TIME")
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
INCL_VAT_QUANTUM = Decimal("0.0001")
_HHMM = re.compile(r"([0-9]{2}):([0-9]{2})")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ZERO = Decimal(0)


@dataclass(frozen=True)
class Price:
    """The figures drivers see for one connector now; `None` means not priced or unknown."""

    tariff_id: str
    currency: str
    energy_excl_vat: Decimal | None  # €/kWh
    vat_rate: Decimal | None  # percentage of the ENERGY component
    energy_incl_vat: Decimal | None
    flat: Decimal | None  # per session
    time_per_hour: Decimal | None
    parking_per_hour: Decimal | None
    free: bool = False
    valid_until: datetime | None = None  # UTC; the next instant the figures may change


def to_decimal(value: object) -> Decimal | None:
    """Return `value` as a finite Decimal, or None when it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = repr(value)  # the shortest form: 0.25, not 0.25000000000000001387…
    if not isinstance(value, int | str | Decimal):
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def zone(name: str | None) -> ZoneInfo:
    """Return the IANA zone `name`; Europe/Madrid when it is absent or not a valid zone."""
    try:
        return ZoneInfo(name or DEFAULT_ZONE)
    except (KeyError, ValueError, TypeError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return ZoneInfo(DEFAULT_ZONE)


def _aware(moment: datetime) -> datetime:
    """Return `moment` with a zone; a naive one is UTC (SPEC §3)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _instant(value: object) -> datetime | None:
    """Return an OCPI DateTime (str or datetime) as an aware datetime, None if unreadable."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    return _aware(value) if isinstance(value, datetime) else None


def is_valid(tariff: dict, at: datetime) -> bool:
    """Tell whether `at` lies in [start_date_time, end_date_time); unreadable bounds fail."""
    at = _aware(at)
    start, end = tariff.get("start_date_time"), tariff.get("end_date_time")
    if start is not None and ((begins := _instant(start)) is None or at < begins):
        return False
    return end is None or ((ends := _instant(end)) is not None and at < ends)


def begins_after(tariff: dict, at: datetime) -> datetime | None:
    """Return when `tariff` becomes valid, if that is after `at` (it may be chosen then)."""
    begins = _instant(tariff.get("start_date_time"))
    return begins if begins is not None and begins > _aware(at) else None


def _number(value: object) -> Decimal | None:
    """Parse an optional numeric restriction; raise ValueError when present but not a number."""
    if value is None:
        return None
    if (number := to_decimal(value)) is None:
        raise ValueError(f"not a number: {value!r}")
    return number


def _minutes(value: object, *, end: bool) -> int | None:
    """Parse an optional HH:MM into minutes of the day; "24:00" is accepted as an end."""
    if value is None:
        return None
    match = _HHMM.fullmatch(value) if isinstance(value, str) else None
    hours, minutes = (int(match[1]), int(match[2])) if match else (99, 99)
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not end)):
        raise ValueError(f"not a time of day: {value!r}")
    return hours * 60 + minutes


def _date(value: object) -> date | None:
    """Parse an optional YYYY-MM-DD; raise ValueError when present but malformed."""
    if value is None:
        return None
    if not (isinstance(value, str) and _DATE.fullmatch(value)):
        raise ValueError(f"not a date: {value!r}")
    return date.fromisoformat(value)


def _in_range(amount: Decimal | None, low: object, high: object, *, unknown: bool) -> bool:
    """Tell whether `amount` lies in [low, high); `unknown` answers when amount is None."""
    low, high = _number(low), _number(high)
    if low is None and high is None:
        return True
    if amount is None:
        return unknown
    return (low is None or amount >= low) and (high is None or amount < high)


def _in_time_window(restrictions: dict, local: datetime) -> bool:
    """Tell whether the local time of day lies in [start_time, end_time)."""
    start = _minutes(restrictions.get("start_time"), end=False)
    end = _minutes(restrictions.get("end_time"), end=True)
    if start is None and end is None:
        return True
    start, end = start or 0, end or 24 * 60  # end "00:00" (or none) is the end of the day
    now = local.hour * 60 + local.minute
    if start < end:
        return start <= now < end
    return now >= start or now < end  # wraps past midnight; start == end is the whole day


def restrictions_match(
    restrictions: object,
    local: datetime,
    power_kw: Decimal | None = None,
    current_a: Decimal | None = None,
) -> bool:
    """Tell whether an element's restrictions all hold for a session starting at `local`."""
    if restrictions is None:
        return True
    if not isinstance(restrictions, dict) or restrictions.get("reservation") is not None:
        return False  # reservation elements never apply to a normal charge
    r = restrictions
    try:
        days = r.get("day_of_week")
        if days is not None and not isinstance(days, list):
            raise ValueError(f"not a list of days: {days!r}")
        start_date, end_date = _date(r.get("start_date")), _date(r.get("end_date"))
        return (
            _in_time_window(r, local)
            and (not days or WEEKDAYS[local.weekday()] in days)
            and (start_date is None or local.date() >= start_date)
            and (end_date is None or local.date() < end_date)
            and _in_range(_ZERO, r.get("min_kwh"), r.get("max_kwh"), unknown=True)
            and _in_range(_ZERO, r.get("min_duration"), r.get("max_duration"), unknown=True)
            and _in_range(power_kw, r.get("min_power"), r.get("max_power"), unknown=False)
            and _in_range(current_a, r.get("min_current"), r.get("max_current"), unknown=True)
        )
    except ValueError:  # a malformed value: the element does not match
        return False


def restricts_power(tariff: dict) -> bool:
    """Tell whether any element's restrictions name a power (its figures depend on it)."""
    limits = [element.get("restrictions") for element in _elements(tariff)]
    named = ("min_power", "max_power")
    return any(isinstance(r, dict) and any(r.get(k) is not None for k in named) for r in limits)


def _elements(tariff: dict) -> list[dict]:
    """Return the tariff's well-formed elements."""
    elements = tariff.get("elements")
    return [e for e in elements if isinstance(e, dict)] if isinstance(elements, list) else []


def _components(element: dict) -> list[dict]:
    """Return an element's well-formed price components of a known dimension."""
    components = element.get("price_components")
    if not isinstance(components, list):
        return []
    return [c for c in components if isinstance(c, dict) and c.get("type") in DIMENSIONS]


def _is_free(tariff: dict) -> bool:
    """Tell whether every component outside reservation elements is priced exactly 0."""
    prices: list[Decimal | None] = []
    for element in _elements(tariff):
        restrictions = element.get("restrictions")
        if not isinstance(restrictions, dict) or restrictions.get("reservation") is None:
            prices += [to_decimal(c.get("price")) for c in _components(element)]
    return bool(prices) and all(p == 0 for p in prices)


def _next_change(tariff: dict, at: datetime, local: datetime) -> datetime | None:
    """Return the next instant a time, day or date restriction or the tariff's end may flip."""
    tz, today = local.tzinfo, local.replace(hour=0, minute=0, second=0, microsecond=0)
    candidates = [end] if (end := _instant(tariff.get("end_date_time"))) and end > at else []
    for element in _elements(tariff):
        r = element.get("restrictions")
        if not isinstance(r, dict) or r.get("reservation") is not None:
            continue
        try:
            for key in ("start_time", "end_time"):
                if (minutes := _minutes(r.get(key), end=key == "end_time")) is not None:
                    edge = today + timedelta(minutes=minutes)  # wall-clock arithmetic
                    candidates.append(edge if edge > local else edge + timedelta(days=1))
            if r.get("day_of_week"):
                candidates.append(today + timedelta(days=1))
            for key in ("start_date", "end_date"):
                if (day := _date(r.get(key))) and (edge := datetime.combine(day, time(), tz)) > at:
                    candidates.append(edge)
        except ValueError:
            continue
    return min(c.astimezone(UTC) for c in candidates) if candidates else None


def current_price(
    tariff: dict,
    *,
    at: datetime,
    time_zone: str | None,
    max_power_kw: Decimal | float | None = None,
    max_current_a: Decimal | float | None = None,
    ocpi_version: str | None = None,
) -> Price:
    """Compute the figures of `tariff` for a session starting at `at` (naive = UTC).

    `time_zone` is the location's IANA zone; None or an invalid name falls back to
    Europe/Madrid. `max_current_a` is amperes summed over phases. With
    `ocpi_version="2.1.1"` any `vat` field is ignored, since 2.1.1 has none.
    """
    at = _aware(at)
    local = at.astimezone(zone(time_zone))
    power, current = to_decimal(max_power_kw), to_decimal(max_current_a)
    chosen: dict[str, dict] = {}
    for element in _elements(tariff):
        if restrictions_match(element.get("restrictions"), local, power, current):
            for component in _components(element):
                chosen.setdefault(component["type"], component)  # first matching element wins
    free = _is_free(tariff)

    def figure(dimension: str) -> Decimal | None:
        if dimension not in chosen:
            return _ZERO if free else None
        return to_decimal(chosen[dimension].get("price"))

    energy, vat = figure("ENERGY"), None
    if "ENERGY" in chosen and ocpi_version != "2.1.1":
        vat = to_decimal(chosen["ENERGY"].get("vat"))
        vat = vat if vat is not None and vat >= 0 else None
    incl = None
    if energy is not None and vat is not None:
        try:
            incl = (energy * (1 + vat / 100)).quantize(INCL_VAT_QUANTUM, rounding=ROUND_HALF_UP)
        except InvalidOperation:  # beyond 28 digits (1e24 €/kWh): no figure, never a 500
            incl = None
    elif free:
        incl = _ZERO
    return Price(
        tariff_id=str(tariff.get("id") or ""),
        currency=str(tariff.get("currency") or ""),
        energy_excl_vat=energy,
        vat_rate=vat,
        energy_incl_vat=incl,
        flat=figure("FLAT"),
        time_per_hour=figure("TIME"),
        parking_per_hour=figure("PARKING_TIME"),
        free=free,
        valid_until=_next_change(tariff, at, local),
    )
