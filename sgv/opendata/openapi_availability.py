"""OpenAPI of /opendata/availability.json (issue #19): its path and its schemas."""

from sgv.opendata.openapi_schemas import COUNT, HEADER, TIME, field, obj, ref

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
        generated_at=field("string", f"the end of the window ({TIME})", format="date-time"),
        licence=HEADER["licence"],
        window_start=field(
            "string", f"the window's start, 4 weeks before ({TIME})", format="date-time"
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


def path(headers: dict, too_many_requests: dict) -> dict:
    """Return the path item, with the answers every export shares (sgv/opendata/openapi.py)."""
    return {
        "get": {
            "summary": "How often each charge point was available, by hour of the week (4 weeks)",
            "description": "Time-weighted from every public status change: each status holds until "
            "the next, the one in force at the window's start included. Built at most hourly; "
            "an installation leaves at once when its CPO's live data is hidden.",
            "responses": {
                "200": {
                    "description": "the aggregates",
                    "headers": headers,
                    "content": {"application/json": {"schema": ref("AvailabilityExport")}},
                },
                "400": {
                    "description": "a query parameter was given: none is accepted",
                    "content": {"application/json": {"schema": ref("Error")}},
                },
                "429": too_many_requests,
            },
        }
    }
