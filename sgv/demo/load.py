"""`demo load`: the real register sample plus demo CPOs that integrate through real OCPI.

The register (data/ripree_demo.csv, DGT/MITERD, CC BY 4.0) is imported as an operator
would. Then each demo CPO is admitted like `cpo add`, and SGV itself is served on a free
port in a thread, so the CPO runs the real credentials handshake (TOKEN_A → its TOKEN_B →
SGV calls it back → TOKEN_C) and pushes every location and tariff over HTTP through the
same endpoints a real CPO uses. Finally the operator's approval makes them live.

Which CPOs, and why (PROFILES):

* IBD (Iberdrola, 634 sites) and CEP (Cepsa, 1 site) integrate and go live: IBD speaks
  OCPI 2.2.1 with VAT 21 %; CEP speaks 2.1.1, whose tariffs have no VAT field, so its
  price shows without an incl.-VAT figure and its quality report flags it.
* Of the twelve Porsche dealers (party ids 912…928, 2–4 DC sites each), 912 and 924
  go live, 913 is left `registered` (it pushed; the operator has not approved it, so
  its sites stay static-only), and the other nine never integrate: static RIPREE data
  only, and listed as obliged (≥ 43 kW) CPOs without live data.
* Customer-service phones are fictitious (900 000 001, 002, 012, 013, 024) so that nobody
  calls a real company about demo data; no website is set for the same reason.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

from flask import current_app
from sqlalchemy import text

from sgv import create_app
from sgv.core.joblock import AVAILABILITY, exclusive
from sgv.demo.cpo import DemoCpo
from sgv.demo.objects import DATA_FILE, Profile, locations, read_register, tariffs
from sgv.demo.serving import Background
from sgv.extensions import db
from sgv.history import demo as demo_history
from sgv.history import store as history_store
from sgv.ingest import matching
from sgv.models import Party
from sgv.ocpi.envelope import ocpi_timestamp
from sgv.ocpi.registration import issue_token_a
from sgv.parties.admission import admit
from sgv.parties.lifecycle import find_party, transition
from sgv.registry import import_register

ACTOR = "demo"  # the audit log's actor for everything the demo does
LOOPBACK = "127.0.0.0/8,::1"  # where the demo CPOs listen (SGV_OUTBOUND_ALLOW_PRIVATE)
PROFILES = (
    Profile("IBD", "Iberdrola Clientes", "900 000 001", "2.2.1", "live"),
    Profile("CEP", "Cepsa Comercial Petróleo", "900 000 002", "2.1.1", "live"),
    Profile("912", "Darsen Motor (Centro Porsche A Coruña)", "900 000 012", "2.2.1", "live"),
    Profile(
        "924", "Ditec Hanstein (Centros Porsche Bilbao y Pamplona)", "900 000 024", "2.2.1", "live"
    ),
    Profile(
        "913", "Tuwyncar Sport (Centro Porsche Alicante)", "900 000 013", "2.2.1", "registered"
    ),
)


@dataclass
class LoadReport:
    """What `demo load` found and did; as_dict() gives the --json keys."""

    already_loaded: bool
    installations: int = 0
    charge_points: int = 0
    register: dict | None = None  # the RIPREE import report; None when nothing was imported
    cpos: list[dict] = field(default_factory=list)
    static_only_operators: list[str] = field(default_factory=list)
    locations_pushed: int = 0
    evses_pushed: int = 0
    tariffs_pushed: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict:
        """Return the report as JSON-ready keys."""
        return asdict(self)


def integrated(profile: Profile) -> bool:
    """Say whether a demo CPO is done: registered, every site pushed, approved if meant to be.

    A CPO the operator has since revoked or deregistered counts as done: the demo does
    not undo the operator's decisions.
    """
    party = find_party(profile.country_code, profile.party_id)
    if party is None or party.state == "created":
        return False
    if profile.target == "live" and party.state == "registered":
        return False  # an earlier load stopped before approving it
    pushed, registered = db.session.execute(
        text("""
        SELECT (SELECT count(*) FROM locations WHERE party_fk = :p),
               (SELECT count(*) FROM installations WHERE country_code = :cc
                  AND party_id = :pid AND retired_at IS NULL)
        """),
        {"p": party.id, "cc": party.country_code, "pid": party.party_id},
    ).one()
    return pushed >= registered > 0


def admitted(profile: Profile) -> Party:
    """Return the demo CPO's party, admitting it as `cpo add` does when it is new."""
    party = find_party(profile.country_code, profile.party_id)
    if party is None:
        party = admit(
            profile.country_code,
            profile.party_id,
            name=profile.name,
            phone=profile.phone,
            actor=ACTOR,
        )
    return party


@contextmanager
def sgv_server() -> Iterator[str]:
    """Serve a second instance of this SGV app, same settings, on a free port; yield its URL.

    The demo CPOs listen on 127.0.0.1, so this instance, and only it, may call loopback
    addresses (SGV_OUTBOUND_ALLOW_PRIVATE); other private addresses stay refused.
    """
    app = create_app({**current_app.config, "OUTBOUND_ALLOW_PRIVATE": LOOPBACK})
    server = Background(app, "demo-sgv")
    # The OCPI URLs SGV hands out must point at this server, not at SGV_PUBLIC_URL.
    app.config["PUBLIC_URL"] = server.url
    try:
        with server:
            yield server.url
    finally:
        with app.app_context():
            db.engine.dispose()


def integrate(pending: list[Profile], workers: int, limit: int | None) -> dict[str, int]:
    """Register each pending CPO with SGV over HTTP and push its objects; return totals."""
    rows = read_register()
    when = ocpi_timestamp()
    totals = {"locations": 0, "evses": 0, "tariffs": 0}
    with sgv_server() as sgv_url:
        for profile in pending:
            party = admitted(profile)
            token_a = issue_token_a(party, actor=ACTOR)
            db.session.commit()  # the handshake runs in SGV's own transactions
            own = locations(rows[profile.party_id], profile, when)[:limit]
            with DemoCpo(profile, own, tariffs(profile, when)) as cpo:
                cpo.register(f"{sgv_url}/api/versions", token_a)
                for key, count in cpo.push_all(workers).items():
                    totals[key] += count
    db.session.expire_all()  # SGV changed the parties underneath this session
    for profile in pending:
        party = find_party(profile.country_code, profile.party_id)
        if profile.target == "live" and party is not None and party.state == "registered":
            transition(party, "approve", actor=ACTOR, reason="demo data")
    db.session.commit()
    return totals


def load(workers: int = 8, limit: int | None = None) -> LoadReport:
    """Import the demo register and integrate the demo CPOs, unless already done.

    `limit` pushes at most that many locations per CPO, for tests that need a live demo
    CPO but not all 661 sites; the register is always imported whole.
    """
    started = time.monotonic()
    pending = [profile for profile in PROFILES if not integrated(profile)]
    report = LoadReport(already_loaded=not pending)
    if pending:
        imported = import_register(DATA_FILE)
        matching.match(None)  # locations pushed before this import may match now
        db.session.commit()
        report.register = imported.as_dict()
        totals = integrate(pending, workers, limit)
        demo_history.seed([profile.party_id for profile in PROFILES])  # marked simulated
        report.locations_pushed = totals["locations"]
        report.evses_pushed = totals["evses"]
        report.tariffs_pushed = totals["tariffs"]
    describe(report)
    db.session.commit()
    if pending or history_store.stale():
        build_availability()  # the aggregates the public reads, there from the first page
    report.seconds = round(time.monotonic() - started, 2)
    return report


def build_availability() -> None:
    """Build the availability aggregates as the hourly job does, unless a host is at it."""
    with exclusive(AVAILABILITY) as mine:
        if mine:
            history_store.build()
            db.session.commit()


def describe(report: LoadReport) -> None:
    """Fill in what the database now holds: the register, the demo CPOs, the rest."""
    counts = db.session.execute(
        text("""
        SELECT (SELECT count(*) FROM installations WHERE retired_at IS NULL),
               (SELECT count(*) FROM charge_points cp JOIN installations i
                  ON i.id = cp.installation_id WHERE i.retired_at IS NULL)
        """)
    ).one()
    report.installations, report.charge_points = counts
    for profile in PROFILES:
        party = find_party(profile.country_code, profile.party_id)
        if party is not None:
            report.cpos.append(inventory(party))
    report.static_only_operators = list(
        db.session.scalars(
            text("""
            SELECT DISTINCT i.country_code || '*' || i.party_id FROM installations i
            WHERE i.retired_at IS NULL AND NOT EXISTS (
                SELECT 1 FROM parties p WHERE p.country_code = i.country_code
                  AND p.party_id = i.party_id AND p.state = 'live')
            ORDER BY 1
            """)
        )
    )


def inventory(party: Party) -> dict:
    """Return one demo CPO's summary: identity, state, and what SGV holds of it."""
    held = db.session.execute(
        text("""
        SELECT (SELECT count(*) FROM locations WHERE party_fk = :p) AS locations,
               (SELECT count(*) FROM locations WHERE party_fk = :p
                  AND installation_id IS NOT NULL) AS matched_locations,
               (SELECT count(*) FROM evses e JOIN locations l ON l.id = e.location_fk
                  WHERE l.party_fk = :p AND e.status <> 'REMOVED') AS evses,
               (SELECT count(*) FROM tariffs WHERE party_fk = :p) AS tariffs
        """),
        {"p": party.id},
    ).one()
    identity = {"country_code": party.country_code, "party_id": party.party_id}
    details = {"name": party.name, "phone": party.phone, "state": party.state}
    return {**identity, **details, "version": party.version, **held._asdict()}
