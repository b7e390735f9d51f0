"""The metrics endpoint on SGV_METRICS_PORT, run by the gunicorn master (gunicorn.conf.py).

prometheus-client's multiprocess mode, as its documentation sets it up for gunicorn:
PROMETHEUS_MULTIPROC_DIR is chosen (and emptied of a previous run's files) before any
worker imports the library, each worker writes its samples to its own files there, a dead
worker's live gauges are dropped (`child_exit` → `mark_process_dead`), and one HTTP
server in the master, on its own address and port, merges the files on each scrape. The
public app's URL map never serves /metrics. Files written by scheduled jobs under their
job's name (sgv/core/metrics.py, `for_job`) survive a restart: their counters go on.
"""

import glob
import os
import shutil
import tempfile
from typing import Any

from sgv.config import Defaults

DIR = "PROMETHEUS_MULTIPROC_DIR"
_created: list[str] = []  # a directory this master made, removed when it exits


def port() -> int | None:
    """Return SGV_METRICS_PORT as a number, None when unset; a bad value stops the start."""
    value = os.environ.get("SGV_METRICS_PORT", str(Defaults.METRICS_PORT)).strip()
    if not value:
        return None
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ValueError(f"SGV_METRICS_PORT must be a TCP port number (1-65535), not {value!r}")
    return int(value)


def prepare() -> None:
    """Choose and empty the samples directory; call before the workers import the app."""
    if port() is None:
        return
    path = os.environ.get(DIR)
    if not path:
        path = tempfile.mkdtemp(prefix="sgv-metrics-")
        _created.append(path)
        os.environ[DIR] = path  # the workers inherit it
    os.makedirs(path, exist_ok=True)
    for name in glob.glob(os.path.join(path, "*.db")):
        if "_job-" not in os.path.basename(name):  # a previous run's workers
            os.remove(name)


def on_starting(server: Any) -> None:
    """gunicorn hook, in the master before the workers exist."""
    prepare()


def when_ready(server: Any) -> None:
    """gunicorn hook, in the master once it listens: serve the merged samples."""
    number = port()
    if number is None:
        return
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    address = os.environ.get("SGV_METRICS_ADDRESS", Defaults.METRICS_ADDRESS)
    start_http_server(number, addr=address, registry=registry)
    server.log.info("Prometheus metrics on http://%s:%d/metrics", address, number)


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn hook, in the master when a worker ended: drop its live gauges."""
    if port() is not None and os.environ.get(DIR):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    """gunicorn hook: remove the samples directory this master created."""
    for path in _created:
        shutil.rmtree(path, ignore_errors=True)
