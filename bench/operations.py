"""What metrics and JSON logs cost on the status PATCH path: bench/ingest.py, off against on.

1. Create and migrate a throw-away database with ES*BEN (bench/ingest.py's set-up); PUT
   its inventory once under gunicorn.
2. For each round: serve SGV as production does with metrics and logs off (no
   SGV_METRICS_PORT, text logs), then on (SGV_METRICS_PORT, SGV_LOG_FORMAT=json, a
   PROMETHEUS_MULTIPROC_DIR of its own), each warmed up, then driven by wrk's PATCH load
   (bench/patch.lua) exactly as bench/ingest.py drives it. The order alternates from
   round to round (off-on, on-off, …), which cancels most of a busy machine's drift.
3. Print each run and the medians: requests/s, p99, gunicorn CPU per PATCH, and the
   samples the metrics port counted (a check that it measured what it served).
4. In this process, with Flask's test client (no network, no other process): CPU per
   status PATCH with metrics off and on, alternating, best of --rounds. On a busy
   machine this is the steadier figure: the hooks' own cost, without wrk's noise.

    PYTHONPATH=. .venv/bin/python bench/operations.py [--rounds 3] [--duration 15]
"""

import argparse
import os
import tempfile

# Before prometheus-client is imported (through sgv): samples go to files, as under
# gunicorn, so the in-process figure measures the multiprocess mode's cost.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="sgv-bench-metrics-"))
# …and this process records as a gunicorn worker does (sgv/core/metrics.py, `enable`).
os.environ["SERVER_SOFTWARE"] = "gunicorn (bench/operations.py)"

import signal
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.request import urlopen

import ingest  # noqa: E402
from common import settings, throwaway_database  # noqa: E402

from sgv import create_app  # noqa: E402
from sgv.core import metrics  # noqa: E402
from sgv.extensions import db  # noqa: E402

# Off first, then on first: the second server of a pair meets the first one's dead rows
# and the machine's drift, which favoured whichever ran first by up to 2× on a busy machine.
ORDERS = ((False, True), (True, False))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=15, help="seconds of measured load")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of load before it")
    parser.add_argument("--locations", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8, help="inventory client threads")
    parser.add_argument("--threads", type=int, default=4, help="wrk threads")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--patches", type=int, default=2000, help="in-process PATCHes per run")
    return parser.parse_args()


def served(extra: dict[str, str]):
    """Make bench/ingest.py's servers start with `extra` in their environment."""
    plain = ingest.server_environment

    def environment(database_url: str) -> dict[str, str]:
        return {**plain(database_url), **extra}

    ingest.server_environment = environment
    return plain


def patches_counted(port: int) -> float:
    """Return how many PATCH answers the metrics port counted."""
    with urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("sgv_http_requests_total{") and 'method="PATCH"' in line
    )


def measure(url: str, token: str, args: argparse.Namespace, log: Path, on: bool) -> dict:
    """Serve SGV with metrics and JSON logs on or off; return one PATCH run's figures."""
    extra: dict[str, str] = {}
    port = None
    if on:
        port = ingest.free_port()
        extra = {
            "SGV_METRICS_PORT": str(port),
            "SGV_LOG_FORMAT": "json",
            "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="sgv-bench-metrics-"),
        }
    plain = served(extra)
    try:
        with ingest.gunicorn("wsgi:app", url, log) as server:
            ingest.run_wrk(server, token, args, args.warmup)
            load = ingest.run_wrk(server, token, args, args.duration)
            counted = patches_counted(port) if port else None
    finally:
        ingest.server_environment = plain
    return {
        "on": on,
        "rps": load.requests_per_second,
        "p99": load.p99_ms,
        "cpu": load.server_cpu_ms,
        "db_cpu": load.database_cpu_ms,
        "failures": f"{load.failed_bodies} bodies + {load.socket_errors} socket errors",
        "other": load.other_cores,
        "load": load.load_average,
        "counted": counted,
        "requests": load.requests,
    }


def in_process(url: str, token: str, count: int, on: bool) -> float:
    """Return the CPU milliseconds per status PATCH through the test client."""
    app = create_app({**settings(url), "METRICS_PORT": "9" if on else ""})
    metrics.enable("9" if on else "")  # the flag is the process's: this app's setting
    assert metrics.enabled() == on
    client = app.test_client()
    headers = {"Authorization": ingest.authorization(token)}
    base = datetime.now(UTC) - timedelta(seconds=60)  # newer than the last run's, not ahead
    with app.app_context():
        begun = time.process_time()
        for n in range(count):
            number = 1 + n % 100
            status = {
                "status": "CHARGING" if n % 2 else "AVAILABLE",
                "last_updated": (base + timedelta(milliseconds=n)).isoformat(),
            }
            response = client.patch(
                f"{ingest.PREFIX}/LOC{number:04d}/LOC{number:04d}-1", json=status, headers=headers
            )
            assert response.status_code == 200, response.get_data(as_text=True)
        used = time.process_time() - begun
        db.session.remove()
        db.engine.dispose()
    return 1000 * used / count


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    log = Path(tempfile.mkstemp(prefix="sgv-bench-operations-", suffix=".log")[1])
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; server logs: {log}")
    moment = (datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0)
    runs = []
    with throwaway_database("operations") as url:
        token = ingest.create_party(url)
        with ingest.gunicorn("wsgi:app", url, log) as server:
            stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
            ingest.push_inventory(server.base_url, token, args.locations, args.clients, stamp)
        for number in range(args.rounds):
            for on in ORDERS[number % 2]:
                run = measure(url, token, args, log, on)
                runs.append(run)
                print(
                    f"round {number + 1}, metrics+json logs {'on ' if on else 'off'}: "
                    f"{run['rps']:.0f} req/s, p99 {run['p99']:.1f} ms, gunicorn CPU "
                    f"{run['cpu']:.2f} ms/PATCH (PostgreSQL {run['db_cpu']:.2f}), "
                    f"failed: {run['failures']}, other work {run['other']:.2f} cores, "
                    f"load {run['load']}"
                    + (f"; metrics port counted {run['counted']:.0f} PATCHes" if on else ""),
                    flush=True,
                )
        cpu: dict[bool, list[float]] = {False: [], True: []}
        for number in range(args.rounds):
            for on in ORDERS[number % 2]:
                cpu[on].append(in_process(url, token, args.patches, on))
                print(
                    f"in process, metrics {'on ' if on else 'off'}: {cpu[on][-1]:.3f} ms CPU/PATCH"
                )
    print()
    off, on = min(cpu[False]), min(cpu[True])
    print(
        f"in process, best of {args.rounds} × {args.patches} PATCHes: {off:.3f} ms off, "
        f"{on:.3f} ms on: +{1000 * (on - off):.0f} µs per PATCH ({on / off:.3f} ×)"
    )
    print()
    print("| figure (median of runs) | off | on | on / off |")
    print("|---|---:|---:|---:|")
    for key, name in (
        ("rps", "PATCH requests/s"),
        ("p99", "PATCH p99, ms"),
        ("cpu", "gunicorn CPU per PATCH, ms"),
    ):
        off = statistics.median(r[key] for r in runs if not r["on"])
        on = statistics.median(r[key] for r in runs if r["on"])
        print(f"| {name} | {off:.2f} | {on:.2f} | {on / off:.3f} |")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped, database dropped", file=sys.stderr)
