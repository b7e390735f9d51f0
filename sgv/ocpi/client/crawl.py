"""Pulling a CPO's Sender interface page by page (SPEC §3, as a client; §5, the check).

Pagination follows `Link`, else `X-Total-Count` and offsets; guards stop a crawl that
repeats or does not advance. A `Link` to another origin than the registered URL (an
extrawest-ocpi CPO writes https://OCPI_HOST/… whatever it serves) is never followed —
the token would go there — but the crawl goes on by offset/limit on the registered URL
while `X-Total-Count` says more, and says so in `warnings`.
"""

import logging
import re
from collections.abc import Iterator
from datetime import datetime
from types import TracebackType
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests

from sgv.core.times import utc_text
from sgv.ocpi.client.calls import CpoUnreachable, call, new_id, routing_headers
from sgv.ocpi.client.guard import Allowance
from sgv.ocpi.client.transport import Outbound

log = logging.getLogger(__name__)


def with_query(url: str, **params: str | int | None) -> str:
    """Return the URL with query parameters set (None removes one), others kept."""
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    for name, value in params.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = str(value)
    # ':' stays readable in date_from; '+' in an offset would be read as a space, never sent.
    return urlunsplit(parts._replace(query=urlencode(query, safe=":")))


def origin(url: str) -> tuple[str, str, int | None]:
    """Return scheme, host and port: where a token may be sent."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def canonical(url: str) -> str:
    """Return the URL with sorted query parameters, to spot a repeated page."""
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit(parts._replace(query=query, fragment=""))


LINK = re.compile(r"<([^>]*)>([^<]*)")
REL = re.compile(r'rel\s*=\s*"?([^";,]*)"?', re.IGNORECASE)


def next_link(header: str | None, current: str) -> str | None:
    """Return the rel="next" URL of a Link header (possibly empty or several links)."""
    for target, params in LINK.findall(header or ""):
        rel = REL.search(params)
        if target.strip() and rel and "next" in rel.group(1).lower().split():
            return urljoin(current, target.strip())
    return None


def int_header(response: requests.Response, name: str) -> int | None:
    """Return a numeric header, or None when absent or not a number."""
    value = response.headers.get(name, "").strip()
    return int(value) if value.isdigit() else None


def offset_of(url: str) -> int | None:
    """Return the offset query parameter of a URL, if it is a number."""
    value = dict(parse_qsl(urlsplit(url).query)).get("offset", "")
    return int(value) if value.isdigit() else None


class Crawl(Iterator[dict]):
    """A pull from a Sender interface: iterate for the raw objects, then read how it ended.

    `complete` is True only when the CPO's own pagination said the last page was reached,
    so a full sync may treat what it did not see as gone. A guard that stops the crawl
    (repeated or non-advancing Link, empty page, Link to another host without
    X-Total-Count, page limit) leaves `complete` False and says why in `stopped`; a Link
    to another host with X-Total-Count is replaced by offsets, noted in `warnings`. A
    failed call raises CpoError; objects already yielded stay yielded. Each page is a
    call within `timeout`; `within` (a time.monotonic() deadline) ends the whole crawl,
    however many pages are left.
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        version: str,
        encoding: str,
        timeout: float,
        date_from: datetime | None = None,
        date_to: datetime | None = None,
        limit: int = 100,
        max_pages: int = 1000,
        our_party: tuple[str, str] = ("ES", "SGV"),
        their_party: tuple[str, str] | None = None,
        correlation_id: str | None = None,
        allow_private: Allowance = False,
        within: float | None = None,
    ) -> None:
        self.url = url
        self.version = version
        self.encoding = encoding  # updated to the form that worked, after a 401 retry
        self.limit = limit
        self.max_pages = max_pages
        self.pages = 0
        self.objects = 0
        self.total_count: int | None = None  # the last X-Total-Count seen
        self.server_limit: int | None = None  # the last X-Limit seen
        self.complete = False
        self.stopped: str | None = None
        self.warnings: list[str] = []  # what the crawl worked around, for the CPO's report
        self.by_offset = False  # the Link header proved unusable: offsets from then on
        self.first_url = with_query(
            url,
            date_from=utc_text(date_from) if date_from else None,
            date_to=utc_text(date_to) if date_to else None,
            offset=0,
            limit=limit,
        )
        self._token = token
        self._timeout = timeout
        self._allow_private = allow_private
        self._within = within
        self._headers = routing_headers(version, our_party, their_party)
        self._correlation_id = correlation_id or new_id()
        self._items = self._crawl()

    def __next__(self) -> dict:
        return next(self._items)

    def close(self) -> None:
        """Stop early and release the connection."""
        self._items.close()

    def __enter__(self) -> "Crawl":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def _stop(self, reason: str) -> None:
        self.stopped = reason
        log.warning("pull %s stopped after %d pages: %s", self.url, self.pages, reason)

    def _guard(self, url: str, previous: str | None, seen: set[str]) -> str | None:
        """Return why the crawl must not fetch `url`, or None when it may."""
        if canonical(url) in seen:
            return f"the Link header repeats {url}"
        if origin(url) != origin(self.url):
            return f"the Link header leaves the registered host: {url}"
        if previous is not None:
            before, after = offset_of(previous), offset_of(url)
            if before is not None and after is not None and after <= before:
                return f"the Link header does not advance (offset {before} then {after})"
        if self.pages >= self.max_pages:
            return f"more than {self.max_pages} pages"
        return None

    def _crawl(self) -> Iterator[dict]:
        seen: set[str] = set()
        url, previous = self.first_url, None
        with Outbound(self._allow_private) as session:
            while True:
                reason = self._guard(url, previous, seen)
                if reason:
                    self._stop(reason)
                    return
                seen.add(canonical(url))
                answer = call(
                    session,
                    "GET",
                    url,
                    self._token,
                    encoding=self.encoding,
                    timeout=self._timeout,
                    correlation_id=self._correlation_id,
                    headers=self._headers,
                    within=self._within,
                )
                self.encoding = answer.encoding
                self.pages += 1
                items = [] if answer.data is None else answer.data
                if not isinstance(items, list):
                    raise CpoUnreachable(f"GET {url}: data is not a list", url=url)
                self.total_count = int_header(answer.response, "X-Total-Count")
                self.server_limit = int_header(answer.response, "X-Limit")
                following = self._usable(next_link(answer.response.headers.get("Link"), url))
                if following is None:
                    following = self._by_offset(url, len(items))
                if self.by_offset and following is None and self.total_count is None:
                    self.objects += len(items)
                    yield from items
                    self._stop(
                        "the Link header leaves the registered host, and no X-Total-Count "
                        "allows paging by offset on the registered URL"
                    )
                    return
                if following is not None and not items:
                    self._stop(f"empty page at {url} although more were announced")
                    return
                self.objects += len(items)
                yield from items
                if following is None:
                    self.complete = True
                    return
                url, previous = following, url

    def _usable(self, link: str | None) -> str | None:
        """Return the Link target, or None when it leaves the registered origin (noted)."""
        if link is None or origin(link) == origin(self.url):
            return None if self.by_offset else link
        if not self.by_offset:
            self.by_offset = True
            self.warnings.append(
                f"the Link header leaves the registered host ({link}): "
                "continued by offset/limit on the registered URL"
            )
        return None

    def _by_offset(self, url: str, received: int) -> str | None:
        """Return the next page by offset when Link is missing but X-Total-Count says more."""
        if self.total_count is None:
            return None
        reached = (offset_of(url) or 0) + received
        if reached >= self.total_count:
            return None
        return with_query(self.first_url, offset=reached)


# Pull a CPO's Sender interface page by page, yielding raw (unvalidated) objects; the
# Crawl tells afterwards whether it reached the last page (`complete`, `stopped`).
pull = Crawl
