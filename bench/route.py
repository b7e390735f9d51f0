"""Benchmark installations along a route (corridor=): server time on a national register.

A synthetic register of N charge points (bench/generate_register.py: real Spanish sites
copied into Spanish municipalities) is imported into a throw-away database; each query
then runs through the Flask test client, body read to the end, median of 3 (warm):

* Madrid → Valencia, 2 points, km 5 — what a driver plans on the map;
* the same with the map's filters (min_kw 50, connector CCS);
* the worst a URL may hold: 2,000 characters of polyline zigzagging over the whole
  peninsula (about 330 points), km 50 — nearly every site is a candidate.

    PYTHONPATH=. .venv/bin/python bench/route.py [--count 100000]
"""

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import polyline

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import begin_run, settings, throwaway_database  # noqa: E402
from generate_register import write_register  # noqa: E402

from sgv import create_app  # noqa: E402
from sgv.extensions import db  # noqa: E402
from sgv.opendata import route  # noqa: E402
from sgv.opendata.route import MAX_CHARS  # noqa: E402
from sgv.public import Corridor  # noqa: E402
from sgv.registry import import_register  # noqa: E402

CCS = "IEC_62196_T2_COMBO"
MADRID_VALENCIA = polyline.encode([(40.4168, -3.7038), (39.4699, -0.3763)], 5)


def zigzag() -> str:
    """Return the longest polyline a URL may carry: hops across the peninsula, 2,000 chars."""
    points, k = [], 0
    while True:
        lat = 36.5 + (k % 7) * 1.0 + (k * 0.0137) % 0.5
        lon = -9.0 + ((k * 1.37) % 12.0)
        text = polyline.encode([*points, (lat, lon)], 5)
        if len(text) > MAX_CHARS:
            return polyline.encode(points, 5)
        points.append((lat, lon))
        k += 1


def timed(client, query: str) -> tuple[float, int]:
    """Return the median seconds of 3 warm requests and the body's size in bytes."""
    client.get(query).get_data()
    runs, size = [], 0
    for _ in range(3):
        started = time.perf_counter()
        response = client.get(query)
        size = len(response.get_data())
        assert response.status_code == 200, response.get_data(as_text=True)[:200]
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="charge points")
    args = parser.parse_args()
    begin_run("route")  # the load average; SIGTERM cleans up like Ctrl-C
    worst = zigzag()
    # It is refused (400: longer than route.LENGTH_MAX); its first hops that fit are not,
    # at the widest km route.AREA_MAX allows them.
    points = polyline.decode(worst)
    while Corridor(tuple(points), 1.0).length_km() > route.LENGTH_MAX:
        points.pop()
    worst = polyline.encode(points, 5)
    length = Corridor(tuple(points), 1.0).length_km()
    widest = min(route.KM_MAX, math.floor(route.AREA_MAX / (2 * length + 1) * 10) / 10)
    cases = [
        ("Madrid → Valencia, km 5", {"corridor": MADRID_VALENCIA, "km": 5}),
        ("  … min_kw 50, CCS", {"corridor": MADRID_VALENCIA, "min_kw": 50, "connector": CCS}),
        ("  … km 50", {"corridor": MADRID_VALENCIA, "km": 50}),
        (
            f"zigzag, {len(worst)} chars ({len(points)} points, {length:,.0f} km), km {widest:g} "
            "(the widest under route.AREA_MAX)",
            {"corridor": worst, "km": widest},
        ),
        ("no corridor (the full export)", {}),
    ]
    with tempfile.TemporaryDirectory() as folder, throwaway_database("route") as url:
        register = Path(folder) / "register.csv"
        with register.open("w", newline="") as out:
            write_register(out, args.count)
        app = create_app(settings(url))
        with app.app_context():
            import_register(register)
            db.session.commit()
            sites = db.session.scalar(db.text("SELECT count(*) FROM installations"))
            client = app.test_client()
            print(f"| {args.count:,} charge points ({sites:,} sites) | sites | MB | median s |")
            print("|---|---:|---:|---:|")
            for label, query in cases:
                for name in ("installations.json",):
                    path = f"/opendata/{name}?{urlencode(query)}"
                    found = client.get(path).get_json()["count"]
                    seconds, size = timed(client, path)
                    print(f"| {label} | {found:,} | {size / 1e6:.2f} | {seconds:.3f} |")
            too_wide = urlencode({"corridor": zigzag(), "km": 50})
            refused = client.get(f"/opendata/installations.json?{too_wide}")
            reason = refused.get_json()["description"]
            print(f"zigzag at km 50: HTTP {refused.status_code}, {reason}")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
