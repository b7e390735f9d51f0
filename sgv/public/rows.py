"""installations.csv's rows and status.json's items rendered by PostgreSQL (SPEC §8, #18).

Like sgv/public/documents.py, one statement per export over the public views, streamed
as UTF-8 bytes through a server-side cursor, prices from prices.Pricer once per kind of
connector: 2.8 s → well under 1 s at 45,000 charge points (docs/performance.md). The
CSV lines are byte for byte what sgv/opendata/csv.py writes from public.installations()
(its `cell()` and Python's csv module: QUOTE_MINIMAL, CRLF), and the status items the
same JSON as sgv/opendata/formats.py's; tests/test_opendata_sql.py compares them.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from decimal import Decimal

from psycopg.types.json import Jsonb

from sgv.core.times import utc_sql, utc_text
from sgv.public.documents import AMENITY_CTES, CONNECTOR, PRICES, PUSHED, obj, prices, string, utc
from sgv.public.kinds import MATCH, handed, priced_kinds
from sgv.public.rules import published, selection
from sgv.public.streaming import prepare, stream
from sgv.public.tariffs import Price

FORMULA = ("=", "+", "-", "@", "\t", "\r")  # how a spreadsheet formula may begin (OWASP)


def cell(value: object) -> str:
    """Write one CSV cell: numbers as numbers (decimals without trailing zeros), text
    neutralised against formulas, empty for None (sgv/opendata/csv.py documents it)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA) else text


def price_figures(price: Price | None) -> list[str]:
    """Return the nine price cells of one charge point's row (empty without a price)."""
    if price is None:
        return [""] * 9
    figures = (
        price.tariff_id,
        price.currency,
        price.energy_excl_vat,
        price.vat_rate,
        price.energy_incl_vat,
        price.flat,
        price.time_per_hour,
        price.parking_per_hour,
        utc_text(price.valid_until),
    )
    return [cell(v) for v in figures]


def text_cell(sql: str) -> str:
    """SQL: a text cell as csv.cell() and csv.writer write it (neutralised, then quoted)."""
    starts = ", ".join("E'" + c.encode("unicode_escape").decode() + "'" for c in FORMULA)
    neutral = f"CASE WHEN left({sql}, 1) IN ({starts}) THEN '''' || {sql} ELSE {sql} END"
    quoted = f"""'"' || replace({neutral}, '"', '""') || '"'"""
    return f"""CASE WHEN {sql} IS NULL THEN '' WHEN {sql} ~ '[",\\r\\n]' THEN {quoted}
        ELSE {neutral} END"""


def float_cell(sql: str) -> str:
    """SQL: a float8 as Python's repr() writes it (shortest form; 40.0, not 40)."""
    return (
        f"CASE WHEN ({sql})::text ~ '^-?[0-9]+$' THEN ({sql})::text || '.0' ELSE ({sql})::text END"
    )


def decimal_cell(sql: str) -> str:
    """SQL: a numeric as csv.cell() writes a Decimal (no trailing zeros, no exponent)."""
    return f"COALESCE(trim_scale({sql})::text, '')"


def flag_cell(sql: str) -> str:
    """SQL: a yes/no cell as csv.flag() writes it, null as false."""
    return f"CASE WHEN {sql} THEN 'true' ELSE 'false' END"


def time_cell(sql: str) -> str:
    """SQL: a timestamp as utc_text() writes it, empty for null."""
    return f"COALESCE({utc_sql(sql)}, '')"


# An installation's cells, the same on each of its charge points' lines: written once per
# installation (a third of the work at 45,000 charge points, docs/performance.md).
HEAD = " || ',' || ".join(
    [
        *(text_cell(f"i.{name}") for name in ("id", "name", "operator_name", "operator_tax_id")),
        text_cell("o.phone"),
        *(text_cell(f"i.{name}") for name in ("country_code", "party_id", "address")),
        *(text_cell(f"i.{name}") for name in ("postal_code", "municipality", "province")),
        float_cell("ST_Y(i.geom)"),
        float_cell("ST_X(i.geom)"),
        text_cell("i.opening_hours"),
        text_cell("i.access"),
        time_cell("i.updated_at"),
    ]
)
# OCPI 2.3.0, at the end (sgv/opendata/csv.py): help phones, parking, then Plug & Charge
TAIL = " || ',' || ".join(
    [
        text_cell("phones.text"),
        flag_cell("parking.trucks"),
        flag_cell("parking.vans"),
        flag_cell("parking.reservation"),
    ]
)
LINE = " || ',' || ".join(
    [
        "site.head",
        text_cell("cp.evse_ref"),
        decimal_cell("cp.max_power_kw"),
        text_cell("array_to_string(cp.connector_types, '|')"),
        text_cell("live.evse_id"),
        text_cell("live.status"),
        time_cell("live.status_at"),
        "COALESCE(live.price, ',,,,,,,,')",
        "site.tail",
        flag_cell("live.plug_and_charge"),
    ]
)
# Per public charge point: its EVSE and the cells of its cheapest priced connector
# (prices.cheapest(): the lowest €/kWh ex VAT, first in connector order among equals, else
# the first priced one), its first row in that order: one sort, where an ordered aggregate
# sorted each charge point's connectors again. Then one line per RIPREE charge point, in
# the order of public.installations(): by installation id, then charge point id.
CSV = f"""
WITH price AS MATERIALIZED ({handed("cells text, energy numeric", "k.cells, k.energy")}),
live AS (
    SELECT DISTINCT ON (c.charge_point_id) c.charge_point_id, c.evse_id, c.status,
           c.status_at, k.cells AS price,
           bool_or(c.plug_and_charge) OVER point AS plug_and_charge
    FROM public_connectors c LEFT JOIN price k ON {MATCH}
    WHERE true {{pushed}}
    WINDOW point AS (PARTITION BY c.charge_point_id
                     ORDER BY k.cells IS NULL, k.energy IS NULL, k.energy, c.position
                     ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
    ORDER BY c.charge_point_id, k.cells IS NULL, k.energy IS NULL, k.energy, c.position),
{AMENITY_CTES},
site AS MATERIALIZED (
    SELECT i.id, {HEAD} AS head, {TAIL} AS tail
    FROM installations i LEFT JOIN phones ON phones.installation_id = i.id
    LEFT JOIN parking ON parking.installation_id = i.id
    LEFT JOIN parties o ON o.country_code = i.country_code AND o.party_id = i.party_id
    WHERE {{where}})
SELECT {LINE} || E'\\r\\n'
FROM site JOIN charge_points cp ON cp.installation_id = site.id
LEFT JOIN live ON live.charge_point_id = cp.id
ORDER BY site.id, cp.id
"""
ITEM = obj(
    ("installation_id", string("i.id")),
    ("evse_ref", string("cp.evse_ref")),
    ("evse_id", string("c.evse_id")),
    ("status", string("c.status")),
    ("status_at", utc("c.status_at")),
    ("connectors", f"COALESCE('[' || string_agg({CONNECTOR}, ', ' ORDER BY c.position) "
     "FILTER (WHERE c.connector_pk IS NOT NULL) || ']', '[]')"),
)  # fmt: skip
# Every public charge point of the selection, as status.json lists it (no `since`).
STATUS = f"""
WITH price AS MATERIALIZED ({PRICES})
SELECT {ITEM}
FROM installations i JOIN charge_points cp ON cp.installation_id = i.id
JOIN public_connectors c ON c.charge_point_id = cp.id {{pushed}}
LEFT JOIN price k ON {MATCH}
WHERE {{where}}
GROUP BY i.id, cp.id, c.evse_pk, c.evse_id, c.status, c.status_at
ORDER BY i.id, cp.id
"""


def price_cells(where: str, params: dict, at: datetime) -> list[dict]:
    """Return each kind of public connector with a price, with its nine CSV cells and €/kWh."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # as the CSV's: it decides the quoting

    def figures(price: Price) -> dict:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(price_figures(price))
        return {"cells": buffer.getvalue()[:-2], "energy": _text(price.energy_excl_vat)}

    return priced_kinds(where, params, at, figures)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _statement(template: str, where: str, params: dict) -> str:
    return template.replace("{pushed}", PUSHED if params else "").replace("{where}", where)


@published()
def csv_lines(
    *,
    ids: Iterable[str] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    operator: str | None = None,
    at: datetime,
    trucks: bool = False,
) -> Iterator[bytes]:
    """Yield installations.csv's line of every selected RIPREE charge point, CRLF-ended."""
    where, params = selection(ids, bbox, operator, trucks)
    sql = _statement(CSV, where, params)
    prepare()
    params["prices"] = Jsonb(price_cells(where, params, at))
    yield from stream(sql, params)


@published()
def status_items(
    *,
    ids: Iterable[str] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    operator: str | None = None,
    at: datetime,
) -> Iterator[bytes]:
    """Yield status.json's item of every selected charge point with public live data."""
    where, params = selection(ids, bbox, operator)
    sql = _statement(STATUS, where, params)
    prepare()
    params["prices"] = Jsonb(prices(where, params, at))
    yield from stream(sql, params)
