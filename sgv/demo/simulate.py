"""`demo simulate`: the demo CPOs keep pushing EVSE status changes, so the map lives.

It talks to the SGV that serves SGV_PUBLIC_URL (scripts/run's gunicorn), as real CPOs
do. Each integrated demo CPO re-registers first: the operator side issues a new TOKEN_A
(`cpo reset`), the CPO POSTs its credentials and gets a fresh TOKEN_C, held in memory
only. A demo CPO starts from what SGV holds of it, as a real CPO starts from its own
database, so its Sender interfaces answer the hourly check with what it pushed.
"""

import random
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field

import requests
from flask import current_app
from sqlalchemy.orm import selectinload

from sgv.demo.cpo import DemoCpo, DemoError
from sgv.demo.load import ACTOR, PROFILES
from sgv.extensions import db
from sgv.ingest.locations import location_document
from sgv.models import Evse, Location, Tariff
from sgv.ocpi.envelope import ocpi_timestamp
from sgv.ocpi.registration import issue_token_a
from sgv.parties.lifecycle import find_party


@dataclass
class SimulationReport:
    """What a simulation pushed; as_dict() gives the --json keys."""

    rounds: int = 0
    failed_rounds: int = 0  # rounds in which SGV refused or did not answer a PATCH
    changes: int = 0
    by_status: Counter = field(default_factory=Counter)
    cpos: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict:
        """Return the report as JSON-ready keys."""
        return {**asdict(self), "by_status": dict(self.by_status)}


def wait_for(url: str, seconds: float) -> None:
    """Wait until something answers HTTP at `url` (any status will do)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            requests.get(url, timeout=2).close()
            return
        except requests.RequestException as exc:
            if time.monotonic() >= deadline:
                raise DemoError(
                    f"SGV does not answer at {url} ({type(exc).__name__}): serve it first "
                    "(scripts/run) or set SGV_PUBLIC_URL"
                ) from exc
            time.sleep(0.5)


def restored(party_fk: int) -> tuple[list[dict], list[dict]]:
    """Return a CPO's locations and tariffs as SGV holds them (what it pushed)."""
    stored = db.session.scalars(
        db.select(Location)
        .where(Location.party_fk == party_fk)
        .options(selectinload(Location.evses).selectinload(Evse.connectors))
    )
    own_tariffs = db.session.scalars(db.select(Tariff.data).where(Tariff.party_fk == party_fk))
    return [location_document(location) for location in stored], list(own_tariffs)


# Where a changing EVSE goes next, and how soon an EVSE in each status changes relative
# to an available one (a session is shorter than an idle spell, a fault is fixed soon).
# Together they keep the map near the load's mix: about three quarters AVAILABLE.
NEXT = {
    "AVAILABLE": {"CHARGING": 85, "OUTOFORDER": 6, "UNKNOWN": 6, "BLOCKED": 3},
    "CHARGING": {"AVAILABLE": 95, "OUTOFORDER": 3, "UNKNOWN": 2},
}
PACE = {"AVAILABLE": 1, "CHARGING": 4}
FAULT_PACE = 3  # OUTOFORDER, UNKNOWN, BLOCKED … go back to AVAILABLE


def next_status(current: str, chooser: random.Random) -> str:
    """Return the status an EVSE changes to."""
    choices = NEXT.get(current, {"AVAILABLE": 1})
    return chooser.choices(list(choices), weights=list(choices.values()))[0]


def pick(candidates: list[tuple], count: int, chooser: random.Random) -> list[tuple]:
    """Draw `count` EVSEs (…, status), each weighted by how soon its status changes."""
    # Weighted sampling without replacement (Efraimidis–Spirakis): the top keys win.
    keyed = [
        (chooser.random() ** (1 / PACE.get(c[-1], FAULT_PACE)), index)
        for index, c in enumerate(candidates)
    ]
    return [candidates[index] for _, index in sorted(keyed)[-count:]]


def one_round(
    cpos: list[DemoCpo], changes: int, pool: ThreadPoolExecutor, chooser: random.Random
) -> Counter:
    """PATCH new statuses to `changes` random EVSEs at once; return the count by new status."""
    candidates = [(cpo, *evse) for cpo in cpos for evse in cpo.evses()]
    when = ocpi_timestamp()
    updates = [
        (cpo, location_id, uid, next_status(status, chooser))
        for cpo, location_id, uid, status in pick(candidates, changes, chooser)
    ]
    list(pool.map(lambda u: u[0].set_status(u[1], u[2], u[3], when), updates))
    return Counter(status for *_, status in updates)


@contextmanager
def stopped_by_sigterm() -> Iterator[None]:
    """Turn SIGTERM (scripts/run's trap) into KeyboardInterrupt, so servers stop cleanly."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def connect(stack: ExitStack, versions_url: str) -> list[DemoCpo]:
    """Start a server for each integrated demo CPO and re-run its handshake."""
    cpos = []
    for profile in PROFILES:
        party = find_party(profile.country_code, profile.party_id)
        if party is None or party.state not in ("live", "registered"):
            continue
        locations, tariffs = restored(party.id)
        if not locations:
            continue
        cpo = stack.enter_context(DemoCpo(profile, locations, tariffs))
        token_a = issue_token_a(party, actor=ACTOR)
        db.session.commit()
        cpo.register(versions_url, token_a)
        cpos.append(cpo)
    db.session.commit()  # hold no transaction open while the rounds run
    if not cpos:
        raise DemoError("no demo CPO has integrated yet: run `flask sgv demo load` first")
    return cpos


def simulate(
    *,
    interval: float,
    changes: int,
    once: bool = False,
    wait: float = 30.0,
    echo: Callable[[str], None] | None = None,
) -> SimulationReport:
    """Re-register the demo CPOs with SGV, then push status changes until stopped."""
    started = time.monotonic()
    base = current_app.config["PUBLIC_URL"].rstrip("/")
    report = SimulationReport()
    chooser = random.Random()
    with stopped_by_sigterm(), ExitStack() as stack:
        try:
            wait_for(f"{base}/healthz", wait)
            cpos = connect(stack, f"{base}/api/versions")
            report.cpos = [f"{c.profile.country_code}*{c.profile.party_id}" for c in cpos]
            if echo:
                echo(f"Simulating {', '.join(report.cpos)} against {base} (Ctrl-C stops).")
            pool = stack.enter_context(ThreadPoolExecutor(8, thread_name_prefix="demo-patch"))
            while True:
                try:
                    counts = one_round(cpos, changes, pool, chooser)
                except DemoError as error:
                    if once:
                        raise
                    # SGV restarting or stopping: keep going, its tokens stay valid.
                    report.failed_rounds += 1
                    counts = Counter()
                    if echo:
                        echo(f"{time.strftime('%H:%M:%S')} round failed, retrying: {error}")
                report.rounds += 1
                report.changes += counts.total()
                report.by_status.update(counts)
                if echo and counts:
                    mix = ", ".join(f"{n} {status}" for status, n in counts.most_common())
                    echo(f"{time.strftime('%H:%M:%S')} {counts.total()} EVSEs changed: {mix}")
                if once:
                    break
                time.sleep(interval)
        except KeyboardInterrupt:
            pass  # Ctrl-C or SIGTERM: the ExitStack stops the servers
    report.seconds = round(time.monotonic() - started, 2)
    return report
