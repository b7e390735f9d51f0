"""Count connection resets a keep-alive OCPI client meets (issue #15, item 7).

`demo simulate` lost rounds to RemoteDisconnected and ConnectionResetError: its pooled
connections idled about 5 s between rounds, gunicorn closed idle connections after 5 s,
and a request sent as gunicorn closed its connection was lost. This replays that client
for `--duration` seconds against three targets at once, on one throw-away database:

- gunicorn as this tree configures it (gunicorn.conf.py), straight;
- the same gunicorn behind deploy/nginx.conf (rendered into a temporary prefix);
- for comparison, gunicorn with the old `--keep-alive 5`.

The client is the simulator's, without its retry (the point is what the server does):
every `--interval` seconds, `--changes` EVSE status PATCHes from 8 threads, each thread
with its own requests.Session (connections pooled and reused). It prints, per target,
requests, failed rounds, resets (RemoteDisconnected, ConnectionResetError, BrokenPipe),
other errors and latency. A measurement: it exits 0 whatever it finds.

    .venv/bin/python bench/resets.py [--duration 300] [--interval 5] [--changes 20]
"""

import argparse
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import requests
from common import ROOT, begin_run, throwaway_database
from ingest import (
    EVSES_PER_LOCATION,
    GUNICORN,
    PREFIX,
    authorization,
    create_party,
    free_port,
    push_inventory,
    server_environment,
    wait_until_up,
)

sys.path.insert(0, str(ROOT))
from tests.nginx import nginx_front  # noqa: E402  (the test suite's renderer of deploy/nginx.conf)

LOCATIONS = 50
RESETS = ("RemoteDisconnected", "ConnectionResetError", "BrokenPipeError", "Connection aborted")


@dataclass
class Tally:
    """What one target answered."""

    name: str
    rounds: int = 0
    failed_rounds: int = 0
    requests: int = 0
    resets: int = 0
    errors: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def gunicorn(database_url: str, log: Path, *extra: str) -> Iterator[str]:
    """Serve wsgi:app with gunicorn.conf.py (plus `extra` flags) on a free port."""
    port = free_port()
    command = [str(GUNICORN), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", *extra]
    print(f"$ .venv/bin/gunicorn {' '.join(command[1:])} wsgi:app")
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*command, "wsgi:app"],
            cwd=ROOT,
            env={**server_environment(database_url), "SGV_TRUSTED_PROXIES": "127.0.0.1"},
            stdout=out,
            stderr=out,
        )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", process, log)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def classify(error: requests.RequestException) -> str:
    """Name an error by its root cause: RemoteDisconnected, ConnectionResetError, …"""
    cause: BaseException | None = error
    names = []
    while cause is not None:
        names.append(type(cause).__name__)
        for arg in getattr(cause, "args", ()):
            if isinstance(arg, BaseException):
                names.append(type(arg).__name__)
        cause = cause.__cause__ or cause.__context__
    text = " ".join(names) + " " + str(error)
    return next((reset for reset in RESETS if reset in text), type(error).__name__)


def drive(base_url: str, token: str, tally: Tally, args: argparse.Namespace, stop: float) -> None:
    """Push rounds of status PATCHes like `demo simulate`, until `stop` (monotonic)."""
    local = threading.local()
    chooser = random.Random()
    evses = [
        (f"LOC{n:04d}", f"LOC{n:04d}-{k}")
        for n in range(1, LOCATIONS + 1)
        for k in range(1, EVSES_PER_LOCATION + 1)
    ]
    headers = {"Authorization": authorization(token)}

    def patch(evse: tuple[str, str], when: str) -> bool:
        if not hasattr(local, "session"):
            local.session = requests.Session()
            local.session.headers.update(headers)
        body = {"status": chooser.choice(["AVAILABLE", "CHARGING"]), "last_updated": when}
        started = time.perf_counter()
        try:
            response = local.session.patch(
                f"{base_url}{PREFIX}/{evse[0]}/{evse[1]}", json=body, timeout=30
            )
            ok = response.status_code == 200 and '"status_code":1000' in response.text
            failure = None if ok else f"HTTP {response.status_code}"
        except requests.RequestException as exc:
            failure = classify(exc)
        with tally.lock:
            tally.requests += 1
            tally.latencies.append(time.perf_counter() - started)
            if failure in RESETS:
                tally.resets += 1
            if failure:
                tally.errors[failure] += 1
        return failure is None

    with ThreadPoolExecutor(8) as pool:
        while time.monotonic() < stop:
            when = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            batch = chooser.sample(evses, args.changes)
            outcomes = list(pool.map(partial(patch, when=when), batch))
            tally.rounds += 1
            tally.failed_rounds += not all(outcomes)
            time.sleep(args.interval)


def report(tallies: list[Tally]) -> str:
    """Return the figures as a Markdown table."""
    rows = [
        (
            "target",
            "rounds",
            "failed rounds",
            "requests",
            "resets",
            "other errors",
            "p50 ms",
            "p99 ms",
        ),
        ("---", "---:", "---:", "---:", "---:", "---", "---:", "---:"),
    ]
    for t in tallies:
        latencies = sorted(t.latencies)
        p99 = latencies[int(0.99 * (len(latencies) - 1))] if latencies else 0
        others = {k: v for k, v in t.errors.items() if k not in RESETS}
        rows.append(
            (
                t.name,
                str(t.rounds),
                str(t.failed_rounds),
                str(t.requests),
                str(t.resets) + (f" ({dict(t.errors)})" if t.resets else ""),
                str(others or 0),
                f"{statistics.median(latencies) * 1000:.1f}" if latencies else "",
                f"{p99 * 1000:.1f}",
            )
        )
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=300, help="seconds of pushing")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between rounds")
    parser.add_argument("--changes", type=int, default=20, help="PATCHes per round")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    log = begin_run("resets")
    moment = datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    with throwaway_database("resets") as url, ExitStack() as stack:
        token = create_party(url)
        today = stack.enter_context(gunicorn(url, log))
        old = stack.enter_context(gunicorn(url, log, "--keep-alive", "5"))
        front = stack.enter_context(nginx_front(today, free_port()))
        print(f"nginx (deploy/nginx.conf rendered in {front.prefix}) → {today}")
        inventory = push_inventory(f"http://{today}", token, LOCATIONS, 8, moment)
        print(f"{LOCATIONS} locations pushed, {len(inventory.failures)} failures")
        targets = [
            (Tally("gunicorn (gunicorn.conf.py)"), f"http://{today}"),
            (Tally("nginx → gunicorn (deploy/nginx.conf)"), front.base_url),
            (Tally("gunicorn --keep-alive 5 (before)"), f"http://{old}"),
        ]
        print(f"{args.duration:.0f} s: {args.changes} PATCHes every {args.interval} s per target …")
        stop = time.monotonic() + args.duration
        threads = [
            threading.Thread(target=drive, args=(base, token, tally, args, stop))
            for tally, base in targets
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    print(report([tally for tally, _ in targets]))


if __name__ == "__main__":
    main()
