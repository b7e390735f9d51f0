"""A throw-away PostgreSQL cluster of a test's own, to stop and start: a database outage.

The shared test cluster must stay up for every other test, so an outage test starts its
own (initdb in a temporary directory, a free port, 127.0.0.1 only) and deletes it after.
As root the cluster runs as `postgres`, because PostgreSQL refuses to run as root
(scripts/lib/setup.sh does the same).
"""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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
