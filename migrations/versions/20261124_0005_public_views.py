"""The public door: views public_evses and public_connectors hold SPEC §4's rules once.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# One row per EVSE whose live data is public (SPEC §4): its CPO is live, its location is
# published and matched to an installation, it is matched to a charge point of that
# installation, it is not REMOVED, and it is the newest such EVSE of its charge point.
# Its status is UNKNOWN when older than the start of the CPO's latest maintenance window
# that has begun, or than the first failed check of an UNKNOWN CPO: a newer status
# brings it back. time_zone is the location's, else the one of the site's place.
# DISTINCT ON names the installation too (a charge point has one), so that PostgreSQL
# pushes a reader's condition on installation_id, like one on charge_point_id, into it.
PUBLIC_EVSES = """
CREATE VIEW public_evses AS
SELECT DISTINCT ON (l.installation_id, e.charge_point_id)
       e.id AS evse_pk, e.charge_point_id, l.installation_id, l.party_fk, e.evse_id,
       CASE WHEN e.status_updated_at < GREATEST(p.unknown_since, mw.started)
            THEN 'UNKNOWN' ELSE e.status END AS status,
       e.status_updated_at AS status_at, e.last_updated,
       COALESCE(NULLIF(l.time_zone, ''),
                CASE WHEN ST_Y(i.geom) < 30 AND ST_X(i.geom) < -12
                     THEN 'Atlantic/Canary' ELSE 'Europe/Madrid' END) AS time_zone
FROM evses e
JOIN locations l ON l.id = e.location_fk
JOIN parties p ON p.id = l.party_fk
JOIN charge_points cp ON cp.id = e.charge_point_id AND cp.installation_id = l.installation_id
JOIN installations i ON i.id = l.installation_id
LEFT JOIN (
    SELECT party_fk, max(starts_at) AS started FROM maintenance_windows
    WHERE cancelled_at IS NULL AND starts_at <= now() GROUP BY party_fk
) mw ON mw.party_fk = p.id
WHERE p.state = 'live' AND l.publish IS NOT FALSE AND e.status <> 'REMOVED'
ORDER BY l.installation_id, e.charge_point_id, e.last_updated DESC, e.id DESC
"""

# One row per connector of a public EVSE, with its power in kW: max_electric_power, else
# volts × amps × phases, computed in numeric (volts × amps overflows int4 at 65 kV×33 kA).
PUBLIC_CONNECTORS = """
CREATE VIEW public_connectors AS
SELECT c.id AS connector_pk, e.evse_pk, e.charge_point_id, e.installation_id, e.party_fk,
       e.time_zone, c.connector_id, c.position, c.standard, c.tariff_ids,
       trim_scale(CASE
           WHEN COALESCE(c.max_electric_power, 0) <> 0
               THEN c.max_electric_power::numeric / 1000
           WHEN COALESCE(c.max_voltage, 0) <> 0 AND COALESCE(c.max_amperage, 0) <> 0
               THEN c.max_voltage::numeric * c.max_amperage
                    * CASE WHEN c.power_type = 'AC_3_PHASE' THEN 3 ELSE 1 END / 1000
       END) AS power_kw
FROM public_evses e JOIN connectors c ON c.evse_fk = e.evse_pk
"""


def upgrade() -> None:
    op.execute(PUBLIC_EVSES)
    op.execute(PUBLIC_CONNECTORS)


def downgrade() -> None:
    op.execute("DROP VIEW public_connectors")
    op.execute("DROP VIEW public_evses")
