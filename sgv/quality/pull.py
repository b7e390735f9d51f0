"""Fetch a CPO's locations and tariffs for the hourly check, validating object by object.

No database here: the check fetches everything first and writes afterwards, so no row
lock is held while a slow CPO answers (its own pushes would wait for it). The price is
memory: one CPO's changed objects (a full sync: all of them) are held at once.

Time: each call ends within SGV_HTTP_TIMEOUT, and everything asked of one CPO (both
modules, every page, the retry) within SGV_CHECK_CPO_DEADLINE, after which the check
of that CPO fails and the run goes on with the next CPO.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marshmallow import ValidationError

from sgv.ocpi import client
from sgv.ocpi.schemas import LoadResult, describe, load_location, load_tariff

log = logging.getLogger(__name__)

MODULES = ("locations", "tariffs")
LOADERS: dict[str, Callable[..., LoadResult]] = {
    "locations": load_location,
    "tariffs": load_tariff,
}
REJECTIONS_KEPT = 50  # rejected objects listed in a CheckRun's details; all are counted


@dataclass(frozen=True)
class Plan:
    """What one check of one CPO asks, read from the party before any HTTP call."""

    label: str  # ES*ABC, for messages
    owner: tuple[str, str]  # the CPO's country_code and party_id
    version: str
    token: str = field(repr=False)  # never in a log line
    encoding: str
    urls: dict[str, str]  # module -> Sender URL
    date_from: datetime | None  # None: a full pull
    timeout: float
    retry_delay: float
    page_size: int
    max_pages: int
    our_party: tuple[str, str]
    budget: float  # SGV_CHECK_CPO_DEADLINE, for messages
    deadline: float  # time.monotonic() by which everything asked of this CPO ends
    allow_private: client.Allowance = False

    def out_of_time(self) -> bool:
        """Say whether this CPO's deadline has passed."""
        return time.monotonic() >= self.deadline

    def late(self) -> client.CpoUnreachable:
        """Return the failure of a check that reached this CPO's deadline."""
        return client.CpoUnreachable(
            f"the check of {self.label} stopped at its deadline of {self.budget:g} s "
            "(SGV_CHECK_CPO_DEADLINE)"
        )


@dataclass
class Valid:
    """A pulled object that passed its version's schema."""

    object_id: str
    raw: dict
    data: dict
    warnings: list[str]

    def arguments(self) -> tuple[str, dict, dict, list[str]]:
        """Return what ingest's put functions take after the party."""
        return self.object_id, self.raw, self.data, self.warnings


@dataclass
class Pulled:
    """What one module's pull returned: valid objects by lower-cased id, and the refused."""

    module: str
    objects: dict[str, Valid] = field(default_factory=dict)
    rejected: list[dict] = field(default_factory=list)  # {"id", "reason"}
    rejected_ids: set[str] = field(default_factory=set)  # lower-cased: still at the CPO
    returned: int = 0
    pages: int = 0
    complete: bool = False
    stopped: str | None = None
    warnings: list[str] = field(default_factory=list)  # what the crawl worked around
    encoding: str | None = None  # the token form that worked
    attempts: int = 1

    def reject(self, object_id: Any, reason: str) -> None:
        """Count an object that cannot be applied, keeping the first reasons."""
        shown = str(object_id) if object_id is not None else None
        if shown:
            self.rejected_ids.add(shown.lower())
        self.rejected.append({"module": self.module, "id": shown, "reason": reason})

    def keep(self, item: Valid) -> None:
        """Keep a valid object; the same id twice (pages shifted mid-crawl): the newer wins."""
        key = item.object_id.lower()
        held = self.objects.get(key)
        if held is None or item.data["last_updated"] >= held.data["last_updated"]:
            self.objects[key] = item

    def summary(self) -> dict:
        """Return the figures kept in a CheckRun's details."""
        return {
            "returned": self.returned,
            "valid": len(self.objects),
            "rejected": len(self.rejected),
            "pages": self.pages,
            "complete": self.complete,
            "stopped": self.stopped,
            "warnings": self.warnings,
            "attempts": self.attempts,
        }


def warnings_in(details: dict | None) -> list[str]:
    """Return the warnings a CheckRun's pulls recorded, module by module."""
    modules = (details or {}).get("modules", {})
    return [warning for module in modules.values() for warning in module.get("warnings", [])]


def validate(pulled: Pulled, plan: Plan, raw: Any) -> None:
    """Validate one pulled object with the version's schema; one bad object sinks no other."""
    object_id = raw.get("id") if isinstance(raw, dict) else None
    try:
        result = LOADERS[pulled.module](plan.version, raw)
    except ValidationError as error:
        pulled.reject(object_id, describe(error))
        return
    data = result.data
    owner = (data.get("country_code"), data.get("party_id"))
    # 2.1.1 objects carry no owner; 2.2.x ones must be the CPO's own (research §1.6, step 5).
    if owner != (None, None) and tuple(str(v).upper() for v in owner) != plan.owner:
        pulled.reject(object_id, f"belongs to {owner[0]}*{owner[1]}, not {'*'.join(plan.owner)}")
        return
    pulled.keep(Valid(str(data["id"]), raw, data, result.warnings))


def crawl(plan: Plan, module: str) -> Pulled:
    """Pull one module once, page by page; a failed call raises client.CpoError."""
    pulled = Pulled(module)
    with client.pull(
        plan.urls[module],
        plan.token,
        version=plan.version,
        encoding=plan.encoding,
        timeout=plan.timeout,
        date_from=plan.date_from,
        limit=plan.page_size,
        max_pages=plan.max_pages,
        our_party=plan.our_party,
        their_party=plan.owner,
        allow_private=plan.allow_private,
        within=plan.deadline,
    ) as pages:
        for raw in pages:
            pulled.returned += 1
            validate(pulled, plan, raw)
        pulled.pages, pulled.complete, pulled.stopped = pages.pages, pages.complete, pages.stopped
        pulled.warnings = [f"{module}: {warning}" for warning in pages.warnings]
        pulled.encoding = pages.encoding
    return pulled


def fetch(plan: Plan, module: str) -> Pulled:
    """Pull one module, retrying once from the first page after a short delay.

    Past the CPO's deadline nothing more is asked, and the failure says so.
    """
    if plan.out_of_time():
        raise plan.late()
    try:
        return crawl(plan, module)
    except client.CpoError as error:
        if plan.out_of_time():
            raise plan.late() from error
        log.warning("check %s: %s failed, retrying: %s", plan.label, module, error)
    time.sleep(min(plan.retry_delay, max(plan.deadline - time.monotonic(), 0)))
    try:
        pulled = crawl(plan, module)
    except client.CpoError as error:
        if plan.out_of_time():
            raise plan.late() from error
        raise
    pulled.attempts = 2
    return pulled
