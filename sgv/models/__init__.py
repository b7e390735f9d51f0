"""Tables only, by domain. Queries live in the service modules.

Pattern for later tables: add the model to the module of its domain (or a new one
imported here), then a migration under migrations/versions/ (README, "Changing the
schema").
"""

from sgv.models.history import status_history
from sgv.models.ocpi import Connector, Evse, Location, ParkingPlace, Rejection, Tariff
from sgv.models.parties import (
    PARTY_STATES,
    AuditEntry,
    CheckRun,
    MaintenanceWindow,
    Party,
)
from sgv.models.registry import ChargePoint, Installation

__all__ = [
    "PARTY_STATES",
    "AuditEntry",
    "ChargePoint",
    "CheckRun",
    "Connector",
    "Evse",
    "Installation",
    "Location",
    "MaintenanceWindow",
    "ParkingPlace",
    "Party",
    "Rejection",
    "Tariff",
    "status_history",
]
