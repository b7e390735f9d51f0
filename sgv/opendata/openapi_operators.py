"""The OpenAPI schemas of /opendata/operators.json (sgv/operators/figures.py's figures)."""

from sgv.opendata.openapi_schemas import COUNT, HEADER, field, nullable, obj, ref

OPERATOR_SCHEMAS = {
    "Operator": obj(
        "A RIPREE operator: coverage now, and the quality of its OCPI connection. No figure "
        "of a CPO whose live data is hidden says what its chargers do: only how it behaves.",
        country_code=field("string", "ISO 3166 alpha-2 of the operator's eMI3 identity"),
        party_id=field("string", "party id of the operator's eMI3 identity (ES*XXX)"),
        name=field(["string", "null"], "operator name in RIPREE"),
        state=field(
            "string",
            "not_integrated (no OCPI connection, or deregistered), integrating (handshake "
            "under way or done, not yet live), live, revoked (its live data is hidden)",
            enum=["not_integrated", "integrating", "live", "revoked"],
        ),
        charge_points=field("integer", "RIPREE charge points of installations not retired"),
        live_charge_points=field("integer", "of those, with public live data now"),
        obliged_charge_points=field("integer", "of those, 43 kW or more (Orden TED/445/2023)"),
        obliged_without_live=field("integer", "of the obliged ones, without public live data"),
        quality=nullable(
            obj(
                "From the hourly checks and pushes over the last `days` days.",
                days=field("integer", "length of the window"),
                checks=field("integer", "hourly checks run (skipped ones not counted)"),
                checks_answered_pct=field(["number", "null"], "share of checks answered, %"),
                updates_not_pushed_pct=field(
                    ["number", "null"], "share of objects pulled that differed from the pushed, %"
                ),
                rejected_pushes=field("integer", "pushes refused"),
                median_status_age_s=field(
                    ["integer", "null"], "median seconds since its EVSEs' last status"
                ),
            ),
            "null when the operator never started an OCPI integration",
        ),
    ),
    "OperatorsExport": obj(
        "operators.json",
        schema_version=HEADER["schema_version"],
        generated_at=HEADER["generated_at"],
        licence=HEADER["licence"],
        operators=field("array", "operators by country and party id", items=ref("Operator")),
        count=COUNT,
    ),
}
