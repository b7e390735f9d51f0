"""Benchmark /map/live.json at national scale: rebuild time (issue #18).

Loads bench/export.py's world — a synthetic register of `--count` charge points (45,000:
15,627 sites) where every operator is a live CPO whose locations match every
installation — then hides one location in `--hide` (`publish: false`, 1 in 8 by default:
about 13,670 sites keep live data, Spain's 13,600) and revokes nothing. In process
(Flask test client, in-process cache, one worker's view), it times `/map/live.json`, the
median of `--runs`, in two cases:

- after a status push (`push`): the case the map lives in, rebuilt as pushes arrive.
  One EVSE's status changes and the dynamic data version moves (SGV_LIVE_REFRESH 0);
  each EVSE's price, which no status changes, is kept (sgv/public/live.py);
- from an empty cache (`empty`): the cache cleared, sites.json fetched again (the order
  live.json refers to, cached whenever a page asks for live data), then live.json.

It prints the document's size and a digest of its bytes before the first push, so two
trees run by bench/compare.sh can be checked to serve the same document.

    PYTHONPATH=. .venv/bin/python bench/live.py [--count 45000] [--hide 8] [--runs 7]
    bench/compare.sh 73d5edc 2 bench/live.py     # against the baseline, alternating
"""

import argparse
import hashlib
import os
import statistics
import time

from common import settings, throwaway_database
from export import load
from sqlalchemy import text

from sgv import create_app
from sgv.core import dataversion
from sgv.extensions import cache, db

TARGET_MS = 200


def timed(client, url: str) -> tuple[float, bytes]:
    """GET `url` in process; return milliseconds and the raw body."""
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, response.get_data()


def measure(url: str, hide: int, runs: int) -> dict:
    """Hide 1 location in `hide`, then time live.json `runs` times in each case."""
    app = create_app(settings(url))
    app.config["LIVE_REFRESH"] = 0
    with app.app_context():
        db.session.execute(
            text("UPDATE locations SET publish = false WHERE id % :n = 0"), {"n": hide}
        )
        db.session.commit()
        live_sites = db.session.scalar(
            text("SELECT count(DISTINCT installation_id) FROM public_evse_candidates")
        )
        client = app.test_client()
        timed(client, "/map/live.json")  # load code and templates
        empty, pushed, body = [], [], b""
        for n in range(runs):
            cache.clear()
            timed(client, "/map/sites.json")
            elapsed, built = timed(client, "/map/live.json")
            empty.append(elapsed)
            body = body or built  # before any push: the same bytes in every tree
            db.session.execute(  # a status push, as sgv/ocpi/status.py applies it
                text(
                    "UPDATE evses SET status = :status, last_updated = now()"
                    " WHERE id = (SELECT min(id) FROM evses)"
                ),
                {"status": ("CHARGING", "AVAILABLE")[n % 2]},
            )
            db.session.commit()
            dataversion.bump(dataversion.DYNAMIC)
            elapsed, _ = timed(client, "/map/live.json")
            pushed.append(elapsed)
        db.session.remove()
        db.engine.dispose()
    return {
        "live_sites": live_sites,
        "push_ms": statistics.median(pushed),
        "empty_ms": statistics.median(empty),
        "min_ms": min(pushed),
        "kb": len(body) / 1000,
        "digest": hashlib.sha256(body).hexdigest()[:16],
    }


def main() -> None:
    """Load the world, measure, print one Markdown row and the verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=45_000, help="charge points")
    parser.add_argument("--hide", type=int, default=8, help="hide one location in N")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {' '.join(map(str, os.getloadavg()))}")
    with throwaway_database(f"live{args.count}") as url:
        sites, points, _ = load(url, args.count)
        m = measure(url, args.hide, args.runs)
    print(
        "| sites | charge points | live sites | live.json KB | after a push, ms (median)"
        " | best ms | empty cache, ms (median) | digest |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    print(
        f"| {sites:,} | {points:,} | {m['live_sites']:,} | {m['kb']:.0f} | {m['push_ms']:.0f}"
        f" | {m['min_ms']:.0f} | {m['empty_ms']:.0f} | {m['digest']} |"
    )
    verdict = "PASS" if m["push_ms"] < TARGET_MS else "FAIL"
    print(f"live.json rebuilt after a push < {TARGET_MS} ms: {m['push_ms']:.0f} ms → {verdict}")
    print(f"load average at the end: {' '.join(map(str, os.getloadavg()))}")


if __name__ == "__main__":
    main()
