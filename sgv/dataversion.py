"""Data versions that key public caches (STYLE §5): bumped after every committed change.

Two sequences: `static` for the registry, matching and CPO visibility (rare), `dynamic`
for pushes (frequent). Bumped after the commit, never inside it: a reader that cached
pre-commit data under the new number would keep serving it.
"""

from sqlalchemy import text

from sgv.extensions import db

STATIC = "static_data_version"
DYNAMIC = "dynamic_data_version"


def commit(*sequences: str) -> None:
    """Commit the session, then bump the named data versions."""
    db.session.commit()
    if sequences:
        calls = ", ".join(f"nextval('{name}')" for name in sequences)
        db.session.execute(text(f"SELECT {calls}"))
        db.session.commit()


def current() -> dict[str, int]:
    """Return the current static and dynamic data versions."""
    row = db.session.execute(
        text(f"SELECT (SELECT last_value FROM {STATIC}), (SELECT last_value FROM {DYNAMIC})")
    ).one()
    return {"static": row[0], "dynamic": row[1]}
