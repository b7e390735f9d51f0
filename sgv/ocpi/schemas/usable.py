"""Values SGV can use although they are wrong: read as absent, or kept, and warned (§3).

OCPI gives no error code for "usable but wrong", and refusing a whole Location over an
empty postal code would cost drivers its live data. So: an empty string in an optional
field is read as absent, a `time_zone` that is no IANA zone too (the site's zone then
applies, Atlantic/Canary in the Canary Islands, instead of a silent Europe/Madrid), a
`country` that is not ISO 3166-1 alpha-3 is kept; each is a warning for the CPO's report.
"""

from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import Schema, fields

from sgv.ocpi.schemas.countries import ALPHA_2_TO_3, ISO_3166_ALPHA_3


def usable(schema: Schema, data: dict[str, Any], identity: dict[str, str]) -> list[str]:
    """Read empty optional strings and unknown time zones as absent; return the warnings.

    Changes `data` (the normalised values), never the raw object kept for the CPO's GET.
    List items are named by their identity field (`evses[U1]`) when they carry one.
    """
    found = _empty_strings(schema, data, identity)
    zone = data.get("time_zone")
    if "time_zone" in schema.fields and isinstance(zone, str) and not _is_zone(zone):
        data["time_zone"] = None
        found.append(
            f"time_zone: {zone!r} is not an IANA time zone, read as absent: the site's zone "
            "applies (Europe/Madrid; Atlantic/Canary in the Canary Islands)"
        )
    country = data.get("country")
    if isinstance(country, str) and country and country not in ISO_3166_ALPHA_3:
        guess = ALPHA_2_TO_3.get(country.upper()) or (
            country.upper() if country.upper() in ISO_3166_ALPHA_3 else None
        )
        hint = f" ({guess}?)" if guess else ""
        found.append(f"country: {country!r} is not an ISO 3166-1 alpha-3 code{hint} (kept)")
    return found


def _is_zone(name: str) -> bool:
    """Say whether a name is a time zone of the IANA database this machine holds."""
    try:
        ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return True


def _empty_strings(
    schema: Schema, data: dict[str, Any], identity: dict[str, str], path: str = ""
) -> list[str]:
    """Set empty optional strings to None, everywhere in the object; name each one."""
    found = []
    for name, field in schema.fields.items():
        value = data.get(name)
        if isinstance(field, fields.String) and not field.required:
            if isinstance(value, str) and not value.strip():
                data[name] = None
                found.append(f"{path}{name}: empty string, read as absent")
        elif isinstance(field, fields.Nested) and isinstance(value, dict):
            found += _empty_strings(field.schema, value, identity, f"{path}{name}.")
        elif isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
            for position, item in enumerate(value or []):
                if isinstance(item, dict):
                    key = item.get(identity.get(name, ""), position)
                    inner = field.inner.schema
                    found += _empty_strings(inner, item, identity, f"{path}{name}[{key}].")
    return found
