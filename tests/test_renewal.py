"""The platform renews its TOKEN_C with a CPO that calls back during the PUT (issue #16, 1).

OCPI's credentials update: the receiver of the PUT calls the sender's versions endpoint
and version details with the new token before it answers. SGV runs under gunicorn on a
committed database, so the CPO's call back reaches it over HTTP while `flask sgv cpo
renew` (another process) waits for the answer.
"""

import json
import subprocess
from collections.abc import Iterator

import pytest
import requests

from tests.cpo_server import CpoServer
from tests.ocpi_helpers import headers, make_created_party
from tests.servers import BIN, ROOT, gunicorn, sgv_environment


@pytest.fixture
def sgv(committed_app, committed_database) -> Iterator[str]:
    """SGV under gunicorn on the committed database; yields its base URL."""
    with gunicorn(committed_database, workers=2) as base_url:
        yield base_url


def register(base_url: str, cpo: CpoServer) -> str:
    """Admit ES*CPO and run its handshake through the real server; return TOKEN_C."""
    _, token_a = make_created_party("ES", "CPO")
    response = requests.post(
        f"{base_url}/api/2.2.1/credentials",
        json=cpo.credentials("2.2.1"),
        headers=headers(token_a),
        timeout=30,
    )
    assert response.json()["status_code"] == 1000, response.text
    return response.json()["data"]["token"]


def renew(database_url: str, base_url: str) -> subprocess.CompletedProcess:
    """Run `flask sgv cpo renew ES CPO --json` as the operator would, on the same database."""
    env = sgv_environment(database_url, PUBLIC_URL=base_url, OUTBOUND_ALLOW_PRIVATE="1")
    return subprocess.run(
        [str(BIN / "flask"), "--app", "app", "sgv", "cpo", "renew", "ES", "CPO", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def status(base_url: str, token: str) -> int:
    """Return the HTTP status of GET /api/versions with this token."""
    return requests.get(f"{base_url}/api/versions", headers=headers(token), timeout=10).status_code


def test_renewal_accepts_the_new_token_while_the_cpo_calls_back(sgv, committed_database):
    with CpoServer() as cpo:
        old_token = register(sgv, cpo)
        cpo.call_back = True
        result = renew(committed_database, sgv)
        assert result.returncode == 0, result.stdout + result.stderr
        [(_, put)] = [c for c in cpo.received_credentials if c[0] == "PUT"]
    new_token = put["token"]
    # Both calls of the CPO, made with the new token during the PUT, were answered.
    assert [code for _, code in cpo.call_backs] == [200, 200]
    assert cpo.call_backs[0][0] == f"{sgv}/api/versions/"
    assert json.loads(result.stdout)["token_c_expires_at"]
    assert status(sgv, new_token) == 200
    assert status(sgv, old_token) == 401  # retired once the CPO accepted


def test_a_refused_renewal_drops_the_new_token_and_keeps_the_old(sgv, committed_database):
    with CpoServer() as cpo:
        old_token = register(sgv, cpo)
        cpo.call_back = True
        cpo.after_call_back = 3000  # the CPO reached us with the new token, then failed
        result = renew(committed_database, sgv)
        [(_, put)] = [c for c in cpo.received_credentials if c[0] == "PUT"]
    assert result.returncode == 1
    assert "renewal failed, the current token stays valid" in json.loads(result.stdout)["error"]
    assert [code for _, code in cpo.call_backs] == [200, 200]
    assert status(sgv, put["token"]) == 401  # dropped with the failed exchange
    assert status(sgv, old_token) == 200
