"""Pushes on the hot path (SPEC §9) in a few SQL statements instead of the ORM.

A new Location is inserted with its EVSEs and connectors in one statement (the inventory
a CPO pushes when it integrates), and a PATCH of an EVSE's own fields (its status, above
all) is one statement touching two rows, run without a transaction around it. Both
follow exactly the rules of ingest/rules.py, like the general path in ingest/locations.py.
"""

import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnClause,
    Integer,
    Table,
    bindparam,
    column,
    func,
    insert,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import insert as pg_insert

from sgv.core.dataversion import DYNAMIC, STATIC, touch
from sgv.core.refusals import Kind, Refused
from sgv.core.times import utc_sql
from sgv.extensions import db
from sgv.ingest import matching, parking
from sgv.ingest.rules import Outcome, connector_row, evse_row, location_row
from sgv.models import Connector, Evse, Location, Party


def _records(name: str, table: Table, names: list[str], *extra: ColumnClause) -> Any:
    """jsonb_to_recordset(:name) AS name(column type, …): rows bound as one JSON array,
    typed like `table`'s columns of those names (plus `extra` ones)."""
    columns = [column(n, table.c[n].type) for n in names] + list(extra)
    rows = func.jsonb_to_recordset(bindparam(name, type_=JSONB))
    return rows.table_valued(*columns).render_derived(name=f"{name}_rows", with_types=True)


# The columns the row builders of ingest/rules.py fill, asked of the builders themselves
# so that the statement follows them.
LOCATION_KEYS = ["party_fk", "country_code", "party_id", "location_id", "warnings"] + list(
    location_row({}, {"coordinates": {"latitude": 0, "longitude": 0}, "last_updated": 0})
)
EVSE_KEYS = ["position", *evse_row({"connectors": []}, {"uid": 0, "status": 0, "last_updated": 0})]
CONNECTOR_KEYS = ["position", *connector_row({}, {"id": 0, "last_updated": 0})]


def _insert_location_statement() -> Any:
    """One statement inserting a new location, its EVSEs and their connectors.

    Built once: three round trips and the ORM's bulk paths cost more than the
    statement costs PostgreSQL (docs/performance.md).
    """
    location = (
        pg_insert(Location.__table__)
        .values({key: bindparam(key) for key in LOCATION_KEYS})
        .on_conflict_do_nothing(index_elements=[Location.party_fk, text("lower(location_id)")])
        .returning(Location.id)
        .cte("new_location")
    )
    evse_rows = _records("evses", Evse.__table__, EVSE_KEYS)
    evses = (
        insert(Evse.__table__)
        .from_select(
            ["location_fk", *EVSE_KEYS],
            select(location.c.id, *(evse_rows.c[key] for key in EVSE_KEYS)).join_from(
                location, evse_rows, true()
            ),
        )
        .returning(Evse.id, Evse.position)
        .cte("new_evses")
    )
    connector_rows = _records(
        "connectors", Connector.__table__, CONNECTOR_KEYS, column("evse_position", Integer)
    )
    connectors = (
        insert(Connector.__table__)
        .from_select(
            ["evse_fk", *CONNECTOR_KEYS],
            select(evses.c.id, *(connector_rows.c[key] for key in CONNECTOR_KEYS)).join_from(
                evses, connector_rows, evses.c.position == connector_rows.c.evse_position
            ),
        )
        .cte("new_connectors")
    )
    return select(location.c.id).add_cte(evses, connectors)


INSERT_LOCATION = _insert_location_statement()


def _json_row(row: dict) -> dict:
    """A row as JSON values: moments in ISO 8601 with their offset."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def create_location(
    party: Party, location_id: str, raw: dict, data: dict, warnings: list[str]
) -> Outcome | None:
    """Insert a Location with its EVSEs and connectors if it is new (None if it exists).

    The insert itself tells whether the location exists (ON CONFLICT on the party's
    case-insensitive id), so a new location costs no lookup; a concurrent first PUT of
    the same location waits for this one and then finds it.
    """
    raws, evses = raw.get("evses") or [], data.get("evses") or []
    pairs = list(zip(raws, evses, strict=True))
    location_pk = db.session.execute(
        INSERT_LOCATION,
        {
            "party_fk": party.id,
            "country_code": party.country_code,
            "party_id": party.party_id,
            "location_id": location_id,
            "warnings": warnings,
            **location_row(raw, data),
            "evses": [
                _json_row({"position": position, **evse_row(r, d)})
                for position, (r, d) in enumerate(pairs)
            ],
            "connectors": [
                _json_row({"evse_position": evse, "position": position, **connector_row(r, d)})
                for evse, (raw_evse, loaded) in enumerate(pairs)
                for position, (r, d) in enumerate(
                    zip(raw_evse.get("connectors") or [], loaded["connectors"], strict=True)
                )
            ],
        },
    ).scalar_one_or_none()
    if location_pk is None:
        return None
    parking.store(location_pk, location_id, data, partial=False, new=True)
    matching.match([location_pk])
    touch(STATIC, DYNAMIC)  # a new site's live data, wherever matching put it
    return Outcome.CREATED


# The status PATCH is most of the traffic (SPEC §9): done in one SQL statement instead
# of loading the location and its EVSEs into the ORM. A PATCH that changes the
# connectors or the EVSE-ID (which re-matches the charge point) takes the general path.
# One statement: lock the location (parent first, as everywhere), update the EVSE unless
# the push is older than what it holds, carry the time up to the location. The age test
# is on the EVSE row itself, so a PATCH that waited for a concurrent one is judged
# against what that one committed (PostgreSQL re-checks updated rows).
# {stamp} is STAMP; {party} the pushing party's id: a bound value here, the caller whose
# token the same statement checked on the status path (sgv/ocpi/status.py).
STAMP = utc_sql("CAST(:moment AS timestamptz)")  # utc_text(moment), written by PostgreSQL
EVSE_PATCH_CTES = """
found AS (
    SELECT l.id AS location_pk, e.id AS evse_pk
    FROM locations l
    LEFT JOIN evses e ON e.location_fk = l.id AND lower(e.uid) = lower(:uid)
    WHERE l.party_fk = {party} AND lower(l.location_id) = lower(:location_id)
    FOR UPDATE OF l
),
evse AS (
    UPDATE evses SET
        data = (data || CAST(:fields AS jsonb)) - CAST(:cleared AS text[]),
        status = COALESCE(CAST(:status AS text), status),
        status_updated_at = CASE WHEN CAST(:status AS text) IS NULL THEN status_updated_at
                                 ELSE :moment END,
        last_updated = :moment, updated_at = now()
    FROM found
    WHERE evses.id = found.evse_pk AND evses.last_updated <= :moment
    RETURNING evses.id
),
parent AS (
    UPDATE locations SET last_updated = :moment, updated_at = now(),
        data = jsonb_set(data, '{{last_updated}}', to_jsonb({stamp}))
    FROM found, evse
    WHERE locations.id = found.location_pk AND locations.last_updated < :moment
)
"""
APPLY_EVSE_PATCH = text(
    "WITH"
    + EVSE_PATCH_CTES.format(party=":party", stamp=STAMP)
    + "SELECT found.location_pk, found.evse_pk, (SELECT count(*) FROM evse) AS applied FROM found"
)


def fits_one_statement(raw: Any) -> bool:
    """Say whether an EVSE PATCH body touches only the EVSE's own fields (one statement).

    An empty string is read as absent and noted on the location (notes.py): not here.
    """
    return (
        isinstance(raw, dict)
        and not {"connectors", "evse_id", "parking"} & raw.keys()
        and "" not in raw.values()
    )


def evse_patch_values(location_id: str, evse_uid: str, raw: dict, data: dict) -> dict:
    """Return the values EVSE_PATCH_CTES binds for a PATCH of an EVSE's own fields."""
    return {
        "location_id": location_id,
        "uid": evse_uid,
        "fields": json.dumps({k: v for k, v in raw.items() if v is not None}),
        "cleared": [k for k, v in raw.items() if v is None],
        "status": data.get("status"),
        "moment": data["last_updated"],
    }


def evse_patch_outcome(found: Any, location_id: str, evse_uid: str) -> Outcome:
    """Say what EVSE_PATCH_CTES did from its `found` row: 404 when nothing was found."""
    if found is None or found.location_pk is None:
        raise Refused(Kind.UNKNOWN_LOCATION, f"Unknown location '{location_id}'")
    if found.evse_pk is None:
        raise Refused(
            Kind.UNKNOWN_LOCATION, f"Unknown EVSE '{evse_uid}' in location '{location_id}'"
        )
    return Outcome.UPDATED if found.applied else Outcome.STALE


def patch_evse_fields(
    party: Party, location_id: str, evse_uid: str, raw: dict, data: dict
) -> Outcome:
    """Apply a PATCH of an EVSE's own fields (status above all) in one statement."""
    values = {"party": party.id, **evse_patch_values(location_id, evse_uid, raw, data)}
    found = db.session.execute(APPLY_EVSE_PATCH, values).first()
    outcome = evse_patch_outcome(found, location_id, evse_uid)
    if outcome is Outcome.UPDATED:
        touch(DYNAMIC, prices=False)  # no price depends on an EVSE's own fields
    return outcome
