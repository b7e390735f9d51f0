"""A connector's public power is believed only within the push bound (issue #14).

public_power_kw() gives NULL, "power unknown", instead of a power above 4 MW (the bound
on max_electric_power, docs/ocpi.md) or below zero: a row stored before the bounds,
e.g. 400 kV × 32 kA = 12.8 GW, shows without its power instead of a figure no charger
has. The views that read the function keep their definitions: only its body changes.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

SIGNATURE = (
    "public_power_kw(max_electric_power integer, max_voltage integer, max_amperage integer,"
    " power_type text)"
)

# 0005's body with a range check on each branch (no subquery: PostgreSQL still inlines
# it). 4 MW is the bound of sgv/ocpi/schemas/bounds.py, written out: a migration keeps the
# rule of its day.
WATTS = 4_000_000
PHASES = "CASE WHEN power_type = 'AC_3_PHASE' THEN 3 ELSE 1 END"
BOUNDED = f"""
CREATE OR REPLACE FUNCTION {SIGNATURE} RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN trim_scale(CASE
    WHEN COALESCE(max_electric_power, 0) <> 0
        THEN CASE WHEN max_electric_power BETWEEN 0 AND {WATTS}
                  THEN max_electric_power::numeric / 1000 END
    WHEN COALESCE(max_voltage, 0) <> 0 AND COALESCE(max_amperage, 0) <> 0
        THEN CASE WHEN max_voltage::numeric * max_amperage * {PHASES} BETWEEN 0 AND {WATTS}
                  THEN max_voltage::numeric * max_amperage * {PHASES} / 1000 END
END)
"""

UNBOUNDED = f"""
CREATE OR REPLACE FUNCTION {SIGNATURE} RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN trim_scale(CASE
    WHEN COALESCE(max_electric_power, 0) <> 0
        THEN max_electric_power::numeric / 1000
    WHEN COALESCE(max_voltage, 0) <> 0 AND COALESCE(max_amperage, 0) <> 0
        THEN max_voltage::numeric * max_amperage
             * CASE WHEN power_type = 'AC_3_PHASE' THEN 3 ELSE 1 END / 1000
END)
"""


def upgrade() -> None:
    op.execute(BOUNDED)


def downgrade() -> None:
    op.execute(UNBOUNDED)
