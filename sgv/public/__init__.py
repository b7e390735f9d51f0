"""THE public door: every public read goes through what this package exports (SPEC §4, §8).

rules.py names the database views that hold SPEC §4's rules and the staging rule;
view.py builds installations from them; connectors.py adds the
OCPI static details of public connectors; amenities.py OCPI 2.3.0's help phones and
parking places; corridor.py selects and orders along a route; wanted.py holds the map's
filters (power, connector, available now, max price); changes.py says what changed and
when the clock changes it next; documents.py renders the exports in SQL; prices.py is the
one price form; costs.py says what a charge costs now (priced by session_cost.py and
session_periods.py).
"""

from sgv.public import documents, rows
from sgv.public.amenities import Amenities, Parking
from sgv.public.changes import (
    changed_charge_points,
    changed_installations,
    dynamic_changes,
    next_change,
    public_charge_points,
    repriced_charge_points,
    retired_installations,
)
from sgv.public.connectors import ConnectorDetails, Rate, connector_details, connector_rates
from sgv.public.corridor import Corridor
from sgv.public.costs import ConnectorCost, session_costs
from sgv.public.live import NOTHING_LIVE, EvsePrices, LiveColumns, evse_prices, live_columns
from sgv.public.prices import Pricer, cheapest, choose_tariff, price_from, price_object
from sgv.public.refill_points import RefillPoint, Writing, as_refill_points, site_texts
from sgv.public.rules import has_live_data, public_connectors, public_evses, publishes
from sgv.public.session_cost import AC_SESSION, DC_SESSION, Session
from sgv.public.tariffs import Price
from sgv.public.view import (
    ChargePoint,
    Installation,
    LiveConnector,
    LiveStatus,
    database_now,
    installation,
    installations,
    live_installations,
    map_places,
    map_sites,
)
from sgv.public.wanted import Wanted

__all__ = [
    "as_refill_points",
    "site_texts",
    "Writing",
    "Amenities",
    "Parking",
    "AC_SESSION",
    "DC_SESSION",
    "ChargePoint",
    "ConnectorCost",
    "ConnectorDetails",
    "Rate",
    "RefillPoint",
    "Corridor",
    "EvsePrices",
    "LiveColumns",
    "NOTHING_LIVE",
    "Installation",
    "LiveConnector",
    "LiveStatus",
    "Price",
    "Pricer",
    "Wanted",
    "changed_charge_points",
    "changed_installations",
    "cheapest",
    "connector_details",
    "connector_rates",
    "choose_tariff",
    "database_now",
    "documents",
    "dynamic_changes",
    "evse_prices",
    "has_live_data",
    "installation",
    "installations",
    "live_columns",
    "live_installations",
    "map_places",
    "map_sites",
    "next_change",
    "price_from",
    "price_object",
    "public_charge_points",
    "public_connectors",
    "public_evses",
    "publishes",
    "repriced_charge_points",
    "retired_installations",
    "rows",
    "Session",
    "session_costs",
]
