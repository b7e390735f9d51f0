"""The public pages' strings for what OCPI 2.3.0 adds (issue #16), as `key: (es, en)`.

Kept apart from i18n.py's table, which merges them, so that file stays one screenful.
"""

STRINGS_230: dict[str, tuple[str, str]] = {
    "help_phone": ("Teléfono de asistencia", "Help phone"),
    "parking_title": ("Aparcamiento", "Parking"),
    "parking_trucks": ("Apto para camiones", "Suitable for trucks"),
    "parking_vans": ("Apto para furgonetas", "Suitable for vans"),
    "parking_reservation": ("Reserva obligatoria", "Reservation required"),
    "parking_place": ("Plaza", "Bay"),
    "parking_limits": ("máx. {limits}", "max. {limits}"),
    "parking_drive_through": ("sin maniobras (drive-through)", "drive-through"),
    "plug_and_charge": ("Plug & Charge (ISO 15118)", "Plug & Charge (ISO 15118)"),
    "filter_trucks": ("Apto para camiones", "Suitable for trucks"),
    "vehicle_MOTORCYCLE": ("motocicleta", "motorcycle"),
    "vehicle_PERSONAL_VEHICLE": ("turismo", "car"),
    "vehicle_PERSONAL_VEHICLE_WITH_TRAILER": ("turismo con remolque", "car with trailer"),
    "vehicle_VAN": ("furgoneta", "van"),
    "vehicle_SEMI_TRACTOR": ("cabeza tractora", "semi-tractor"),
    "vehicle_RIGID": ("camión rígido", "rigid truck"),
    "vehicle_TRUCK_WITH_TRAILER": ("camión con remolque", "truck with trailer"),
    "vehicle_BUS": ("autobús", "bus"),
    "vehicle_DISABLED": ("personas con discapacidad", "disabled permit"),
}
