"""Probe latency while slow clients are held, with and without nginx (issue #15, item 1).

gunicorn (2 workers × 8 threads) gives each connection a thread until its request is
whole, so a few connections that send a header line every 2 s — or CPO PUT bodies a byte
every 2 s — leave nobody to answer. deploy/nginx.conf reads requests itself first. This
runs, on one throw-away database, gunicorn as production does (gunicorn.conf.py) and
deploy/nginx.conf rendered in front of it, then for each of four cases probes
`GET /healthz` (a new connection each time, `--timeout` seconds):

1. gunicorn alone, quiet;          2. gunicorn alone, slow clients held;
3. nginx → gunicorn, quiet;        4. nginx → gunicorn, slow clients held.

Slow clients: `--headers` connections trickling header lines, `--bodies` trickling the
body of an authenticated OCPI PUT (the app reads it), opened 50 ms apart. A probe that
times out counts as `--timeout` in the percentiles. A measurement: it exits 0 whatever
it finds.

    .venv/bin/python bench/slow_clients.py [--headers 20] [--bodies 20] [--probes 40]
                                           [--timeout 5]
"""

import argparse
import statistics
import sys

from common import ROOT, begin_run, throwaway_database
from ingest import PREFIX, authorization, create_party, free_port, gunicorn

sys.path.insert(0, str(ROOT))
from tests.nginx import nginx_front  # noqa: E402  (the test suite's renderer of deploy/nginx.conf)
from tests.slow_clients import Probe, SlowClients, probes, wait_until_answering  # noqa: E402


def summary(name: str, results: list[Probe], timeout: float) -> tuple[str, ...]:
    """Return one table row: answered, p50, p99, max (a timed-out probe counts as timeout)."""
    seconds = sorted(p.seconds if p.ok else max(p.seconds, timeout) for p in results)
    answered = sum(p.ok for p in results)
    p99 = seconds[int(0.99 * (len(seconds) - 1))]

    def ms(value: float) -> str:
        return f"≥ {timeout * 1000:.0f} (timed out)" if value >= timeout else f"{value * 1000:.1f}"

    return (
        name,
        f"{answered}/{len(results)}",
        ms(statistics.median(seconds)),
        ms(p99),
        ms(seconds[-1]),
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--headers", type=int, default=20, help="slow header connections")
    parser.add_argument("--bodies", type=int, default=20, help="slow PUT body connections")
    parser.add_argument("--probes", type=int, default=40, help="probes per case")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per probe")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    log = begin_run("slow")
    slow = {
        "headers": args.headers,
        "bodies": args.bodies,
        "path": f"{PREFIX}/LOC0001",
    }
    rows = []
    with throwaway_database("slow") as url:
        slow["authorization"] = authorization(create_party(url))
        with gunicorn("wsgi:app", url, log) as server:
            upstream = server.base_url.removeprefix("http://")
            with nginx_front(upstream, free_port()) as front:
                print(f"nginx (deploy/nginx.conf rendered in {front.prefix}) → {upstream}")
                for name, base in (
                    ("gunicorn alone", server.base_url),
                    ("nginx → gunicorn", front.base_url),
                ):
                    port = int(base.rsplit(":", 1)[1])
                    print(f"{name}: {args.probes} probes quiet, then under", end=" ")
                    print(f"{args.headers} + {args.bodies} slow clients …", flush=True)
                    quiet = probes(f"{base}/healthz", args.probes, args.timeout)
                    with SlowClients(port, **slow) as attack:
                        held = probes(f"{base}/healthz", args.probes, args.timeout)
                        dropped = attack.closed_by_server
                    rows.append(summary(f"{name}, quiet", quiet, args.timeout))
                    rows.append(
                        summary(
                            f"{name}, {len(attack.kinds)} slow clients held", held, args.timeout
                        )
                    )
                    print(f"  slow clients dropped by the server meanwhile: {dropped}")
                    wait_until_answering(f"{server.base_url}/healthz", timeout=120)
    table = [
        ("case", "answered", "p50 ms", "p99 ms", "max ms"),
        ("---", "---:", "---:", "---:", "---:"),
    ]
    print("\n".join("| " + " | ".join(row) + " |" for row in table + rows))


if __name__ == "__main__":
    main()
