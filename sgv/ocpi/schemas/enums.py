"""The values OCPI allows in its enums (OCPI 2.2.1; 2.1.1's lists are subsets, except
LOCATION_TYPES). Status drives behaviour and is strict; the rest are descriptive and
lenient: newer versions add values (SPEC §3).
"""

import string

STATUSES = (
    "AVAILABLE",
    "BLOCKED",
    "CHARGING",
    "INOPERATIVE",
    "OUTOFORDER",
    "PLANNED",
    "REMOVED",
    "RESERVED",
    "UNKNOWN",
)
CAPABILITIES = frozenset(
    {
        "CHARGING_PROFILE_CAPABLE",
        "CHARGING_PREFERENCES_CAPABLE",
        "CHIP_CARD_SUPPORT",
        "CONTACTLESS_CARD_SUPPORT",
        "CREDIT_CARD_PAYABLE",
        "DEBIT_CARD_PAYABLE",
        "PED_TERMINAL",
        "REMOTE_START_STOP_CAPABLE",
        "RESERVABLE",
        "RFID_READER",
        "START_SESSION_CONNECTOR_REQUIRED",
        "TOKEN_GROUP_CAPABLE",
        "UNLOCK_CAPABLE",
    }
)
CONNECTOR_TYPES_221 = frozenset(
    {
        "CHADEMO",
        "CHAOJI",
        *(f"DOMESTIC_{letter}" for letter in string.ascii_uppercase[:15]),  # A…O
        "GBT_AC",
        "GBT_DC",
        "IEC_60309_2_single_16",
        "IEC_60309_2_three_16",
        "IEC_60309_2_three_32",
        "IEC_60309_2_three_64",
        "IEC_62196_T1",
        "IEC_62196_T1_COMBO",
        "IEC_62196_T2",
        "IEC_62196_T2_COMBO",
        "IEC_62196_T3A",
        "IEC_62196_T3C",
        "NEMA_5_20",
        "NEMA_6_30",
        "NEMA_6_50",
        "NEMA_10_30",
        "NEMA_10_50",
        "NEMA_14_30",
        "NEMA_14_50",
        "PANTOGRAPH_BOTTOM_UP",
        "PANTOGRAPH_TOP_DOWN",
        "TESLA_R",
        "TESLA_S",
    }
)
# OCPI 2.3.0 adds MCS and SAE_J3400 (NACS): known, so a 2.2.1 push using them gets no warning.
CONNECTOR_TYPES = CONNECTOR_TYPES_221 | {"MCS", "SAE_J3400"}
CONNECTOR_FORMATS = frozenset({"SOCKET", "CABLE"})
POWER_TYPES = frozenset({"AC_1_PHASE", "AC_2_PHASE", "AC_2_PHASE_SPLIT", "AC_3_PHASE", "DC"})
PARKING_TYPES = frozenset(
    {
        "ALONG_MOTORWAY",
        "PARKING_GARAGE",
        "PARKING_LOT",
        "ON_DRIVEWAY",
        "ON_STREET",
        "UNDERGROUND_GARAGE",
    }
)
LOCATION_TYPES = frozenset(  # OCPI 2.1.1 Location.type
    {"ON_STREET", "PARKING_GARAGE", "UNDERGROUND_GARAGE", "PARKING_LOT", "OTHER", "UNKNOWN"}
)
PARKING_RESTRICTIONS = frozenset({"EV_ONLY", "PLUGGED", "DISABLED", "CUSTOMERS", "MOTORCYCLES"})
FACILITIES = frozenset(
    {
        "HOTEL",
        "RESTAURANT",
        "CAFE",
        "MALL",
        "SUPERMARKET",
        "SPORT",
        "RECREATION_AREA",
        "NATURE",
        "MUSEUM",
        "BIKE_SHARING",
        "BUS_STOP",
        "TAXI_STAND",
        "TRAM_STOP",
        "METRO_STATION",
        "TRAIN_STATION",
        "AIRPORT",
        "PARKING_LOT",
        "CARPOOL_PARKING",
        "FUEL_STATION",
        "WIFI",
    }
)
IMAGE_CATEGORIES = frozenset(
    {"CHARGER", "ENTRANCE", "LOCATION", "NETWORK", "OPERATOR", "OTHER", "OWNER"}
)
ENERGY_SOURCES = frozenset(
    {"NUCLEAR", "GENERAL_FOSSIL", "COAL", "GAS", "GENERAL_GREEN", "SOLAR", "WIND", "WATER"}
)
ENVIRONMENTAL_IMPACTS = frozenset({"NUCLEAR_WASTE", "CARBON_DIOXIDE"})
TOKEN_TYPES = frozenset({"AD_HOC_USER", "APP_USER", "OTHER", "RFID"})
TARIFF_TYPES = frozenset(
    {"AD_HOC_PAYMENT", "PROFILE_CHEAP", "PROFILE_FAST", "PROFILE_GREEN", "REGULAR"}
)
TARIFF_DIMENSIONS = frozenset({"ENERGY", "FLAT", "PARKING_TIME", "TIME"})
DAYS = frozenset({"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"})
RESERVATIONS = frozenset({"RESERVATION", "RESERVATION_EXPIRES"})
ROLES = frozenset({"CPO", "EMSP", "HUB", "NAP", "NSP", "OTHER", "SCSP"})

# --- OCPI 2.3.0 additions (v230.py): parking, connector capabilities, taxes ------------
# ParkingRestriction gained values in 2.3.0: known there, unknown (a warning) in 2.2.1.
PARKING_RESTRICTIONS_230 = PARKING_RESTRICTIONS | {"EMPLOYEES", "TAXIS", "TENANTS"}
VEHICLE_TYPES = frozenset(
    {
        "MOTORCYCLE",
        "PERSONAL_VEHICLE",
        "PERSONAL_VEHICLE_WITH_TRAILER",
        "VAN",
        "SEMI_TRACTOR",
        "RIGID",
        "TRUCK_WITH_TRAILER",
        "BUS",
        "DISABLED",
    }
)
PARKING_DIRECTIONS = frozenset({"PARALLEL", "PERPENDICULAR", "ANGLE"})
EVSE_POSITIONS = frozenset({"LEFT", "RIGHT", "CENTER"})
PLUG_AND_CHARGE = frozenset({"ISO_15118_2_PLUG_AND_CHARGE", "ISO_15118_20_PLUG_AND_CHARGE"})
CONNECTOR_CAPABILITIES = PLUG_AND_CHARGE
TAX_INCLUDED = ("YES", "NO", "N/A")  # strict: it decides what every price means
ROLES_230 = ROLES - {"HUB"}  # 2.3.0 reports a hub's parties as roles (hub_party_id)
