"""Benchmark what pricing a session costs the server (issue #19; docs/security.md).

Pure Python, no database: times sgv.public.session_cost on every official OCPI tariff
example (the DC default, 40 kWh in 25 min), then on hostile tariffs at the module's caps
(MAX_ELEMENTS elements, each with every restriction, a 24 h session parked for 24 h more),
which is the most one request can make the server do per distinct tariff; a request
prices at most sgv.public.costs.MAX_PRICED of them.

    PYTHONPATH=. .venv/bin/python bench/session_cost.py [--repeat 5]
"""

import argparse
import json
import statistics
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sgv.public.costs import MAX_PRICED
from sgv.public.session_cost import DC_SESSION, MAX_ELEMENTS, Session, session_cost

EXAMPLES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "ocpi-examples"
AT = datetime(2026, 12, 7, 16, 50, tzinfo=ZoneInfo("Europe/Madrid"))
LONGEST = Session(Decimal(1000), 24 * 60, 24 * 60)


def hostile(spread: int) -> dict:
    """A tariff at MAX_ELEMENTS elements whose restrictions cut the session everywhere."""
    elements = []
    for i in range(MAX_ELEMENTS):
        start, end = i * 13, i * 7 + 300
        components = [
            {"type": kind, "price": 0.1 + i / 1000, "vat": 21, "step_size": 7}
            for kind in ("ENERGY", "TIME", "PARKING_TIME", "FLAT")
        ]
        restrictions = {
            "start_time": f"{start // 60 % 24:02d}:{start % 60:02d}",
            "end_time": f"{end // 60 % 24:02d}:{end % 60:02d}",
            "min_duration": i * spread + 17,
            "max_duration": i * spread + 1000,
            "min_kwh": i * 9.9 + 0.3,
            "max_kwh": i * 10.1 + 1,
            "min_power": i % 7,
            "day_of_week": ["MONDAY", "TUESDAY"],
        }
        elements.append({"price_components": components, "restrictions": restrictions})
    return {"currency": "EUR", "elements": elements}


def timed(tariff: dict, session: Session, repeat: int) -> tuple[float, object]:
    """Return the median time in ms of pricing `session`, and the cost."""
    times, found = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        found = session_cost(tariff, session, at=AT, time_zone="Europe/Madrid", volts=400)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    official = []
    for path in sorted(EXAMPLES.glob("*/tariff*.json")):
        official.append(timed(json.loads(path.read_text()), DC_SESSION, args.repeat * 20)[0])
    print(f"official examples ({len(official)}), DC default: median "
          f"{statistics.median(official):.2f} ms, max {max(official):.2f} ms")  # fmt: skip
    worst = 0.0
    for spread in (431, 1000, 2000, 2700):
        ms, found = timed(hostile(spread), LONGEST, args.repeat)
        worst = max(worst, ms)
        print(f"hostile, {MAX_ELEMENTS} elements, spread {spread} s: {ms:.1f} ms "
              f"({'priced' if found else 'refused: too many periods'})")  # fmt: skip
    print(f"worst per request: {MAX_PRICED} × {worst:.1f} ms = {MAX_PRICED * worst:.0f} ms")


if __name__ == "__main__":
    main()
