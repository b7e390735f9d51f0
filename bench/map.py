"""Benchmark the public map at 15,000 and 30,000 installations (issue: bench/map.py).

For each size:

1. Create and migrate a throw-away database; import a synthetic register of that many
   installations (bench/generate_register.py, real Spanish sites as templates) under
   random-looking ids like RIPREE's and the demo's (`DGT-` + 16 hex digits of a hash;
   `--ids sequential` keeps the generator's `ES-RIPREE-0000001`…, which gzip far
   better); make one CPO live and push a share of its sites through the real OCPI API.
2. In process (Flask test client, in-process cache, as a single worker sees it): the map
   page's HTML size; /map/sites.json raw and gzip size, server time cold (empty cache,
   median of 5) and cached (median and p95 of 50); the same for places, ids and live
   (these two cold with sites.json cached, as it is whenever a page asks for them).
3. Under gunicorn (gunicorn.conf.py, tiles from a local stub), headless Chromium: time
   from navigation to the first markers on the map and to the next paint (median of 3
   fresh browser contexts; the server's caches warm, as for most visitors).

It is a measurement: it exits 0 whether or not the targets are met.

    .venv/bin/python bench/map.py [--sizes 15000 30000] [--live-share 0.05] [--ids hashed]
"""

import argparse
import csv
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import ROOT, settings, throwaway_database
from generate_register import generate_rows
from ingest import free_port, wait_until_up
from playwright.sync_api import sync_playwright
from sqlalchemy import func

from sgv import create_app
from sgv.extensions import cache, db
from sgv.models import ChargePoint, Installation, Party
from sgv.ocpi.tokens import digest, new_token
from sgv.registry import import_register
from sgv.registry.rows import COLUMNS

GUNICORN = Path(sys.executable).parent / "gunicorn"
TILE_STUB = "/static/img/tile-stub.png"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]  # fmt: skip
GZIP = {"Accept-Encoding": "gzip"}
MOMENT = "2025-01-01T10:00:00Z"
ENERGY = {"type": "ENERGY", "price": 0.39, "vat": 21.0, "step_size": 1}
TARIFF = {
    "country_code": "ES",
    "party_id": "IBD",
    "id": "T1",
    "currency": "EUR",
    "type": "AD_HOC_PAYMENT",
    "elements": [{"price_components": [ENERGY]}],
    "last_updated": MOMENT,
}
TARGETS = {  # at 15,000 installations
    "html_kb": 300, "sites_gzip_kb": 150, "cold_ms": 200, "cached_ms": 20, "markers_s": 1.5,
}  # fmt: skip


def hashed_id(generated: str) -> str:
    """Return a random-looking installation id, as the demo register's (data/ripree_demo.csv)."""
    return "DGT-" + hashlib.sha256(generated.encode()).hexdigest()[:16]


def write_register(path: Path, installations: int, ids: str = "hashed") -> int:
    """Write a §7 CSV of exactly `installations` sites; return its charge points."""
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in generate_rows(installations * 10, seed=7):
            if int(row[0].rsplit("-", 1)[1]) > installations:
                break
            if ids == "hashed":
                row = [hashed_id(row[0]), *row[1:]]
            writer.writerow(row)
            rows += 1
    return rows


def evse(number: int, point: ChargePoint) -> dict:
    """Return the OCPI EVSE for a RIPREE charge point: one connector, tariff T1."""
    connector = {
        "id": "1",
        "standard": point.connector_types[0],
        "format": "CABLE",
        "power_type": "DC",
        "max_voltage": 500,
        "max_amperage": 100,
        "max_electric_power": int(point.max_power_kw * 1000),
        "tariff_ids": ["T1"],
        "last_updated": MOMENT,
    }
    status = ("AVAILABLE", "CHARGING", "OUTOFORDER")[number % 3]
    return {
        "uid": f"U{number}",
        "evse_id": point.evse_ref,
        "status": status,
        "connectors": [connector],
        "last_updated": MOMENT,
    }


def location(site_id: str, lat: float, lon: float, evses: list[dict]) -> dict:
    """Return the OCPI location of a RIPREE installation, under its own id."""
    return {
        "country_code": "ES",
        "party_id": "IBD",
        "id": site_id,
        "publish": True,
        "name": "Bench",
        "address": "Calle Mayor 1",
        "city": "Madrid",
        "postal_code": "28013",
        "country": "ESP",
        "time_zone": "Europe/Madrid",
        "coordinates": {"latitude": f"{lat:.6f}", "longitude": f"{lon:.6f}"},
        "evses": evses,
        "last_updated": MOMENT,
    }


def live_party() -> str:
    """Create the CPO ES*IBD, already live; return its TOKEN_C."""
    token = new_token()
    party = Party(country_code="ES", party_id="IBD", name="Bench CPO", state="live")
    party.endpoints, party.roles, party.version = {}, [], "2.2.1"
    party.token_c_digest = digest(token)
    party.token_c_expires_at = datetime.now(UTC) + timedelta(days=1)
    db.session.add(party)
    db.session.commit()
    return token


def push_live(app, share: float) -> int:
    """Make the IBD CPO live and push `share` of its sites through the OCPI API."""
    client = app.test_client()
    with app.app_context():
        headers = {"Authorization": f"Token {live_party()}"}
        client.put("/api/2.2.1/tariffs/ES/IBD/T1", json=TARIFF, headers=headers)
        where = Installation.party_id == "IBD"
        columns = (Installation.id, func.ST_Y(Installation.geom), func.ST_X(Installation.geom))
        sites = db.session.execute(db.select(*columns).where(where).order_by(Installation.id))
        chosen = sites.all()[:: max(round(1 / share), 1)] if share else []
        for site_id, lat, lon in chosen:
            points = db.session.scalars(
                db.select(ChargePoint).where(ChargePoint.installation_id == site_id)
            )
            evses = [evse(number, point) for number, point in enumerate(points)]
            url = f"/api/2.2.1/locations/ES/IBD/{site_id}"
            response = client.put(url, json=location(site_id, lat, lon, evses), headers=headers)
            assert response.status_code in (200, 201), response.json
        db.session.remove()
    return len(chosen)


def timed_get(client, url: str, headers: dict | None = None) -> tuple[float, bytes]:
    """GET `url` in process; return milliseconds and the body as sent."""
    started = time.perf_counter()
    response = client.get(url, headers=headers or {})
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, response.get_data()


def server_figures(app) -> dict:
    """Measure sizes and server times in process."""
    client, figures = app.test_client(), {}
    with app.app_context():
        _, html = timed_get(client, "/")
        figures["html_kb"] = len(html) / 1000
        for name in ("sites", "places", "ids", "live"):
            url = f"/map/{name}.json"
            cold = []
            for _ in range(5):
                cache.clear()
                if name in ("ids", "live"):
                    timed_get(client, "/map/sites.json", GZIP)  # the order they refer to
                cold.append(timed_get(client, url, GZIP)[0])
            cached = sorted(timed_get(client, url, GZIP)[0] for _ in range(50))
            figures[name] = {
                "raw_kb": len(timed_get(client, url)[1]) / 1000,
                "gzip_kb": len(timed_get(client, url, GZIP)[1]) / 1000,
                "cold_ms": statistics.median(cold),
                "cached_ms": statistics.median(cached),
                "cached_p95_ms": cached[int(len(cached) * 0.95) - 1],
            }
        db.session.remove()
    return figures


@contextmanager
def served(database_url: str) -> Iterator[str]:
    """Serve SGV with gunicorn.conf.py on a free port, tiles from the local stub."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SGV_", "GUNICORN_"))}
    env.update(SGV_DATABASE_URL=database_url, SGV_TILE_URL=TILE_STUB, WEB_CONCURRENCY="2")
    log = Path(tempfile.gettempdir()) / f"sgv-bench-map-{port}.log"
    command = [str(GUNICORN), "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "wsgi:app"]
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        wait_until_up(base_url + "/healthz", process, log)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


def browser_figures(base_url: str, runs: int = 3) -> dict:
    """Measure navigation → first markers, and → the next paint, in headless Chromium."""
    markers, painted = [], []
    executable = os.environ.get("SGV_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        for _ in range(runs + 1):  # the first run warms both workers' caches
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            page = context.new_page()
            page.goto(base_url + "/")
            page.wait_for_function("window.sgvTimings && window.sgvTimings.painted", timeout=60000)
            timings = page.evaluate("window.sgvTimings")
            markers.append(timings["markers"] / 1000)
            painted.append(timings["painted"] / 1000)
            context.close()
        browser.close()
    return {
        "markers_s": statistics.median(markers[1:]),
        "painted_s": statistics.median(painted[1:]),
    }


def measure(size: int, share: float, ids: str = "hashed") -> dict:
    """Build a database of `size` installations and measure the map on it."""
    with throwaway_database(f"map{size}") as url, tempfile.TemporaryDirectory() as tmp:
        register = Path(tmp) / "register.csv"
        points = write_register(register, size, ids)
        app = create_app(settings(url))
        with app.app_context():
            import_register(register)
            db.session.commit()
            db.session.remove()
        live = push_live(app, share)
        figures = {"size": size, "charge_points": points, "live_sites": live}
        figures.update(server_figures(app))
        with app.app_context():
            db.engine.dispose()
        with served(url) as base_url:
            figures.update(browser_figures(base_url))
    return figures


def verdict(value: float, limit: float) -> str:
    return "PASS" if value < limit else "FAIL"


def report(results: list[dict]) -> str:
    """Return the figures as a Markdown table, with the targets checked at 15,000."""
    lines = [
        "| installations | charge points | live sites | HTML KB | sites.json KB raw / gzip | "
        "cold ms | cached ms (p95) | places.json KB gzip (cold ms) | ids.json KB gzip "
        "(cold ms) | live.json KB gzip (cold ms) | first markers s | painted s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s, p, i, v = r["sites"], r["places"], r["ids"], r["live"]
        lines.append(
            f"| {r['size']:,} | {r['charge_points']:,} | {r['live_sites']:,} | "
            f"{r['html_kb']:.1f} | {s['raw_kb']:.0f} / {s['gzip_kb']:.0f} | {s['cold_ms']:.0f} | "
            f"{s['cached_ms']:.1f} ({s['cached_p95_ms']:.1f}) | {p['gzip_kb']:.0f} "
            f"({p['cold_ms']:.0f}) | {i['gzip_kb']:.0f} ({i['cold_ms']:.0f}) | "
            f"{v['gzip_kb']:.0f} ({v['cold_ms']:.0f}) | "
            f"{r['markers_s']:.2f} | {r['painted_s']:.2f} |"
        )
    for r in results:
        if r["size"] == 15_000:
            s = r["sites"]
            checks = [
                ("HTML < 300 KB", r["html_kb"], TARGETS["html_kb"]),
                ("sites.json < 150 KB gzip", s["gzip_kb"], TARGETS["sites_gzip_kb"]),
                ("server < 200 ms cold", s["cold_ms"], TARGETS["cold_ms"]),
                ("server < 20 ms cached", s["cached_ms"], TARGETS["cached_ms"]),
                ("first markers < 1.5 s", r["markers_s"], TARGETS["markers_s"]),
            ]
            lines.append("")
            lines += [
                f"- {name}: {value:.2f} → {verdict(value, top)}" for name, value, top in checks
            ]
    return "\n".join(lines)


def main() -> None:
    """Run the benchmark at the sizes asked for and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[15_000, 30_000])
    parser.add_argument("--live-share", type=float, default=0.05, help="share of IBD sites live")
    parser.add_argument(
        "--ids", choices=("hashed", "sequential"), default="hashed", help="installation ids"
    )
    args = parser.parse_args()
    results = []
    for size in args.sizes:
        started = time.monotonic()
        results.append(measure(size, args.live_share, args.ids))
        print(f"{size:,} installations measured in {time.monotonic() - started:.0f} s", flush=True)
    print(report(results))


if __name__ == "__main__":
    main()
