"""Production settings for `gunicorn wsgi:app`, read from the working directory.

Override with gunicorn's own flags or GUNICORN_CMD_ARGS; WEB_CONCURRENCY sets workers.
"""

import multiprocessing
import os

bind = os.environ.get("SGV_BIND", "127.0.0.1:5000")
# Requests spend most of their time waiting for PostgreSQL: a few processes, each with
# threads, keep both cores busy without a connection per request.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("SGV_THREADS", 4))
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 10_000  # recycle workers now and then, with jitter so they don't all at once
max_requests_jitter = 1_000
accesslog = os.environ.get("SGV_ACCESS_LOG") or None
errorlog = "-"
