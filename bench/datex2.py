"""Benchmark DATEX II (issue #17): table.xml generation, and the XML import's rows/s and memory.

Generates registers of 20,000 and 100,000 charge points (bench/generate_register.py),
imports each as CSV, serves /opendata/datex2/table.xml from it (cold, then the cached gzip
copy), writes it to a file, and imports that XML into a fresh database in a child process
(peak RSS: VmHWM): flat memory from 20k to 100k rows is the point, as the XML is
streamed with iterparse. status.xml is timed on that register without live CPOs (the
selection alone), then every operator is made a live CPO with a status and a price on every
charge point (bench/export.py's LIVE_DATA, the worst case) and both files are timed again.

    PYTHONPATH=. .venv/bin/python bench/datex2.py [--count 100000] [--small 20000]
"""

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ADMIN_URL, settings, throwaway_database
from export import make_live
from generate_register import write_register
from sqlalchemy import text

from sgv import create_app
from sgv.extensions import cache, db
from sgv.registry import import_register

TARGET = 5000  # rows/s, the floor
STATUS_COLD, STATUS_CACHED = 1.0, 0.010  # seconds: status.xml at 15,000 sites


def high_water_mb() -> float:
    """Return this process's peak RSS (VmHWM): unlike getrusage's ru_maxrss, it starts
    afresh at exec, so the parent's size does not count."""
    status = Path("/proc/self/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def child(url: str, path: Path) -> None:
    """Import one file into `url` in this process and print the figures as JSON."""
    app = create_app(settings(url))
    with app.app_context():
        db.session.execute(text("SELECT 1"))  # connect before measuring
        baseline = high_water_mb()
        started = time.perf_counter()
        report = import_register(path)
        db.session.commit()
        seconds = time.perf_counter() - started
        peak = high_water_mb()
        db.engine.dispose()
    figures = {"rows": report.rows, "seconds": seconds, "warnings": report.warnings}
    figures |= {"rss_mb": peak, "rss_growth_mb": peak - baseline}
    print(json.dumps(figures))


def measure(url: str, path: Path) -> dict:
    """Run one import in a child process and return its figures."""
    command = [sys.executable, __file__, "--child", url, str(path)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.splitlines()[-1])


def timed_get(client, url: str, **headers: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    response = client.get(url, headers=headers)
    body = response.get_data()
    assert response.status_code == 200, body[:200]
    return time.perf_counter() - started, body


def export(url: str, folder: Path, label: str) -> tuple[Path, dict]:
    """Serve table.xml and status.xml from `url`; write table.xml; return it and the times.

    Then make the register live and time both again (keys prefixed `live_`).
    """
    app = create_app(settings(url))
    figures: dict = {}
    with app.app_context():
        client = app.test_client()
        body = serve(client, figures, "")
        make_live(db.session)
        cache.clear()
        serve(client, figures, "live_")
        db.engine.dispose()
    path = folder / f"{label}.xml"
    path.write_bytes(body)
    return path, figures


def serve(client, figures: dict, prefix: str) -> bytes:
    """Time table.xml and status.xml cold then cached into `figures`; return table.xml."""
    gzipped = {"Accept-Encoding": "gzip"}
    table_cold, body = timed_get(client, "/opendata/datex2/table.xml")
    figures[prefix + "table_cold_s"] = table_cold
    figures[prefix + "table_mb"] = len(body) / 2**20
    timed_get(client, "/opendata/datex2/table.xml", **gzipped)
    figures[prefix + "table_cached_s"], _ = timed_get(
        client, "/opendata/datex2/table.xml", **gzipped
    )
    figures[prefix + "sites"] = body.count(b"<aegi:energyInfrastructureSite ")
    figures[prefix + "status_cold_s"], status = timed_get(client, "/opendata/datex2/status.xml")
    figures[prefix + "status_mb"] = len(status) / 2**20
    figures[prefix + "refill_points"] = status.count(b"<aegi:refillPointStatus")
    timed_get(client, "/opendata/datex2/status.xml", **gzipped)
    figures[prefix + "status_cached_s"], _ = timed_get(
        client, "/opendata/datex2/status.xml", **gzipped
    )
    if not prefix:
        figures["table_gzip_mb"] = len(gzip.compress(body, 6)) / 2**20
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    started = os.getloadavg()[0]
    print(f"DATEX II benchmark on {ADMIN_URL.rsplit('@', 1)[-1]}, load average {started:.1f}")
    rows = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for label, count in (("small", args.small), ("large", args.count)):
            source = folder / f"{label}.csv"
            with source.open("w", encoding="utf-8", newline="") as out:
                write_register(out, count, seed=1)
            with throwaway_database(f"{label}_csv") as url:
                app = create_app(settings(url))
                with app.app_context():
                    import_register(source)
                    db.session.commit()
                    db.engine.dispose()
                xml, served = export(url, folder, label)
            with throwaway_database(f"{label}_xml") as url:
                fresh = measure(url, xml)
                again = measure(url, xml)
            rows.append((count, served, fresh, again))
    for count, served, fresh, again in rows:
        print(
            f"{count:,} charge points, {served['sites']:,} sites: table.xml "
            f"{served['table_mb']:.1f} MB ({served['table_gzip_mb']:.1f} MB gzip), cold "
            f"{served['table_cold_s']:.2f} s, cached {served['table_cached_s'] * 1000:.1f} ms; "
            f"status.xml (no live CPO) cold {served['status_cold_s'] * 1000:.1f} ms, cached "
            f"{served['status_cached_s'] * 1000:.1f} ms"
        )
        print(
            f"  all live: status.xml {served['live_refill_points']:,} refill points, "
            f"{served['live_status_mb']:.1f} MB, cold {served['live_status_cold_s']:.2f} s, "
            f"cached {served['live_status_cached_s'] * 1000:.1f} ms; table.xml "
            f"{served['live_table_mb']:.1f} MB, cold {served['live_table_cold_s']:.2f} s, "
            f"cached {served['live_table_cached_s'] * 1000:.1f} ms"
        )
        for what, run in (("fresh", fresh), ("again (idempotent)", again)):
            print(
                f"  import XML {what}: {run['rows']:,} rows in {run['seconds']:.2f} s = "
                f"{run['rows'] / run['seconds']:,.0f} rows/s, peak RSS {run['rss_mb']:.1f} MB "
                f"(growth {run['rss_growth_mb']:.1f} MB), warnings {run['warnings']}"
            )
    slowest = min(r["rows"] / r["seconds"] for _, _, f, a in rows for r in (f, a))
    verdict = "met" if slowest >= TARGET else "NOT met"
    print(f"target ≥ {TARGET:,} rows/s: {verdict} (slowest {slowest:,.0f} rows/s)")
    for count, served, _, _ in rows:  # the status.xml targets, with every point live
        cold, cached = served["live_status_cold_s"], served["live_status_cached_s"]
        print(
            f"status.xml at {served['live_sites']:,} sites, {count:,} live charge points: "
            f"< {STATUS_COLD} s cold {'met' if cold < STATUS_COLD else 'NOT met'} "
            f"({cold:.2f} s), < {STATUS_CACHED * 1000:.0f} ms cached "
            f"{'met' if cached < STATUS_CACHED else 'NOT met'} ({cached * 1000:.1f} ms)"
        )
    print(f"load average {os.getloadavg()[0]:.1f} at the end ({started:.1f} at the start)")


if __name__ == "__main__":
    main()
