"""`flask sgv ripree …`: load RIPREE, the ministry's register of public charge points (SPEC §7)."""

import json
import os
import time
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from sgv.cli.output import OperatorGroup, emit, fail, json_option
from sgv.extensions import db
from sgv.registry import ImportReport, RegisterError, import_register

ripree = OperatorGroup(
    "ripree", help="Load RIPREE, the register of public charge points (SPEC §7)."
)

SHOWN_PROBLEMS = 100  # printed as text; --json lists up to registry.MAX_PROBLEMS


@ripree.command("import")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--prune", is_flag=True, help="Retire the installations the file no longer lists.")
@json_option
def import_command(file: Path, prune: bool, as_json: bool) -> None:
    """Import a RIPREE register file, CSV or GeoJSON (SPEC §7), or the ministry's DATEX II v3
    table publication (XML, as the DGT publishes it; docs/datex2.md), all or nothing.

    Exit 0 when imported; 1 when the file was rejected (every bad row is reported as
    `line N: field: reason`, or `features[N]: …` for GeoJSON, and nothing changes);
    2 when FILE cannot be read. JSON keys when imported: file, format, rows,
    installations, installations_added, installations_changed, installations_unchanged,
    installations_restored, charge_points_added, charge_points_changed,
    charge_points_removed, charge_points_unchanged, missing, missing_sample, retired,
    pruned, warnings, warning_sample, seconds. When rejected: error, problem_count,
    problems (each {line or feature, field, reason}).
    """
    if not file.is_file() or not os.access(file, os.R_OK):
        reason = "no such file" if not file.exists() else "not a readable file"
        fail(f"cannot read {file}: {reason}", as_json, code=2)
    started = time.monotonic()
    with ProgressBar(file) as progress:
        try:
            report = import_register(file, prune=prune, progress=progress)
        except RegisterError as exc:
            db.session.rollback()
            progress.stop()
            reject(exc, as_json)
    db.session.commit()
    seconds = round(time.monotonic() - started, 2)
    emit(report.as_dict() | {"seconds": seconds}, as_json, summary(report, seconds))


class ProgressBar:
    """A rich progress bar on stderr, by bytes read; silent when stderr is not a terminal."""

    def __init__(self, file: Path) -> None:
        self.label = f"reading {file.name}"
        console = Console(stderr=True)
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self.task = self.bar.add_task(self.label, total=file.stat().st_size)

    def __enter__(self) -> "ProgressBar":
        self.bar.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.bar.stop()

    def __call__(self, done: int, total: int) -> None:
        label = "merging" if done >= total else self.label
        self.bar.update(self.task, completed=done, total=total, description=label)

    def stop(self) -> None:
        self.bar.stop()


def reject(exc: RegisterError, as_json: bool) -> None:
    """Report a rejected register, every bad row up to a limit, and exit 1."""
    if as_json:
        problems = [problem.as_dict() for problem in exc.problems]
        result = {"error": exc.message, "problem_count": exc.count, "problems": problems}
        click.echo(json.dumps(result, ensure_ascii=False))
        raise SystemExit(1)
    for problem in exc.problems[:SHOWN_PROBLEMS]:
        click.echo(str(problem), err=True)
    if exc.count > SHOWN_PROBLEMS:
        click.echo(f"… and {exc.count - SHOWN_PROBLEMS} more (--json lists more)", err=True)
    fail(exc.message)


def summary(report: ImportReport, seconds: float) -> str:
    """Describe an import in a few readable lines."""
    lines = [
        f"imported {report.file} ({report.format}): {report.rows} charge points at "
        f"{report.installations} installations in {seconds} s",
        f"  installations: {report.installations_added} added, "
        f"{report.installations_changed} changed ({report.installations_restored} restored), "
        f"{report.installations_unchanged} unchanged",
        f"  charge points: {report.charge_points_added} added, "
        f"{report.charge_points_changed} changed, {report.charge_points_removed} removed, "
        f"{report.charge_points_unchanged} unchanged",
    ]
    if report.missing:
        sample = ", ".join(report.missing_sample[:5])
        more = ", …" if report.missing > 5 else ""
        action = "retired" if report.retired else "kept; --prune retires them"
        lines.append(
            f"  missing from the file: {report.missing} installations ({sample}{more}): {action}"
        )
    if report.warnings:
        lines.append(f"  warnings: {report.warnings}, e.g. {report.warning_sample[0]}")
    return "\n".join(lines)
