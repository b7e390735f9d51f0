"""Real servers for end-to-end tests: the app under gunicorn, and Redis, on free ports."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from urllib.error import URLError
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Every test talks from 127.0.0.1: raise the rate limits (sgv/core/limits.py) out of reach,
# except where tests/test_limits.py proves them.
RELAXED_LIMITS = {"RATELIMIT_AUTH": "1000000/minute", "RATELIMIT_PUBLIC": "1000000/minute"}


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sgv_environment(database_url: str, **settings: str) -> dict[str, str]:
    """Environment for a process running SGV on `database_url` (SGV_* settings added)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SGV_")}
    env["SGV_DATABASE_URL"] = database_url
    env.update({f"SGV_{key}": value for key, value in settings.items()})
    return env


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 20.0) -> None:
    """Poll `url` until it answers, failing early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urlopen(url, timeout=1):
                return
        except URLError:
            time.sleep(0.1)
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextmanager
def gunicorn(
    database_url: str,
    workers: int = 2,
    args: tuple[str, ...] = (),
    start_timeout: float = 20.0,
    stderr: IO | None = None,
    **settings: str,
) -> Iterator[str]:
    """Serve wsgi:app under gunicorn on a free port; yield its base URL.

    `args` are more gunicorn flags (gunicorn.conf.py, in the working directory, is read too);
    `stderr`, a file that receives its log (default: the test's own stderr).
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    # Every CPO of a test is on 127.0.0.1: SGV may call loopback (not in SSRF tests).
    settings = {"OUTBOUND_ALLOW_PRIVATE": "1", **RELAXED_LIMITS, **settings}
    env = sgv_environment(database_url, PUBLIC_URL=base_url, **settings)
    process = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            *args,
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stderr=stderr,
    )
    try:
        wait_until_up(base_url + "/healthz", process, start_timeout)
        yield base_url
    finally:
        stop(process)


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """Stop a server process: SIGTERM, then SIGKILL if it has not ended within `timeout`."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def redis_server() -> Iterator[str]:
    """Run a real redis-server on a free loopback port, in an empty directory; yield its URL."""
    import redis  # only the tests and benches that need Redis pay for the import

    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        raise RuntimeError("redis-server is not installed: apt-get install redis-server")
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="sgv-redis-")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", workdir,
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        stop(process)
        shutil.rmtree(workdir, ignore_errors=True)


def flask_db(database_url: str, *args: str) -> subprocess.CompletedProcess:
    """Run `flask --app app db ARGS` (migrations) on `database_url` as an operator would."""
    return subprocess.run(
        [str(BIN / "flask"), "--app", "app", "db", *args],
        cwd=ROOT,
        env=sgv_environment(database_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
