"""Benchmark /opendata/availability.json's aggregate on the demo data (issue #19).

`demo load` into a throw-away database (1,902 RIPREE charge points, the demo CPOs'
four weeks of simulated history), then: the seeding again (timed), the scheduled job
`sgv history build` (the set-based aggregate of every public installation, stored;
timed, best of 3) and the JSON's size; then what a request costs now that it only
reads the stored build through the door: the export (plain and gzip) and the page's
read of one site (best of 5). The aggregate reads every status change of the window
once, so its time grows with the rows: the report gives the time per thousand rows to
scale it to the country.

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
from sgv.history import store


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
                build = store.build()
                db.session.commit()
                times.append(time.monotonic() - started)
            client = app.test_client()
            body = client.get("/opendata/availability.json").get_data()
            size = len(body)
            best = min(times)
            print(
                f"job: aggregate of {build.installations} installations ({rows} history rows, "
                f"{evses} EVSEs) computed and stored: best {best:.2f} s of "
                f"{[round(t, 2) for t in times]}; {1000 * best / rows * 1000:.2f} ms per "
                f"1,000 rows; JSON {size / 1e6:.1f} MB"
            )
            site = json.loads(body)["installations"][0]["installation_id"]
            for label, url, headers in (
                ("request: availability.json", "/opendata/availability.json", {}),
                ("request: availability.json, gzip", "/opendata/availability.json",
                 {"Accept-Encoding": "gzip"}),
                ("request: installation page", f"/installations/{site}", {}),
            ):  # fmt: skip
                reads = []
                for _ in range(5):
                    started = time.monotonic()
                    response = client.get(url, headers=headers)
                    response.get_data()
                    reads.append(time.monotonic() - started)
                print(f"{label}: best {min(reads) * 1000:.0f} ms of "
                      f"{[round(r * 1000) for r in reads]} ms")  # fmt: skip
            db.engine.dispose()
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
