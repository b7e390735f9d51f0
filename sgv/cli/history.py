"""`flask sgv maintenance prune-history`: keep the EVSE status history within its days."""

from sgv.cli.output import emit, fail, json_option
from sgv.cli.prune import housekeeping
from sgv.core.times import utc_text
from sgv.extensions import db
from sgv.history.prune import RetentionError, prune_history


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
