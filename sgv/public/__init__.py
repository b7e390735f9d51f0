"""THE public door: every public read goes through what this package exports (SPEC §4, §8).

rules.py names the database views that hold SPEC §4's rules and the staging rule;
view.py builds installations from them; connectors.py adds the
OCPI static details of public connectors; corridor.py selects and orders along a route;
wanted.py holds the map's filters (power, connector, available now, max price);
changes.py says what changed and when the clock changes it next; documents.py renders
the exports in SQL; prices.py is the one price form.
"""

from sgv.public import documents
from sgv.public.changes import (
    changed_charge_points,
    changed_installations,
    dynamic_changes,
    next_change,
    public_charge_points,
    repriced_charge_points,
    retired_installations,
)
from sgv.public.connectors import ConnectorDetails, connector_details
from sgv.public.corridor import Corridor
from sgv.public.prices import Pricer, cheapest, choose_tariff, price_from, price_object
from sgv.public.rules import has_live_data, public_connectors, public_evses, publishes
from sgv.public.tariffs import Price
from sgv.public.view import (
    ChargePoint,
    Installation,
    LiveConnector,
    LiveStatus,
    database_now,
    installation,
    installations,
    live_index,
    live_installations,
    map_places,
    map_sites,
)
from sgv.public.wanted import Wanted

__all__ = [
    "ChargePoint",
    "ConnectorDetails",
    "Corridor",
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
    "choose_tariff",
    "database_now",
    "documents",
    "dynamic_changes",
    "has_live_data",
    "installation",
    "installations",
    "live_index",
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
]
