"""Two hosts on one primary, without and with a streaming replica (issue #18, SPEC §9).

In one run:

1. a throw-away database with `--sites` installations (bench/map.py's register) whose
   CPO ES*IBD is live on `--live` of them; one Redis (tests/servers.py) and one streaming
   replica of the cluster (tests/pg_cluster.py, pg_basebackup -R), shared by both modes;
2. for each mode — "primary": two gunicorns (gunicorn.conf.py, 2 workers × SGV_THREADS threads
   each) with SGV_CACHE_URL on the Redis; "replica": the same plus SGV_REPLICA_URL —
   `--clients` threads send public reads round-robin to both hosts for `--seconds`:
   installation details (random ids: mostly cache misses), bbox-filtered exports (never
   cached), the map's live.json and status.json?since= (one minute back), while the
   dynamic data version moves once a second (as pushes do), so cached documents churn;
3. reads the bench database's counters in pg_stat_database on the primary and on the
   replica before the measured load (after 5 s of the same load, so every pooled
   connection is open, and 11 s of rest, so its statistics are flushed) and after it
   (once the hosts stopped): transactions and rows read (tup_returned + tup_fetched).

Prints requests per second, failures, p50/p99 latency, and the primary's share of the
transactions and rows of the public reads. A measurement: it exits 0 whatever the figures.

    PYTHONPATH=. .venv/bin/python bench/hosts.py [--sites 2000] [--live 0.5]
                                                 [--seconds 20] [--clients 8]
"""

import argparse
import http.client
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg
from common import ADMIN_URL, ROOT, begin_run, settings, throwaway_database
from map import push_live, write_register
from sqlalchemy.engine import make_url

from sgv import create_app
from sgv.config import cache_config
from sgv.core import dataversion
from sgv.extensions import db
from sgv.models import Installation
from sgv.registry import import_register

sys.path.insert(0, str(ROOT))
from tests.pg_cluster import streaming_replica  # noqa: E402  (the suite's own replica)
from tests.servers import gunicorn, redis_server  # noqa: E402

COUNTERS = "SELECT xact_commit + xact_rollback, tup_returned + tup_fetched FROM pg_stat_database WHERE datname = %s"  # noqa: E501


def counters(url: str, name: str) -> tuple[int, int]:
    """Return (transactions, rows read) of database `name` on the server at `url`."""
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(COUNTERS, (name,)).fetchone()


def world(url: str, sites: int, live: float) -> list[str]:
    """Load the register and the live CPO; return the installation ids."""
    with tempfile.TemporaryDirectory() as tmp:
        register = Path(tmp) / "register.csv"
        write_register(register, sites)
        app = create_app(settings(url))
        with app.app_context():
            import_register(register)
            db.session.commit()
            db.session.remove()
        push_live(app, live)
        with app.app_context():
            ids = list(db.session.scalars(db.select(Installation.id)))
            db.engine.dispose()
    with psycopg.connect(url, autocommit=True) as conn:  # no autovacuum in the figures
        conn.execute("VACUUM ANALYZE")
    return ids


def paths(ids: list[str]) -> str:
    """Return one public read of the mix."""
    pick = random.random()
    if pick < 0.7:
        return f"/map/installations/{random.choice(ids)}.json"
    if pick < 0.8:
        lon, lat = random.uniform(-8, 2), random.uniform(37, 43)
        return f"/opendata/installations.json?bbox={lon},{lat},{lon + 0.5},{lat + 0.5}"
    if pick < 0.9:
        return "/map/live.json"
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    return f"/opendata/status.json?since={since}"


def load(hosts: list[str], ids: list[str], seconds: float, clients: int, bump) -> dict:
    """Send the mix from `clients` threads for `seconds`; return counts and latencies."""
    latencies: list[float] = []
    failures = [0]
    stop = time.monotonic() + seconds

    def client(n: int) -> None:
        connections = [
            http.client.HTTPConnection(*h.removeprefix("http://").split(":")) for h in hosts
        ]
        turn = n
        while time.monotonic() < stop:
            conn = connections[turn % len(connections)]
            turn += 1
            started = time.perf_counter()
            try:
                conn.request("GET", paths(ids), headers={"Accept-Encoding": "gzip"})
                response = conn.getresponse()
                response.read()
                ok = response.status in (200, 304)
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
            latencies.append(time.perf_counter() - started)
            failures[0] += not ok

    def bumper() -> None:
        while time.monotonic() < stop:
            bump()
            time.sleep(1)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    threads.append(threading.Thread(target=bumper))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / seconds,
        "failures": failures[0],
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[int(len(latencies) * 0.99)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=2000)
    parser.add_argument("--live", type=float, default=0.5)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    options = parser.parse_args()
    begin_run("hosts")
    with throwaway_database("hosts") as url, redis_server() as cache_url:
        name = make_url(url).database
        ids = world(url, options.sites, options.live)
        print(f"{options.sites} installations, {len(ids)} ids; starting the replica")
        with streaming_replica(ADMIN_URL) as replica:
            replica.catch_up(ADMIN_URL, timeout=120)
            rows = []
            for mode in ("primary", "replica"):
                extra = {"REPLICA_URL": replica.url(name)} if mode == "replica" else {}
                env = {"CACHE_URL": cache_url, "RATELIMIT_ENABLED": "false", **extra}

                # What a push's commit does after it: the bump, recording the WAL position.
                pusher = create_app(settings(url) | {"CACHE_URL": cache_url, **extra})
                pusher.config.update(cache_config(cache_url))

                def bump(pusher=pusher) -> None:
                    with pusher.app_context():
                        dataversion.bump(dataversion.DYNAMIC)

                with (
                    gunicorn(url, workers=2, start_timeout=120, **env) as a,
                    gunicorn(url, workers=2, start_timeout=120, **env) as b,
                ):
                    # Every pooled connection opened (catalog reads are not public reads),
                    # and its statistics flushed (an idle backend: within 10 s).
                    load([a, b], ids, 5, options.clients, bump)
                    time.sleep(11)
                    before = counters(url, name), counters(replica.url("postgres"), name)
                    figures = load([a, b], ids, options.seconds, options.clients, bump)
                time.sleep(1)
                after = counters(url, name), counters(replica.url("postgres"), name)
                primary = [x - y for x, y in zip(after[0], before[0], strict=True)]
                standby = [x - y for x, y in zip(after[1], before[1], strict=True)]
                figures["primary_xact_share"] = primary[0] / max(1, primary[0] + standby[0])
                figures["primary_rows_share"] = primary[1] / max(1, primary[1] + standby[1])
                figures["mode"] = mode
                figures["primary"], figures["standby"] = primary, standby
                rows.append(figures)
                print(figures, flush=True)
    print("\n| mode | req/s | failed | p50 ms | p99 ms | primary: transactions | rows read |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        shares = f"{r['primary_xact_share']:.0%} | {r['primary_rows_share']:.0%}"
        print(f"| {r['mode']} | {r['rps']:.0f} | {r['failures']} | {r['p50_ms']:.1f} | "
              f"{r['p99_ms']:.1f} | {shares} |")  # fmt: skip


if __name__ == "__main__":
    main()
