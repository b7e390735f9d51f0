"""The availability section's strings, `key: (es, en)` like sgv/maps/i18n.py."""

STRINGS: dict[str, tuple[str, str]] = {
    "heading": ("Cuándo suele estar libre", "When it is usually free"),
    "intro": (
        "Proporción del tiempo en que sus puntos de recarga estuvieron disponibles, por día "
        "y hora local, en las últimas 4 semanas (barra llena: siempre libre).",
        "Share of the time its charge points were available, by day and local hour, over "
        "the last 4 weeks (full bar: always free).",
    ),
    "not_enough": (
        "Aún no hay historial suficiente: hacen falta {days} días de estados en tiempo real.",
        "Not enough history yet: {days} days of live statuses are needed.",
    ),
    "simulated": ("Historial simulado (demo).", "Simulated history (demo)."),
    "chart_label": (
        "Gráfico de disponibilidad por día y hora; las cifras están en la tabla siguiente.",
        "Chart of availability by day and hour; the figures are in the table below.",
    ),
    "as_table": ("Ver las cifras en una tabla", "Show the figures as a table"),
    "hour": ("Hora", "Hour"),
    "no_data": ("sin datos", "no data"),
    "caption": (
        "Porcentaje del tiempo disponible, por hora local y día de la semana",
        "Share of the time available, by local hour and day of the week",
    ),
}

DAYS: tuple[tuple[str, str, str, str], ...] = (  # short es, short en, long es, long en
    ("L", "Mon", "lunes", "Monday"),
    ("M", "Tue", "martes", "Tuesday"),
    ("X", "Wed", "miércoles", "Wednesday"),
    ("J", "Thu", "jueves", "Thursday"),
    ("V", "Fri", "viernes", "Friday"),
    ("S", "Sat", "sábado", "Saturday"),
    ("D", "Sun", "domingo", "Sunday"),
)


def strings(lang: str) -> dict[str, str]:
    """Return the strings in `lang` (es or en)."""
    column = 0 if lang == "es" else 1
    return {key: pair[column] for key, pair in STRINGS.items()}


def percent(share: float, lang: str) -> str:
    """Write a share as a whole percentage as each language does (85 %, no break; 85%)."""
    return f"{round(share * 100)}\u00a0%" if lang == "es" else f"{round(share * 100)}%"
