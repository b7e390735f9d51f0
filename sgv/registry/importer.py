"""RIPREE import (SPEC §7): stream a register file into staging, check it whole, merge set-wise.

Rows are read and checked one at a time (sgv/registry/files.py, sgv/registry/rows.py) and
COPied into a TEMP table on the session's own connection; checks across rows and the
merge are a few SQL statements, never one ORM object per row, so time grows with the
file and memory does not. Services flush, the caller commits once (STYLE §3); the whole
import runs in a savepoint, so a rejected file leaves the session as it found it.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from sgv.core.dataversion import STATIC, touch
from sgv.extensions import db
from sgv.ingest import matching
from sgv.registry.files import FileError, csv_rows, detect_unit, geojson_rows
from sgv.registry.merge import cross_row_problems, merge
from sgv.registry.report import ImportReport, RegisterError
from sgv.registry.rows import COLUMNS, SITE_COLUMNS, RowProblem, check_row
from sgv.registry.xml_rows import RowWarning, xml_rows

MAX_PROBLEMS = 1000  # kept for the report and the operator; all of them are counted
MAX_WARNINGS = 20
PROGRESS_EVERY = 2000  # rows between two progress calls
FORMATS = {"line": "csv", "feature": "geojson", "xml": "datex2"}
# One import at a time: two merging concurrently would race on the same keys.
LOCK_KEY = 0x52495052  # "RIPR"

Progress = Callable[[int, int], None]  # (bytes read, file size)

# Typed like installations and charge_points, so re-importing the same file compares equal.
STAGING_TYPES = {"latitude": "float8", "longitude": "float8", "max_power_kw": "numeric(8, 2)"}
STAGING_DDL = f"""
CREATE TEMP TABLE ripree_staging (
    line integer NOT NULL,
    {", ".join(f"{column} {STAGING_TYPES.get(column, 'text')}" for column in COLUMNS)}
) ON COMMIT DROP
"""


@dataclass
class _Found:
    """Problems or warnings seen so far: all counted, the first `limit` kept."""

    limit: int
    kept: list[RowProblem] = field(default_factory=list)
    count: int = 0

    def add(self, items: list[RowProblem]) -> None:
        self.count += len(items)
        self.kept.extend(items[: self.limit - len(self.kept)])


def import_register(
    path: Path,
    *,
    prune: bool = False,
    progress: Progress | None = None,
    session: Session | None = None,
) -> ImportReport:
    """Import a RIPREE register file all or nothing; the caller commits.

    Raises RegisterError, with every bad row counted and the first ones listed, when the
    file cannot be read or any row is bad; the database is then exactly as before.
    """
    session = session or db.session
    savepoint = session.begin_nested()
    try:
        connection = session.connection()
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
        report = _stage(connection, Path(path), progress)
        report = merge(connection, report, prune)
        if report.changed_anything:
            touch(STATIC, session=session)
            matching.match(None)  # installations and charge points changed under the CPOs
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    session.expire_all()  # the ORM may hold installations that SQL just changed
    return report


def _stage(connection: Connection, path: Path, progress: Progress | None) -> ImportReport:
    """Read, check and COPY every row into ripree_staging; raise RegisterError if any is bad."""
    connection.execute(text("DROP TABLE IF EXISTS ripree_staging"))
    connection.execute(text(STAGING_DDL))
    problems, warnings = _Found(MAX_PROBLEMS), _Found(MAX_WARNINGS)
    cursor = connection.connection.driver_connection.cursor()
    copy_sql = f"COPY ripree_staging (line, {', '.join(COLUMNS)}) FROM STDIN"
    try:
        size = path.stat().st_size
        with (
            path.open("rb") as binary,
            io.TextIOWrapper(binary, encoding="utf-8-sig", newline="") as text_file,
            cursor.copy(copy_sql) as copy,
        ):
            kind = detect_unit(text_file)
            unit = "feature" if kind == "feature" else "line"  # XML: lines of the file
            rows = {"line": csv_rows, "feature": geojson_rows}.get(kind, xml_rows)(
                binary if kind == "xml" else text_file
            )
            report = ImportReport(file=str(path), format=FORMATS[kind])
            count = 0
            for line, raw in rows:
                if isinstance(raw, RowWarning):  # a defect fixed or a site skipped on reading
                    warnings.add([raw])
                    continue
                count += 1
                if isinstance(raw, RowProblem):
                    problems.add([raw])
                    continue
                staged, bad, warned = check_row(raw, line, unit)
                if bad:
                    problems.add(bad)
                if warned:
                    warnings.add(warned)
                if staged is not None:
                    copy.write_row(staged)
                if progress is not None and count % PROGRESS_EVERY == 0:
                    progress(binary.tell(), size)
            report.rows = count
    except FileError as exc:
        raise RegisterError(f"{path}: {exc}") from None
    except UnicodeDecodeError:
        raise RegisterError(f"{path}: not UTF-8 text (SPEC §7); save it as UTF-8") from None
    except OSError as exc:
        raise RegisterError(f"cannot read {path}: {exc.strerror or exc}") from None
    finally:
        cursor.close()
    if progress is not None:
        progress(size, size)
    if not report.rows:
        raise RegisterError(f"{path}: no charge points in the file")

    connection.execute(text("CREATE INDEX ON ripree_staging (installation_id, evse_ref)"))
    connection.execute(text("ANALYZE ripree_staging"))
    found, count = cross_row_problems(connection, unit, MAX_PROBLEMS, SITE_COLUMNS)
    if problems.count or count:
        kept = sorted(problems.kept + found, key=_problem_order)[:MAX_PROBLEMS]
        total = problems.count + count
        raise RegisterError(
            f"{path}: {total} problem(s) in the file; nothing imported", kept, total
        )
    report.warnings = warnings.count
    report.warning_sample = [str(warning) for warning in warnings.kept]
    return report


def _problem_order(problem: RowProblem) -> tuple[int, int]:
    return problem.line, COLUMNS.index(problem.field) if problem.field in COLUMNS else -1
