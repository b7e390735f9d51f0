"""`flask sgv cpo …`: admit CPOs and move them through their lifecycle (SPEC §4, §6)."""

import click

from sgv.cli.arguments import existing_party, operator, party_identity
from sgv.cli.output import OperatorGroup, emit, fail, json_option
from sgv.core.joblock import RENEW_TOKENS, exclusive
from sgv.core.refusals import Refused
from sgv.extensions import db
from sgv.models import Party
from sgv.ocpi.registration import issue_token_a, renew
from sgv.ocpi.versions import public_url
from sgv.parties import report as party_report
from sgv.parties.admission import DetailError, admit, check_details, listed_in_register, roster
from sgv.parties.lifecycle import TransitionError, find_party, transition
from sgv.quality.coverage import OBLIGED_KW, obliged_charge_points
from sgv.quality.report import quality_summary

cpo = OperatorGroup("cpo", help="Admit CPOs, approve, revoke and restore their live data.")


def summary(party: Party) -> dict:
    """Return the JSON keys describing a CPO in every cpo command."""
    return {
        "country_code": party.country_code,
        "party_id": party.party_id,
        "name": party.name,
        "state": party.state,
        "version": party.version,
        "token_c_expires_at": party.token_c_expires_at,
    }


@cpo.command("add")
@click.argument("country")
@click.argument("party")
@click.option("--name", required=True, help="The CPO's name as drivers should see it.")
@click.option("--tax-id", help="The CPO's tax id (NIF).")
@click.option("--phone", help="Customer-service phone number, shown to drivers.")
@click.option("--website", help="The CPO's website.")
@json_option
def add_command(country, party, name, tax_id, phone, website, as_json):
    """Admit a CPO that RIPREE lists and print its one-time TOKEN_A.

    JSON keys: country_code, party_id, name, state, token_a, versions_url.
    """
    country, party = party_identity(country, party, as_json)
    try:
        check_details(name=name, tax_id=tax_id, phone=phone, website=website)
    except DetailError as error:
        fail(f"--{error.field.replace('_', '-')}: {error.message}", as_json, 2)
    if find_party(country, party) is not None:
        fail(f"CPO {country}*{party} already exists (see `flask sgv cpo show`)", as_json)
    if not listed_in_register(country, party):
        fail(
            f"{country}*{party} has no installation in RIPREE: import the register first "
            "(`flask sgv ripree import FILE`)",
            as_json,
        )
    record = admit(
        country, party, name=name, tax_id=tax_id, phone=phone, website=website, actor=operator()
    )
    token = issue_token_a(record, actor=operator())
    db.session.commit()
    versions_url = public_url("api", "versions")
    result = {**summary(record), "token_a": token, "versions_url": versions_url}
    emit(
        result,
        as_json,
        f"Added {country}*{party} ({name}).\nTOKEN_A: {token}\n"
        f"Versions URL: {versions_url}\nGive both to the CPO over a secure channel.",
    )


@cpo.command("list")
@json_option
def list_command(as_json):
    """List every CPO with its state.

    JSON keys: cpos (a list of country_code, party_id, name, state, version,
    token_c_expires_at).
    """
    rows = [summary(p) for p in roster()]
    lines = [f"{r['country_code']}*{r['party_id']}  {r['state']:<12} {r['name']}" for r in rows]
    emit({"cpos": rows}, as_json, "\n".join(lines) or "No CPOs yet.")


def lifecycle_command(action: str, help_text: str, reason_option: str | None = None):
    """Build a `cpo <action> COUNTRY PARTY` command that applies one state transition."""

    @click.argument("country")
    @click.argument("party")
    @json_option
    def command(country, party, as_json, reason=None):
        record = existing_party(country, party, as_json)
        try:
            transition(record, action, actor=operator(), reason=reason)
        except TransitionError as error:
            fail(str(error), as_json)
        db.session.commit()
        emit(
            summary(record),
            as_json,
            f"{record.country_code}*{record.party_id} is now {record.state}.",
        )

    command.__doc__ = help_text + "\n\nJSON keys: country_code, party_id, name, state, ..."
    if reason_option:
        command = click.option(
            reason_option, "reason", required=True, help="Why (kept in the audit log)."
        )(command)
    return cpo.command(action)(command)


lifecycle_command("approve", "Make a registered CPO live: its live data becomes public.")
lifecycle_command("revoke", "Hide a live CPO's live data (data quality).", "--reason")
lifecycle_command("restore", "Make a revoked or re-integrated CPO live again.")


@cpo.command("reset")
@click.argument("country")
@click.argument("party")
@json_option
def reset_command(country, party, as_json):
    """Issue a new TOKEN_A for a re-integration (the old TOKEN_A stops working).

    JSON keys: country_code, party_id, name, state, token_a, versions_url.
    """
    record = existing_party(country, party, as_json)
    token = issue_token_a(record, actor=operator())
    db.session.commit()
    versions_url = public_url("api", "versions")
    emit(
        {**summary(record), "token_a": token, "versions_url": versions_url},
        as_json,
        f"New TOKEN_A for {record.country_code}*{record.party_id}: {token}\n"
        f"Versions URL: {versions_url}",
    )


@cpo.command("renew")
@click.argument("country")
@click.argument("party")
@json_option
def renew_command(country, party, as_json):
    """Renew the CPO's TOKEN_C by PUTting new credentials to its credentials endpoint.

    JSON keys: country_code, party_id, name, state, version, token_c_expires_at. Exits 1
    doing nothing while `check renew-tokens` runs (advisory lock 'sgv.renew-tokens').
    """
    record = existing_party(country, party, as_json)
    with exclusive(RENEW_TOKENS) as mine:
        if not mine:
            fail(
                f"token renewal is running on another host (PostgreSQL advisory lock "
                f"'{RENEW_TOKENS}'); nothing done, try again when it ends",
                as_json,
            )
        try:
            issued = renew(record, actor=operator())
        except Refused as error:
            fail(f"renewal failed, the current token stays valid: {error.message}", as_json)
        db.session.commit()
    emit(
        summary(issued.party),
        as_json,
        f"Renewed {record.country_code}*{record.party_id}: new TOKEN_C valid until "
        f"{issued.party.token_c_expires_at:%Y-%m-%d}.",
    )


@cpo.command("deregister")
@click.argument("country")
@click.argument("party")
@click.option("--justification", help="Required for CPOs obliged to send live data (≥ 43 kW).")
@json_option
def deregister_command(country, party, justification, as_json):
    """Hide a CPO's live data for good; obliged CPOs (≥ 43 kW) need --justification.

    JSON keys: country_code, party_id, name, state, version, token_c_expires_at. Exits 1
    doing nothing while `check renew-tokens` runs (advisory lock 'sgv.renew-tokens').
    """
    record = existing_party(country, party, as_json)
    obliged = obliged_charge_points(record)
    if obliged and not justification:
        fail(
            f"{record.country_code}*{record.party_id} has {obliged} charge points of "
            f"{OBLIGED_KW} kW or more and must send live data: give --justification",
            as_json,
        )
    try:
        transition(
            record,
            "deregister",
            actor=operator(),
            reason=justification,
            obliged_charge_points=obliged,
        )
    except TransitionError as error:
        fail(str(error), as_json)
    db.session.commit()
    emit(
        summary(record), as_json, f"{record.country_code}*{record.party_id} is now {record.state}."
    )


def day(moment, pattern: str = "%Y-%m-%d") -> str:
    """Format an optional moment for a terminal ('-' when absent)."""
    return moment.strftime(pattern) if moment else "-"


def show_text(report: dict) -> str:
    """Lay a CPO report out for a terminal."""
    inv = report["inventory"]
    lines = [
        f"{report['country_code']}*{report['party_id']}  {report['name']}  [{report['state']}]",
        f"OCPI {report['version'] or '-'}; TOKEN_C valid until {day(report['token_c_expires_at'])}"
        f"; last change {day(report['last_change'], '%Y-%m-%d %H:%M') or 'never'}",
    ]
    if report["token_warning"]:
        lines.append(f"WARNING: {report['token_warning']}")
    statuses = ", ".join(f"{k} {v}" for k, v in inv["evses_by_status"].items()) or "none"
    lines += [
        f"Locations: {inv['locations']} ({inv['matched_locations']} matched to RIPREE, "
        f"{inv['unpublished_locations']} not published); tariffs: {inv['tariffs']}",
        f"EVSEs by status: {statuses}",
        f"Rejected pushes: {report['rejections']['total']}",
    ]
    lines += [
        f"  {r['count']} × {r['status_code']} {r['field']}"
        for r in report["rejections"]["by_reason"]
    ]
    lines += [
        f"Refused as in the future: {r['count']} × {r['field']} (check the clock that stamps them)"
        for r in report["rejections"]["future_times"]
    ]
    if report["unmatched_locations"]:
        lines.append(f"Unmatched locations: {len(report['unmatched_locations'])}")
        lines += [f"  {u['location_id']}: {u['reason']}" for u in report["unmatched_locations"]]
    if report["unmatched_evses"]:
        lines.append(f"EVSEs matching no RIPREE charge point: {len(report['unmatched_evses'])}")
        lines += [
            f"  {u['location_id']}/{u['uid']} ({u['evse_id']})" for u in report["unmatched_evses"]
        ]
    if report["evses_without_connectors"]:
        lines.append(
            f"WARNING: EVSEs without connectors, kept out of public data: "
            f"{len(report['evses_without_connectors'])}"
        )
        lines += [f"  {u['location_id']}/{u['uid']}" for u in report["evses_without_connectors"]]
    if report["warnings"]:
        lines.append(f"Accepted with warnings: {len(report['warnings'])} objects")
        lines += [f"  {w['object']}: {'; '.join(w['warnings'])}" for w in report["warnings"]]
    lines.append("Data quality:")
    for key, value in report["quality"].items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items() if not isinstance(v, list))
        elif isinstance(value, list):
            value = "; ".join(str(v) for v in value) or "none"
        lines.append(f"  {key}: {value}")
    lines.append("History:")
    lines += [
        f"  {h['at']:%Y-%m-%d %H:%M} {h['actor']}: {h['action']}"
        f"{' → ' + h['to_state'] if h['to_state'] != h['from_state'] else ''}"
        f"{' (' + h['reason'] + ')' if h['reason'] else ''}"
        for h in report["history"]
    ]
    return "\n".join(lines)


@cpo.command("show")
@click.argument("country")
@click.argument("party")
@json_option
def show_command(country, party, as_json):
    """Show a CPO: state and history, tokens, inventory, rejections, matching, quality.

    JSON keys: country_code, party_id, name, tax_id, phone, website, state, version,
    registered_at, token_c_expires_at, token_warning, last_change, inventory,
    rejections, unmatched_locations, unmatched_evses, evses_without_connectors,
    warnings (objects stored with warnings: object, warnings), maintenance, history,
    quality.
    """
    record = existing_party(country, party, as_json)
    result = {**party_report.report(record), "quality": quality_summary(record)}
    emit(result, as_json, show_text(result))
