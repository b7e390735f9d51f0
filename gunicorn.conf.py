"""Production settings for `gunicorn wsgi:app`, read from the working directory.

Override with gunicorn's own flags or GUNICORN_CMD_ARGS; WEB_CONCURRENCY sets workers.
"""

import gc
import multiprocessing
import os

from sgv.config import Defaults
from sgv.core import metrics_server

bind = os.environ.get("SGV_BIND", "127.0.0.1:5000")
# One process per core, each with threads: requests spend much of their time waiting for
# PostgreSQL, and on few cores more processes than cores cost more in context switches
# than they gain — measured on 2 cores, 2 workers × 8 threads spend half the CPU per OCPI
# push of 5 × 4, and 4 × 4 less than 2 × 4 (docs/performance.md).
# At least two, so a recycled worker never leaves nobody serving.
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
worker_class = "gthread"
# Each worker listens on a socket of its own (SO_REUSEPORT) and the kernel spreads new
# connections over them by address hash. On one shared socket, whichever worker polled
# first took them all: a CPO's (or wrk's) keep-alive connections piled onto one worker
# while the other idled, and PATCH throughput flipped between ~480 and ~870 req/s from
# run to run (issue #18, docs/performance.md). Only processes of the same user may bind
# the port beside them (Linux).
reuse_port = True
threads = int(os.environ.get("SGV_THREADS", Defaults.THREADS))
timeout = 30
graceful_timeout = 20
# Idle keep-alive connections live 75 s: longer than clients reuse them (the demo
# simulator every 5 s, CPOs' pools, nginx's upstream pool, which deploy/nginx.conf closes
# after 60 s idle). At 5 s, a client reusing a connection idle for about 5 s raced
# gunicorn closing it, and lost the push to RemoteDisconnected or ConnectionResetError
# (issue #15; tests/test_front.py). Idle connections wait in the poller, not in threads.
keepalive = 75
# A 10 KB Authorization header reaches the app, which answers in the OCPI envelope
# (nginx accepts header lines up to the same 16 KB, deploy/nginx.conf); beyond, gunicorn
# alone answers its own HTML 431. The request line is gunicorn's maximum, 8190.
limit_request_field_size = 16384
limit_request_line = 8190
# The address of the client is the peer's, unless the peer is a trusted proxy
# (SGV_TRUSTED_PROXIES, sgv/core/proxy.py); gunicorn trusts X-Forwarded-Proto from it only.
forwarded_allow_ips = os.environ.get("SGV_TRUSTED_PROXIES", Defaults.TRUSTED_PROXIES)
# Recycle workers now and then, with jitter so they don't all at once; CPOs push hundreds
# of statuses a second, so not every few seconds.
max_requests = 100_000
max_requests_jitter = 10_000
accesslog = os.environ.get("SGV_ACCESS_LOG") or None
errorlog = "-"


def post_worker_init(worker) -> None:
    """Leave the loaded app's objects out of garbage collection.

    A full collection walks every object of Flask, SQLAlchemy and marshmallow: about
    60 ms in which none of the worker's threads answers, so it set the pushes' p99.
    Frozen, those objects are never scanned; what requests create still is.
    """
    gc.freeze()


# Prometheus metrics on SGV_METRICS_PORT, off when it is unset (sgv/core/metrics_server.py):
# the master prepares PROMETHEUS_MULTIPROC_DIR before the workers start, serves the merged
# samples, and forgets a dead worker's live gauges.
on_starting = metrics_server.on_starting
when_ready = metrics_server.when_ready
child_exit = metrics_server.child_exit
on_exit = metrics_server.on_exit
