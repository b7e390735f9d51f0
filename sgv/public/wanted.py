"""What a driver wants of a site (SPEC §8 map filters, also on the exports): the SQL.

The map's filters — minimum power, a connector, available now, a maximum €/kWh — select
installations here for the open-data exports (and so for the map's list along a route), by
the same rules as the map's markers: the site's largest RIPREE charge point to 0.1 kW,
a RIPREE connector type, a public EVSE whose status is AVAILABLE now (public_evses: a hidden
CPO has none), and "price from" (SPEC §4: sites without a live energy price are left out),
which only Python prices (prices.py), so it is applied after the prices, not here.
"""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Wanted:
    """The map's filters; None (or False) where not given."""

    min_kw: float | None = None
    connector: str | None = None
    available: bool = False
    max_price: float | None = None

    def condition(self) -> tuple[list[str], dict]:
        """Return the SQL conditions on installations `i` and their parameters.

        Uncorrelated IN: each table or view is read once, hashed. Put in a large statement,
        misestimated rows may still make PostgreSQL run them once per row (the view's
        DISTINCT ON once per charge point: 40 s on the demo data), so documents.py resolves
        them to ids first.
        """
        where, params = [], {}
        if self.min_kw is not None:
            where.append(
                "i.id IN (SELECT w.installation_id FROM charge_points w"
                " WHERE round(w.max_power_kw, 1) >= :wanted_min_kw)"
            )
            params["wanted_min_kw"] = self.min_kw
        if self.connector is not None:
            where.append(
                "i.id IN (SELECT w.installation_id FROM charge_points w"
                " WHERE :wanted_connector = ANY(w.connector_types))"
            )
            params["wanted_connector"] = self.connector
        if self.available:
            where.append(
                "i.id IN (SELECT e.installation_id FROM public_evses e"
                " WHERE e.status = :wanted_status)"
            )
            params["wanted_status"] = "AVAILABLE"  # a bound parameter: documents() counts them
        return where, params

    def priced(self, price_from: Decimal | float | None) -> bool:
        """Tell whether a site's "price from" passes max_price (no price: it does not)."""
        if self.max_price is None:
            return True
        return price_from is not None and float(price_from) <= self.max_price
