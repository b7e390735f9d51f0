"""`flask sgv maintenance prune`: delete old rows the reports no longer read (retention).

Not the CPOs' maintenance windows (`sgv cpo maintenance`): the platform's housekeeping.
Scheduled daily (deploy/sgv-prune.timer, deploy/sgv.cron); it holds the PostgreSQL
advisory lock 'sgv.prune', so every host may schedule it and one runs it.
"""

import click

from sgv.cli.check import needs_database
from sgv.cli.output import OperatorGroup, emit, fail, json_option
from sgv.core.joblock import PRUNE, exclusive, held_message
from sgv.quality.retention import RetentionError, days_kept, prune

housekeeping = OperatorGroup("maintenance", help="Keep the platform's own tables in bounds.")


def prune_line(table: str, figures: dict, dry_run: bool) -> str:
    """Describe one table's prune in a line."""
    if not figures["days"]:
        return f"{table}: kept for ever (retention 0)"
    verb = "would delete" if dry_run else "deleted"
    return f"{table}: {verb} {figures['deleted']} rows older than {figures['days']} days"


@housekeeping.command("prune")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@json_option
@needs_database
def prune_command(dry_run: bool, as_json: bool) -> None:
    """Delete check runs, rejections and routine audit rows older than their retention.

    Retention: SGV_RETAIN_CHECK_RUNS_DAYS, SGV_RETAIN_REJECTIONS_DAYS, SGV_RETAIN_AUDIT_DAYS
    (0 keeps for ever). What `cpo show` and the check still read is kept whatever its age.
    Exits 0 doing nothing while another host prunes (advisory lock 'sgv.prune'; JSON key
    not_run says so). JSON keys: tables (check_runs, rejections, audit_log: each days and
    deleted), dry_run.
    """
    try:
        days_kept()  # a bad setting fails before the lock, and deletes nothing
    except RetentionError as error:
        fail(str(error), as_json, 2)
    with exclusive(PRUNE) as mine:
        if not mine:
            message = held_message("maintenance prune", PRUNE)
            emit({"tables": {}, "dry_run": dry_run, "not_run": message}, as_json, message)
            return
        tables = prune(dry_run=dry_run)
    text = "\n".join(prune_line(t, figures, dry_run) for t, figures in tables.items())
    emit({"tables": tables, "dry_run": dry_run}, as_json, text)
