"""Benchmark the RIPREE import: rows/s, peak memory at two file sizes, idempotent re-import.

Generates registers of 20,000 and 100,000 charge points (bench/generate_register.py),
imports each into its own throw-away database on the project's cluster, then imports
the large one again unchanged and with 1 % of its powers changed, and the large one as
GeoJSON. Every import runs in a fresh child process, so its peak RSS (getrusage) is the
import's own; a second pass under tracemalloc gives the Python heap's peak. Flat memory
from 20k to 100k rows is the point: the file is streamed and merged set-wise in SQL.

    .venv/bin/python bench/import.py [--count 100000] [--small 20000]
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from contextlib import ExitStack
from pathlib import Path

from common import ADMIN_URL, settings, throwaway_database
from generate_register import write_geojson, write_register
from sqlalchemy import text

from sgv import create_app
from sgv.extensions import db
from sgv.registry import import_register

TARGET = 5000  # rows/s, the floor


def child(url: str, path: Path, trace: bool) -> None:
    """Import one file into `url` in this process and print the figures as JSON."""
    app = create_app(settings(url))
    with app.app_context():
        db.session.execute(text("SELECT 1"))  # connect before measuring
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        report = import_register(path)
        db.session.commit()
        seconds = time.perf_counter() - started
        heap = tracemalloc.get_traced_memory()[1] if trace else None
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        db.engine.dispose()
    changes = report.charge_points_added + report.charge_points_changed
    print(
        json.dumps(
            {
                "rows": report.rows,
                "seconds": seconds,
                "rss_mb": peak / 1024,
                "rss_growth_mb": (peak - baseline) / 1024,
                "heap_mb": heap / 2**20 if heap is not None else None,
                "changes": changes + report.charge_points_removed,
            }
        )
    )


def measure(url: str, path: Path, trace: bool = False) -> dict:
    """Run one import in a child process and return its figures."""
    command = [sys.executable, __file__, "--child", url, str(path)]
    output = subprocess.run(
        command + (["--trace"] if trace else []), check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.splitlines()[-1])


def main() -> None:
    """Generate the registers, run every import, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=20_000)
    parser.add_argument("--child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), args.trace)
        return

    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        files = {}
        for label, write, count, vary in (
            ("small.csv", write_register, args.small, 0.0),
            ("large.csv", write_register, args.count, 0.0),
            ("varied.csv", write_register, args.count, 0.01),
            ("large.geojson", write_geojson, args.count, 0.0),
        ):
            files[label] = Path(folder) / label
            with files[label].open("w", encoding="utf-8", newline="") as out:
                write(out, count, seed=1, vary=vary)
        small = stack.enter_context(throwaway_database("small"))
        large = stack.enter_context(throwaway_database("large"))
        geojson = stack.enter_context(throwaway_database("geojson"))
        runs = [
            (f"CSV, fresh, {args.small:,}", measure(small, files["small.csv"])),
            (f"CSV, fresh, {args.count:,}", measure(large, files["large.csv"])),
            ("CSV, same file again (idempotent)", measure(large, files["large.csv"])),
            (f"CSV, {args.small:,} again, tracemalloc", measure(small, files["small.csv"], True)),
            (f"CSV, {args.count:,} again, tracemalloc", measure(large, files["large.csv"], True)),
            ("CSV, 1 % of powers changed", measure(large, files["varied.csv"])),
            (f"GeoJSON, fresh, {args.count:,}", measure(geojson, files["large.geojson"])),
        ]
    print(f"RIPREE import benchmark on {ADMIN_URL.rsplit('@', 1)[-1]}")
    print(
        f"{'import':36} {'rows':>8} {'s':>6} {'rows/s':>8} {'changes':>8} {'peak RSS MB':>12}"
        f" {'RSS growth':>11} {'heap MB':>8}"
    )
    for label, run in runs:
        heap = f"{run['heap_mb']:8.2f}" if run["heap_mb"] is not None else f"{'':8}"
        print(
            f"{label:36} {run['rows']:>8,} {run['seconds']:6.2f} "
            f"{run['rows'] / run['seconds']:>8,.0f} {run['changes']:>8,} "
            f"{run['rss_mb']:12.1f} {run['rss_growth_mb']:11.1f} {heap}"
        )
    slowest = min(run["rows"] / run["seconds"] for _, run in runs if run["heap_mb"] is None)
    verdict = "met" if slowest >= TARGET else "NOT met"
    print(f"target ≥ {TARGET:,} rows/s: {verdict} (slowest untraced import {slowest:,.0f} rows/s)")


if __name__ == "__main__":
    main()
