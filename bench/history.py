"""Benchmark the status-history trigger on the status PATCH path: on against off, one run.

bench/ingest.py's set-up (throw-away database, a CPO, gunicorn with the production
settings, 1,000 locations × 2 EVSEs), then alternating rounds of the same wrk PATCH load
(bench/patch.lua: a random status per PATCH, so most PATCHes change the status and fire
the trigger) with the trigger enabled and disabled (ALTER TABLE … DISABLE TRIGGER
between rounds, the server left running). Alternating cancels some of the drift of a
shared machine; the load average is printed with each round.

    PYTHONPATH=. .venv/bin/python bench/history.py [--duration 15] [--rounds 3]

The last line is the issue's "the PATCH benchmark is no worse than before (same run)":
the median PATCH/s of the rounds with the trigger on against off, and their ratio.
"""

import argparse
import os
import signal
import statistics
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from common import throwaway_database
from ingest import EVSES_PER_LOCATION, create_party, gunicorn, push_inventory, run_wrk

TRIGGER = "evses_status_history_update"


def switch(url: str, on: bool) -> int:
    """Enable or disable the trigger; return the history rows so far."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE evses {'ENABLE' if on else 'DISABLE'} TRIGGER {TRIGGER}")
        return conn.execute("SELECT count(*) FROM status_history").fetchone()[0]


# The status PATCH's UPDATE alone, in one backend: every other round trip removed, so the
# trigger's share shows even on a busy machine. Each UPDATE flips the status (the trigger
# fires every time); committed one by one as a PATCH is (the WAL flush dominates), or
# all in one transaction (the statement's own CPU, where the trigger's cost shows).
STATEMENTS = """
CREATE OR REPLACE PROCEDURE bench_updates(n integer, each boolean, INOUT seconds float8 DEFAULT 0)
LANGUAGE plpgsql AS $$
DECLARE started timestamptz := clock_timestamp(); top_id integer;
BEGIN
    SELECT max(id) INTO top_id FROM evses;
    FOR i IN 1..n LOOP
        UPDATE evses SET status = CASE status WHEN 'AVAILABLE' THEN 'CHARGING'
                                               ELSE 'AVAILABLE' END,
                         status_updated_at = clock_timestamp()
        WHERE id = 1 + (i * 7919) % top_id;
        IF each THEN COMMIT; END IF;
    END LOOP;
    seconds := extract(epoch FROM clock_timestamp() - started);
END $$
"""


def statement_cost(url: str, count: int, rounds: int, each: bool) -> dict[bool, list[float]]:
    """Microseconds per status UPDATE, trigger on and off, alternating."""
    found: dict[bool, list[float]] = {True: [], False: []}
    how = "committed one by one" if each else "in one transaction"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(STATEMENTS)
        for _ in range(rounds):
            for on in (True, False):
                switch(url, on)
                call = "CALL bench_updates(%s, %s)"
                seconds = conn.execute(call, (count, each)).fetchone()[0]
                found[on].append(1e6 * seconds / count)
                print(f"UPDATE {how}, trigger {'on ' if on else 'off'}: {found[on][-1]:.1f} µs")
        switch(url, True)
    return found


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per round")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3, help="pairs of rounds (on, off)")
    parser.add_argument("--locations", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--statements", type=int, default=5000, help="UPDATEs per round")
    parser.add_argument("--statements-only", action="store_true", help="skip the wrk rounds")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    log = Path(tempfile.mkstemp(prefix="sgv-bench-history-", suffix=".log")[1])
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()}; server logs: {log}")
    moment = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    results: dict[bool, list] = {True: [], False: []}
    with throwaway_database("history") as url:
        token = create_party(url)
        with gunicorn("wsgi:app", url, log) as server:
            inventory = push_inventory(server.base_url, token, args.locations, args.clients, moment)
            print(f"{args.locations} × {EVSES_PER_LOCATION} EVSEs: {inventory.rate:.0f} loc/s")
            if not args.statements_only:
                run_wrk(server, token, args, args.warmup)
            for _ in range(0 if args.statements_only else args.rounds):
                for on in (True, False):
                    before = switch(url, on)
                    load = run_wrk(server, token, args, args.duration)
                    recorded = switch(url, True) - before
                    results[on].append(load)
                    print(
                        f"trigger {'on ' if on else 'off'}: {load.requests_per_second:7.0f} "
                        f"PATCH/s, p50 {load.p50_ms:6.1f} ms, p99 {load.p99_ms:6.1f} ms, "
                        f"failures {load.failures}, history rows +{recorded}, "
                        f"DB CPU/PATCH {load.database_cpu_ms:.2f} ms, "
                        f"load {load.load_average}",
                        flush=True,
                    )
        committed = statement_cost(url, args.statements, args.rounds, each=True)
        statements = statement_cost(url, args.statements * 4, args.rounds, each=False)
    print()
    for on in (True, False):
        print(
            f"trigger {'on ' if on else 'off'}: UPDATE committed one by one "
            f"{statistics.median(committed[on]):.1f} µs, in one transaction "
            f"{statistics.median(statements[on]):.1f} µs (medians)"
        )
    if args.statements_only:
        return
    print("| trigger | PATCH/s (median) | p99 ms | DB CPU per PATCH, ms | UPDATE µs, 1 tx |")
    print("|---|---|---|---|---|")
    for on in (True, False):
        loads = results[on]
        print(
            f"| {'on' if on else 'off'} "
            f"| {statistics.median(x.requests_per_second for x in loads):.0f} "
            f"| {statistics.median(x.p99_ms for x in loads):.1f} "
            f"| {statistics.median(x.database_cpu_ms for x in loads):.2f} "
            f"| {statistics.median(statements[on]):.1f} |"
        )
    on, off = (statistics.median(x.requests_per_second for x in results[k]) for k in (True, False))
    print(
        f"\nsame run, medians of {args.rounds}: PATCH/s with the history trigger {on:.0f}, "
        f"without {off:.0f}: ratio on/off {on / off:.3f}; load average {os.getloadavg()}"
    )


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped, database dropped", file=sys.stderr)
