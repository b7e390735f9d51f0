"""Every public surface that shows a CPO's live data, and whether it shows some now.

Used by the replica and several-hosts tests: a revocation must leave each of them, on
every host, within a second (SPEC §4, §9).
"""

import csv
import io
import json
from collections.abc import Callable

Get = Callable[[str], bytes]  # path → body of a 200 answer


def _json(body: bytes) -> dict:
    return json.loads(body)


def _has_live(site: dict) -> bool:
    return bool(site["has_live_data"])


SURFACES: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    "live.json": ("/map/live.json", lambda body: bool(_json(body)["site"])),
    "detail": (
        "/map/installations/INST1.json",
        lambda body: any(cp["status"] for cp in _json(body)["charge_points"]),
    ),
    "installations.json": (
        "/opendata/installations.json",
        lambda body: any(map(_has_live, _json(body)["installations"])),
    ),
    "installations.geojson": (
        "/opendata/installations.geojson",
        lambda body: any(_has_live(f["properties"]) for f in _json(body)["features"]),
    ),
    "installations.csv": (
        "/opendata/installations.csv",
        lambda body: any(row["status"] for row in csv.DictReader(io.StringIO(body.decode()))),
    ),
    "filtered csv": (
        "/opendata/installations.csv?operator=ABC",
        lambda body: any(row["status"] for row in csv.DictReader(io.StringIO(body.decode()))),
    ),
    "status.json": ("/opendata/status.json", lambda body: bool(_json(body)["charge_points"])),
    "datex2 status.xml": ("/opendata/datex2/status.xml", lambda body: b"<aegi:status>" in body),
}


def showing_live_data(get: Get) -> set[str]:
    """Return the surfaces that show live data now."""
    return {name for name, (path, shows) in SURFACES.items() if shows(get(path))}


def client_get(client) -> Get:
    """Return a Get through a Flask test client."""

    def get(path: str) -> bytes:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data()

    return get
