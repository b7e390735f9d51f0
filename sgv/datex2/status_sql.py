"""status.xml's snapshot (no ?since) written by PostgreSQL: the same bytes as status.py.

public.site_texts() reads every selected charge point with public live data in one
statement and streams each installation's aegi:energyInfrastructureSiteStatus as this
module's SQL writes it, from status.py's constants: writing 45,000 refill points costs
the database ~0.3 CPU seconds where Python's per-object work cost ~0.6
(docs/performance.md). Every stored value goes through escaped(), xml.escape()'s twin; a
price's figures are written once in Python (status.rate_figures).
tests/test_datex2_sql.py checks the bytes equal status_xml()'s on the edge-case world,
with each bad stored row and with hostile references.
"""

from collections.abc import Iterator
from datetime import datetime

from sgv import public
from sgv.core.times import utc_sql
from sgv.datex2 import mapping
from sgv.datex2.status import (
    POINT,
    RATE,
    RATE_REFERENCE,
    REFERENCE,
    SITE,
    SITE_END,
    STATUS,
    UPDATED,
    WITHDRAWN_DESCRIPTION,
    rate_figures,
    table,
)
from sgv.datex2.table import station_id
from sgv.datex2.xml import MAX_STRING, UNSAFE, escape, payload

# What xml.clean() drops, as one class PostgreSQL's regular expressions read (no NUL: text
# cannot hold it).
UNSAFE_SQL = "".join(f"\\u{code:04X}" for code in range(1, 0x10000) if UNSAFE.fullmatch(chr(code)))
ENTITIES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"))  # & first


def literal(text: str) -> str:
    """Return a constant as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def escaped(sql: str) -> str:
    """Return SQL writing the text `sql` as xml.escape() does: the characters XML 1.0
    cannot carry dropped, cut to com:String's 1,024 characters, & < > " escaped."""
    written = f"left(regexp_replace({sql}, :xml_unsafe, '', 'g'), {MAX_STRING})"
    for char, entity in ENTITIES:
        written = f"replace({written}, '{char}', '{entity}')"
    return written


def joined(*parts: str) -> str:
    """Return SQL concatenating parts (SQL expressions; NULL: empty) into one new text: `||`
    would copy the growing text once per part."""
    return f"concat({', '.join(parts)})"


def reference(sql: str) -> str:
    """Return SQL for the afac:reference to the facility whose id `sql` writes."""
    return joined(literal(REFERENCE[0]), escaped(sql), literal(REFERENCE[1]))


AT = utc_sql("status_at")  # xml.timestamp(): UTC, to the second
# Where a rate update's time and operator go: a character escape() drops from every value.
SLOT, SLOT_SQL = "\x01", "chr(1)"
MAPPED = (
    "CASE status "
    + " ".join(f"WHEN {literal(ocpi)} THEN {literal(d)}" for ocpi, d in mapping.STATUSES.items())
    + f" ELSE {literal(mapping.WITHDRAWN)} END"
)
# Each rate update as figures() wrote it once per price, its SLOT filled once per charge
# point: its time, and its operator's part of the rate id country*party*tariff
# (mapping.rate_id), escaped apart from the tariff's (2 + 3 + 39 characters: never cut).
RATES = (
    f"replace(rates, {SLOT_SQL}, "
    + joined(
        literal(RATE),
        "at",
        literal(RATE_REFERENCE),
        escaped("country_code || '*' || party_id || '*'"),
    )
    + ")"
)
POINT_SQL = joined(
    literal(POINT[0]),
    reference("evse_ref"),
    "CASE WHEN status IS NULL THEN "
    + joined(literal(WITHDRAWN_DESCRIPTION + STATUS[0] + mapping.WITHDRAWN + STATUS[1]))
    + " ELSE "
    + joined(
        literal(UPDATED[0]),
        "at",
        literal(UPDATED[1] + STATUS[0]),
        MAPPED,
        literal(STATUS[1]),
        RATES,
    )  # fmt: skip
    + " END",
    literal(POINT[1]),
)
STATION = f"site_id || {literal(station_id(''))}"  # table.station_id()
SITE_SQL = joined(
    literal(SITE[0]), reference("site_id"), literal(SITE[1]), reference(STATION),
    "points", literal(SITE_END),
)  # fmt: skip


def figures(price: public.Price) -> str:
    """Return a price's rate update but its time and operator (SLOT): the tariff's part of
    the rate id, the figures."""
    return SLOT + escape(price.tariff_id) + rate_figures(price)


WRITING = public.Writing(AT, POINT_SQL, SITE_SQL, figures, {"xml_unsafe": f"[{UNSAFE_SQL}]"})


def status_snapshot(
    at: datetime, *, bbox: tuple[float, float, float, float] | None, operator: str | None
) -> Iterator[bytes]:
    """Stream the status publication of every selected charge point with public live data."""
    sites = public.site_texts(WRITING, bbox=bbox, operator=operator, at=at)
    return payload("aegi:EnergyInfrastructureStatusPublication", at, sites, lead=[table()])
