"""`flask sgv history build` and `flask sgv maintenance prune-history`: the status history.

`history build` computes the hour-of-week availability aggregates the public reads
(/opendata/availability.json, the installation page's chart); scheduled hourly
(deploy/sgv-availability.timer, deploy/sgv.cron), it holds the PostgreSQL advisory lock
'sgv.availability', so every host may schedule it and one runs it.
"""

from sgv.cli.check import needs_database
from sgv.cli.output import OperatorGroup, emit, fail, json_option
from sgv.cli.prune import housekeeping
from sgv.core.joblock import AVAILABILITY, exclusive, held_message
from sgv.core.times import utc_text
from sgv.extensions import db
from sgv.history import store
from sgv.history.prune import RetentionError, prune_history

history = OperatorGroup("history", help="Build the availability aggregates of the status history.")


@history.command("build")
@json_option
@needs_database
def build_command(as_json: bool) -> None:
    """Compute every public installation's availability by hour of the week (4 weeks).

    The public reads the newest build; a request never computes it. Exits 0 doing
    nothing while another host builds (advisory lock 'sgv.availability'; JSON key
    not_run says so). JSON keys: build_id, built_at, window_start, installations, seconds.
    """
    with exclusive(AVAILABILITY) as mine:
        if not mine:
            message = held_message("history build", AVAILABILITY)
            emit({"not_run": message}, as_json, message)
            return
        build = store.build()
        db.session.commit()
    count = build.installations
    result = {
        "build_id": build.id,
        "built_at": utc_text(build.built_at),
        "window_start": utc_text(build.window_start),
        "installations": count,
        "seconds": build.seconds,
    }
    text = f"built the availability of {count} installations in {build.seconds:.1f} s"
    emit(result, as_json, text)


@housekeeping.command("prune-history")
@json_option
def prune_history_command(as_json: bool) -> None:
    """Delete EVSE status changes older than SGV_HISTORY_DAYS (default 35).

    The newest change of each EVSE before the cut-off stays: it is the status in force
    then. JSON keys: days, cutoff, deleted.
    """
    try:
        result = prune_history()
    except RetentionError as error:
        fail(str(error), as_json, 2)
    db.session.commit()
    result["cutoff"] = utc_text(result["cutoff"])
    emit(result, as_json, f"deleted {result['deleted']} status changes before {result['cutoff']}")
