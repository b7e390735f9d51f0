"""OpenAPI of /opendata/availability.json (issue #19): its path and its schemas."""

from sgv.opendata.openapi_schemas import COUNT, HEADER, TIME, field, nullable, obj, ref

SLOTS = 168
SLOT_ORDER = (
    "168 values, one per hour of the week in the location's time zone: Monday 00h first, "
    "Monday 01h next, …, Sunday 23h last"
)
SHARE = field(
    "array",
    f"share of the observed time the status was AVAILABLE (0 to 1); null: nothing observed. "
    f"{SLOT_ORDER}",
    items={"type": ["number", "null"], "minimum": 0, "maximum": 1},
    minItems=SLOTS,
    maxItems=SLOTS,
)
HOURS = field(
    "array",
    "hours with a known status (UNKNOWN not counted) over the 4 weeks, summed over the charge "
    f"points. {SLOT_ORDER}",
    items={"type": "number", "minimum": 0},
    minItems=SLOTS,
    maxItems=SLOTS,
)


SCHEMAS = {
    "ChargePointAvailability": obj(
        "One charge point's week.",
        evse_ref=field("string", "the RIPREE charge point reference (eMI3 EVSE id)"),
        available_share=SHARE,
        observed_hours=HOURS,
    ),
    "InstallationAvailability": obj(
        "One installation with public live data: its charge points together, then each.",
        installation_id=field("string", "the installation's id, as in installations.json"),
        simulated=field("boolean", "true: demo data, not real history"),
        observed_since=field(
            "string", f"the earliest known status in the window ({TIME})", format="date-time"
        ),
        available_share=SHARE,
        observed_hours=HOURS,
        charge_points=field(
            "array", "its charge points with history", items=ref("ChargePointAvailability")
        ),
    ),
    "AvailabilityExport": obj(
        "availability.json",
        schema_version=HEADER["schema_version"],
        generated_at=field("string", f"when this response was made ({TIME})", format="date-time"),
        built_at=nullable(
            field("string", TIME, format="date-time"),
            "when the figures were computed, the end of their 4-week window (the hourly job "
            "`sgv history build`); null before its first run, with no installation",
        ),
        licence=HEADER["licence"],
        window_start=nullable(
            field("string", TIME, format="date-time"),
            "the window's start, 4 weeks before built_at; null before the first build",
        ),
        installations=field(
            "array",
            "installations whose CPO's live data is public now; nothing of the others, not "
            "even their past",
            items=ref("InstallationAvailability"),
        ),
        count=COUNT,
    ),
}


def path(headers: dict, too_many_requests: dict, conditional: list[dict]) -> dict:
    """Return the path item, with the answers every export shares (sgv/opendata/openapi.py)."""
    return {
        "get": {
            "parameters": conditional,
            "summary": "How often each charge point was available, by hour of the week (4 weeks)",
            "description": "Time-weighted from every public status change: each status holds until "
            "the next, the one in force at the window's start included. Computed hourly by a "
            "scheduled job (built_at says when), never by a request; an installation leaves "
            "at once, on the next request, when its CPO's live data is hidden (revoked, "
            "deregistered, a location unpublished, or its statuses shown UNKNOWN after failed "
            "checks). Streamed; ETag and Last-Modified change with the build and with the "
            "installations shown, not with every status push.",
            "responses": {
                "200": {
                    "description": "the aggregates",
                    "headers": headers,
                    "content": {"application/json": {"schema": ref("AvailabilityExport")}},
                },
                "304": {
                    "description": "not modified since the copy named by the conditional headers"
                },
                "400": {
                    "description": "a query parameter was given: none is accepted",
                    "content": {"application/json": {"schema": ref("Error")}},
                },
                "429": too_many_requests,
            },
        }
    }
