"""Scheduled jobs on exactly one host: a PostgreSQL advisory lock (sgv/core/joblock.py).

Real processes on one real database stand for two hosts: the first `flask sgv check …`
is slow because its CPO (a CpoServer on 127.0.0.1) answers late, and the second one must
see the lock, say so, exit 0 and do nothing. Runs after the holder has gone run in this
process (run_here): what they prove is that the lock was given back.
"""

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from flask import current_app

from sgv.core.joblock import CHECK, RENEW_TOKENS, lock_key
from sgv.extensions import db
from sgv.models import CheckRun
from tests.cpo_server import CpoServer, Fault
from tests.quality_helpers import connect
from tests.servers import BIN, ROOT, sgv_environment

SLOW = 90.0  # the CPO's delay, cut short by Fault.release() once a test has seen enough
TIMEOUT = "60"  # SGV_HTTP_TIMEOUT of the processes: the first run stays busy until released


STARTED: list[subprocess.Popen] = []


@pytest.fixture
def cpo(committed_app) -> Iterator[CpoServer]:
    with CpoServer() as server:
        try:
            yield server
        finally:  # a failed test leaves no job running behind it
            while STARTED:
                process = STARTED.pop()
                if process.poll() is None:
                    process.kill()
                process.communicate(timeout=10)


def start(database_url: str, *args: str) -> subprocess.Popen:
    """Start `flask --app app sgv ARGS` as a scheduled job on another host would."""
    env = sgv_environment(
        database_url, OUTBOUND_ALLOW_PRIVATE="1", HTTP_TIMEOUT=TIMEOUT, CHECK_RETRY_DELAY="0.01"
    )
    process = subprocess.Popen(
        [str(BIN / "flask"), "--app", "app", "sgv", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    STARTED.append(process)
    return process


def run(database_url: str, *args: str) -> subprocess.CompletedProcess:
    """Run `flask --app app sgv ARGS` to the end."""
    process = start(database_url, *args)
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def run_here(*args: str) -> subprocess.CompletedProcess:
    """Run `flask sgv ARGS` in this process (committed_app): a host that runs the job after
    the other's lock is gone, where a separate process proves nothing more."""
    result = current_app.test_cli_runner().invoke(args=["sgv", *args])
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def wait_for(condition, what: str, timeout: float = 30.0) -> None:
    """Poll until `condition()` holds (a state, not a duration, is what tests assert)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout} s")
        time.sleep(0.05)


def lock_holders(database_url: str, job: str) -> int:
    """Count the sessions holding the job's advisory lock on the database."""
    key = lock_key(job) & 0xFFFFFFFFFFFFFFFF
    with psycopg.connect(database_url, autocommit=True) as conn:
        return conn.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
            " WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()"
            " AND l.classid::bigint = %s AND l.objid::bigint = %s",
            ((key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF),
        ).fetchone()[0]


def check_runs() -> int:
    """Count the recorded checks (read afresh: other processes commit them)."""
    db.session.rollback()
    return db.session.scalar(db.select(db.func.count()).select_from(CheckRun))


def slow_check(database_url: str, cpo: CpoServer) -> tuple[subprocess.Popen, Fault]:
    """Start a check of ES*CPO, busy until its CPO's locations are released to fail (503)."""
    fault = cpo.fail("locations", delay=SLOW, http_status=503)
    first = start(database_url, "check", "run")
    wait_for(lambda: cpo.requests_to("locations"), "the first check reaching its CPO")
    return first, fault


def test_a_second_check_run_exits_0_at_once_and_does_nothing(committed_database, cpo):
    connect(cpo)
    first, fault = slow_check(committed_database, cpo)

    second = run(committed_database, "check", "run")
    assert first.poll() is None, "the second run waited for the first one"
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == (
        "check run: another host is running it (PostgreSQL advisory lock 'sgv.check'); nothing done"
    )
    due = run(committed_database, "check", "run", "--due", "--json")
    assert due.returncode == 0, due.stderr
    assert json.loads(due.stdout) == {
        "checks": [],
        "not_run": "check run: another host is running it (PostgreSQL advisory lock "
        "'sgv.check'); nothing done",
    }
    assert first.poll() is None
    assert len(cpo.requests_to("locations")) == 1  # the first run's only

    fault.release()
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert "ES*CPO  FAILED" in out
    assert check_runs() == 1  # the first run's; none of the refused runs'


def test_sequential_check_runs_both_run(committed_database, cpo):
    connect(cpo)
    first, fault = slow_check(committed_database, cpo)
    refused = run(committed_database, "check", "run", "ES", "CPO", "--json")
    assert json.loads(refused.stdout)["checks"] == []
    fault.release()
    first.communicate(timeout=120)

    cpo.heal()
    for n in (2, 3):
        after = run_here("check", "run", "--json")
        assert after.returncode == 0, after.stderr
        [result] = json.loads(after.stdout)["checks"]
        assert result["reachable"] and "not_run" not in json.loads(after.stdout)
        assert check_runs() == n
    assert lock_holders(committed_database, CHECK) == 0


def test_a_killed_holder_takes_its_lock_with_it(committed_database, cpo):
    connect(cpo)
    first, _ = slow_check(committed_database, cpo)
    assert lock_holders(committed_database, CHECK) == 1
    refused = run(committed_database, "check", "run")
    assert "another host is running it" in refused.stdout
    before = check_runs()

    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=10)  # reaped, its pipes closed
    # The server ends the dead client's session, and its lock, as soon as it sees the socket
    # close; nobody has to clean up.
    wait_for(lambda: lock_holders(committed_database, CHECK) == 0, "the lock going with it")
    cpo.heal()
    after = run_here("check", "run", "--json")
    assert after.returncode == 0, after.stderr
    [result] = json.loads(after.stdout)["checks"]
    assert result["reachable"]
    assert check_runs() == before + 1


def test_renew_tokens_runs_on_one_host_only(committed_database, cpo):
    party, _ = connect(cpo)
    party.token_c_expires_at = datetime.now(UTC) + timedelta(days=3)
    db.session.commit()
    old_digest = party.token_c_digest
    fault = cpo.fail("credentials", delay=SLOW, http_status=503)
    first = start(committed_database, "check", "renew-tokens")
    wait_for(lambda: cpo.requests_to("credentials"), "the first renewal reaching its CPO")

    second = run(committed_database, "check", "renew-tokens", "--json")
    assert first.poll() is None
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout) == {
        "renewed": [],
        "failed": [],
        "not_run": "check renew-tokens: another host is running it (PostgreSQL advisory "
        "lock 'sgv.renew-tokens'); nothing done",
    }
    one = run(committed_database, "cpo", "renew", "ES", "CPO")
    assert one.returncode == 1
    assert "token renewal is running on another host" in one.stderr
    assert len(cpo.requests_to("credentials")) == 1  # the first run's PUT only

    fault.release()
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert "FAILED ES*CPO" in out
    cpo.heal()
    after = run_here("check", "renew-tokens", "--json")
    assert [r["party_id"] for r in json.loads(after.stdout)["renewed"]] == ["CPO"]
    db.session.rollback()
    db.session.refresh(party)
    assert party.token_c_digest != old_digest
    assert lock_holders(committed_database, RENEW_TOKENS) == 0
