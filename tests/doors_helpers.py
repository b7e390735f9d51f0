"""For tests/test_doors.py: every public cached surface, fetched from gunicorn with the
worker that answered, compared with a fresh rendering from an uncached app.

gunicorn writes each request's X-Probe header and its worker's pid to the access log
(GUNICORN_CMD_ARGS), so a test knows that both workers were warmed and that both
answer fresh, instead of hoping the kernel spread the requests.
"""

import difflib
import gzip
import http.client
import json
import re
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask

# Every public document the platform caches or answers with a validator (SPEC §8).
SURFACES = (
    "/map/sites.json",
    "/map/ids.json",
    "/map/places.json",
    "/map/live.json",
    "/map/installations/INST1.json",
    "/map/installations/INST2.json",
    "/installations/INST1",
    "/opendata/installations.json",
    "/opendata/installations.geojson",
    "/opendata/installations.csv",
    "/opendata/status.json",
    "/opendata/status.json?since=2000-01-01T00:00:00Z",
)
ENCODINGS = ("identity", "gzip")
Variant = tuple[str, str]  # (path, encoding)
VARIANTS: tuple[Variant, ...] = tuple((p, e) for p in SURFACES for e in ENCODINGS)
Request = tuple[Variant, dict[str, str] | None]  # a variant and extra request headers
ACCESS_LOG_FORMAT = "%({x-probe}i)s %(p)s"  # gunicorn --access-logformat
COPIES = 3  # requests per variant and round, sent together so both workers take some

# Differs between two renderings of the same data: the export's generation time and the
# installation page's "status 3 min ago".
MOVING = (
    (re.compile(r'"generated_at": ?"[^"]*"'), '"generated_at": "…"'),
    (re.compile(r"(<time datetime=\"[^\"]*\">)[^<]*(</time>)"), r"\1…\2"),
)


@dataclass(frozen=True)
class Answer:
    """One answer: status, body (gunzipped, normalised), validators, who gave it, when."""

    status: int
    body: str
    etag: str | None = None
    last_modified: str | None = None
    worker: str | None = None
    sent: float = 0.0


def readable(raw: bytes, encoding: str | None) -> str:
    """Return a body as comparable text: gunzipped, moving parts blanked, JSON indented."""
    text = (gzip.decompress(raw) if encoding == "gzip" and raw else raw).decode()
    for pattern, blank in MOVING:
        text = pattern.sub(blank, text)
    try:
        return json.dumps(json.loads(text), indent=1, ensure_ascii=False)
    except ValueError:
        return text


def request_headers(encoding: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    accept = {"Accept-Encoding": "gzip"} if encoding == "gzip" else {}
    return {**accept, **(extra or {})}


class Gunicorn:
    """The app under gunicorn, whose access log names the worker of every probe."""

    def __init__(self, base_url: str, access_log: Path) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.access_log = access_log
        self.worker_of: dict[str, str] = {}
        self._offset = 0

    def get(self, variant: Variant, extra: dict[str, str] | None = None) -> tuple[str, Answer]:
        """GET one variant on a connection of its own; return its probe id and answer."""
        path, encoding = variant
        probe = uuid.uuid4().hex
        headers = request_headers(
            encoding, {"X-Probe": probe, "Connection": "close", **(extra or {})}
        )
        sent = time.monotonic()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        body = readable(raw, response.getheader("Content-Encoding"))
        etag, modified = response.getheader("ETag"), response.getheader("Last-Modified")
        return probe, Answer(response.status, body, etag, modified, sent=sent)

    def fetch(self, requests: Iterable[Request]) -> list[tuple[Variant, Answer]]:
        """Send the requests concurrently; return each answer with its worker's pid."""
        requests = list(requests)
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda r: self.get(*r), requests))
        self.read_log({probe for probe, _ in results})
        return [
            (variant, replace(answer, worker=self.worker_of[probe]))
            for (variant, _), (probe, answer) in zip(requests, results, strict=True)
        ]

    def read_log(self, probes: set[str], timeout: float = 5.0) -> None:
        """Read the access log until it names the worker of every probe."""
        deadline = time.monotonic() + timeout
        while not probes <= self.worker_of.keys():
            with self.access_log.open("rb") as log:
                log.seek(self._offset)
                chunk = log.read()
            complete = chunk[: chunk.rfind(b"\n") + 1]
            self._offset += len(complete)
            for line in complete.decode().splitlines():
                probe, _, pid = line.partition(" ")
                self.worker_of[probe] = pid
            if time.monotonic() > deadline:
                raise AssertionError(f"gunicorn never logged {probes - self.worker_of.keys()}")
            if not probes <= self.worker_of.keys():
                time.sleep(0.01)


def fresh(app: Flask) -> dict[Variant, Answer]:
    """Render every surface from the database, through an app whose cache is a NullCache.

    One rendering per surface: its gzipped variant must unzip to the same document.
    """
    client = app.test_client()
    answers = {}
    for path in SURFACES:
        response = client.get(path)
        answer = Answer(response.status_code, readable(response.data, None))
        answers.update({(path, encoding): answer for encoding in ENCODINGS})
    return answers


def same(answer: Answer, expected: Answer) -> bool:
    return (answer.status, answer.body) == (expected.status, expected.body)


def difference(answer: Answer, expected: Answer, limit: int = 14) -> str:
    """Describe how a cached answer differs from the fresh rendering, in a short diff."""
    if answer.status != expected.status:
        return f"status {answer.status}, fresh rendering {expected.status}"
    lines = difflib.unified_diff(
        expected.body.splitlines(),
        answer.body.splitlines(),
        "fresh rendering",
        "served",
        n=1,
        lineterm="",
    )
    shown = list(lines)
    more = f"\n      … {len(shown) - limit} more lines" if len(shown) > limit else ""
    return "\n      ".join(["", *shown[:limit]]) + more


def name(variant: Variant) -> str:
    path, encoding = variant
    return f"{path} [{encoding}]"


def spread(server: Gunicorn, requests: list[Request], workers: int) -> list[list[Answer]]:
    """Send each request until every worker has answered it; return its answers."""
    answers: list[list[Answer]] = [[] for _ in requests]
    for _ in range(12):
        todo = [n for n, got in enumerate(answers) if len({a.worker for a in got}) < workers]
        if not todo:
            return answers
        numbers = [n for n in todo for _ in range(COPIES)]
        for n, (_, answer) in zip(numbers, server.fetch(requests[n] for n in numbers), strict=True):
            answers[n].append(answer)
    missed = [name(requests[n][0]) for n, got in enumerate(answers) if len(got) < workers]
    raise AssertionError(f"never reached all {workers} workers: {missed}")


def warm(server: Gunicorn, workers: int = 2) -> dict[Variant, list[Answer]]:
    """Fetch every variant until each worker has answered it (and so cached it)."""
    answers = spread(server, [(variant, None) for variant in VARIANTS], workers)
    return dict(zip(VARIANTS, answers, strict=True))


def settle(
    server: Gunicorn, rendering: Future, workers: set[str], deadline: float, patience: float = 4.0
) -> dict[tuple[Variant, str], Answer | None]:
    """Poll every worker for every variant until each has answered as `rendering` says.

    The write is late if an answer sent after `deadline` is stale: the caches may lag
    behind the database by at most that much, whatever the poll's own pace on a loaded
    machine. Polling stops when each (variant, worker) pair was answered fresh, or late,
    or after `patience` more seconds. Return the pairs that failed, with a stale answer
    (None: that worker never answered the variant at all).
    """
    pairs = {(variant, worker) for variant in VARIANTS for worker in workers}
    fresh_seen: set[tuple[Variant, str]] = set()
    late: dict[tuple[Variant, str], Answer] = {}
    unseen: list[tuple[Variant, Answer]] = []

    def judge() -> None:
        rendered = rendering.result()
        for variant, answer in unseen:
            key = (variant, answer.worker)
            if same(answer, rendered[variant]):
                fresh_seen.add(key)
            elif answer.sent > deadline:
                late[key] = answer
        unseen.clear()

    while (todo := {v for v, _ in pairs - fresh_seen - late.keys()}) and (
        time.monotonic() < deadline + patience
    ):
        unseen += server.fetch((v, None) for v in sorted(todo) for _ in range(COPIES))
        if rendering.done():
            judge()
    judge()
    return {key: late.get(key) for key in sorted(pairs - fresh_seen | late.keys())}


def revalidate(
    server: Gunicorn, before: dict[Variant, list[Answer]], after: dict[Variant, Answer]
) -> list[str]:
    """Send every old validator of each variant whose body changed; return the 304s."""
    requests: list[Request] = []
    for variant, answers in before.items():
        if all(same(answer, after[variant]) for answer in answers):
            continue  # nothing public changed here: a 304 is right
        for etag in sorted({a.etag for a in answers if a.etag}):
            requests.append((variant, {"If-None-Match": etag}))
        for moment in sorted({a.last_modified for a in answers if a.last_modified}):
            requests.append((variant, {"If-Modified-Since": moment}))
    if not requests:
        return []
    workers = len({a.worker for answers in before.values() for a in answers})
    refused = []
    for (variant, sent), answers in zip(requests, spread(server, requests, workers), strict=True):
        hit = sorted({a.worker for a in answers if a.status == 304})
        for header, value in (sent or {}).items():
            if hit:
                refused.append(f"{name(variant)}: 304 for the old {header} {value} ({hit})")
    return refused


def stale_report(late: dict[tuple[Variant, str], Answer | None], rendered: dict) -> list[str]:
    """Describe the stale answers: one line per variant, one diff per surface."""
    found: dict[Variant, list[tuple[str, Answer | None]]] = {}
    for (variant, worker), answer in sorted(late.items()):
        found.setdefault(variant, []).append((worker, answer))
    lines, diffed = [], set()
    for variant, answers in found.items():
        workers = [worker for worker, _ in answers]
        answer = next((a for _, a in answers if a is not None), None)
        if answer is None:
            detail = "never answered"
        elif variant[0] in diffed:
            detail = "stale, as above"
        else:
            detail = difference(answer, rendered[variant])
            diffed.add(variant[0])
        lines.append(f"{name(variant)} {workers}: {detail}")
    return lines
