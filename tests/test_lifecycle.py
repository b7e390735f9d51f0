"""The CPO lifecycle through the operator's commands (SPEC §4, §6)."""

import json

import pytest

from sgv import public
from sgv.extensions import db
from sgv.models import AuditEntry
from tests.public_helpers import add_installation, live_cpo


def cpo(app, *args):
    result = app.test_cli_runner().invoke(args=["sgv", "cpo", *args, "--json"])
    return result.exit_code, json.loads(result.output)


@pytest.fixture
def registered(app, client):
    add_installation()
    live_cpo(client, state="registered")


def visible() -> bool:
    return public.installation("INST1").has_live_data


def test_approve_revoke_restore_switch_live_data(app, registered):
    assert not visible()
    assert cpo(app, "approve", "ES", "ABC")[1]["state"] == "live"
    assert visible()
    code, result = cpo(app, "revoke", "ES", "ABC", "--reason", "stale statuses for a week")
    assert (code, result["state"]) == (0, "revoked")
    assert not visible()
    assert cpo(app, "restore", "ES", "ABC")[1]["state"] == "live"
    assert visible()
    trail = [
        (e.action, e.from_state, e.to_state, e.reason)
        for e in db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id))
        if e.action in ("approve", "revoke", "restore")
    ]
    assert trail == [
        ("approve", "registered", "live", None),
        ("revoke", "live", "revoked", "stale statuses for a week"),
        ("restore", "revoked", "live", None),
    ]


def test_revoke_requires_a_reason(app, registered):
    cpo(app, "approve", "ES", "ABC")
    result = app.test_cli_runner().invoke(args=["sgv", "cpo", "revoke", "ES", "ABC"])
    assert result.exit_code == 2
    assert "--reason" in result.output


@pytest.mark.parametrize(("action", "state"), [("revoke", "registered"), ("restore", "registered")])
def test_transitions_from_the_wrong_state_are_refused(app, registered, action, state):
    args = [action, "ES", "ABC"] + (["--reason", "x"] if action == "revoke" else [])
    code, result = cpo(app, *args)
    assert code == 1
    assert f"it is {state}" in result["error"]


def test_deregister_of_an_obliged_cpo_needs_a_justification(app, registered):
    code, result = cpo(app, "deregister", "ES", "ABC")
    assert code == 1
    assert "43 kW" in result["error"]
    code, result = cpo(app, "deregister", "ES", "ABC", "--justification", "site closed")
    assert (code, result["state"]) == (0, "deregistered")
    assert not visible()


def test_unknown_cpo_is_a_one_line_error(app):
    result = app.test_cli_runner().invoke(args=["sgv", "cpo", "approve", "ES", "NOP"])
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0


def test_show_reports_inventory_rejections_and_history(app, client, registered):
    cpo(app, "approve", "ES", "ABC")
    code, report = cpo(app, "show", "ES", "ABC")
    assert code == 0
    assert report["inventory"]["evses_by_status"] == {"AVAILABLE": 2}
    assert report["inventory"]["matched_locations"] == 1
    assert [h["action"] for h in report["history"]][-1] == "approve"
    assert report["unmatched_locations"] == []
    text = app.test_cli_runner().invoke(args=["sgv", "cpo", "show", "ES", "ABC"]).output
    assert "EVSEs by status: AVAILABLE 2" in text


def test_list_shows_every_cpo(app, registered):
    code, result = cpo(app, "list")
    assert [(c["party_id"], c["state"]) for c in result["cpos"]] == [("ABC", "registered")]


# --- cpo add: what lands in a bounded column is validated (issue #14) --------------------

BAD_DETAILS = [  # option, value, what the one-line error names
    ("--phone", "+34 " + "9" * 40, "--phone"),
    ("--phone", "call us", "--phone"),
    ("--phone", "+34 91 <script>", "--phone"),
    ("--phone", "++34 91", "--phone"),
    ("--name", "N" * 256, "--name"),
    ("--name", "   ", "--name"),
    ("--tax-id", "B" * 33, "--tax-id"),
    ("--website", "https://example.com/" + "x" * 240, "--website"),
    ("--website", "javascript:alert(1)", "--website"),
]


@pytest.mark.parametrize(("option", "value", "named"), BAD_DETAILS)
@pytest.mark.parametrize("as_json", [False, True])
def test_cpo_add_refuses_details_that_do_not_fit_in_one_line(app, option, value, named, as_json):
    add_installation()
    details = {"--name": "Operador ABC", option: value}
    args = ["sgv", "cpo", "add", "ES", "ABC", *[a for pair in details.items() for a in pair]]
    result = app.test_cli_runner().invoke(args=args + (["--json"] if as_json else []))
    assert result.exit_code != 0
    [line] = result.output.strip().splitlines()
    assert named in (json.loads(line)["error"] if as_json else line)
    assert "Traceback" not in result.output
    assert cpo(app, "list")[1]["cpos"] == []  # nothing admitted, no TOKEN_A issued


@pytest.mark.parametrize("phone", ["+34 900 123 456", "+34 (91) 123-45-67", "016"])
def test_cpo_add_keeps_a_valid_phone_as_given(app, phone):
    add_installation()
    code, added = cpo(app, "add", "ES", "ABC", "--name", "Operador ABC", "--phone", phone)
    assert code == 0 and added["token_a"]
    assert cpo(app, "show", "ES", "ABC")[1]["phone"] == phone
