"""Installations along a route (SPEC §8 `corridor=`): the SQL that selects and orders them.

A corridor is a line of (latitude, longitude) points and a distance in km. PostGIS does
the geometry (STYLE §6): `ST_DWithin` on geography selects the installations within that
distance of the line (its edges are great-circle arcs), after a bounding-box test the
spatial index answers; `ST_LineLocatePoint` orders them along the line, and the line's
measure at the point nearest to each (great-circle km from the start at every point,
linear between them) is its `route_km`, the distance from the start along the route.
"""

import math
from dataclasses import dataclass

EARTH_KM = 6371.0088
KM_PER_DEGREE_LAT = 110.574  # the shortest degree of latitude (at the equator)
KM_PER_DEGREE_LON = 111.320  # a degree of longitude at the equator
LINE = "ST_GeomFromText(:corridor_line, 4326)"
FRACTION = f"ST_LineLocatePoint({LINE}, i.geom)"


@dataclass(frozen=True)
class Corridor:
    """The installations within `km` of the line through `points` (latitude, longitude)."""

    points: tuple[tuple[float, float], ...]
    km: float

    def wkt(self) -> str:
        """Return the line as WKT, longitude first."""
        return "LINESTRING(" + ",".join(f"{lon!r} {lat!r}" for lat, lon in self.points) + ")"

    def length_km(self) -> float:
        """Return the line's length along its great-circle edges, km."""
        return sum(haversine(a, b) for a, b in zip(self.points, self.points[1:], strict=False))

    def area_km2(self) -> float:
        """Return the area the corridor covers, km²: a band 2 × km wide, round at both ends."""
        return self.length_km() * 2 * self.km + math.pi * self.km**2

    def measured_wkt(self) -> str:
        """Return the line as WKT whose M is the km from the start along it (great circles)."""
        km, parts = 0.0, []
        for n, (lat, lon) in enumerate(self.points):
            km += haversine(self.points[n - 1], (lat, lon)) if n else 0.0
            parts.append(f"{lon!r} {lat!r} {km!r}")
        return "LINESTRING M(" + ",".join(parts) + ")"

    def margins(self) -> tuple[float, float]:
        """Return how far, in degrees of longitude and latitude, the line's box must grow.

        `km`, plus how far a great-circle edge may bow out of the straight line between its
        ends in degrees (L²/8R for an edge of length L), so the box holds every candidate.
        """
        longest = max(
            (haversine(a, b) for a, b in zip(self.points, self.points[1:], strict=False)),
            default=0.0,
        )
        reach = self.km + longest**2 / (8 * EARTH_KM) + 0.1
        dlat = reach / KM_PER_DEGREE_LAT
        top = min(max(abs(lat) for lat, _ in self.points) + dlat, 89.0)
        return min(reach / (KM_PER_DEGREE_LON * math.cos(math.radians(top))), 360.0), dlat

    def condition(self) -> tuple[str, dict]:
        """Return the SQL condition on installations `i` and its parameters.

        The line is cut into its segments, each tested on its own: a site is tested against
        the few segments whose box (grown by the margins) holds it, through the spatial
        index, instead of against every segment (a 240-point line over 29,000 sites: 38 s
        → see bench/route.py). Uncorrelated, so PostgreSQL runs it once.
        """
        dlon, dlat = self.margins()
        sql = f"""i.id IN (
            WITH segment AS MATERIALIZED (
                SELECT ST_MakeLine(ST_PointN(line, n), ST_PointN(line, n + 1)) AS s
                FROM (SELECT {LINE} AS line) l, generate_series(1, ST_NPoints(line) - 1) n)
            SELECT j.id FROM segment JOIN installations j
            ON j.geom && ST_Expand(segment.s, :corridor_dlon, :corridor_dlat)
            AND ST_DWithin(j.geom::geography, segment.s::geography, :corridor_metres))"""
        return sql, {
            "corridor_line": self.wkt(),
            "corridor_measured": self.measured_wkt(),
            "corridor_dlon": dlon,
            "corridor_dlat": dlat,
            "corridor_metres": self.km * 1000,
        }


# The order along the line (ties: by id), and the distance from the start along it, km.
ORDER = f"{FRACTION}, i.id"
ROUTE_KM = (
    f"round((ST_Length(ST_LineSubstring({LINE}, 0, {FRACTION})::geography) / 1000)::numeric, 2)"
)


def haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Return the great-circle distance in km between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * math.asin(min(1.0, math.sqrt(h)))
