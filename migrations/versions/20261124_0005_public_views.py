"""The public door: views that hold SPEC §4's rules once, for every public reader.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# The CPOs whose live data may be public (SPEC §4: only `live` ones). Named columns, not
# *: a view pins the columns it reads against a later migration.
PUBLIC_PARTIES = """
CREATE VIEW public_parties AS
SELECT id, country_code, party_id, unknown_since FROM parties WHERE state = 'live'
"""

# The zone a location's prices are shown in: its own, else the one of its site's place
# (SPEC §4: Europe/Madrid, the Canary Islands Atlantic/Canary). Inlined by PostgreSQL.
PUBLIC_TIME_ZONE = """
CREATE FUNCTION public_time_zone(location_zone text, site geometry) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN COALESCE(NULLIF(location_zone, ''),
                CASE WHEN ST_Y(site) < 30 AND ST_X(site) < -12
                     THEN 'Atlantic/Canary' ELSE 'Europe/Madrid' END)
"""

# A connector's power in kW: max_electric_power, else volts × amps × phases, in numeric
# (400 kV × 32 kA overflows int4). Inlined by PostgreSQL. Columns, not the connectors
# row: a whole row would carry its pushed JSON through every join that reads the power.
PUBLIC_POWER_KW = """
CREATE FUNCTION public_power_kw(
    max_electric_power integer, max_voltage integer, max_amperage integer, power_type text
) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN trim_scale(CASE
    WHEN COALESCE(max_electric_power, 0) <> 0
        THEN max_electric_power::numeric / 1000
    WHEN COALESCE(max_voltage, 0) <> 0 AND COALESCE(max_amperage, 0) <> 0
        THEN max_voltage::numeric * max_amperage
             * CASE WHEN power_type = 'AC_3_PHASE' THEN 3 ELSE 1 END / 1000
END)
"""
POWER_OF_C = "public_power_kw(c.max_electric_power, c.max_voltage, c.max_amperage, c.power_type)"

# Every EVSE whose live data is public but for the choice among several EVSEs of one
# charge point: its CPO is live, its location published and matched to an installation,
# it is matched to a charge point (of that installation: ingest/matching.py matches only
# those and re-matches a location's EVSEs when the location moves; charge points never
# change installation), and it is not REMOVED. A plain join: PostgreSQL flattens it into
# each query, so "has a public EVSE" tests read it through indexes.
PUBLIC_EVSE_CANDIDATES = """
CREATE VIEW public_evse_candidates AS
SELECT e.id AS evse_pk, e.charge_point_id, l.installation_id, l.party_fk, e.evse_id,
       e.status, e.status_updated_at, e.last_updated, l.time_zone AS location_time_zone,
       p.unknown_since
FROM evses e
JOIN locations l ON l.id = e.location_fk
JOIN public_parties p ON p.id = l.party_fk
WHERE l.publish IS NOT FALSE AND l.installation_id IS NOT NULL
  AND e.charge_point_id IS NOT NULL AND e.status <> 'REMOVED'
"""

# One row per public EVSE: the most recently updated candidate of its charge point. Its
# status is UNKNOWN when older than the start of the CPO's latest maintenance window
# that has begun, or than the first failed check of an UNKNOWN CPO: a newer status
# brings it back. DISTINCT ON names the installation too (one per charge point), so
# PostgreSQL pushes a reader's condition on installation_id, like one on
# charge_point_id, into the view; a condition on any other column is applied after it.
PUBLIC_EVSES = """
CREATE VIEW public_evses AS
SELECT DISTINCT ON (v.charge_point_id, v.installation_id)
       v.evse_pk, v.charge_point_id, v.installation_id, v.party_fk, v.evse_id,
       CASE WHEN v.status_updated_at < GREATEST(v.unknown_since, mw.started)
            THEN 'UNKNOWN' ELSE v.status END AS status,
       v.status_updated_at AS status_at, v.last_updated,
       public_time_zone(v.location_time_zone, i.geom) AS time_zone
FROM public_evse_candidates v
JOIN installations i ON i.id = v.installation_id
LEFT JOIN (
    SELECT party_fk, max(starts_at) AS started FROM maintenance_windows
    WHERE cancelled_at IS NULL AND starts_at <= now() GROUP BY party_fk
) mw ON mw.party_fk = v.party_fk
ORDER BY v.charge_point_id, v.installation_id, v.last_updated DESC, v.evse_pk DESC
"""

# Each public EVSE with each of its connectors (an EVSE without connectors: one row, the
# connector columns null), so a reader gets statuses and connectors in one pass.
PUBLIC_CONNECTORS = f"""
CREATE VIEW public_connectors AS
SELECT e.*, c.id AS connector_pk, c.connector_id, c.position, c.standard, c.tariff_ids,
       {POWER_OF_C} AS power_kw
FROM public_evses e LEFT JOIN connectors c ON c.evse_fk = e.evse_pk
"""


def upgrade() -> None:
    for statement in (
        PUBLIC_PARTIES,
        PUBLIC_TIME_ZONE,
        PUBLIC_POWER_KW,
        PUBLIC_EVSE_CANDIDATES,
        PUBLIC_EVSES,
        PUBLIC_CONNECTORS,
    ):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP VIEW public_connectors")
    op.execute("DROP VIEW public_evses")
    op.execute("DROP VIEW public_evse_candidates")
    op.execute("DROP FUNCTION public_power_kw(integer, integer, integer, text)")
    op.execute("DROP FUNCTION public_time_zone(text, geometry)")
    op.execute("DROP VIEW public_parties")
