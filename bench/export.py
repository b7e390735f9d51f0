"""Benchmark the open-data exports: server time and peak memory at two sizes.

For each size (charge points) it writes a synthetic register (bench/generate_register.py),
imports it (sgv/registry/importer.py), then makes every operator a live CPO whose locations match
every installation, one EVSE per charge point with a status, one connector per connector
type, and 50 tariffs per CPO (with a night element) spread over the locations, inserted
set-wise in SQL: the worst case, where every charge point carries live data and a price
(Spain today: 13,644 of 14,292 sites are OCPI-fed). Each export is
then requested in-process through the Flask test client, the body read to the end:

* cold — nothing cached, identity encoding (the stream), median of 3;
* cold gzip — nothing cached, compressed while streaming (a full export keeps a copy);
* cached gzip — the copy above, median of 3; 304 — If-None-Match, median of 3.

Every export runs in its own child process. Peak RSS growth is VmHWM (reset through
/proc/self/clear_refs) minus VmRSS before the cold request; a second child repeats the
cold request under tracemalloc for the Python heap's peak. Flat memory means the same
figures at both sizes although the body grows.

With --parts it prints instead where each full export's cold time goes at the first size:
the kinds of connector read and priced before the statement, and the statement's own
execution in PostgreSQL (EXPLAIN ANALYZE, TIMING OFF); the rest of the cold time is
streaming the rows to the client.

    .venv/bin/python bench/export.py [--sizes 45000,100000] [--parts]
"""

import argparse
import gc
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from common import settings, throwaway_database
from generate_register import write_register
from sqlalchemy import text

from sgv import create_app
from sgv.extensions import cache, db
from sgv.registry import import_register

EXPORTS = [
    "installations.json",
    "installations.geojson",
    "installations.csv",
    "status.json",
    "status.json?since=",  # the last minute: what a mirror polls
]
TARGET = 1.0  # seconds for every full export (issue #18: at 45,000 charge points, all live)

LIVE_DATA = """
INSERT INTO parties (country_code, party_id, name, state, endpoints, roles, phone)
SELECT DISTINCT country_code, party_id, 'CPO ' || party_id, 'live', '{}'::jsonb, '[]'::jsonb,
       '+34 900 000 000'
FROM installations;
INSERT INTO locations (party_fk, country_code, party_id, location_id, publish, name, address,
    city, postal_code, time_zone, geom, last_updated, data, warnings, installation_id)
SELECT p.id, i.country_code, i.party_id, i.id, true, left(i.name, 255), i.address,
       left(i.municipality, 45), i.postal_code, 'Europe/Madrid', i.geom, now(), '{}'::jsonb,
       '[]'::jsonb, i.id
FROM installations i JOIN parties p USING (country_code, party_id);
INSERT INTO evses (location_fk, uid, position, evse_id, status, status_updated_at,
    last_updated, data, charge_point_id)
SELECT l.id, 'U' || cp.id, 0, cp.evse_ref,
       (ARRAY['AVAILABLE', 'CHARGING', 'AVAILABLE', 'OUTOFORDER'])[1 + cp.id % 4],
       now() - (cp.id % 3600) * interval '1 second', now(), '{}'::jsonb, cp.id
FROM charge_points cp JOIN locations l ON l.installation_id = cp.installation_id;
INSERT INTO connectors (evse_fk, connector_id, position, standard, format, power_type,
    max_voltage, max_amperage, max_electric_power, tariff_ids, last_updated, data)
SELECT e.id, t.n::text, t.n, t.type, 'CABLE', 'DC', 400, 100,
       (cp.max_power_kw * 1000)::int, ARRAY['T' || (e.location_fk % 50)], now(), '{}'::jsonb
FROM evses e JOIN charge_points cp ON cp.id = e.charge_point_id
CROSS JOIN LATERAL unnest(cp.connector_types) WITH ORDINALITY AS t(type, n);
INSERT INTO tariffs (party_fk, country_code, party_id, tariff_id, currency, type,
    last_updated, data, warnings)
SELECT p.id, p.country_code, p.party_id, 'T' || n, 'EUR', 'AD_HOC_PAYMENT', now(),
       jsonb_set(CAST(:tariff AS jsonb), '{elements,1,price_components,0,price}',
                 to_jsonb(0.39 + n / 100.0)), '[]'::jsonb
FROM parties p CROSS JOIN generate_series(0, 49) AS n;
UPDATE installations SET updated_at = now() - interval '1 hour';
UPDATE locations SET updated_at = now() - interval '1 hour';
UPDATE parties SET updated_at = now() - interval '1 hour';
UPDATE tariffs SET updated_at = now() - interval '1 hour';
UPDATE evses SET updated_at = now() - interval '1 hour';
"""
TARIFF = {
    "id": "T1",
    "currency": "EUR",
    "type": "AD_HOC_PAYMENT",
    "elements": [
        {
            "price_components": [{"type": "ENERGY", "price": 0.29, "vat": 21.0, "step_size": 1}],
            "restrictions": {"start_time": "00:00", "end_time": "08:00"},
        },
        {
            "price_components": [
                {"type": "ENERGY", "price": 0.49, "vat": 21.0, "step_size": 1},
                {"type": "PARKING_TIME", "price": 3.0, "vat": 21.0, "step_size": 60},
            ]
        },
    ],
}


def make_live(session) -> None:
    """Make every operator a live CPO of the imported register (LIVE_DATA), and ANALYZE."""
    for statement in LIVE_DATA.split(";\n"):
        if statement.strip():
            session.execute(text(statement), {"tariff": json.dumps(TARIFF)})
    session.commit()
    session.execute(text("ANALYZE"))  # fresh statistics, as autovacuum would leave them
    session.commit()


def rss_kb(field: str) -> int:
    """Return VmRSS or VmHWM of this process, in kB."""
    return int(re.search(rf"{field}:\s+(\d+)", Path("/proc/self/status").read_text())[1])


def request(client, url: str, **headers: str) -> tuple[float, int]:
    """Request `url`, read the body to the end chunk by chunk; return (seconds, bytes)."""
    started = time.perf_counter()
    response = client.get(url, headers=headers, buffered=False)
    size = sum(len(chunk) for chunk in response.response)
    response.close()
    return time.perf_counter() - started, size


def child(url: str, export: str, trace: bool) -> None:
    """Measure one export in this process and print its figures as JSON."""
    app = create_app(settings(url))
    with app.app_context():
        client = app.test_client()
        # 2 % of the EVSEs changed in the last minute: what a mirror's poll brings back.
        db.session.execute(text("UPDATE evses SET updated_at = now() WHERE id % 50 = 0"))
        db.session.commit()
        since = db.session.scalar(text("SELECT now() - interval '1 minute'")).isoformat()
        path = "/opendata/" + export.replace("since=", f"since={since}".replace("+", "%2B"))
        request(client, "/opendata/status.json?bbox=0,0,0.1,0.1")  # load code and templates
        cache.clear()
        gc.collect()
        if trace:
            tracemalloc.start()
            request(client, path)
            plain = tracemalloc.get_traced_memory()[1]
            tracemalloc.reset_peak()
            cache.clear()
            request(client, path, **{"Accept-Encoding": "gzip"})
            zipped = tracemalloc.get_traced_memory()[1]
            print(json.dumps({"heap_mb": plain / 2**20, "heap_gzip_mb": zipped / 2**20}))
            return
        Path("/proc/self/clear_refs").write_text("5")  # reset the RSS high-water mark
        before = rss_kb("VmRSS")
        cold, size = request(client, path)
        growth = rss_kb("VmHWM") - before
        colds = [cold]
        for _ in range(2):
            cache.clear()
            colds.append(request(client, path)[0])
        cache.clear()
        Path("/proc/self/clear_refs").write_text("5")
        before = rss_kb("VmRSS")
        gzip_cold, gzip_size = request(client, path, **{"Accept-Encoding": "gzip"})
        gzip_growth = rss_kb("VmHWM") - before
        cached = [request(client, path, **{"Accept-Encoding": "gzip"})[0] for _ in range(3)]
        etag = client.get(path).headers["ETag"]
        not_modified = [request(client, path, **{"If-None-Match": etag})[0] for _ in range(3)]
        print(
            json.dumps(
                {
                    "bytes": size,
                    "gzip_bytes": gzip_size,
                    "cold_s": statistics.median(colds),
                    "gzip_cold_s": gzip_cold,
                    "cached_s": statistics.median(cached),
                    "not_modified_s": statistics.median(not_modified),
                    "rss_growth_mb": growth / 1024,
                    "rss_growth_gzip_mb": gzip_growth / 1024,
                }
            )
        )


def parts(url: str) -> None:
    """Print, per full export, the seconds of its kinds and prices and of its statement."""
    from sgv.public import documents, rows

    captured = {}

    def capture(sql: str, params: dict, batch: int = 500):
        captured.update(sql=sql, params=params)
        return iter(())

    readers = [
        ("installations.json", documents, "documents", {}),
        ("installations.geojson", documents, "documents", {"geo": True}),
        ("installations.csv", rows, "csv_lines", {}),
        ("status.json", rows, "status_items", {}),
    ]
    app = create_app(settings(url))
    print("| export | kinds and prices s | statement s (EXPLAIN ANALYZE) |")
    print("|---|---:|---:|")
    with app.app_context():
        at = db.session.scalar(text("SELECT now()"))
        for _ in range(2):  # the first round warms caches; the second is printed
            for export, module, reader, options in readers:
                real, module.stream = module.stream, capture
                started = time.perf_counter()
                list(getattr(module, reader)(at=at, **options))
                priced = time.perf_counter() - started
                module.stream = real
                plan = db.session.execute(
                    text("EXPLAIN (ANALYZE, TIMING OFF) " + captured["sql"]), captured["params"]
                ).all()
                executed = float(re.search(r"Execution Time: ([\d.]+)", plan[-1][0])[1]) / 1000
                db.session.rollback()
                if _:
                    print(f"| `{export}` | {priced:.3f} | {executed:.3f} |", flush=True)


def measure(url: str, export: str, trace: bool = False) -> dict:
    """Run one export's measurement in a child process and return its figures."""
    command = [sys.executable, __file__, "--child", url, export] + (["--trace"] if trace else [])
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.splitlines()[-1])


def load(url: str, count: int) -> tuple[int, int, int]:
    """Import `count` charge points, make all of them live; return sites, points, connectors."""
    app = create_app(settings(url))
    with app.app_context(), tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "register.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            write_register(out, count)
        import_register(path)
        make_live(db.session)
        counts = db.session.execute(
            text(
                "SELECT (SELECT count(*) FROM installations), (SELECT count(*) FROM charge_points),"
                " (SELECT count(*) FROM connectors)"
            )
        ).one()
        db.engine.dispose()
    return tuple(counts)


def main() -> None:
    """Load each size, measure every export, print the table and the verdict."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="45000,100000", help="charge points, comma separated")
    parser.add_argument("--child", nargs=2, metavar=("URL", "EXPORT"), help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--parts", action="store_true", help="where the time goes, first size")
    args = parser.parse_args()
    if args.child:
        child(*args.child, args.trace)
        return
    if args.parts:
        print(f"load average at the start: {' '.join(map(str, os.getloadavg()))}")
        count = int(args.sizes.split(",")[0])
        with throwaway_database(f"exportparts{count}") as url:
            load(url, count)
            parts(url)
        print(f"load average at the end: {' '.join(map(str, os.getloadavg()))}")
        return
    print(
        "| charge points (sites) | export | body MB | gzip MB | cold s | cold gzip s"
        " | cached gzip s | 304 s | RSS growth MB (gzip) | Python heap peak MB (gzip) |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"<!-- load average at the start: {' '.join(map(str, os.getloadavg()))} -->")
    verdicts = []
    for count in map(int, args.sizes.split(",")):
        with throwaway_database(f"export{count}") as url:
            sites, points, _ = load(url, count)
            for export in EXPORTS:
                m, t = measure(url, export), measure(url, export, trace=True)
                print(
                    f"| {points:,} ({sites:,}) | `{export}` | {m['bytes'] / 2**20:.1f}"
                    f" | {m['gzip_bytes'] / 2**20:.2f} | {m['cold_s']:.2f} | {m['gzip_cold_s']:.2f}"
                    f" | {'not cached' if '?' in export else format(m['cached_s'], '.3f')}"
                    f" | {m['not_modified_s']:.3f}"
                    f" | {m['rss_growth_mb']:.1f} ({m['rss_growth_gzip_mb']:.1f})"
                    f" | {t['heap_mb']:.1f} ({t['heap_gzip_mb']:.1f}) |",
                    flush=True,
                )
                if "?" not in export:  # a full export, not a mirror's delta
                    verdicts.append((points, export, m["cold_s"]))
    print(f"load average at the end: {' '.join(map(str, os.getloadavg()))}")
    for points, export, seconds in verdicts:
        verdict = "PASS" if seconds < TARGET else "FAIL"
        print(
            f"{export} at {points:,} charge points: {seconds:.2f} s cold < {TARGET} s → {verdict}"
        )


if __name__ == "__main__":
    main()
