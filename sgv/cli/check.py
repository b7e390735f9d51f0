"""`flask sgv check …`: the hourly data-quality check, token renewal, coverage (SPEC §5, §6).

Scheduled from outside the web server (cron or a systemd timer, docs/quality.md), never
from gunicorn workers. Every command exits 0 when it ran, whatever it found, and
non-zero only when it could not run (database down, unknown CPO, bad arguments).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from sgv.cli.arguments import existing_party
from sgv.cli.output import OperatorGroup, emit, fail, json_option
from sgv.core import metrics
from sgv.core.joblock import CHECK, RENEW_TOKENS, exclusive, held_message
from sgv.extensions import db
from sgv.quality.check import cannot_check, parties_to_check, run_checks, run_summary
from sgv.quality.coverage import coverage
from sgv.quality.report import breaches, policy
from sgv.quality.tokens import renew_due

check = OperatorGroup("check", help="Run the data-quality check, renew tokens, report coverage.")


def needs_database(command: Callable[..., None]) -> Callable[..., None]:
    """Turn a database failure into a one-line error and a non-zero exit."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except SQLAlchemyError as error:
            db.session.rollback()
            reason = str(error.orig if getattr(error, "orig", None) else error).splitlines()[0]
            fail(f"could not run, database unavailable: {reason}", kwargs.get("as_json", False))

    return wrapper


def run_line(result: dict) -> str:
    """Describe one check in a line of text."""
    name = f"{result['country_code']}*{result['party_id']}"
    if result["skipped"]:
        return f"{name}  skipped: {result['skipped']}"
    if not result["reachable"]:
        failures = result["consecutive_failures"]
        unknown = (
            f", UNKNOWN since {result['unknown_since']:%Y-%m-%d %H:%M}Z"
            if (result["unknown_since"] and failures)
            else ""
        )
        return f"{name}  FAILED ({failures} in a row{unknown}): {result['error']}"
    kind = "full sync" if result["full_sync"] else "incremental"
    line = (
        f"{name}  ok ({kind}): {result['objects_returned']} returned, "
        f"{result['not_pushed']} not pushed, {result['rejected']} rejected, "
        f"{result['removed']} removed, {result['empty_answers']} empty answers"
    )
    return "\n".join([line, *(f"  warning: {w}" for w in result["warnings"])])


@check.command("run")
@click.argument("country", required=False)
@click.argument("party", required=False)
@click.option(
    "--due", is_flag=True, help="Only CPOs not checked for SGV_CHECK_INTERVAL (for timers)."
)
@json_option
@needs_database
def run_command(country: str | None, party: str | None, due: bool, as_json: bool) -> None:
    """Check every live or registered CPO now (or only COUNTRY PARTY).

    Exits 0 when it ran, whatever it found, and exits 0 doing nothing while another host
    runs it (PostgreSQL advisory lock 'sgv.check'; JSON key not_run says so). JSON keys:
    checks (a list of country_code, party_id, started_at, full_sync, skipped, reachable,
    error, objects_returned, empty_answers, not_pushed, rejected, removed, warnings,
    consecutive_failures, unknown_since).
    """
    parties = None
    if country is not None and party is None:
        fail("give both COUNTRY and PARTY (e.g. ES IBD), or neither", as_json, 2)
    elif country is not None:
        record = existing_party(country, party, as_json)
        if reason := cannot_check(record):
            fail(reason, as_json)
        parties = [record]
    with exclusive(CHECK) as mine:
        if not mine:
            message = held_message("check run", CHECK)
            emit({"checks": [], "not_run": message}, as_json, message)
            return
        # Chosen under the lock: --due then skips what another host has just checked.
        runs = run_checks(parties if parties is not None else parties_to_check(due=due))
        results = [run_summary(run) for run in runs]
        metrics.checks_done(results)
    text = "\n".join(run_line(r) for r in results) or "No CPO to check."
    emit({"checks": results}, as_json, text)


@check.command("renew-tokens")
@click.option("--days", default=30, show_default=True, help="Renew tokens expiring within.")
@json_option
@needs_database
def renew_tokens_command(days: int, as_json: bool) -> None:
    """Renew every TOKEN_C that expires within --days days, by PUTting new credentials.

    JSON keys: renewed (a list of country_code, party_id, token_c_expires_at) and
    failed (a list of country_code, party_id, error). Failures keep the current token.
    Exits 0 doing nothing while another host renews (advisory lock 'sgv.renew-tokens';
    JSON key not_run says so).
    """
    with exclusive(RENEW_TOKENS) as mine:
        if not mine:
            message = held_message("check renew-tokens", RENEW_TOKENS)
            emit({"renewed": [], "failed": [], "not_run": message}, as_json, message)
            return
        renewed, failed = renew_due(days)
    lines = [f"renewed {r['country_code']}*{r['party_id']}" for r in renewed]
    lines += [f"FAILED {f['country_code']}*{f['party_id']}: {f['error']}" for f in failed]
    emit({"renewed": renewed, "failed": failed}, as_json, "\n".join(lines) or "Nothing to renew.")


@check.command("coverage")
@json_option
@needs_database
def coverage_command(as_json: bool) -> None:
    """Show, per RIPREE operator, the charge points ≥ 43 kW without live data (SPEC §4).

    JSON keys: operators (a list of country_code, party_id, operator_name, cpo_state,
    integrated, obliged_charge_points, with_live_data, without_live_data,
    without_live_data_refs).
    """
    operators = coverage()
    lines = [
        f"{o['country_code']}*{o['party_id']}  {o['without_live_data']:>5} of "
        f"{o['obliged_charge_points']:>5} without live data  "
        f"({o['cpo_state'] or 'never integrated'})  {o['operator_name']}"
        for o in operators
    ]
    emit({"operators": operators}, as_json, "\n".join(lines) or "No charge point of 43 kW or more.")


@click.command("breaches")
@json_option
@with_appcontext
@needs_database
def cpo_breaches_command(as_json: bool) -> None:
    """List the live CPOs that breach the revocation policy (a dry run: nothing is revoked).

    JSON keys: policy (a list of rule, description, threshold, days, min_checks) and
    breaches (a list of country_code, party_id, name, breaches: rule, measured,
    threshold, description).
    """
    found = breaches()
    lines = [
        f"{b['country_code']}*{b['party_id']}  {r['rule']}: {r['measured']:g} ({r['description']})"
        for b in found
        for r in b["breaches"]
    ]
    text = "\n".join(lines) or "No live CPO breaches the revocation policy."
    emit({"policy": policy(), "breaches": found}, as_json, text)
