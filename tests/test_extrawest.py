"""SGV against a CPO built on extrawest-ocpi, third-party OCPI software (issue #16).

SGV runs under gunicorn on a committed database; the CPO is tests/extrawest_cpo.py under
uvicorn, in a virtualenv of its own (tests/extrawest.py). Operator commands run as
processes, as in production. Skipped, with pip's error, only when the package cannot be
downloaded.
"""

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
import requests

from tests.extrawest import ExtrawestCpo, extrawest_cpo
from tests.ocpi_helpers import headers, make_created_party
from tests.quality_helpers import location
from tests.servers import BIN, ROOT, gunicorn, sgv_environment

pytestmark = pytest.mark.extrawest


@dataclass
class World:
    sgv: str  # SGV's base URL
    database: str
    cpo: ExtrawestCpo

    def sgv_command(self, *args: str) -> subprocess.CompletedProcess:
        """Run `flask sgv ARGS --json` on SGV's database, as the operator would."""
        env = sgv_environment(self.database, PUBLIC_URL=self.sgv, OUTBOUND_ALLOW_PRIVATE="1")
        return subprocess.run(
            [str(BIN / "flask"), "--app", "app", "sgv", *args, "--json"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def register(self) -> dict:
        """Admit ES*XWC and let the CPO's software register with its TOKEN_A."""
        _, token_a = make_created_party("ES", "XWC")
        return self.cpo.control(
            "POST", "register", versions_url=f"{self.sgv}/api/versions", token_a=token_a
        )

    def sgv_status(self, token: str) -> int:
        """Return the HTTP status SGV answers GET /api/versions with this token."""
        url = f"{self.sgv}/api/versions"
        return requests.get(url, headers=headers(token), timeout=10).status_code


@pytest.fixture
def world(committed_app, committed_database) -> Iterator[World]:
    with extrawest_cpo() as cpo, gunicorn(committed_database, workers=2) as sgv:
        yield World(sgv, committed_database, cpo)


def own(number: int) -> dict:
    """Return an official Location example as ES*XWC's LOC<number>."""
    body = location(number)
    body["party_id"] = "XWC"
    for evse in body["evses"]:
        evse["evse_id"] = evse["evse_id"].replace("*CPO*", "*XWC*")
    return body


def test_sgv_renews_its_token_with_an_extrawest_cpo(world):
    assert world.register()["status_code"] == 1000
    old_token = world.cpo.state()["sgv_token"]
    result = world.sgv_command("cpo", "renew", "ES", "XWC")
    # Before the fix: the CPO called back with the new token, got 401 and answered 3001.
    assert result.returncode == 0, result.stdout + result.stderr
    state = world.cpo.state()
    [received] = state["received"]
    assert state["sgv_token"] == received["token"] != old_token
    assert world.sgv_status(received["token"]) == 200
    assert world.sgv_status(old_token) == 401


def test_the_pull_reads_every_page_of_an_extrawest_cpo(world):
    assert world.register()["status_code"] == 1000
    # Three to a page, and a Link header naming https://OCPI_HOST/…: another origin than
    # the registered http URL, so SGV continues by offset on the registered URL.
    world.cpo.control("PUT", "objects", objects={"locations": [own(n) for n in range(7)]})
    result = world.sgv_command("check", "run", "ES", "XWC")
    assert result.returncode == 0, result.stderr
    [run] = json.loads(result.stdout)["checks"]
    assert run["reachable"] and run["objects_returned"] == 7, run
    assert "continued by offset" in " ".join(run["warnings"])


def rows(database: str, sql: str) -> list[tuple]:
    with psycopg.connect(database, autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


def check(world: World) -> dict:
    """Run `flask sgv check run ES XWC` and return its one check."""
    result = world.sgv_command("check", "run", "ES", "XWC")
    assert result.returncode == 0, result.stderr
    [run] = json.loads(result.stdout)["checks"]
    assert run["reachable"], run
    return run


def test_an_extrawest_cpo_lives_its_whole_life_with_sgv(world):
    # Handshake: the CPO's software registers with TOKEN_A; SGV calls its versions back.
    answer = world.register()
    assert (answer["http_status"], answer["status_code"]) == (200, 1000), answer
    assert rows(world.database, "SELECT state, version FROM parties") == [("registered", "2.2.1")]

    # Push: a Location PUT and a status PATCH through SGV's receiver.
    body = own(0)
    pushed = world.cpo.control(
        "POST", "push", method="PUT", path="locations/ES/XWC/LOC0", body=body
    )
    assert (pushed["http_status"], pushed["status_code"]) == (201, 1000), pushed
    status = {"status": "CHARGING", "last_updated": body["last_updated"]}
    path = f"locations/ES/XWC/LOC0/{body['evses'][0]['uid']}"
    pushed = world.cpo.control("POST", "push", method="PATCH", path=path, body=status)
    assert (pushed["http_status"], pushed["status_code"]) == (200, 1000), pushed

    # Pull, several pages of three: all seven locations, then a full sync that sees one gone.
    # (The library lower-cases ids it serves, CiString: LOC6 comes back as loc6.)
    world.cpo.control("PUT", "objects", objects={"locations": [own(n) for n in range(7)]})
    assert check(world)["objects_returned"] == 7
    world.cpo.control("PUT", "objects", objects={"locations": [own(n) for n in range(6)]})
    rows(world.database, "UPDATE parties SET last_full_sync_at = now() - interval '2 days'")
    run = check(world)
    assert (run["full_sync"], run["objects_returned"], run["removed"]) == (True, 6, 1), run
    removed = "SELECT e.status FROM evses e JOIN locations l ON l.id = e.location_fk"
    assert {
        s for (s,) in rows(world.database, removed + " WHERE lower(l.location_id) = 'loc6'")
    } == {"REMOVED"}

    # Renewal by SGV: the CPO calls back with the new TOKEN_C and hands SGV a new TOKEN_B.
    old_token = world.cpo.state()["sgv_token"]
    result = world.sgv_command("cpo", "renew", "ES", "XWC")
    assert result.returncode == 0, result.stdout + result.stderr
    state = world.cpo.state()
    assert world.sgv_status(state["sgv_token"]) == 200 and world.sgv_status(old_token) == 401
    assert rows(world.database, "SELECT token_b FROM parties") == [(state["tokens_b"][0],)]
    check(world)  # SGV pulls with the CPO's new TOKEN_B

    # Renewal by the CPO: it PUTs new credentials; SGV calls back with its new TOKEN_B.
    old_token = state["sgv_token"]
    answer = world.cpo.control("POST", "renew")
    assert answer["status_code"] == 1000, answer
    state = world.cpo.state()
    assert world.sgv_status(state["sgv_token"]) == 200 and world.sgv_status(old_token) == 401
    assert rows(world.database, "SELECT token_b FROM parties") == [(state["tokens_b"][0],)]
    check(world)

    # DELETE: unregistered; its token stops working; its live data behaves as deregistered.
    answer = world.cpo.control("POST", "unregister")
    assert answer["status_code"] == 1000, answer
    assert rows(world.database, "SELECT state FROM parties") == [("deregistered",)]
    assert world.sgv_status(state["sgv_token"]) == 401
