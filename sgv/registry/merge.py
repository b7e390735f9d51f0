"""The set-wise half of the RIPREE import: checks across rows and the merge, in SQL.

Everything reads the TEMP table ripree_staging that sgv/registry/importer.py filled with COPY.
Unchanged rows are never rewritten (no dead tuples, no bumped updated_at), and
charge points are matched with UPDATE + INSERT … WHERE NOT EXISTS rather than
INSERT … ON CONFLICT, which would draw a sequence value for every existing row on
every re-import.
"""

from sqlalchemy import Connection, text

from sgv.registry.report import ImportReport
from sgv.registry.rows import RowProblem, place

MISSING_SAMPLE = 20

DUPLICATES = """
SELECT line, first_line, count(*) OVER () FROM (
    SELECT line, min(line) OVER (PARTITION BY installation_id, evse_ref) AS first_line
    FROM ripree_staging
) rows WHERE line <> first_line ORDER BY line LIMIT :limit
"""

# Installation fields as stored, from the first row of each installation in the file.
SITES = """
CREATE TEMP TABLE ripree_sites ON COMMIT DROP AS
SELECT DISTINCT ON (installation_id)
    installation_id AS id, operator_tax_id, operator_name, country_code, party_id, name,
    address, postal_code, municipality, province,
    ST_SetSRID(ST_MakePoint(longitude, latitude), 4326) AS geom, opening_hours, access
FROM ripree_staging ORDER BY installation_id, line
"""
SITE_FIELDS = (
    "operator_tax_id, operator_name, country_code, party_id, name, address, postal_code, "
    "municipality, province, geom, opening_hours, access"
)
_SITE_SET = ", ".join(f"{name} = s.{name}" for name in SITE_FIELDS.split(", "))
_SITE_OLD = ", ".join(f"i.{name}" for name in SITE_FIELDS.split(", "))
_SITE_NEW = ", ".join(f"s.{name}" for name in SITE_FIELDS.split(", "))
# Each statement records the installations it touched: "changed" counts them once.
STATEMENTS = {
    "installations_changed": f"""
        WITH changed AS (
            UPDATE installations i SET {_SITE_SET}, retired_at = NULL, updated_at = now()
            FROM ripree_sites s
            WHERE i.id = s.id
              AND (i.retired_at IS NOT NULL OR ({_SITE_OLD}) IS DISTINCT FROM ({_SITE_NEW}))
            RETURNING i.id
        ), touched AS (INSERT INTO ripree_touched (id) SELECT id FROM changed)
        SELECT count(*) FROM changed""",
    "installations_added": f"""
        WITH added AS (
            INSERT INTO installations (id, {SITE_FIELDS}) SELECT id, {SITE_FIELDS}
            FROM ripree_sites s WHERE NOT EXISTS (SELECT FROM installations i WHERE i.id = s.id)
            RETURNING id
        ), touched AS (INSERT INTO ripree_touched (id, added) SELECT id, true FROM added)
        SELECT count(*) FROM added""",
    "charge_points_removed": """
        WITH removed AS (
            DELETE FROM charge_points c USING ripree_sites s
            WHERE c.installation_id = s.id AND NOT EXISTS (
                SELECT FROM ripree_staging r
                WHERE r.installation_id = c.installation_id AND r.evse_ref = c.evse_ref)
            RETURNING c.installation_id
        ), touched AS (
            INSERT INTO ripree_touched (id) SELECT DISTINCT installation_id FROM removed
            ON CONFLICT DO NOTHING)
        SELECT count(*) FROM removed""",
    "charge_points_changed": """
        WITH changed AS (
            UPDATE charge_points c SET max_power_kw = r.max_power_kw,
                connector_types = string_to_array(r.connector_types, '|')::varchar(32)[]
            FROM ripree_staging r
            WHERE c.installation_id = r.installation_id AND c.evse_ref = r.evse_ref
              AND (c.max_power_kw, c.connector_types) IS DISTINCT FROM
                  (r.max_power_kw, string_to_array(r.connector_types, '|')::varchar(32)[])
            RETURNING c.installation_id
        ), touched AS (
            INSERT INTO ripree_touched (id) SELECT DISTINCT installation_id FROM changed
            ON CONFLICT DO NOTHING)
        SELECT count(*) FROM changed""",
    "charge_points_added": """
        WITH added AS (
            INSERT INTO charge_points (installation_id, evse_ref, max_power_kw, connector_types)
            SELECT installation_id, evse_ref, max_power_kw,
                string_to_array(connector_types, '|')::varchar(32)[]
            FROM ripree_staging r WHERE NOT EXISTS (
                SELECT FROM charge_points c
                WHERE c.installation_id = r.installation_id AND c.evse_ref = r.evse_ref)
            RETURNING installation_id
        ), touched AS (
            INSERT INTO ripree_touched (id) SELECT DISTINCT installation_id FROM added
            ON CONFLICT DO NOTHING)
        SELECT count(*) FROM added""",
}
# An installation whose charge points changed has changed too (open data `updated_since`).
BUMP = """
UPDATE installations i SET updated_at = now() FROM ripree_touched t
WHERE i.id = t.id AND NOT t.added AND i.updated_at <> now()
"""
ABSENT = "retired_at IS NULL AND NOT EXISTS (SELECT FROM ripree_sites s WHERE s.id = i.id)"


def cross_row_problems(
    connection: Connection, unit: str, limit: int, site_columns: tuple[str, ...]
) -> tuple[list[RowProblem], int]:
    """Find duplicate charge points and rows disagreeing with their installation's first row."""
    firsts = ", ".join(
        f"{name} IS DISTINCT FROM first_value({name}) OVER w AS {name}" for name in site_columns
    )
    flags = ", ".join(f"('{name}', {name}, {i})" for i, name in enumerate(site_columns))
    disagreements = f"""
        SELECT line, field, first_line, count(*) OVER () FROM (
            SELECT line, first_value(line) OVER w AS first_line, {firsts}
            FROM ripree_staging WINDOW w AS (PARTITION BY installation_id ORDER BY line)
        ) rows CROSS JOIN LATERAL (VALUES {flags}) AS flags (field, differs, position)
        WHERE differs ORDER BY line, position LIMIT :limit"""
    duplicates = connection.execute(text(DUPLICATES), {"limit": limit}).all()
    disagreeing = connection.execute(text(disagreements), {"limit": limit}).all()
    problems = [
        RowProblem(
            line, "evse_ref", f"installation_id and evse_ref repeat {place(first, unit)}", unit
        )
        for line, first, _ in duplicates
    ] + [
        RowProblem(
            line, name, f"differs from {place(first, unit)} of the same installation_id", unit
        )
        for line, name, first, _ in disagreeing
    ]
    count = sum(rows[0][-1] for rows in (duplicates, disagreeing) if rows)
    return problems, count


def merge(connection: Connection, report: ImportReport, prune: bool) -> ImportReport:
    """Merge ripree_staging into installations and charge points; fill in the report."""
    connection.execute(text(SITES))
    connection.execute(text("ALTER TABLE ripree_sites ADD PRIMARY KEY (id)"))
    connection.execute(text("ANALYZE ripree_sites"))
    connection.execute(
        text(
            "CREATE TEMP TABLE ripree_touched (id text PRIMARY KEY, "
            "added boolean NOT NULL DEFAULT false) ON COMMIT DROP"
        )
    )
    report.installations = connection.execute(text("SELECT count(*) FROM ripree_sites")).scalar()
    report.installations_restored = connection.execute(
        text(
            "SELECT count(*) FROM installations i JOIN ripree_sites s USING (id) "
            "WHERE i.retired_at IS NOT NULL"
        )
    ).scalar()
    for key, statement in STATEMENTS.items():
        setattr(report, key, connection.execute(text(statement)).scalar())
    connection.execute(text(BUMP))
    report.installations_changed = connection.execute(
        text("SELECT count(*) FROM ripree_touched WHERE NOT added")
    ).scalar()
    report.installations_unchanged = (
        report.installations - report.installations_added - report.installations_changed
    )
    report.charge_points_unchanged = (
        report.rows - report.charge_points_added - report.charge_points_changed
    )
    report.missing, sample = connection.execute(
        text(
            f"SELECT count(*), (array_agg(id ORDER BY id))[1:{MISSING_SAMPLE}] "
            f"FROM installations i WHERE {ABSENT}"
        )
    ).one()
    report.missing_sample = sample or []
    report.pruned = prune
    if prune and report.missing:
        report.retired = connection.execute(
            text(
                f"UPDATE installations i SET retired_at = now(), updated_at = now() WHERE {ABSENT}"
            )
        ).rowcount
    for table in ("ripree_touched", "ripree_sites", "ripree_staging"):
        connection.execute(text(f"DROP TABLE {table}"))
    return report
