"""What is public (SPEC §4): the database views that hold the rules, and the staging rule.

The rules live once, in migration 0005 (0006 bounds the power), and every public reader
selects from them:

* `public_parties` — the CPOs whose live data may be public: the `live` ones;
* `public_time_zone(location_zone, site)` — a location's zone, else its site's place's;
* `public_power_kw(…)` — a connector's max_electric_power, else volts × amps × phases, in kW;
  NULL beyond the 4 MW push bound (migration 0006: a stored row out of bounds);
* `public_evse_candidates` — every EVSE whose live data is public but for the choice
  among several EVSEs of one charge point: its CPO is live, its location published and
  matched to an installation, it is matched to a charge point of it, not REMOVED. A
  charge point has a public EVSE if and only if it has a candidate, so tests of
  existence read this plain join, which PostgreSQL flattens into their query;
* `public_evses` — one row per public EVSE: the newest candidate of its charge point;
  `status` is UNKNOWN inside a maintenance window that has begun or after failed checks,
  until a newer status arrives. Select its rows by `charge_point_id` or
  `installation_id`: PostgreSQL pushes only those conditions into it (DISTINCT ON);
* `public_connectors` — each public EVSE with each of its connectors and their power in
  kW (an EVSE without connectors: one row, its connector columns null), and whether it
  offers Plug & Charge (migration 0008);
* `public_locations`, `public_parking` — OCPI 2.3.0's help phone and parking places of
  the locations whose CPO data is public (migration 0008).

Every RIPREE installation that is not retired is public whatever its CPO's state
(`selection()`), and a staging instance publishes nothing (`published`).
"""

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects.postgresql import ARRAY

from sgv.public.corridor import Corridor
from sgv.public.wanted import Wanted

# Views, not tables: a MetaData of their own keeps them out of create_all, TRUNCATE and
# the models-versus-migrations comparison; migration 0005 creates them.
views = sa.MetaData()
TIMESTAMP = sa.DateTime(timezone=True)

public_evse_candidates = sa.Table(
    "public_evse_candidates",
    views,
    sa.Column("evse_pk", sa.Integer),
    sa.Column("charge_point_id", sa.Integer),
    sa.Column("installation_id", sa.String(64)),
    sa.Column("party_fk", sa.Integer),
)

public_evses = sa.Table(
    "public_evses",
    views,
    sa.Column("evse_pk", sa.Integer),
    sa.Column("charge_point_id", sa.Integer),
    sa.Column("installation_id", sa.String(64)),
    sa.Column("party_fk", sa.Integer),
    sa.Column("evse_id", sa.String(48)),
    sa.Column("status", sa.String(16)),
    sa.Column("status_at", TIMESTAMP),
    sa.Column("last_updated", TIMESTAMP),
    sa.Column("time_zone", sa.String(255)),
)

public_connectors = sa.Table(
    "public_connectors",
    views,
    *(sa.Column(column.name, column.type) for column in public_evses.columns),
    sa.Column("connector_pk", sa.Integer),
    sa.Column("connector_id", sa.String(39)),
    sa.Column("position", sa.Integer),
    sa.Column("standard", sa.String(32)),
    sa.Column("tariff_ids", ARRAY(sa.String(39))),
    sa.Column("power_kw", sa.Numeric),
    sa.Column("plug_and_charge", sa.Boolean),  # migration 0008: an ISO 15118 capability
)

public_parties = sa.Table("public_parties", views, sa.Column("id", sa.Integer))

# OCPI 2.3.0 (migration 0008): the locations whose CPO data is public (live CPO,
# published, matched, a public EVSE at their installation), and their parking places.
public_locations = sa.Table(
    "public_locations",
    views,
    sa.Column("location_pk", sa.Integer),
    sa.Column("installation_id", sa.String(64)),
    sa.Column("party_fk", sa.Integer),
    sa.Column("help_phone", sa.String(25)),
)
public_parking = sa.Table(
    "public_parking",
    views,
    sa.Column("installation_id", sa.String(64)),
    sa.Column("location_pk", sa.Integer),
    sa.Column("parking_id", sa.String(39)),
    sa.Column("position", sa.Integer),
    sa.Column("vehicle_types", ARRAY(sa.String(32))),
    sa.Column("trucks", sa.Boolean),
    sa.Column("vans", sa.Boolean),
    sa.Column("reservation_required", sa.Boolean),
    sa.Column("restricted_to_type", sa.Boolean),
    sa.Column("max_vehicle_weight", sa.Numeric),
    sa.Column("max_vehicle_height", sa.Numeric),
    sa.Column("max_vehicle_length", sa.Numeric),
    sa.Column("drive_through", sa.Boolean),
)


def public_time_zone(location_zone: sa.ColumnElement, site: sa.ColumnElement) -> sa.Function:
    """SQL: the time zone prices are shown in (the location's, else its site's place's)."""
    return sa.func.public_time_zone(location_zone, site, type_=sa.String)


F = TypeVar("F", bound=Callable[..., Any])


def publishes() -> bool:
    """Say whether this instance publishes anything (a staging instance does not)."""
    return current_app.config["ENVIRONMENT"] == "production"


def published(empty: Callable[[], Any] = lambda: None) -> Callable[[F], F]:
    """Make a public reader answer `empty()` (a generator: nothing) where nothing is published."""

    def decorate(reader: F) -> F:
        nothing = (lambda: iter(())) if inspect.isgeneratorfunction(reader) else empty

        @functools.wraps(reader)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            return reader(*args, **kwargs) if publishes() else nothing()

        return guarded  # type: ignore[return-value]

    return decorate


def has_live_data(charge_point_id: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """SQL: whether a RIPREE charge point shows live data (an UNKNOWN status counts)."""
    candidates = public_evse_candidates.c
    return sa.exists().where(candidates.charge_point_id == charge_point_id)


def like_text(text: str) -> str:
    """Return `text` as a LIKE pattern that matches it literally (backslash escapes)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def selection(
    ids: Iterable[str] | None,
    bbox: tuple[float, float, float, float] | None,
    operator: str | None,
    trucks: bool = False,
    corridor: Corridor | None = None,
    wanted: Wanted | None = None,
) -> tuple[str, dict]:
    """Return the condition on installations `i` (and its parameters) these filters select
    (but `wanted.max_price`, which needs the prices: Wanted.priced).

    `trucks`: only sites with a public parking place suitable for trucks (OCPI 2.3.0).
    """
    where, params = ["i.retired_at IS NULL"], {}
    if trucks:
        where.append(
            "EXISTS (SELECT 1 FROM public_parking pp"
            " WHERE pp.installation_id = i.id AND pp.trucks = :trucks)"
        )
        params["trucks"] = True
    if wanted is not None:
        conditions, bound = wanted.condition()
        where += conditions
        params.update(bound)
    if corridor is not None:
        near, bound = corridor.condition()
        where.append(near)
        params.update(bound)
    if ids is not None:
        where.append("i.id = ANY(:ids)")
        params["ids"] = list(ids)
    if bbox is not None:
        where.append("i.geom && ST_MakeEnvelope(:minlon, :minlat, :maxlon, :maxlat, 4326)")
        params.update(zip(("minlon", "minlat", "maxlon", "maxlat"), bbox, strict=True))
    if operator:
        where.append("(i.operator_name ILIKE :operator OR i.party_id = upper(:party))")
        params.update(operator=f"%{like_text(operator)}%", party=operator)
    return " AND ".join(where), params
