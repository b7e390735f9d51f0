"""How long a dripping CPO can hold SGV: the longest outbound call (issue #15, item 3).

    .venv/bin/python bench/outbound.py [--interval 3] [--timeout 10] [--cpo-deadline 300]
                                       [--retry-delay 5]

A real server on 127.0.0.1 answers a valid OCPI response one byte every `--interval`
seconds (each byte comes well within any per-read timeout). Against it, on a throw-away
database, with SGV_HTTP_TIMEOUT = `--timeout`:

1. a credentials POST whose versions URL is the dripping server (what a gunicorn thread
   is held for), through the app as a CPO calls it;
2. one hourly check of a live CPO whose Sender interfaces are the dripping server.

It prints, per step, the wall time and the longest connection the server saw (from
accept to the client hanging up). Before issue #15 the same run held the POST 97 s and
the check 199 s with --interval 3 --timeout 10 (as reported in the issue).
"""

import argparse
import sys
import time
from pathlib import Path

from common import settings, throwaway_database

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sgv import create_app  # noqa: E402
from sgv.extensions import db  # noqa: E402
from sgv.quality.check import run_checks  # noqa: E402
from tests.ocpi_helpers import headers, make_created_party, make_party  # noqa: E402
from tests.raw_server import RawServer, drip, http_response  # noqa: E402

VERSIONS = {"data": [], "status_code": 1000, "timestamp": "2026-01-01T00:00:00Z"}


def measure(name: str, interval: float, action) -> None:
    """Run `action(server)` against a dripping server; print wall time and longest call."""
    with RawServer(drip(http_response(VERSIONS), interval)) as server:
        started = time.monotonic()
        outcome = action(server)
        wall = time.monotonic() - started
        longest = max((c.seconds for c in server.connections), default=0.0)
    print(f"{name}: {wall:.1f} s wall, {len(server.connections)} calls, longest {longest:.1f} s")
    print(f"  -> {outcome}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=3.0)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--cpo-deadline", type=float, default=300.0)
    parser.add_argument("--retry-delay", type=float, default=5.0)
    args = parser.parse_args()
    with throwaway_database("outbound") as url:
        app = create_app(
            settings(url)
            | {
                "PUBLIC_URL": "http://sgv.test",
                "OUTBOUND_ALLOW_PRIVATE": True,  # the dripping CPO is on 127.0.0.1
                "HTTP_TIMEOUT": args.timeout,
                "CHECK_CPO_DEADLINE": args.cpo_deadline,
                "CHECK_RETRY_DELAY": args.retry_delay,
            }
        )
        with app.app_context():
            _, token_a = make_created_party("ES", "CPO")
            role = {"role": "CPO", "country_code": "ES", "party_id": "CPO"}
            role["business_details"] = {"name": "CPO"}

            def post(server: RawServer) -> str:
                body = {"token": "b", "url": server.url(), "roles": [role]}
                answer = app.test_client().post(
                    "/api/2.2.1/credentials", json=body, headers=headers(token_a)
                )
                return f"HTTP {answer.status_code}: {answer.json['status_message']}"

            def check(server: RawServer) -> str:
                party, _ = make_party("ES", "DRP", state="live")
                party.token_b, party.token_b_encoding = "b", "base64"
                base = server.url("/ocpi/cpo/2.2.1")
                party.endpoints = {m: {"SENDER": f"{base}/{m}"} for m in ("locations", "tariffs")}
                db.session.commit()
                [run] = run_checks([party])
                return f"reachable={run.reachable}: {run.error}"

            print(f"one byte every {args.interval:g} s, SGV_HTTP_TIMEOUT={args.timeout:g}")
            measure("credentials POST", args.interval, post)
            measure("hourly check of one CPO", args.interval, check)
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
