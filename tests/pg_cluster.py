"""Throw-away PostgreSQL clusters of a test's own: one to stop and start (a database
outage), and a streaming replica of the test server (public reads on a replica).

The shared test cluster must stay up for every other test, so an outage test starts its
own (initdb in a temporary directory, a free port, 127.0.0.1 only) and deletes it after.
As root the cluster runs as `postgres`, because PostgreSQL refuses to run as root
(scripts/lib/setup.sh does the same).
"""

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from tests.servers import free_port


def pg_bin() -> Path:
    """Return the bin directory of the newest PostgreSQL server installed."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda path: int(path.parent.parent.name),
    )
    if not found:
        raise RuntimeError("no PostgreSQL server in /usr/lib/postgresql: run scripts/test")
    return found[-1].parent


def as_owner(*command: str) -> list[str]:
    """Return `command` run as the cluster's owner: postgres when we are root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


@dataclass
class Cluster:
    """A running cluster: where it lives, its port, and how to stop and start it."""

    directory: Path
    port: int

    def pg_ctl(self, *args: str) -> None:
        command = [str(pg_bin() / "pg_ctl"), "-D", str(self.directory / "data"), *args]
        subprocess.run(as_owner(*command), check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.pg_ctl("-l", str(self.directory / "postgres.log"), "-w", "-o", options, "start")

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql://sgv@127.0.0.1:{self.port}/{database}"


@contextmanager
def throwaway_cluster() -> Iterator[Cluster]:
    """Create and start a cluster of our own on a free port; stop and delete it after."""
    directory = Path(tempfile.mkdtemp(prefix="sgv-test-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    cluster = Cluster(directory, free_port())
    initdb = [str(pg_bin() / "initdb"), "-D", str(directory / "data"), "-U", "sgv"]
    subprocess.run(
        as_owner(*initdb, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"),
        check=True,
        capture_output=True,
        timeout=120,
    )
    try:
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class Replica(Cluster):
    """A streaming replica of another server, started by streaming_replica()."""

    def replayed(self) -> str:
        """Return how far it has replayed the primary's WAL (a pg_lsn's text)."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            return conn.execute("SELECT pg_last_wal_replay_lsn()::text").fetchone()[0]

    def apply_delay(self, seconds: float) -> None:
        """Replay each commit `seconds` after the primary made it (0: at once)."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"ALTER SYSTEM SET recovery_min_apply_delay = '{int(seconds * 1000)}ms'")
            conn.execute("SELECT pg_reload_conf()")
            shown = f"{int(seconds * 1000)}ms" if seconds else "0"
            deadline = time.monotonic() + 10
            while conn.execute("SHOW recovery_min_apply_delay").fetchone()[0] not in (
                shown,
                f"{seconds:g}s",
            ):
                if time.monotonic() > deadline:
                    raise RuntimeError("the replica did not take recovery_min_apply_delay")
                time.sleep(0.02)

    def catch_up(self, primary_url: str, timeout: float = 30.0) -> None:
        """Wait until the replica has replayed everything the primary has written so far."""
        with psycopg.connect(primary_url, autocommit=True) as conn:
            target = conn.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            deadline = time.monotonic() + timeout
            while not conn.execute(
                "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (str(target),)
            ).fetchone()[0]:
                if time.monotonic() > deadline:
                    raise RuntimeError("the replica did not catch up")
                time.sleep(0.02)


@contextmanager
def streaming_replica(primary_url: str) -> Iterator[Replica]:
    """Start a hot standby of the server at `primary_url` (pg_basebackup -R), on a free port.

    It streams from the primary's WAL as a production replica would, in a temporary
    directory owned by the cluster's owner (postgres when we are root); stopped and
    deleted after.
    """
    primary = make_url(primary_url)
    directory = Path(tempfile.mkdtemp(prefix="sgv-test-replica-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    replica = Replica(directory, free_port())
    backup = [str(pg_bin() / "pg_basebackup"), "-h", primary.host or "127.0.0.1",
              "-p", str(primary.port or 5432), "-U", primary.username or "sgv",
              "-D", str(directory / "data"), "-R", "-X", "stream", "-c", "fast",
              "--no-sync"]  # fmt: skip
    for attempt in range(3):  # a database dropped mid-copy by a parallel run fails it
        shutil.rmtree(directory / "data", ignore_errors=True)
        done = subprocess.run(as_owner(*backup), capture_output=True, text=True, timeout=300)
        if done.returncode == 0:
            break
        if attempt == 2:
            raise RuntimeError(f"pg_basebackup failed: {done.stderr.strip()}")
    try:
        replica.start()
        yield replica
    finally:
        try:
            replica.stop()
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(directory, ignore_errors=True)
