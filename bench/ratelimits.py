"""Benchmark the rate limits under attack (docs/security.md): token guessing, map scraping.

For each storage (off: SGV_RATELIMIT_ENABLED=false, as before the limits; memory: each
gunicorn worker counts alone; redis: a real redis-server on a free loopback port,
SGV_CACHE_URL, every worker shares the counts):

1. Serve SGV as production does (`gunicorn -c gunicorn.conf.py wsgi:app`, 2 workers × 8
   threads, default limits) on a throw-away database with one registered CPO.
2. Token guessing: `--threads` threads send GET /api/versions with random tokens over
   keep-alive connections for `--seconds`, while one more thread sends the CPO's valid
   token from the same address: answers per status, and requests per second.
3. Scraping: the same threads GET /map/sites.json for `--seconds`: answers per status.

It is a measurement: it exits 0 whatever the figures.

    .venv/bin/python bench/ratelimits.py [--seconds 15] [--threads 8]
"""

import argparse
import http.client
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from common import ROOT, settings, throwaway_database
from ingest import GUNICORN, authorization, free_port, server_environment, wait_until_up

from sgv import create_app
from sgv.extensions import db
from sgv.models import Party
from sgv.ocpi.tokens import digest, new_token

sys.path.insert(0, str(ROOT))
from tests.servers import redis_server  # noqa: E402  (the suite's own Redis starter)


def make_cpo(database_url: str) -> str:
    """Register one CPO holding a TOKEN_C; return the token."""
    token = new_token()
    app = create_app(settings(database_url))
    with app.app_context():
        db.session.add(
            Party(country_code="ES", party_id="BEN", name="Bench CPO", state="registered",
                  endpoints={}, roles=[], version="2.2.1", token_c_digest=digest(token))
        )  # fmt: skip
        db.session.commit()
        db.engine.dispose()
    return token


@contextmanager
def gunicorn(database_url: str, storage: str, log: Path) -> Iterator[tuple[str, int]]:
    """Serve wsgi:app with gunicorn.conf.py, 2 workers; yield (host, port)."""
    port = free_port()
    env = {**server_environment(database_url), "WEB_CONCURRENCY": "2"}
    if storage == "off":
        env["SGV_RATELIMIT_ENABLED"] = "false"
    elif storage.startswith("redis://"):
        env["SGV_CACHE_URL"] = storage
    command = [str(GUNICORN), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "wsgi:app"]
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", process, log)
        yield "127.0.0.1", port
    finally:
        process.terminate()
        process.wait(timeout=30)


def hammer(address: tuple[str, int], path: str, token_of, seconds: float) -> Counter:
    """GET `path` over one keep-alive connection until `seconds` pass; count statuses."""
    counts: Counter = Counter()
    connection = http.client.HTTPConnection(*address, timeout=10)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        token = token_of()
        connection.request("GET", path, headers={"Authorization": authorization(token)})
        response = connection.getresponse()
        response.read()
        counts[response.status] += 1
        if response.getheader("Connection", "").lower() == "close":
            connection.close()
            connection = http.client.HTTPConnection(*address, timeout=10)
    connection.close()
    return counts


def attack(address, path: str, threads: int, seconds: float, valid: str | None) -> dict:
    """Run `threads` attackers (random tokens), plus one client with the `valid` token."""
    results: dict[str, Counter] = {"attack": Counter(), "valid": Counter()}
    lock = threading.Lock()

    def run(name: str, token_of) -> None:
        counts = hammer(address, path, token_of, seconds)
        with lock:
            results[name].update(counts)

    workers = [threading.Thread(target=run, args=("attack", lambda: secrets.token_urlsafe(32)))
               for _ in range(threads)]  # fmt: skip
    if valid:
        workers.append(threading.Thread(target=run, args=("valid", lambda: valid)))
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.monotonic() - started
    return {**results, "rate": sum(results["attack"].values()) / elapsed}


def row(storage: str, what: str, result: dict) -> str:
    attack_counts = ", ".join(f"{n} × {s}" for s, n in sorted(result["attack"].items()))
    valid = ", ".join(f"{n} × {s}" for s, n in sorted(result["valid"].items())) or "—"
    return f"| {storage} | {what} | {result['rate']:.0f} | {attack_counts} | {valid} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    rows = []
    log = Path(tempfile.mkstemp(prefix="sgv-bench-limits-", suffix=".log")[1])
    with throwaway_database("limits") as url:
        token = make_cpo(url)
        for storage in ("off", "memory", "redis"):
            with redis_server() if storage == "redis" else nullcontext(storage) as where:
                with gunicorn(url, where, log) as address:
                    guess = attack(address, "/api/versions", args.threads, args.seconds, token)
                    rows.append(row(storage, "guess tokens", guess))
                    scrape = attack(address, "/map/sites.json", args.threads, args.seconds, None)
                    rows.append(row(storage, "GET /map/sites.json", scrape))
    print(f"\n{args.threads} threads from 127.0.0.1 for {args.seconds:.0f} s each; "
          f"gunicorn 2 workers × 8 threads; default limits (server log: {log})\n")  # fmt: skip
    print("| storage | load | attacker req/s | attacker answers | valid token's answers |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
