"""Match OCPI locations to RIPREE installations, and EVSEs to charge points (SPEC §7).

A location matches the installation of the same CPO whose installation_id equals its id;
otherwise the nearest installation of the same CPO within 50 m, unless two are equally
near (then it stays unmatched and is reported). An EVSE matches the charge point of its
location's installation whose evse_ref equals its evse_id. Both run set-wise in SQL,
for one location after a push or for everything after a register import.
"""

from collections.abc import Sequence

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Integer

from sgv.core.dataversion import DYNAMIC, STATIC, touch
from sgv.extensions import db

RADIUS_M = 50
# A bounding-box prefilter in degrees, so the GiST index on installations.geom is used
# before the exact geography distance; 0.001° is at least 81 m anywhere in Spain.
BOX_DEG = 0.001

# Normalised EVSE-ID: eMI3 ids may be written with or without the '*' separators.
NORMALISED_REF = "upper(replace({}, '*', ''))"

# One statement: decide each location's installation, move the locations whose match
# changed, then re-match their EVSEs against the decided installations' charge points.
MATCHES = f"""
WITH target AS (
    SELECT l.id, l.location_id, l.geom, l.installation_id AS current,
           p.country_code, p.party_id
    FROM locations l JOIN parties p ON p.id = l.party_fk
    WHERE {{scope}}
),
candidates AS (
    SELECT t.id, t.current,
           (SELECT i.id FROM installations i
            WHERE lower(i.id) = lower(t.location_id) AND i.country_code = t.country_code
              AND i.party_id = t.party_id AND i.retired_at IS NULL) AS by_id,
           near.ids, near.distances
    FROM target t
    LEFT JOIN LATERAL (
        SELECT array_agg(n.id ORDER BY n.d) AS ids, array_agg(n.d ORDER BY n.d) AS distances
        FROM (
            SELECT i.id, ST_Distance(i.geom::geography, t.geom::geography) AS d
            FROM installations i
            WHERE i.country_code = t.country_code AND i.party_id = t.party_id
              AND i.retired_at IS NULL
              AND i.geom && ST_Expand(t.geom, {BOX_DEG})
              AND ST_DWithin(i.geom::geography, t.geom::geography, {RADIUS_M})
            ORDER BY d LIMIT 2
        ) n
    ) near ON true
),
decided AS (
    SELECT id, current,
           COALESCE(by_id, CASE WHEN distances[2] IS NULL OR distances[2] > distances[1]
                                THEN ids[1] END) AS installation_id
    FROM candidates
),
moved_locations AS (
    UPDATE locations l SET installation_id = d.installation_id, updated_at = now()
    FROM decided d
    WHERE l.id = d.id AND d.installation_id IS DISTINCT FROM d.current
    RETURNING l.id
),
evse_target AS (
    SELECT e.id, e.charge_point_id AS current,
           (SELECT cp.id FROM charge_points cp
            WHERE cp.installation_id = d.installation_id
              AND {NORMALISED_REF.format("cp.evse_ref")} = {NORMALISED_REF.format("e.evse_id")}
            ORDER BY cp.id LIMIT 1) AS charge_point_id
    FROM evses e JOIN decided d ON d.id = e.location_fk
),
moved_evses AS (
    UPDATE evses e SET charge_point_id = t.charge_point_id, updated_at = now()
    FROM evse_target t
    WHERE e.id = t.id AND t.charge_point_id IS DISTINCT FROM t.current
    RETURNING e.id
)
SELECT (SELECT count(*) FROM moved_locations) AS locations,
       (SELECT count(*) FROM moved_evses) AS evses
"""


def match(location_ids: Sequence[int] | None = None) -> dict[str, int]:
    """Re-match the given locations (all when None) and their EVSEs; return what changed."""
    db.session.flush()
    # The scope is written into the SQL rather than passed as a flag, so that matching one
    # location uses the primary key instead of scanning every location (generic plans).
    if location_ids is None:
        row = db.session.execute(text(MATCHES.format(scope="TRUE"))).one()
    else:
        statement = text(MATCHES.format(scope="l.id = ANY(:ids)"))
        statement = statement.bindparams(bindparam("ids", type_=ARRAY(Integer)))
        row = db.session.execute(statement, {"ids": list(location_ids)}).one()
    db.session.expire_all()  # matched ids changed underneath the ORM
    if row.locations or row.evses:
        touch(STATIC, DYNAMIC)  # which installation shows a CPO's live data moved
    return {"locations": row.locations, "evses": row.evses}


def unmatched_locations(party_fk: int) -> list[dict]:
    """List a CPO's locations that match no installation, with the reason, for the operator."""
    rows = db.session.execute(
        text(f"""
        SELECT l.location_id, l.name,
               ST_Y(l.geom) AS latitude, ST_X(l.geom) AS longitude,
               (SELECT count(*) FROM installations i
                WHERE i.country_code = p.country_code AND i.party_id = p.party_id
                  AND i.retired_at IS NULL
                  AND i.geom && ST_Expand(l.geom, {BOX_DEG})
                  AND ST_DWithin(i.geom::geography, l.geom::geography, {RADIUS_M})) AS nearby
        FROM locations l JOIN parties p ON p.id = l.party_fk
        WHERE l.party_fk = :party AND l.installation_id IS NULL
        ORDER BY l.location_id
        """),
        {"party": party_fk},
    )
    return [
        {
            "location_id": row.location_id,
            "name": row.name,
            "latitude": row.latitude,
            "longitude": row.longitude,
            "reason": (
                f"no installation of this CPO within {RADIUS_M} m and no installation_id "
                "equal to the location id"
                if row.nearby == 0
                else f"{row.nearby} installations equally near: ambiguous"
            ),
        }
        for row in rows
    ]


def unmatched_evses(party_fk: int) -> list[dict]:
    """List EVSEs of matched locations whose evse_id matches no charge point's evse_ref."""
    rows = db.session.execute(
        text("""
        SELECT l.location_id, e.uid, e.evse_id, l.installation_id
        FROM evses e JOIN locations l ON l.id = e.location_fk
        WHERE l.party_fk = :party AND l.installation_id IS NOT NULL
          AND e.charge_point_id IS NULL AND e.status <> 'REMOVED'
        ORDER BY l.location_id, e.uid
        """),
        {"party": party_fk},
    )
    return [dict(row._mapping) for row in rows]
