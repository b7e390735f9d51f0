"""`flask sgv demo …`: the demo data the quick start serves, and a living map (SPEC §6)."""

import click

from sgv.cli.output import OperatorGroup, emit, fail, json_option
from sgv.demo.cpo import DemoError
from sgv.demo.load import LoadReport, load
from sgv.demo.simulate import SimulationReport, simulate
from sgv.registry import RegisterError

demo = OperatorGroup("demo", help="Load the demo data and keep its live data changing.")


@demo.command("load")
@json_option
def load_command(as_json: bool) -> None:
    """Import the demo register and integrate the demo CPOs over OCPI (skipped when done).

    JSON keys: already_loaded, installations, charge_points, register (the RIPREE import
    report, null when nothing was imported), cpos (a list of country_code, party_id,
    name, phone, state, version, locations, matched_locations, evses, tariffs),
    static_only_operators (COUNTRY*PARTY of register operators with no live CPO),
    locations_pushed, evses_pushed, tariffs_pushed, seconds.
    """
    try:
        report = load()
    except RegisterError as error:
        fail(f"demo load: the demo register was refused: {error.message}", as_json)
    except DemoError as error:
        fail(f"demo load stopped: {error}; run it again to finish", as_json)
    emit(report.as_dict(), as_json, load_text(report))


def load_text(report: LoadReport) -> str:
    """Lay a load report out for a terminal."""
    register = f"{report.installations} installations, {report.charge_points:,} charge points"
    if report.already_loaded:
        return f"Demo data already loaded ({register}); nothing to do ({report.seconds} s)."
    lines = [f"Demo register imported: {register} (DGT/MITERD, CC BY 4.0)."]
    lines += [
        f"  {c['country_code']}*{c['party_id']}  {c['state']:<10} OCPI {c['version'] or '-':<5}"
        f"  {c['locations']} locations ({c['matched_locations']} matched), {c['evses']} EVSEs,"
        f" {c['tariffs']} tariffs  {c['name']}, tel. {c['phone']}"
        for c in report.cpos
    ]
    lines.append(
        f"Static data only: {', '.join(report.static_only_operators) or 'none'}."
        f"\nPushed {report.locations_pushed} locations, {report.evses_pushed:,} EVSEs and "
        f"{report.tariffs_pushed} tariffs through the OCPI API in {report.seconds} s."
    )
    return "\n".join(lines)


@demo.command("simulate")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Seconds between two rounds of status changes.",
)
@click.option(
    "--changes",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="EVSEs whose status changes in each round.",
)
@click.option("--once", is_flag=True, help="Do one round, then stop.")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="Seconds to wait for SGV to answer at SGV_PUBLIC_URL.",
)
@json_option
def simulate_command(interval: float, changes: int, once: bool, wait: float, as_json: bool) -> None:
    """Keep the map alive: push EVSE status changes from the demo CPOs until Ctrl-C.

    Each demo CPO that has integrated re-runs the credentials handshake against the SGV
    serving SGV_PUBLIC_URL (a new TOKEN_A, then TOKEN_C: no token is kept on disk), then
    every --interval seconds --changes random EVSEs get a new status, PATCHed over OCPI.
    JSON keys (printed when it stops): rounds, failed_rounds, changes, by_status (new
    status → count), cpos (COUNTRY*PARTY of the CPOs that pushed), seconds.
    """
    echo = None if as_json else click.echo
    try:
        report = simulate(interval=interval, changes=changes, once=once, wait=wait, echo=echo)
    except DemoError as error:
        fail(f"demo simulate: {error}", as_json)
    emit(report.as_dict(), as_json, simulation_text(report))


def simulation_text(report: SimulationReport) -> str:
    """Summarise a simulation when it stops."""
    failed = f" ({report.failed_rounds} failed)" if report.failed_rounds else ""
    return (
        f"Stopped after {report.rounds} round(s){failed}: {report.changes} status changes "
        f"pushed by {', '.join(report.cpos) or 'no CPO yet'} in {report.seconds} s."
    )
