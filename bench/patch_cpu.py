"""CPU per status PATCH in this process: SGV's WSGI app against the baseline app, alternating.

No network, no gunicorn, no wrk: each app is called as a WSGI server calls it, with the
same PATCH (`{"status", "last_updated"}` on one of 100 EVSEs, the status alternating so
that every PATCH changes it and the history trigger fires), on the same database, in
batches that alternate between the two apps. What this process spends is the apps' own
CPU plus psycopg's client side, the steadier figure on a busy machine (wrk's figures
then measure the neighbours). SGV runs as production with everything on: Prometheus
metrics in the multiprocess mode, JSON logs, the rate limits, the history trigger.

bench/ingest.py runs this after its wrk rounds (`--in-process`); alone:

    PYTHONPATH=. .venv/bin/python bench/patch_cpu.py [--batches 10] [--patches 300]
"""

import argparse
import importlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

# Before prometheus-client is imported (through sgv): samples go to files, as under
# gunicorn, and this process records as a gunicorn worker does (sgv/core/metrics.py).
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="sgv-bench-cpu-"))
os.environ.setdefault("SERVER_SOFTWARE", "gunicorn (bench/patch_cpu.py)")

import ingest  # noqa: E402
from common import settings, throwaway_database  # noqa: E402

from sgv import create_app  # noqa: E402
from sgv.core import dataversion, metrics  # noqa: E402
from sgv.extensions import db  # noqa: E402

LOCATIONS = 100
APPS = ("SGV", "baseline")
DATABASE = "{}, PostgreSQL"  # the name of an app's database figures
STATUSES = ("AVAILABLE", "CHARGING")


def sgv_app(url: str):
    """SGV as `gunicorn wsgi:app` runs it with SGV_METRICS_PORT and SGV_LOG_FORMAT=json."""
    config = {**settings(url), "METRICS_PORT": "9", "LOG_FORMAT": "json"}
    config.pop("TESTING")
    app = create_app(config)
    metrics.enable("9")
    assert metrics.enabled()
    return app


def baseline_app(url: str):
    """bench/baseline_app.py on the same database."""
    os.environ["SGV_DATABASE_URL"] = url
    return importlib.import_module("bench.baseline_app")


def environ(path: str, body: bytes, authorization: str) -> dict:
    """Return the WSGI environ of one PATCH, as gunicorn builds it."""
    return {
        "REQUEST_METHOD": "PATCH",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "RAW_URI": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "5000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "40000",
        "HTTP_HOST": "127.0.0.1:5000",
        "HTTP_AUTHORIZATION": authorization,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


class Patches:
    """Numbered status PATCHes to the benchmark's inventory, each newer than the last."""

    def __init__(self, authorization: str) -> None:
        self.authorization = authorization
        self.start = datetime.now(UTC)  # newer than any PATCH before: every one applies
        self.sent = 0

    def run(self, app: Callable, count: int) -> float:
        """Send `count` PATCHes through `app`; return this process's CPU ms per PATCH."""
        begun = time.process_time()
        for _ in range(count):
            n, self.sent = self.sent, self.sent + 1
            number = 1 + n % LOCATIONS
            moment = self.start + timedelta(milliseconds=n)
            body = json.dumps(
                {
                    "status": STATUSES[(n // LOCATIONS) % 2],
                    "last_updated": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                }
            ).encode()
            path = f"{ingest.PREFIX}/LOC{number:04d}/LOC{number:04d}-1"
            answer: list[str] = []
            chunks = app(
                environ(path, body, self.authorization),
                lambda status, headers, exc_info=None, seen=answer: seen.append(status),
            )
            text = b"".join(chunks)
            getattr(chunks, "close", lambda: None)()
            if not answer[0].startswith("200") or b'"status_code":1000' not in text:
                raise RuntimeError(f"PATCH {path}: {answer[0]} {text[:300]!r}")
        return 1000 * (time.process_time() - begun) / count


def compare(url: str, token: str, batches: int, patches: int) -> dict[str, list[float]]:
    """Alternate batches of PATCHes through SGV and the baseline; CPU ms per PATCH each."""
    sgv = sgv_app(url)
    baseline = baseline_app(url)
    apps = dict(zip(APPS, (sgv, baseline.app), strict=True))
    sender = Patches(ingest.authorization(token))
    for app in apps.values():  # warm up: compiled statements, prepared ones, pools
        sender.run(app, 2 * LOCATIONS)
    spent: dict[str, list[float]] = {name: [] for name in [*apps, *map(DATABASE.format, apps)]}
    for batch in range(batches):
        order = list(apps) if batch % 2 == 0 else list(reversed(apps))
        for name in order:
            # The database's side too: every backend of the database, read outside the
            # timed batch (the look-up costs this process CPU of its own).
            before = ingest.cpu_seconds(ingest.backends(url))
            spent[name].append(sender.run(apps[name], patches))
            after = ingest.cpu_seconds(ingest.backends(url))
            used = sum(value - before.get(pid, 0.0) for pid, value in after.items())
            spent[DATABASE.format(name)].append(1000 * used / patches)
    with sgv.app_context():
        db.engine.dispose()
    baseline.engine.dispose()
    dataversion.close()
    return spent


def summary(spent: dict[str, list[float]]) -> str:
    """Say what each app and its database spent per PATCH, and SGV's CPU over the baseline's.

    PostgreSQL's figure is its backends' CPU (in steps of the kernel's clock tick, 10 ms,
    so ±0.03 ms per batch of 300); the app's is this process's.
    """
    lines = []
    for name, values in spent.items():
        where = "in PostgreSQL" if name in map(DATABASE.format, APPS) else "in process"
        lines.append(
            f"  {name}: best {min(values):.3f}, median {statistics.median(values):.3f} ms "
            f"CPU per PATCH {where} ({len(values)} batches)"
        )
    best = min(spent["SGV"]) / min(spent["baseline"])
    middle = statistics.median(spent["SGV"]) / statistics.median(spent["baseline"])
    lines.append(f"  SGV / baseline CPU: {best:.2f} × (best), {middle:.2f} × (medians)")
    if DATABASE.format("SGV") in spent:  # both sides, batch by batch
        totals = {
            name: [a + d for a, d in zip(spent[name], spent[DATABASE.format(name)], strict=True)]
            for name in APPS
        }
        both = statistics.median(totals["SGV"]) / statistics.median(totals["baseline"])
        lines.append(f"  SGV / baseline CPU, process + PostgreSQL: {both:.2f} × (medians)")
    return "\n".join(lines)


def create_inventory(url: str, token: str) -> None:
    """PUT LOC0001… LOC0100 through SGV's test client (bench/ingest.py's locations)."""
    app = create_app(settings(url))
    client = app.test_client()
    moment = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = {"Authorization": ingest.authorization(token)}
    with app.app_context():
        for number in range(1, LOCATIONS + 1):
            body = ingest.location_body(number, moment)
            response = client.put(f"{ingest.PREFIX}/{body['id']}", json=body, headers=headers)
            assert response.status_code in (200, 201), response.get_data(as_text=True)
        db.session.remove()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=10, help="batches per app, alternating")
    parser.add_argument("--patches", type=int, default=300, help="PATCHes per batch")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    with throwaway_database("patch_cpu") as url:
        token = ingest.create_party(url)
        create_inventory(url, token)
        spent = compare(url, token, args.batches, args.patches)
    print(summary(spent))
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
