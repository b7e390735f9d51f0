"""Benchmark OCPI ingest under gunicorn's production settings (issue: bench/ingest.py).

1. Create and migrate a throw-away database; create a CPO holding a TOKEN_C.
2. Serve SGV (`gunicorn -c gunicorn.conf.py wsgi:app`) and PUT an inventory of
   1,000 locations × 2 EVSEs from 8 client threads: locations/s and failures.
3. Warm up, then drive EVSE status PATCHes with wrk (-t4 -c32, bench/patch.lua):
   requests/s, p50/p99 latency, failures; check the statuses really changed. SGV runs
   with everything issue #18 put on the PATCH path switched on: Prometheus metrics
   (SGV_METRICS_PORT, a PROMETHEUS_MULTIPROC_DIR of its own), JSON logs, the rate limits
   and the status-history trigger (`--operations-off`: without metrics and JSON logs).
4. Stop SGV; serve bench/baseline_app.py (one UPDATE + COMMIT) with the same gunicorn
   settings on the same database, and drive it with the same load.
5. Then, in this process, CPU per PATCH of SGV's app and the baseline's, alternating
   (bench/patch_cpu.py; `--in-process 0` skips it): the steadier figure on a busy machine.
6. Print the figures against the targets, ending with three RESULT lines (ratio, p99,
   failed pushes), and drop the database (also on Ctrl-C).

Both servers run on the cluster's normal durability (synchronous_commit as configured).
It is a measurement: it exits 0 whether or not the targets are met.

    PYTHONPATH=. .venv/bin/python bench/ingest.py [--rounds 3] [--duration 20] [--warmup 5]
"""

import argparse
import base64
import dataclasses
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

import psycopg
import requests
from common import ROOT, settings, throwaway_database

from sgv import create_app
from sgv.extensions import db
from sgv.models import Party
from sgv.ocpi.tokens import digest, new_token

COUNTRY_CODE, PARTY_ID = "ES", "BEN"
PREFIX = f"/api/2.2.1/locations/{COUNTRY_CODE}/{PARTY_ID}"
EVSES_PER_LOCATION = 2
GUNICORN = Path(sys.executable).parent / "gunicorn"
LUA_SCRIPT = ROOT / "bench" / "patch.lua"

# Targets from the issue.
MIN_RATIO = 0.8  # SGV's PATCH req/s over the baseline's, medians of the rounds (issue #18)
MAX_P99_MS = 50.0
MIN_INVENTORY_RATE = 200.0  # locations/s


# --- set-up ----------------------------------------------------------------------------


def create_party(url: str) -> str:
    """Create a registered CPO ES*BEN with a TOKEN_C, and return the token."""
    app = create_app(settings(url))
    token = new_token()
    with app.app_context():
        db.session.add(
            Party(
                country_code=COUNTRY_CODE,
                party_id=PARTY_ID,
                name="Benchmark CPO",
                state="registered",
                endpoints={},
                roles=[],
                version="2.2.1",
                token_c_digest=digest(token),
                token_c_expires_at=datetime.now(UTC) + timedelta(days=1),
            )
        )
        db.session.commit()
        db.engine.dispose()
    return token


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(database_url: str) -> dict[str, str]:
    """Our environment without SGV or gunicorn overrides, so production settings apply."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SGV_", "GUNICORN_")) and key != "WEB_CONCURRENCY"
    }
    env["SGV_DATABASE_URL"] = database_url
    return env


@dataclass
class Server:
    base_url: str
    pid: int  # gunicorn's master
    database_url: str


# gunicorn.conf.py as it was before issue #18: one listening socket shared by the workers.
SHARED_SOCKET_CONF = "exec(open('gunicorn.conf.py').read())\nreuse_port = False\n"


def operations_environment() -> dict[str, str]:
    """What production sets to have metrics and JSON logs (docs/performance.md)."""
    return {
        "SGV_METRICS_PORT": str(free_port()),
        "SGV_LOG_FORMAT": "json",
        "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="sgv-bench-ingest-metrics-"),
    }


@contextmanager
def gunicorn(
    app_spec: str,
    database_url: str,
    log: Path,
    shared_socket: bool = False,
    extra: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Serve `app_spec` with gunicorn.conf.py on a free port; yield it.

    `shared_socket`: with reuse_port off, so the workers share one listening socket;
    `extra`: more environment (operations_environment()).
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    conf = "gunicorn.conf.py"
    if shared_socket:
        conf = str(log.with_suffix(".shared.conf.py"))
        Path(conf).write_text(SHARED_SOCKET_CONF)
    command = [str(GUNICORN), "-c", conf, "--bind", f"127.0.0.1:{port}", app_spec]
    shown = " ".join(f"{key}={value}" for key, value in (extra or {}).items())
    print(f"$ SGV_DATABASE_URL=<throw-away db> {shown} .venv/bin/gunicorn {' '.join(command[1:])}")
    env = {**server_environment(database_url), **(extra or {})}
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        wait_until_up(base_url + "/healthz", process, log)
        yield Server(base_url, process.pid, database_url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    """Poll `url` until it answers 200, failing early if the server died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{tail(log)}")
        try:
            with urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s:\n{tail(log)}")


def tail(log: Path, lines: int = 30) -> str:
    """Return the last lines of a server log."""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def authorization(token: str) -> str:
    """Return the Authorization header of OCPI 2.2.1: the token in base64."""
    return "Token " + base64.b64encode(token.encode()).decode()


# --- inventory -------------------------------------------------------------------------


def location_body(number: int, moment: str) -> dict:
    """Return a full OCPI 2.2.1 Location LOC<number> with two DC EVSEs, one connector each."""
    location_id = f"LOC{number:04d}"
    return {
        "country_code": COUNTRY_CODE,
        "party_id": PARTY_ID,
        "id": location_id,
        "publish": True,
        "name": f"Electrolinera de prueba {number}",
        "address": f"Calle Mayor {number}",
        "city": "Madrid",
        "postal_code": "28013",
        "country": "ESP",
        "coordinates": {
            "latitude": f"{40.30 + (number % 100) * 0.003:.6f}",
            "longitude": f"{-3.85 + (number // 100) * 0.02:.6f}",
        },
        "parking_type": "ON_STREET",
        "evses": [
            {
                "uid": f"{location_id}-{k}",
                "evse_id": f"ES*BEN*E{number:05d}{k}",
                "status": "AVAILABLE",
                "capabilities": ["REMOTE_START_STOP_CAPABLE", "RFID_READER"],
                "connectors": [
                    {
                        "id": "1",
                        "standard": "IEC_62196_T2_COMBO",
                        "format": "CABLE",
                        "power_type": "DC",
                        "max_voltage": 920,
                        "max_amperage": 200,
                        "max_electric_power": 150000,
                        "tariff_ids": ["DC150"],
                        "last_updated": moment,
                    }
                ],
                "physical_reference": str(k),
                "last_updated": moment,
            }
            for k in range(1, EVSES_PER_LOCATION + 1)
        ],
        "operator": {"name": "Benchmark CPO"},
        "time_zone": "Europe/Madrid",
        "last_updated": moment,
    }


@dataclass
class Inventory:
    locations: int
    seconds: float
    failures: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.locations / self.seconds


def push_inventory(base_url: str, token: str, count: int, clients: int, moment: str) -> Inventory:
    """PUT `count` locations from `clients` threads, each with its own session."""
    local = threading.local()
    headers = {"Authorization": authorization(token)}

    def put(number: int) -> str | None:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.headers.update(headers)
        body = location_body(number, moment)
        try:
            response = local.session.put(f"{base_url}{PREFIX}/{body['id']}", json=body, timeout=30)
        except requests.RequestException as exc:
            return f"{body['id']}: {exc}"
        if response.status_code not in (200, 201) or '"status_code":1000' not in response.text:
            return f"{body['id']}: HTTP {response.status_code} {response.text[:200]}"
        return None

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        outcomes = list(pool.map(put, range(1, count + 1)))
    seconds = time.perf_counter() - started
    return Inventory(count, seconds, [o for o in outcomes if o is not None])


# --- wrk -------------------------------------------------------------------------------


@dataclass
class Load:
    requests_per_second: float
    requests: int
    p50_ms: float
    p99_ms: float
    failed_bodies: int  # responses without "status_code":1000, counted by patch.lua
    socket_errors: int  # connect/read/write errors and timeouts: no response at all
    output: str
    load_average: str = ""  # the machine's 1-minute load average before → after
    # CPU per answered request: gunicorn's processes, and the database's backends.
    server_cpu_ms: float = 0.0
    database_cpu_ms: float = 0.0
    other_cores: float = 0.0  # cores other processes kept busy meanwhile
    busiest_share: float = 0.0  # the busiest gunicorn process's share of the server's CPU

    @property
    def failures(self) -> int:
        return self.failed_bodies + self.socket_errors


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def milliseconds(text: str) -> float:
    """Convert one of wrk's durations ("812.00us", "12.34ms", "1.02s") to milliseconds."""
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", text).groups()
    return float(number) * UNITS_MS[unit]


def parse_wrk(output: str) -> Load:
    """Read requests/s, the latency percentiles and the error counts from wrk's output."""

    def find(pattern: str) -> re.Match:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"wrk output lacks /{pattern}/:\n{output}")
        return match

    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return Load(
        requests_per_second=float(find(r"^Requests/sec:\s+([\d.]+)").group(1)),
        requests=int(find(r"^\s*(\d+) requests in").group(1)),
        p50_ms=milliseconds(find(r"^\s+50%\s+(\S+)").group(1)),
        p99_ms=milliseconds(find(r"^\s+99%\s+(\S+)").group(1)),
        failed_bodies=int(find(r"^Failed responses: (\d+)").group(1)),
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
        output=output,
    )


def wrk_command(base_url: str, token: str, args: argparse.Namespace, seconds: int) -> list[str]:
    """Return the wrk command line of the PATCH load."""
    return [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(LUA_SCRIPT.relative_to(ROOT)),
        base_url,
        "--",
        authorization(token),
        PREFIX,
        str(args.locations),
        str(EVSES_PER_LOCATION),
    ]


def process_tree(pid: int) -> list[int]:
    """Return `pid` and its descendants (gunicorn's master and workers)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            pending.extend(int(child) for child in task.read_text().split())
    return found


def backends(database_url: str) -> list[int]:
    """Return the PostgreSQL backends connected to the benchmark's database."""
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in rows]


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """Return each process's user + system CPU seconds so far (gone ones are left out)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return found


def machine_busy_seconds() -> float:
    """Return the CPU seconds all cores have spent busy since boot (/proc/stat)."""
    fields = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    """Return the CPU seconds of this process's waited-for children (wrk)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@contextmanager
def cpu_used(server: Server) -> Iterator[dict[str, float]]:
    """Measure the CPU seconds of the server's processes, its database backends, the load
    generator, and everything else on the machine (other work skewing the figures)."""
    used: dict[str, float] = {}
    before = {
        "server": cpu_seconds(process_tree(server.pid)),
        "database": cpu_seconds(backends(server.database_url)),
    }
    busy, client = machine_busy_seconds(), children_cpu_seconds()
    yield used
    after = {
        "server": cpu_seconds(process_tree(server.pid)),
        "database": cpu_seconds(backends(server.database_url)),
    }
    for part, seconds in after.items():
        # A process started during the run counts from zero; one that ended is missed.
        used[part] = sum(value - before[part].get(pid, 0.0) for pid, value in seconds.items())
    # How evenly the workers shared the load: the busiest server process's share of its CPU
    # (0.5 with two workers sharing evenly; near 1.0 when wrk's connections piled on one).
    spent = [value - before["server"].get(pid, 0.0) for pid, value in after["server"].items()]
    used_busiest = max(spent, default=0.0) / max(sum(spent), 1e-9)
    used["client"] = children_cpu_seconds() - client
    used["other"] = max(0.0, machine_busy_seconds() - busy - sum(used.values()))
    used["busiest"] = used_busiest  # a share, not seconds: set last, out of the sums


def run_wrk(server: Server, token: str, args: argparse.Namespace, seconds: int) -> Load:
    """Drive the PATCH load for `seconds` and return what wrk measured."""
    base_url = server.base_url
    command = wrk_command(base_url, token, args, seconds)
    shown = [*command[:-4], '"Token <TOKEN_C in base64>"', *command[-3:]]
    print("$ " + " ".join(shown), flush=True)
    before = os.getloadavg()[0]
    with cpu_used(server) as used:
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    if result.stderr.strip():
        print(result.stderr.strip(), file=sys.stderr)
    load = parse_wrk(result.stdout)
    load.load_average = f"{before:.1f} → {os.getloadavg()[0]:.1f}"
    load.server_cpu_ms = 1000 * used["server"] / max(load.requests, 1)
    load.database_cpu_ms = 1000 * used["database"] / max(load.requests, 1)
    load.other_cores = used["other"] / seconds
    load.busiest_share = used["busiest"]
    return load


# --- checks ----------------------------------------------------------------------------


def evse_state(url: str, since: datetime) -> dict[str, int]:
    """Count EVSEs, those changed after `since`, and those whose raw object agrees."""
    with psycopg.connect(url) as conn:
        total, changed, not_available, consistent = conn.execute(
            """
            SELECT count(*), count(*) FILTER (WHERE last_updated > %s),
                   count(*) FILTER (WHERE status <> 'AVAILABLE'),
                   count(*) FILTER (WHERE data->>'status' = status
                                      AND (data->>'last_updated')::timestamptz = last_updated)
            FROM evses
            """,
            (since,),
        ).fetchone()
        bumps = conn.execute("SELECT last_value FROM dynamic_data_version").fetchone()[0]
        latest = conn.execute("SELECT max(last_updated) FROM evses").fetchone()[0]
    return {
        "total": total,
        "changed": changed,
        "not_available": not_available,
        "consistent": consistent,
        "dynamic_version": bumps,
        "latest": latest,
    }


# --- report ----------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(inventory: Inventory, sgv: Load, baseline: Load) -> str:
    """Return the figures and the verdict per target as a Markdown table."""
    ratio = sgv.requests_per_second / baseline.requests_per_second
    failures = len(inventory.failures) + sgv.failures
    rows = [
        ("figure", "SGV", "baseline", "target", "result"),
        ("---", "---:", "---:", "---", "---"),
        (
            "inventory, locations/s",
            f"{inventory.rate:.0f}",
            "",
            f"≥ {MIN_INVENTORY_RATE:.0f}",
            verdict(inventory.rate >= MIN_INVENTORY_RATE),
        ),
        (
            "PATCH, requests/s",
            f"{sgv.requests_per_second:.0f}",
            f"{baseline.requests_per_second:.0f}",
            f"≥ {MIN_RATIO} × baseline (ratio {ratio:.2f})",
            verdict(ratio >= MIN_RATIO),
        ),
        ("PATCH p50, ms", f"{sgv.p50_ms:.1f}", f"{baseline.p50_ms:.1f}", "", ""),
        (
            "PATCH p99, ms",
            f"{sgv.p99_ms:.1f}",
            f"{baseline.p99_ms:.1f}",
            f"< {MAX_P99_MS:.0f}",
            verdict(sgv.p99_ms < MAX_P99_MS),
        ),
        (
            "failed pushes (inventory + PATCH)",
            f"{len(inventory.failures)} + {sgv.failures}",
            f"{baseline.failures}",
            "0",
            verdict(failures == 0),
        ),
        (
            "CPU per PATCH, ms: gunicorn + PostgreSQL",
            f"{sgv.server_cpu_ms:.2f} + {sgv.database_cpu_ms:.2f}",
            f"{baseline.server_cpu_ms:.2f} + {baseline.database_cpu_ms:.2f}",
            "",
            "",
        ),
        (
            "cores busy with other work meanwhile",
            f"{sgv.other_cores:.2f}",
            f"{baseline.other_cores:.2f}",
            "",
            "",
        ),
        # Other processes share the cores: say how busy the machine was. The figure after
        # a run includes the benchmark's own threads (wrk, gunicorn, PostgreSQL).
        ("load average, 1 min, before → after", sgv.load_average, baseline.load_average, "", ""),
    ]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


# --- main ------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds of measured load")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of load before it")
    parser.add_argument("--locations", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8, help="inventory client threads")
    parser.add_argument("--threads", type=int, default=4, help="wrk threads")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each server")
    parser.add_argument(
        "--operations-off",
        action="store_true",
        help="SGV without Prometheus metrics and JSON logs (they are on by default)",
    )
    parser.add_argument(
        "--in-process",
        type=int,
        default=10,
        metavar="BATCHES",
        help="batches of in-process CPU per PATCH, each app (bench/patch_cpu.py); 0: none",
    )
    parser.add_argument(
        "--server-threads",
        type=int,
        metavar="N",
        help="SGV_THREADS for both servers (threads per worker and pool size; default 4)",
    )
    parser.add_argument("--workers", type=int, metavar="N", help="WEB_CONCURRENCY for both servers")
    parser.add_argument(
        "--shared-socket",
        action="store_true",
        help="also run SGV with reuse_port off (one listening socket), each round",
    )
    return parser.parse_args()


def measured(app_spec: str, url: str, token: str, args, log: Path, shared: bool = False) -> Load:
    """Serve `app_spec`, warm it up, measure it; return what wrk saw."""
    sgv = app_spec == "wsgi:app"
    extra = operations_environment() if sgv and not args.operations_off else {}
    if args.server_threads:
        extra["SGV_THREADS"] = str(args.server_threads)
    if args.workers:
        extra["WEB_CONCURRENCY"] = str(args.workers)
    with gunicorn(app_spec, url, log, shared_socket=shared, extra=extra) as server:
        run_wrk(server, token, args, args.warmup)
        load = run_wrk(server, token, args, args.duration)
    return load


def round_line(n: int, name: str, load: Load) -> str:
    return (
        f"| {n} | {name} | {load.requests_per_second:.0f} | {load.p50_ms:.1f} | {load.p99_ms:.1f}"
        f" | {load.failures} | {load.server_cpu_ms:.2f} + {load.database_cpu_ms:.2f}"
        f" | {load.busiest_share:.2f} | {load.other_cores:.2f} | {load.load_average} |"
    )


def main() -> None:
    args = parse_args()
    # Ctrl-C raises KeyboardInterrupt; make `kill` unwind the same way, so the servers
    # stop and the database is dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    log = Path(tempfile.mkstemp(prefix="sgv-bench-ingest-", suffix=".log")[1])
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; server logs: {log}")
    # Seconds precision, as CPOs send; a minute back so every PATCH is newer.
    inventory_moment = (datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0)
    moment = inventory_moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    runs: dict[str, list[Load]] = {"SGV": [], "baseline": [], "SGV, one shared socket": []}
    lines = []

    with throwaway_database("ingest") as url:
        token = create_party(url)
        with gunicorn("wsgi:app", url, log) as server:
            print(f"PUT {args.locations} locations × {EVSES_PER_LOCATION} EVSEs, ", end="")
            print(f"{args.clients} clients …", flush=True)
            inventory = push_inventory(server.base_url, token, args.locations, args.clients, moment)
            print(f"  {inventory.rate:.0f} locations/s, {len(inventory.failures)} failures")
            for failure in inventory.failures[:5]:
                print(f"  {failure}")
        # Alternate the servers, round after round, so each sees the same machine.
        for n in range(1, args.rounds + 1):
            plan = [("SGV", "wsgi:app", False)]
            if args.shared_socket:
                plan.append(("SGV, one shared socket", "wsgi:app", True))
            plan.append(("baseline", "bench.baseline_app:app", False))
            for name, spec, shared in plan:
                print(f"round {n}: {name}, {args.warmup} + {args.duration} s …", flush=True)
                load = measured(spec, url, token, args, log, shared)
                runs[name].append(load)
                lines.append(round_line(n, name, load))
                if n == 1 and name == "SGV":
                    after_sgv = evse_state(url, inventory_moment)
                    answered = load.requests
        after_baseline = evse_state(url, after_sgv["latest"])
        spent = None
        if args.in_process:
            import patch_cpu  # here: it sets the metrics environment of this process

            print(f"in process: {args.in_process} batches of 300 PATCHes each app …", flush=True)
            spent = patch_cpu.compare(url, token, args.in_process, 300)

    print(
        "| round | server | req/s | p50 ms | p99 ms | failed | CPU/PATCH ms, gunicorn + PostgreSQL"
        " | busiest worker's CPU share | other cores busy | load average |"
    )
    print("|---:|---|---:|---:|---:|---:|---|---:|---:|---|")
    print("\n".join(lines))
    print()
    print(report(inventory, median_load(runs["SGV"]), median_load(runs["baseline"])))
    if runs["SGV, one shared socket"]:
        shared = median_load(runs["SGV, one shared socket"])
        ratio = shared.requests_per_second / median_load(runs["baseline"]).requests_per_second
        print(f"\nSGV on one shared socket (reuse_port off): ratio {ratio:.2f} (median)")
    print()
    # Each applied push bumps the dynamic data version once; stale ones do not.
    print(
        f"After round 1's SGV run: EVSEs changed by SGV's PATCHes: {after_sgv['changed']} of "
        f"{after_sgv['total']} ({after_sgv['not_available']} no longer AVAILABLE; stored object "
        f"agrees with the columns on {after_sgv['consistent']}). PATCHes applied (data-version "
        f"bumps): {after_sgv['dynamic_version'] - args.locations}; answers counted by wrk in the "
        f"measured run: {answered} (plus the warm-up's; those in flight when wrk stops are "
        "applied but not counted)"
    )
    print(
        f"EVSEs changed by the baseline: {after_baseline['changed']} of {after_baseline['total']}"
    )
    if after_sgv["changed"] == 0:
        print("WARNING: no EVSE changed: SGV's PATCHes were not applied")
    if spent is not None:
        print("\nCPU per status PATCH in this process (bench/patch_cpu.py), alternating batches:")
        print(patch_cpu.summary(spent))
    print()
    print(results(inventory, runs["SGV"], runs["baseline"], args))


def results(inventory: Inventory, sgv_runs: list[Load], baseline_runs: list[Load], args) -> str:
    """The three figures issue #18 judges, one line each."""
    sgv, baseline = median_load(sgv_runs), median_load(baseline_runs)
    ratio = sgv.requests_per_second / baseline.requests_per_second
    failed = len(inventory.failures) + sgv.failures
    on = "off" if args.operations_off else "on"
    return "\n".join(
        [
            f"RESULT ratio {ratio:.2f}: SGV {sgv.requests_per_second:.0f} req/s against the "
            f"baseline's {baseline.requests_per_second:.0f} (medians of {len(sgv_runs)} rounds; "
            f"metrics and JSON logs {on}; target ≥ {MIN_RATIO}) {verdict(ratio >= MIN_RATIO)}",
            f"RESULT p99 {sgv.p99_ms:.1f} ms at {args.connections} connections (median; the "
            f"baseline's {baseline.p99_ms:.1f} ms; target < {MAX_P99_MS:.0f}) "
            f"{verdict(sgv.p99_ms < MAX_P99_MS)}",
            f"RESULT failed pushes {failed} (inventory {len(inventory.failures)}, PATCH "
            f"{sgv.failures} in {len(sgv_runs)} runs; target 0) {verdict(failed == 0)}",
        ]
    )


def median_load(loads: list[Load]) -> Load:
    """Return a Load of the medians of each figure over the rounds (failures: the sum)."""
    pick = lambda f: statistics.median(f(load) for load in loads)  # noqa: E731
    middle = sorted(loads, key=lambda load: load.requests_per_second)[len(loads) // 2]
    return dataclasses.replace(
        middle,
        requests_per_second=pick(lambda x: x.requests_per_second),
        p50_ms=pick(lambda x: x.p50_ms),
        p99_ms=pick(lambda x: x.p99_ms),
        failed_bodies=sum(x.failed_bodies for x in loads),
        socket_errors=sum(x.socket_errors for x in loads),
        server_cpu_ms=pick(lambda x: x.server_cpu_ms),
        database_cpu_ms=pick(lambda x: x.database_cpu_ms),
        other_cores=pick(lambda x: x.other_cores),
        load_average=", ".join(x.load_average for x in loads),
    )


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped, database dropped", file=sys.stderr)
