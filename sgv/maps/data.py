"""The public map's data, built from sgv/public/ as compact JSON (SPEC §8, STYLE §7).

Four documents, all column-oriented (one array per field, not one object per site: a
third of the bytes, and the browser parses a few arrays instead of 15,000 objects). A
site is named by its *position* in the map order (geohash, then id), and every document
carries `key`, a digest of that order, so the browser can tell which belong together:

* sites — what a marker needs, for every public installation; changes with the static
  data version only, so it holds nothing a push changes (not even which sites have
  live data: live lists them). Sites come in geohash order (near on the map, near in
  the list), so each coordinate is sent as the difference from the previous site's, in
  1e-5 degrees (about 1 m): short integers that gzip well. No ids: RIPREE's look random (the demo's
  are `DGT-` + 16 hex digits), 8 incompressible bytes a site, more than all the rest.
* ids — the installation ids in the same order, fetched by the browser only when it
  first opens a site (the detail JSON and the installation page are addressed by id).
* places — names, addresses and places in the same order, for the search box; loaded
  only when someone searches or asks for the nearest sites.
* live — per installation with live data, by position in the sites of `key`: free, live
  and UNKNOWN charge points, and the "price from" of SPEC §4; changes with every push.
  A site it does not list shows no live data. A browser holding sites of another key
  fetches sites.json again.
"""

import gzip
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sgv import public
from sgv.core.times import utc_text

FORMAT = 1
SCALE = 100_000  # coordinates in 1e-5 degrees


@dataclass(frozen=True)
class Encoded:
    """A JSON document ready to send: plain and gzipped bytes, and its entity tag."""

    raw: bytes
    gzip: bytes
    etag: str


def encode(payload: Any) -> Encoded:
    """Serialise `payload` once, compactly, and gzip it."""
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, default=_plain)
    return encoded(raw.encode())


def encoded(raw: bytes) -> Encoded:
    """Return the serialised document `raw` with its gzip and entity tag."""
    digest = hashlib.sha256(raw).hexdigest()[:24]
    return Encoded(raw, gzip.compress(raw, compresslevel=6, mtime=0), digest)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return utc_text(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def order_key(ids: list[str]) -> str:
    """Return a short digest of the sites' order, shared by sites and places."""
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]


def _deltas(values: list[int]) -> list[int]:
    previous, out = 0, []
    for value in values:
        out.append(value - previous)
        previous = value
    return out


def _kw(value: Decimal | float | None) -> int | float:
    if value is None:
        return 0
    rounded = round(float(value), 1)
    return int(rounded) if rounded.is_integer() else rounded


@dataclass(frozen=True)
class SiteOrder:
    """The sites' document of one static version, with the order it names sites by."""

    sites: Encoded
    key: str
    ids: tuple[str, ...]


def site_order(rows: list[Any]) -> SiteOrder:
    """Encode the markers' document from public.map_sites() rows; keep their ids' order."""
    ids = tuple(row[0] for row in rows)
    return SiteOrder(encode(sites_payload(rows)), order_key(list(ids)), ids)


def sites_payload(rows: list[Any]) -> dict:
    """Return the markers' document from public.map_sites() rows (already in map order).

    No `id` column: a site is its position in this order (see ids_payload). Rows may
    carry more columns after the eighth (public.map_sites' "live"): not read, because a
    document cached per static version must not show what a push changes (STYLE §5).
    live.json, under the dynamic version, tells which sites have live data; this way
    sites.json, the map's largest document, stays cached while statuses churn.
    """
    columns = [list(column) for column in zip(*rows, strict=True)][:8] or [[]] * 8
    ids, lats, lons, parties, names, kws, points, types = columns
    name_of: dict[str, str] = {}
    for (party, name), _ in Counter(zip(parties, names, strict=True)).most_common():
        name_of.setdefault(party, name)  # a party's most common registered name
    operators = sorted(name_of)
    operator_index = {party: n for n, party in enumerate(operators)}
    kinds = {text: frozenset(text.split()) for text in set(types)}
    connectors = sorted(frozenset().union(*kinds.values()))
    bit = {standard: 1 << n for n, standard in enumerate(connectors)}
    mask = {text: sum(bit[k] for k in found) for text, found in kinds.items()}
    return {
        "format": FORMAT,
        "key": order_key(ids),
        "scale": SCALE,
        "operators": [[party, name_of[party]] for party in operators],
        "connectors": connectors,
        "lat": _deltas(lats),
        "lon": _deltas(lons),
        "kw": [kw if kw % 1 else int(kw) for kw in kws],
        "connector": [mask[text] for text in types],
        "operator": [operator_index[party] for party in parties],
        "points": points,
    }


def ids_payload(ids: tuple[str, ...] | list[str]) -> dict:
    """Return the installation ids in map order, for the browser to open a site by id."""
    return {"format": FORMAT, "key": order_key(list(ids)), "id": list(ids)}


def places_payload(rows: list[Any]) -> dict:
    """Return the search box's document from public.map_places() rows (map order)."""
    provinces = sorted({r.province for r in rows})
    province_index = {province: n for n, province in enumerate(provinces)}
    towns = sorted({(r.municipality, r.province) for r in rows})
    town_index = {town: n for n, town in enumerate(towns)}
    return {
        "format": FORMAT,
        "key": order_key([r.id for r in rows]),
        "provinces": provinces,
        "municipalities": [[town, province_index[province]] for town, province in towns],
        "name": [r.name for r in rows],
        "address": [r.address for r in rows],
        "postal_code": [r.postal_code for r in rows],
        "municipality": [town_index[(r.municipality, r.province)] for r in rows],
    }


def live_encoded(columns: Sequence[str], order: SiteOrder) -> Encoded:
    """Return the live document: one entry per installation with visible live data.

    `columns` (public.live_columns(order.ids)) are its JSON arrays: entries name sites by
    position in `order` (the sites document of `key`), ascending; an installation `order`
    lacks (registered since it was built) is left out until the static version moves and
    both are rebuilt.
    """
    site, available, live, unknown, price_from = columns
    raw = (
        f'{{"format":{FORMAT},"key":{json.dumps(order.key)},"site":{site},'
        f'"available":{available},"live":{live},"unknown":{unknown},"price_from":{price_from}}}'
    )
    return encoded(raw.encode())


# The figures of public.price_object() the detail panel shows (SPEC §4).
PRICE_FIELDS = (
    "currency",
    "energy_excl_vat",
    "vat_rate",
    "energy_incl_vat",
    "flat",
    "time_per_hour",
    "parking_per_hour",
    "free",
)


def _price(price: public.Price | None) -> dict | None:
    shown = public.price_object(price)
    return None if shown is None else {name: shown[name] for name in PRICE_FIELDS}


def _charge_point(point: public.ChargePoint) -> dict:
    live = point.live
    shown: dict[str, Any] = {
        "ref": point.evse_ref,
        "max_kw": _kw(point.max_power_kw),
        "connectors": list(point.connector_types),
        "status": None,
        "status_at": None,
        "prices": [],
    }
    if live is not None:
        shown["status"] = live.status
        shown["status_at"] = live.status_at
        shown["prices"] = [
            {
                "standard": c.standard,
                "kw": c.power_kw and _kw(c.power_kw),
                "price": _price(c.price),
                "plug_and_charge": c.plug_and_charge,
            }
            for c in live.connectors
        ]
    return shown


def parking(amenities: public.Amenities) -> dict:
    """Return a site's parking as drivers are told of it (OCPI 2.3.0; empty without)."""
    return {
        "trucks": amenities.trucks,
        "vans": amenities.vans,
        "reservation_required": amenities.reservation_required,
        "places": [
            {
                "vehicle_types": list(p.vehicle_types),
                "trucks": p.trucks,
                "vans": p.vans,
                "reservation_required": p.reservation_required,
                "max_weight_kg": p.max_vehicle_weight,
                "max_height_cm": p.max_vehicle_height,
                "max_length_cm": p.max_vehicle_length,
                "drive_through": p.drive_through,
            }
            for p in amenities.parking
        ],
    }


def detail(site: public.Installation) -> dict:
    """Return what the detail panel and the installation page show of one installation."""
    return {
        "id": site.id,
        "name": site.name,
        "address": site.address,
        "postal_code": site.postal_code,
        "municipality": site.municipality,
        "province": site.province,
        "lat": site.latitude,
        "lon": site.longitude,
        "operator": {
            "name": site.operator_name,
            "country_code": site.country_code,
            "party_id": site.party_id,
            "phone": site.operator_phone,
        },
        "opening_hours": site.opening_hours,
        "access": site.access,
        "max_kw": _kw(site.max_power_kw),
        "live": site.has_live_data,
        "available": site.available,
        "price_from": site.price_from,
        "updated_at": site.updated_at,
        "charge_points": [_charge_point(point) for point in site.charge_points],
        "help_phones": list(site.amenities.help_phones),
        "plug_and_charge": site.plug_and_charge,
        "parking": parking(site.amenities),
    }
