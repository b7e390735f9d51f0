"""`flask --app app db upgrade`: creates PostGIS and the schema, and is idempotent."""

import psycopg
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from sgv.extensions import db
from tests.servers import flask_db


def schema_of(database_url: str) -> list[tuple]:
    """Every column and index of the public schema, to compare two states of a database."""
    with psycopg.connect(database_url) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable"
            " FROM information_schema.columns WHERE table_schema = 'public'"
            " ORDER BY 1, 2"
        ).fetchall()
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1"
        ).fetchall()
    return columns + indexes


def test_upgrade_on_an_empty_database_creates_postgis_and_the_schema(empty_database):
    result = flask_db(empty_database, "upgrade")
    assert result.returncode == 0, result.stderr
    assert "Running upgrade" in result.stderr
    with psycopg.connect(empty_database) as conn:
        extensions = {row[0] for row in conn.execute("SELECT extname FROM pg_extension")}
        tables = {
            row[0]
            for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
        geometry_index = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'installations'"
            " AND indexdef LIKE '%USING gist (geom)%'"
        ).fetchone()
    assert "postgis" in extensions
    assert {"parties", "installations", "charge_points", "audit_log"} <= tables
    assert geometry_index is not None


def test_second_upgrade_is_a_no_op(empty_database):
    assert flask_db(empty_database, "upgrade").returncode == 0
    before = schema_of(empty_database)
    again = flask_db(empty_database, "upgrade")
    assert again.returncode == 0, again.stderr
    assert "Running upgrade" not in again.stderr
    assert schema_of(empty_database) == before


def test_models_and_migrations_describe_the_same_schema(committed_app):
    """A model change without its migration fails here (the pattern of README 'Schema')."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_object": lambda obj, name, type_, *_: (
                    not (type_ == "table" and name == "spatial_ref_sys")
                ),
            },
        )
        assert compare_metadata(context, db.metadata) == []
