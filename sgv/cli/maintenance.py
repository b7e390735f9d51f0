"""`flask sgv cpo maintenance …`: windows when a CPO's live data is unreliable (SPEC §4)."""

import click

from sgv.cli.arguments import existing_party, operator
from sgv.cli.output import OperatorGroup, emit, fail, json_option
from sgv.extensions import db
from sgv.models import MaintenanceWindow
from sgv.parties.maintenance import (
    OPERATOR_ZONE,
    WindowError,
    add_window,
    cancel_window,
    change_window,
    window_summary,
    windows,
)

maintenance = OperatorGroup("maintenance", help="Declare when a CPO's live data is unreliable.")


def window_line(window: MaintenanceWindow) -> str:
    """Describe a window in one line, in the operator's time zone."""
    item = window_summary(window)
    zone = OPERATOR_ZONE
    state = "cancelled" if item["cancelled_at"] else "in force" if item["active"] else ""
    return (
        f"#{item['id']} {item['country_code']}*{item['party_id']} "
        f"{window.starts_at.astimezone(zone):%Y-%m-%d %H:%M} → "
        f"{window.ends_at.astimezone(zone):%Y-%m-%d %H:%M} (Europe/Madrid) {state}"
    ).rstrip()


def window_command(action):
    """Run a maintenance action, turning bad input into a one-line error."""

    def run(as_json, *args, **kwargs):
        try:
            window = action(*args, actor=operator(), **kwargs)
        except WindowError as error:
            fail(str(error), as_json, 2)
        db.session.commit()
        emit(window_summary(window), as_json, window_line(window))

    return run


@maintenance.command("add")
@click.argument("country")
@click.argument("party")
@click.option("--start", required=True, help="ISO 8601; without an offset, Europe/Madrid.")
@click.option("--end", required=True, help="ISO 8601; without an offset, Europe/Madrid.")
@json_option
def maintenance_add(country, party, start, end, as_json):
    """Declare a window: the CPO's EVSEs show UNKNOWN and checks pause. Prints its id.

    JSON keys: id, country_code, party_id, starts_at, ends_at, cancelled_at, active.
    """
    record = existing_party(country, party, as_json)
    window_command(add_window)(as_json, record, start, end)


@maintenance.command("list")
@click.argument("country", required=False)
@click.argument("party", required=False)
@json_option
def maintenance_list(country, party, as_json):
    """List maintenance windows, of one CPO or of all.

    JSON keys: windows (a list of id, country_code, party_id, starts_at, ends_at,
    cancelled_at, active).
    """
    if (country is None) != (party is None):
        fail("give both COUNTRY and PARTY, or neither", as_json, 2)
    record = existing_party(country, party, as_json) if country else None
    found = windows(record)
    emit(
        {"windows": [window_summary(w) for w in found]},
        as_json,
        "\n".join(window_line(w) for w in found) or "No maintenance windows.",
    )


@maintenance.command("change")
@click.argument("window_id", type=int)
@click.option("--start", required=True, help="ISO 8601; without an offset, Europe/Madrid.")
@click.option("--end", required=True, help="ISO 8601; without an offset, Europe/Madrid.")
@json_option
def maintenance_change(window_id, start, end, as_json):
    """Move a maintenance window.

    JSON keys: id, country_code, party_id, starts_at, ends_at, cancelled_at, active.
    """
    window_command(change_window)(as_json, window_id, start, end)


@maintenance.command("cancel")
@click.argument("window_id", type=int)
@json_option
def maintenance_cancel(window_id, as_json):
    """Cancel a maintenance window.

    JSON keys: id, country_code, party_id, starts_at, ends_at, cancelled_at, active.
    """
    window_command(cancel_window)(as_json, window_id)
