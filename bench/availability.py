"""Benchmark /opendata/availability.json's aggregate on the demo data (issue #19).

`demo load` into a throw-away database (1,902 RIPREE charge points, the demo CPOs'
four weeks of simulated history), then: the seeding again (timed), the set-based
aggregate of every public installation (timed, best of 3) and the JSON's size. The
aggregate reads every status change of the window once, so its time grows with the
rows: the report gives the time per thousand rows to scale it to the country.

    PYTHONPATH=. .venv/bin/python bench/availability.py
"""

import json
import os
import time

from common import settings, throwaway_database
from sqlalchemy import text

from sgv import create_app
from sgv.demo.load import PROFILES, load
from sgv.extensions import db
from sgv.history import demo as demo_history
from sgv.opendata.availability import build


def main() -> None:
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()}")
    with throwaway_database("availability") as url:
        app = create_app(settings(url))
        with app.app_context():
            started = time.monotonic()
            load()
            print(f"demo load: {time.monotonic() - started:.1f} s")
            db.session.execute(text("DELETE FROM status_history WHERE simulated"))
            started = time.monotonic()
            seeded = demo_history.seed([p.party_id for p in PROFILES])
            db.session.commit()
            print(f"seed: {seeded} simulated changes in {time.monotonic() - started:.1f} s")
            rows, evses = db.session.execute(
                text("SELECT count(*), count(DISTINCT evse_fk) FROM status_history")
            ).one()
            times = []
            for _ in range(3):
                started = time.monotonic()
                body = build()["document"]
                times.append(time.monotonic() - started)
            size = len(json.dumps(body, separators=(",", ":")))
            best = min(times)
            print(
                f"aggregate of {body['count']} installations ({rows} history rows, {evses} "
                f"EVSEs): best {best:.2f} s of {[round(t, 2) for t in times]}; "
                f"{1000 * best / rows * 1000:.2f} ms per 1,000 rows; JSON {size / 1e6:.1f} MB"
            )
            db.engine.dispose()
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
