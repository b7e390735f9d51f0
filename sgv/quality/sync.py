"""Apply what a check pulled: objects that differ from what the CPO pushed, and removals.

Each object is compared by content with what is stored (null fields left out, date-times
compared as instants to the second, so `…:09Z` equals `…:09.000+00:00`) and, when it
differs, applied through the same ingest functions as a push, under the same
last_updated rule. Each object gets its own savepoint: one that the database refuses
sinks no other. Everything is flushed; the check commits once.
"""

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import delete, func
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import selectinload

from sgv.core.dataversion import DYNAMIC, touch
from sgv.core.refusals import Refused
from sgv.extensions import db
from sgv.ingest import locations as ingest
from sgv.ingest import tariffs as ingest_tariffs
from sgv.models import Evse, Location, Party, Tariff
from sgv.ocpi.envelope import ocpi_timestamp
from sgv.quality.pull import Pulled, Valid

log = logging.getLogger(__name__)
T = TypeVar("T")

DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$", re.I
)
CHUNK = 500  # ids per preloading query
REFUSED = (Refused, IntegrityError, DataError)


@dataclass
class Tally:
    """What applying one check changed."""

    not_pushed: dict[str, list[str]] = field(default_factory=dict)  # module -> ids applied
    older: dict[str, list[str]] = field(default_factory=dict)  # differed, older than stored
    removed: dict[str, list[str]] = field(default_factory=dict)  # full sync: gone at the CPO
    refused: list[dict] = field(default_factory=list)  # valid objects the database refused

    def note(self, kind: dict[str, list[str]], module: str, object_id: str) -> None:
        """Record an object id under a kind and module."""
        kind.setdefault(module, []).append(object_id)

    def count(self, kind: dict[str, list[str]]) -> int:
        """Return how many objects a kind holds over every module."""
        return sum(len(ids) for ids in kind.values())


def comparable(value: Any) -> Any:
    """Return a value in the form two equal OCPI objects share: no nulls, instants in UTC."""
    if isinstance(value, dict):
        return {k: comparable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [comparable(v) for v in value]
    if isinstance(value, str) and DATE_TIME.match(value):
        try:
            moment = datetime.fromisoformat(value.upper())
        except ValueError:
            return value
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return ocpi_timestamp(moment)
    return value


def same(stored: dict, pulled: dict) -> bool:
    """Say whether a stored object and a pulled one hold the same content."""
    return comparable(stored) == comparable(pulled)


def stored_location(location: Location, raw: dict) -> dict:
    """Return the stored Location as pushed, without EVSEs removed here that the CPO omits."""
    listed = {str(e.get("uid", "")).lower() for e in raw.get("evses") or [] if isinstance(e, dict)}
    document = ingest.location_document(location)
    document["evses"] = [
        e
        for e, evse in zip(document["evses"], location.evses, strict=True)
        if evse.status != "REMOVED" or evse.uid.lower() in listed
    ]
    return document


def chunks(keys: Iterable[str]) -> Iterable[list[str]]:
    """Split keys into lists short enough for one IN clause."""
    keys = list(keys)
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]


def stored_locations(party: Party, keys: Iterable[str]) -> dict[str, Location]:
    """Load the party's locations with these lower-cased ids, EVSEs and connectors included."""
    found: dict[str, Location] = {}
    for part in chunks(keys):
        query = (
            db.select(Location)
            .where(Location.party_fk == party.id, func.lower(Location.location_id).in_(part))
            .options(selectinload(Location.evses).selectinload(Evse.connectors))
        )
        found |= {loc.location_id.lower(): loc for loc in db.session.scalars(query)}
    return found


def stored_tariffs(party: Party, keys: Iterable[str]) -> dict[str, Tariff]:
    """Load the party's tariffs with these lower-cased ids."""
    found: dict[str, Tariff] = {}
    for part in chunks(keys):
        query = db.select(Tariff).where(
            Tariff.party_fk == party.id, func.lower(Tariff.tariff_id).in_(part)
        )
        found |= {tariff.tariff_id.lower(): tariff for tariff in db.session.scalars(query)}
    return found


def attempt(
    tally: Tally, module: str, item: Valid, action: Callable[..., T], *args: Any
) -> T | None:
    """Run one object's writes in a savepoint; a refusal is counted and sinks nothing else."""
    try:
        with db.session.begin_nested():
            return action(*args)
    except OperationalError:
        raise  # the database itself is gone: the whole check cannot run
    except REFUSED as error:
        reason = str(error).splitlines()[0]
    except Exception:
        # An object our code cannot handle must not sink the others; the log has the trace.
        log.exception("check: applying %s %s failed", module, item.object_id)
        reason = "internal error while applying (see the platform's log)"
    tally.refused.append({"module": module, "id": item.object_id, "reason": reason})
    return None


def newer_evses(party: Party, location: Location, item: Valid) -> int:
    """Apply the EVSEs of a location that is older as a whole but holds newer EVSEs.

    Some Sender interfaces do not carry an EVSE's last_updated up to its location; a
    forgotten status push must still be corrected.
    """
    held = {evse.uid.lower(): evse for evse in location.evses}
    applied = 0
    raws, evses = item.raw.get("evses") or [], item.data.get("evses") or []
    for raw, data in zip(raws, evses, strict=True):
        evse = held.get(data["uid"].lower())
        if evse is not None and same(ingest.evse_document(evse), raw):
            continue
        outcome = ingest.put_evse(party, location.location_id, data["uid"], raw, data, [])
        applied += outcome is not ingest.Outcome.STALE
    return applied


def apply_location(party: Party, item: Valid, location: Location | None) -> bool:
    """Apply a pulled Location (or its newer EVSEs); return whether anything changed."""
    outcome = ingest.put_location(party, *item.arguments())
    if outcome is not ingest.Outcome.STALE:
        return True
    return location is not None and newer_evses(party, location, item) > 0


def sync_locations(party: Party, pulled: Pulled, tally: Tally) -> None:
    """Apply every pulled Location that differs from the stored one."""
    stored = stored_locations(party, pulled.objects)
    for key, item in pulled.objects.items():
        location = stored.get(key)
        if location is not None and same(stored_location(location, item.raw), item.raw):
            continue
        changed = attempt(tally, "locations", item, apply_location, party, item, location)
        if changed is not None:
            tally.note(tally.not_pushed if changed else tally.older, "locations", item.object_id)


def sync_tariffs(party: Party, pulled: Pulled, tally: Tally) -> None:
    """Apply every pulled Tariff that differs from the stored one."""
    stored = stored_tariffs(party, pulled.objects)
    for key, item in pulled.objects.items():
        tariff = stored.get(key)
        if tariff is not None and same(tariff.data, item.raw):
            continue
        outcome = attempt(
            tally, "tariffs", item, ingest_tariffs.put_tariff, party, *item.arguments()
        )
        if outcome is not None:
            applied = outcome is not ingest.Outcome.STALE
            tally.note(tally.not_pushed if applied else tally.older, "tariffs", item.object_id)


def absent(pulled: Pulled, rows: Iterable[tuple[int, str]]) -> dict[int, str]:
    """Return the stored rows whose id a complete pull did not list, valid or not."""
    listed = set(pulled.objects) | pulled.rejected_ids
    return {key: object_id for key, object_id in rows if object_id.lower() not in listed}


def remove_locations(party: Party, pulled: Pulled, moment: datetime, tally: Tally) -> None:
    """Hide the locations a complete full pull no longer lists: every EVSE becomes REMOVED."""
    rows = db.session.execute(
        db.select(Location.id, Location.location_id).where(Location.party_fk == party.id)
    )
    gone = absent(pulled, rows.all())
    if not gone:
        return
    evses = db.session.scalars(
        db.select(Evse).where(Evse.location_fk.in_(gone), Evse.status != "REMOVED")
    )
    hidden = set()
    for evse in evses:
        # last_updated stays: a later push of the same object must still be applied.
        evse.status, evse.status_updated_at = "REMOVED", moment
        evse.data = {**evse.data, "status": "REMOVED"}
        hidden.add(evse.location_fk)
    for key in sorted(hidden):
        tally.note(tally.removed, "locations", gone[key])
    if hidden:
        touch(DYNAMIC)
    db.session.flush()


def remove_tariffs(party: Party, pulled: Pulled, tally: Tally) -> None:
    """Delete the tariffs a complete full pull no longer lists."""
    rows = db.session.execute(
        db.select(Tariff.id, Tariff.tariff_id).where(Tariff.party_fk == party.id)
    )
    gone = absent(pulled, rows.all())
    if gone:
        db.session.execute(delete(Tariff).where(Tariff.id.in_(gone)))
        touch(DYNAMIC)
        for object_id in sorted(gone.values()):
            tally.note(tally.removed, "tariffs", object_id)
