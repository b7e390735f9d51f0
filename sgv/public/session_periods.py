"""A charging session cut into periods in which no tariff restriction can flip (issue #19).

sgv/public/session_cost.py prices each period. The cuts: the end of charging and of the
session; every min/max duration and, while charging at constant power, the instant each
min/max kWh is reached; and every wall-clock edge in the location's zone — each element's
start_time and end_time, local midnight (day_of_week, start_date, end_date) and every
UTC hour (a daylight-saving change happens on one) — found hour by hour, so the offset of
each hour is the zone's own. Inside a period every restriction holds or fails throughout,
so each is evaluated once, at the period's middle (no edge lands on an evaluation).
"""

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from sgv.public.tariffs import WEEKDAYS, _date, _minutes, _number

MAX_PERIODS = 400  # a real tariff over a day-long session makes a few dozen
DAY = 24 * 60
MICRO = 10**6
HUGE = 10**15  # beyond any session's kWh, seconds, kW or A: a bound past it never flips

Range = tuple[Fraction | None, Fraction | None]


@dataclass(frozen=True)
class State:
    """The session in the middle of one period."""

    local: datetime  # wall-clock time in the location's zone
    seconds: Fraction  # since the start
    kwh: Fraction  # delivered so far
    charging: bool
    length: Fraction  # the period's length in seconds
    power: Fraction | None = None  # kW
    current: Fraction | None = None  # A summed over phases; None: unknown

    def with_load(self, power: Fraction | int, current: Fraction | int | None) -> "State":
        return replace(self, power=Fraction(power), current=current)


def _bound(value: object) -> Fraction | None:
    number = _number(value)  # ValueError when present but not a number
    return None if number is None else Fraction(max(min(number, HUGE), -HUGE))


def _range(restrictions: dict, low: str, high: str) -> Range:
    return _bound(restrictions.get(low)), _bound(restrictions.get(high))


def _inside(amount: Fraction | None, bounds: Range) -> bool:
    low, high = bounds
    if amount is None:
        return True  # unknown (current): the restriction is ignored
    return (low is None or amount >= low) and (high is None or amount < high)


@dataclass(frozen=True)
class Rule:
    """An element's restrictions, parsed once; no restrictions: always holds."""

    start: int | None = None  # minutes of the day
    end: int | None = None
    days: frozenset[str] | None = None
    start_date: date | None = None
    end_date: date | None = None
    kwh: Range = (None, None)
    duration: Range = (None, None)
    power: Range = (None, None)
    current: Range = (None, None)

    def holds(self, state: State) -> bool:
        """Tell whether every restriction holds for the session in `state`."""
        local = state.local
        return (
            self._in_window(local.hour * 60 + local.minute)
            and (not self.days or WEEKDAYS[local.weekday()] in self.days)
            and (self.start_date is None or local.date() >= self.start_date)
            and (self.end_date is None or local.date() < self.end_date)
            and _inside(state.kwh, self.kwh)
            and _inside(state.seconds, self.duration)
            and _inside(state.power, self.power)
            and _inside(state.current, self.current)
        )

    def _in_window(self, now: int) -> bool:
        if self.start is None and self.end is None:
            return True
        start, end = self.start or 0, self.end or DAY  # end 00:00 is the end of the day
        if start < end:
            return start <= now < end
        return now >= start or now < end  # wraps past midnight; start == end: all day

    def edges(self) -> list[int]:
        """Return the minutes of the day at which this rule's time window flips."""
        return [m % DAY for m in (self.start, self.end) if m is not None]


def rule(restrictions: object) -> Rule | None:
    """Parse an element's restrictions; None when it never applies to a charge."""
    if restrictions is None:
        return Rule()
    if not isinstance(restrictions, dict) or restrictions.get("reservation") is not None:
        return None  # reservation elements price reservations, not charges
    r = restrictions
    try:
        days = r.get("day_of_week")
        if days is not None and not isinstance(days, list):
            raise ValueError("day_of_week")
        return Rule(
            start=_minutes(r.get("start_time"), end=False),
            end=_minutes(r.get("end_time"), end=True),
            days=None if days is None else frozenset(d for d in days if isinstance(d, str)),
            start_date=_date(r.get("start_date")),
            end_date=_date(r.get("end_date")),
            kwh=_range(r, "min_kwh", "max_kwh"),
            duration=_range(r, "min_duration", "max_duration"),
            power=_range(r, "min_power", "max_power"),
            current=_range(r, "min_current", "max_current"),
        )
    except ValueError:
        return None  # an unreadable value: the element does not match


def _seconds(delta: timedelta) -> Fraction:
    return Fraction(delta // timedelta(microseconds=1), MICRO)


def _cuts(
    rules: list[Rule], kwh: Fraction, charging: int, end: int, at: datetime, tz: ZoneInfo
) -> set[Fraction]:
    """Return every instant (seconds since `at`) where some restriction may flip."""
    cuts = {Fraction(0), Fraction(charging), Fraction(end)}
    minutes = {0}
    for r in rules:
        cuts.update(b for b in r.duration if b is not None and 0 < b < end)
        cuts.update(b * charging / kwh for b in r.kwh if b is not None and 0 < b < kwh)
        minutes.update(r.edges())
    hour = at.replace(minute=0, second=0, microsecond=0)
    while hour < at + timedelta(seconds=end):
        local = hour.astimezone(tz)
        now = local.hour * 60 + local.minute
        base = _seconds(hour - at)
        for later in {(edge - now) % DAY for edge in minutes} | {0}:
            if later < 60 and 0 < (offset := base + later * 60) < end:
                cuts.add(offset)
        hour += timedelta(hours=1)
        if len(cuts) > MAX_PERIODS + 1:
            break
    return cuts


def periods(
    rules: list[Rule], kwh: Fraction, charging: int, end: int, at: datetime, tz: ZoneInfo
) -> list[State] | None:
    """Cut a session (`kwh` over `charging` seconds, parked until `end`) into periods.

    `at` is its start (naive: UTC). None when there would be more than MAX_PERIODS.
    """
    at = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
    # To the millisecond: exact enough, and sums of periods keep small denominators.
    cuts = sorted(
        {Fraction(round(cut * 1000), 1000) for cut in _cuts(rules, kwh, charging, end, at, tz)}
    )
    if len(cuts) > MAX_PERIODS + 1:
        return None
    states = []
    for start, stop in zip(cuts, cuts[1:], strict=False):
        middle = (start + stop) / 2
        moment = at + timedelta(microseconds=int(middle * MICRO))
        delivered = kwh * min(middle, charging) / charging
        states.append(
            State(moment.astimezone(tz), middle, delivered, middle < charging, stop - start)
        )
    return states
