"""Run the extrawest-ocpi CPO (tests/extrawest_cpo.py) on 127.0.0.1 for a test.

Its virtualenv is made by scripts/lib/extrawest.sh (once, then reused). Tests that need
it are marked `extrawest`; they are skipped, naming the command and pip's error, only
when the package cannot be downloaded (no network, no package index); any other failure
to install or start it fails the test.
"""

import functools
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.servers import ROOT, free_port, stop

SCRIPT = ROOT / "scripts" / "lib" / "extrawest.sh"
# pip's words when it cannot reach an index: the only reason to skip rather than fail.
OFFLINE = re.compile(
    r"No matching distribution found|Could not find a version|NewConnectionError|"
    r"Temporary failure in name resolution|Network is unreachable|Connection refused|"
    r"Max retries exceeded|ReadTimeoutError|ProxyError",
    re.IGNORECASE,
)


@functools.cache
def _install() -> tuple[str | None, str]:
    """Run the set-up script once per test run; return (python, '') or (None, why)."""
    result = subprocess.run(
        ["bash", str(SCRIPT)],
        env={**os.environ, "PYTHON": sys._base_executable},  # pip's settings and proxies
        capture_output=True,
        text=True,
        timeout=600,
    )
    if result.returncode == 0:
        return result.stdout.strip().splitlines()[-1], ""
    return None, result.stderr


def python() -> str:
    """Return the extrawest virtualenv's python; skip (offline) or fail (anything else)."""
    found, error = _install()
    if found:
        return found
    lines = [line for line in error.splitlines() if line.strip() and "is ignored" not in line]
    why = f"bash {SCRIPT.relative_to(ROOT)} failed: " + " | ".join(lines[-3:])
    if OFFLINE.search(error):
        pytest.skip(f"extrawest-ocpi cannot be installed here (no package index): {why}")
    pytest.fail(why)


@dataclass
class ExtrawestCpo:
    """The running CPO: its versions URL, the token SGV must use, and its control calls."""

    base_url: str
    token_b: str
    party: tuple[str, str]

    @property
    def versions_url(self) -> str:
        return f"{self.base_url}/ocpi/versions"

    def control(self, verb: str, what: str, **body: Any) -> dict:
        """Ask the CPO's software to act (register, push, renew …); return SGV's answer."""
        response = requests.request(
            verb, f"{self.base_url}/control/{what}", json=body or None, timeout=60
        )
        response.raise_for_status()
        return response.json()

    def state(self) -> dict:
        return self.control("GET", "state")


@contextmanager
def extrawest_cpo(
    party_id: str = "XWC", token_b: str = "extrawest-token-b"
) -> Iterator[ExtrawestCpo]:
    """Serve tests/extrawest_cpo.py under uvicorn on a free loopback port."""
    interpreter = python()
    port = free_port()
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "OCPI_HOST": f"127.0.0.1:{port}",
        "PROTOCOL": "http",
        "COUNTRY_CODE": "ES",
        "PARTY_ID": party_id,
        "XW_TOKEN_B": token_b,
        "ENVIRONMENT": "production",  # the library's logging: warnings only
    }
    process = subprocess.Popen(
        [interpreter, "-m", "uvicorn", "--app-dir", str(ROOT / "tests"), "extrawest_cpo:app",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT / "tests",
        env=env,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the extrawest CPO exited with {process.returncode}")
            try:
                requests.get(f"{base_url}/control/state", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield ExtrawestCpo(base_url, token_b, ("ES", party_id))
    finally:
        stop(process)
