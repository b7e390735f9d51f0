"""The schemathesis check of tests/test_opendata_contract.py, also for a longer CLI run.

    SCHEMATHESIS_HOOKS=tests.contract_checks st run URL/opendata/openapi.json \\
        --checks all --exclude-checks positive_data_acceptance

positive_data_acceptance wants every schema-valid request accepted; the OpenAPI description
documents the 400s a JSON Schema cannot rule out: a bbox whose corners are swapped, a
corridor that does not decode to 2 distinct points in range, is longer than
route.LENGTH_MAX km or covers more than route.AREA_MAX km², km without a corridor.
"""

import math

import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

from sgv.opendata import route
from sgv.public import Corridor


def corners_swapped(value: object) -> bool:
    """Tell whether a bbox has minlon > maxlon or minlat > maxlat (a documented 400)."""
    try:
        minlon, minlat, maxlon, maxlat = (float(part) for part in str(value).split(","))
    except ValueError:
        return False
    return minlon > maxlon or minlat > maxlat


def corridor_refused(query: dict) -> bool:
    """Tell whether corridor= or km= is one of the documented 400s."""
    if "corridor" not in query:
        return "km" in query
    try:
        points = route.decode(str(query["corridor"]))
    except ValueError:
        return True
    try:
        km = float(query.get("km", route.KM_DEFAULT))
    except (TypeError, ValueError):
        return True  # km's own refusal
    if not math.isfinite(km) or not 0 < km <= route.KM_MAX:
        return True
    corridor = Corridor(points, km)
    return corridor.length_km() > route.LENGTH_MAX or corridor.area_km2() > route.AREA_MAX


@schemathesis.check
def valid_requests_are_accepted(ctx, response, case) -> bool | None:
    """positive_data_acceptance, except the semantic 400 the description documents."""
    query = case.query or {}
    if response.status_code == 400 and corners_swapped(query.get("bbox")):
        assert "'bbox'" in response.json()["description"]
        return None
    if response.status_code == 400 and corridor_refused(query):
        description = response.json()["description"]
        if "'corridor'" in description or "'km'" in description:
            return None
    return positive_data_acceptance(ctx, response, case)
