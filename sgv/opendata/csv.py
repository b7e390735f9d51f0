"""installations.csv: one row per RIPREE charge point, its installation's data repeated.

The columns are documented here once; the OpenAPI description and the /opendata/ page
print this list, so the file and its documentation cannot drift apart.

Text comes from the register and from CPOs, so a cell such as `=HYPERLINK(…)` would run as
a formula in the spreadsheet of whoever opens the file: text cells that start like a formula
get a leading apostrophe (OWASP, "CSV Injection"). Numbers are written as numbers and never
touched, so a negative longitude stays -3.7.
"""

import csv
import io
from collections.abc import Iterable, Iterator

from sgv.core.times import utc_text
from sgv.public import Installation, cheapest
from sgv.public.rows import cell, price_figures

COLUMNS: list[tuple[str, str]] = [
    ("installation_id", "RIPREE id of the installation (site)"),
    ("name", "site name as registered"),
    ("operator_name", "operator as registered in RIPREE"),
    ("operator_tax_id", "operator's tax id (NIF/CIF); empty when the register omits it"),
    ("operator_phone", "operator's customer-service phone; empty when unknown"),
    ("country_code", "operator's OCPI country code (ES)"),
    ("party_id", "operator's OCPI party id (3 characters, e.g. IBD)"),
    ("address", "street address"),
    ("postal_code", "postcode, 5 characters (leading zero kept)"),
    ("municipality", "municipality"),
    ("province", "province"),
    ("latitude", "WGS84 latitude, decimal degrees"),
    ("longitude", "WGS84 longitude, decimal degrees"),
    ("opening_hours", "opening hours as the register publishes them; 24/7 when always open"),
    ("access", "public or restricted"),
    ("installation_updated_at", "last change of the installation's register data, UTC"),
    ("evse_ref", "the charge point's reference in RIPREE: its EVSE-ID when it has one"),
    ("max_power_kw", "the charge point's maximum power, kW"),
    ("connector_types", "OCPI 2.2.1 connector standards, |-separated"),
    ("evse_id", "EVSE-ID of the matched live EVSE; empty without live data"),
    ("status", "OCPI EVSE status now; empty without public live data"),
    ("status_at", "when the CPO set that status, UTC"),
    ("price_tariff_id", "tariff of the cheapest priced connector (lowest €/kWh excl. VAT)"),
    ("price_currency", "ISO 4217 currency of that tariff"),
    ("price_energy_excl_vat", "energy price excluding VAT, currency per kWh"),
    ("price_vat_rate", "VAT rate, percent; empty when the CPO did not state it"),
    ("price_energy_incl_vat", "energy price including VAT, per kWh; empty when VAT unknown"),
    ("price_flat", "fixed fee per session, excluding VAT"),
    ("price_time_per_hour", "charging-time price per hour, excluding VAT"),
    ("price_parking_per_hour", "parking-time price per hour, excluding VAT"),
    ("price_valid_until", "next instant these figures may change (time of day, date), UTC"),
    # OCPI 2.3.0 (issue #16); new columns go at the end only, never renaming one above
    ("help_phone", "help phones of the CPO's locations at the site, |-separated; empty: none"),
    ("suitable_for_trucks", "true when a parking place of the site takes trucks, else false"),
    ("suitable_for_vans", "true when a parking place of the site takes vans, else false"),
    (
        "parking_reservation_required",
        "true when every parking place of the site requires a reservation, else false",
    ),
    ("plug_and_charge", "true when a connector of the live EVSE offers Plug & Charge"),
]
NAMES = [name for name, _ in COLUMNS]
# Only with corridor=, last: the rows come in the route's order.
ROUTE_COLUMN = ("route_km", "with corridor= only: km from the route's start, along it")
NEUTRALISED = (
    "Text cells that a spreadsheet would run as a formula (those starting with =, +, -, @, "
    "a tab or a carriage return) are written with a leading apostrophe ('), as OWASP "
    "recommends against CSV injection: strip it to get the value as published. Numbers are "
    "written as numbers (a negative longitude stays -3.7)."
)


def flag(value: bool) -> str:
    """Write a yes/no cell as the JSON exports do: true or false."""
    return "true" if value else "false"


def rows(site: Installation) -> Iterator[list[str]]:
    """Yield the rows of one installation, one per charge point."""
    fixed = [
        site.id,
        site.name,
        site.operator_name,
        site.operator_tax_id,
        site.operator_phone,
        site.country_code,
        site.party_id,
        site.address,
        site.postal_code,
        site.municipality,
        site.province,
        site.latitude,
        site.longitude,
        site.opening_hours,
        site.access,
        utc_text(site.updated_at),
    ]
    found = site.amenities
    amenities = [
        "|".join(found.help_phones) or None,
        flag(found.trucks),
        flag(found.vans),
        flag(found.reservation_required),
    ]
    for point in site.charge_points:
        live = point.live
        price = cheapest(c.price for c in live.connectors) if live else None
        dynamic = [live.evse_id, live.status, utc_text(live.status_at)] if live else [None] * 3
        static = [point.evse_ref, point.max_power_kw, "|".join(point.connector_types)]
        plug = live is not None and any(c.plug_and_charge for c in live.connectors)
        added = [cell(v) for v in (*amenities, flag(plug))]
        yield [cell(v) for v in (*fixed, *static, *dynamic)] + price_figures(price) + added


def header() -> str:
    """Return the header row, CRLF-ended (RFC 4180)."""
    return ",".join(NAMES) + "\r\n"


def installations_csv_lines(lines: Iterable[bytes]) -> Iterator[str | bytes]:
    """Write installations.csv from the rows PostgreSQL rendered (sgv/public/rows.py)."""
    yield header()
    yield from lines


def installations_csv(sites: Iterable[Installation], along: bool = False) -> Iterator[str]:
    """Write installations.csv: a header row, then every charge point of every site (along a
    corridor: with the route_km column)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180 line ends
    writer.writerow([*NAMES, ROUTE_COLUMN[0]] if along else NAMES)
    for site in sites:
        extra = [cell(site.route_km)] if along else []
        writer.writerows([*row, *extra] for row in rows(site))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
