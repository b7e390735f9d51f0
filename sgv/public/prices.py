"""THE price form (SPEC §4): which tariff a connector shows, its figures, "price from".

Every public price comes from here: the dataclass view, the SQL renderer of the exports
(through `Pricer` and `price_object`), the CSV's cheapest connector and the map. How one
tariff's elements and restrictions evaluate at a moment is sgv/public/tariffs.py.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import text

from sgv.core.times import utc_text
from sgv.extensions import db
from sgv.ocpi.schemas.bounds import within
from sgv.ocpi.schemas.currencies import ISO_4217
from sgv.public.tariffs import (
    Price,
    begins_after,
    current_price,
    is_valid,
    restricts_power,
    to_decimal,
)
from sgv.public.taxes import in_public_terms


def _preference(tariff: dict) -> int:
    """Rank a tariff type for public display: ad hoc first, then regular or untyped."""
    kind = tariff.get("type")
    if kind == "AD_HOC_PAYMENT":
        return 0
    return 1 if kind is None or kind == "REGULAR" else 2


def choose_tariff(tariffs: Sequence[dict | None], *, at: datetime | None = None) -> dict | None:
    """Pick the tariff to show among a connector's tariffs valid at `at` (default: now)."""
    moment = datetime.now(UTC) if at is None else at
    valid = [t for t in tariffs if isinstance(t, dict) and is_valid(t, moment)]
    return min(valid, key=_preference, default=None)  # min keeps tariff_ids order among equals


def publishable(tariff: dict) -> bool:
    """Say whether a stored tariff can be shown: an ISO 4217 currency, and every price and
    VAT rate a number within the bounds a push must respect (sgv/ocpi/schemas/bounds.py).

    A row stored before those bounds, or written around them, loses its price rather
    than failing every page and export that shows it (issue #14: 1e24 €/kWh).
    """
    if tariff.get("currency") not in ISO_4217:
        return False
    elements = tariff.get("elements")
    for element in elements if isinstance(elements, list) else []:
        components = element.get("price_components") if isinstance(element, dict) else None
        for component in components if isinstance(components, list) else []:
            if not isinstance(component, dict):
                continue
            price, vat = to_decimal(component.get("price")), component.get("vat")
            if price is None or not within("price", price):
                return False
            rate = None if vat is None else to_decimal(vat)
            if vat is not None and (rate is None or not within("vat", rate)):
                return False
    return True


def price_from(prices: Iterable[Price | None]) -> Decimal | None:
    """Return an installation's cheapest ex-VAT €/kWh; None when no connector has one."""
    energy = [p.energy_excl_vat for p in prices if p is not None]
    return min((e for e in energy if e is not None), default=None)


def cheapest(prices: Iterable[Price | None]) -> Price | None:
    """Return the price with the lowest €/kWh ex VAT, else the first price, else None."""
    known = [p for p in prices if p is not None]
    energy = [p for p in known if p.energy_excl_vat is not None]
    if energy:
        return min(energy, key=lambda p: p.energy_excl_vat)
    return known[0] if known else None


def tariffs_of(party_fks: Iterable[int]) -> dict[int, dict[str, dict]]:
    """Return these CPOs' tariffs in public terms (sgv/public/taxes.py), by CPO and tariff id."""
    rows = db.session.execute(
        text(
            "SELECT t.party_fk, lower(t.tariff_id) AS key, t.data, t.tax_included, p.version"
            " FROM tariffs t JOIN parties p ON p.id = t.party_fk WHERE t.party_fk = ANY(:ids)"
        ),
        {"ids": list(party_fks)},
    )
    found: dict[int, dict[str, dict]] = defaultdict(dict)
    for row in rows:  # in 2.2.1 terms: prices ex VAT, `vat` only where the version has it
        found[row.party_fk][row.key] = in_public_terms(row.data, row.tax_included, row.version)
    return found


class Pricer:
    """Price connectors at one moment, once per distinct CPO, tariffs, zone and power."""

    def __init__(self, party_fks: Iterable[int], at: datetime) -> None:
        self.known = tariffs_of(set(party_fks))
        self.at = at
        self.memo: dict[tuple, Price | None] = {}
        self.figures: dict[tuple, Price | None] = {}  # by chosen tariff, zone (and power)
        self.until: datetime | None = None  # the first moment a price given may change

    def price(
        self,
        party_fk: int,
        tariff_ids: Sequence[str] | None,
        time_zone: str,
        power_kw: Decimal | None,
    ) -> Price | None:
        """Return the price a connector shows now (None: none of its tariffs is known)."""
        key = (party_fk, tuple(tariff_ids or ()), time_zone, power_kw)
        if key not in self.memo:  # the same tariffs, zone and power give the same figures
            known = self.known.get(party_fk, {})
            found = [known[t.lower()] for t in key[1] if t.lower() in known]
            chosen = choose_tariff(found, at=self.at)
            self.memo[key] = price = self._figures(chosen, time_zone, power_kw)
            # a tariff that begins later may be chosen then; the chosen one's figures flip
            changes = [begins_after(t, self.at) for t in found]
            for moment in [*changes, price.valid_until if price else None]:
                if moment is not None and (self.until is None or moment < self.until):
                    self.until = moment
        return self.memo[key]

    def _figures(
        self, tariff: dict | None, time_zone: str, power_kw: Decimal | None
    ) -> Price | None:
        """Return a chosen tariff's figures now; None when it cannot be shown (publishable)."""
        if tariff is None:
            return None
        # Connectors of every power share one tariff's figures unless it restricts power.
        key = (id(tariff), time_zone, power_kw if restricts_power(tariff) else None)
        if key not in self.figures:  # self.known keeps the tariff, hence its id, alive
            self.figures[key] = (
                current_price(tariff, at=self.at, time_zone=time_zone, max_power_kw=power_kw)
                if publishable(tariff)
                else None
            )
        return self.figures[key]


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@lru_cache(maxsize=1024)  # connectors sharing a tariff share one Price (Pricer)
def price_object(price: Price | None) -> dict | None:
    """Return the public figures of one connector's price as the JSON exports write them."""
    if price is None:
        return None
    return {
        "tariff_id": price.tariff_id,
        "currency": price.currency,
        "energy_excl_vat": _number(price.energy_excl_vat),
        "vat_rate": _number(price.vat_rate),
        "energy_incl_vat": _number(price.energy_incl_vat),
        "flat": _number(price.flat),
        "time_per_hour": _number(price.time_per_hour),
        "parking_per_hour": _number(price.parking_per_hour),
        "free": price.free,
        "valid_until": utc_text(price.valid_until),
    }
