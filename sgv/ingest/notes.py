"""A Location's warnings for the CPO's report, kept across pushes at every level (§3).

Each push's warnings (values accepted although wrong, EVSEs a PATCH named but SGV does
not know) are stored on the Location they concern, paths naming EVSEs by uid
(`evses[U1].evse_id: …`). A full Location PUT (or the pull) replaces them all; a PATCH
or a push of one EVSE or connector replaces only those about what it sent, so a fixed
value clears its warning and nothing else.
"""

from collections.abc import Iterable

from sgv.models import Location

SEPARATORS = (":", ".", "[")


def about(warning: str, prefix: str, names: Iterable[str] | None = None) -> bool:
    """Say whether a warning concerns `prefix` (all of it, or only the fields named)."""
    base = prefix.rstrip(".")
    rest = warning[len(base) :]
    if base and not (warning.lower().startswith(base.lower()) and rest[:1] in SEPARATORS):
        return False
    if names is None:
        return True
    rest = rest.removeprefix(".") if base else rest
    return any(rest.startswith(n) and rest[len(n) : len(n) + 1] in SEPARATORS for n in names)


def note(
    location: Location,
    warnings: list[str],
    *,
    prefix: str = "",
    names: Iterable[str] | None = None,
) -> None:
    """Replace the stored warnings about what a push sent by the push's own warnings.

    `prefix` places the push (`evses[U1].` for an EVSE, `evses[U1].connectors[2].` for a
    connector); `names` are the fields a partial push sent (None: a full object).
    """
    names = None if names is None else list(names)
    kept = [w for w in location.warnings or [] if not about(w, prefix, names)]
    location.warnings = kept + [prefix + w for w in warnings if prefix + w not in kept]
