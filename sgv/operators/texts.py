"""The operators pages' words, in Spanish and English (`key: (es, en)`, as sgv/maps/i18n.py)."""

STRINGS = {
    "title": ("Operadores", "Operators"),
    "intro": (
        "Cada operador del registro RIPREE: cuántos puntos de recarga tiene, cuántos publica "
        "en tiempo real y cuántos de 43 kW o más no lo hacen (Orden TED/445/2023 los obliga), "
        "y cómo se comporta su conexión OCPI en los últimos {days} días.",
        "Every operator in the RIPREE register: its charge points, how many it publishes "
        "live, how many of 43 kW or more do not (Orden TED/445/2023 obliges them to), and "
        "how its OCPI connection behaved over the last {days} days.",
    ),
    "download": ("Descargar como JSON (datos abiertos)", "Download as JSON (open data)"),
    "caption": ("Operadores y su calidad de datos", "Operators and their data quality"),
    "operator": ("Operador", "Operator"),
    "state": ("Estado", "State"),
    "charge_points": ("Puntos de recarga", "Charge points"),
    "live_charge_points": ("En tiempo real", "Live"),
    "obliged_without_live": ("≥ 43 kW sin tiempo real", "≥ 43 kW without live data"),
    "checks_answered": ("Comprobaciones respondidas", "Checks answered"),
    "not_pushed": ("Cambios no enviados", "Updates not pushed"),
    "median_age": ("Antigüedad mediana del estado", "Median age of status"),
    "rejected": ("Envíos rechazados", "Rejected pushes"),
    "week": ("Semana", "Week"),
    "checks": ("Comprobaciones", "Checks"),
    "history": ("Semana a semana", "Week by week"),
    "no_history": (
        "Este operador no se ha integrado: no hay comprobaciones que mostrar.",
        "This operator never integrated: there are no checks to show.",
    ),
    "scroll": ("Tabla desplazable", "Scrollable table"),
    "all_operators": ("← Todos los operadores", "← All operators"),
    "none": ("—", "—"),
    "state_not_integrated": ("No integrado", "Not integrated"),
    "state_integrating": ("Integrándose", "Integrating"),
    "state_live": ("En tiempo real", "Live"),
    "state_revoked": ("Revocado", "Revoked"),
    "hidden_note": (
        "Sus datos en tiempo real no se publican mientras su calidad no se restablezca; "
        "aquí solo se muestran su cobertura y su calidad.",
        "Its live data is not published until its quality is restored; only its coverage "
        "and quality are shown here.",
    ),
    "definitions": (
        "Comprobaciones respondidas: parte de las comprobaciones horarias en que su servidor "
        "respondió. Cambios no enviados: parte de los objetos leídos en esas comprobaciones "
        "que diferían de lo que había enviado. Antigüedad mediana: desde el último estado "
        "recibido de sus puntos.",
        "Checks answered: the share of hourly checks its server answered. Updates not "
        "pushed: the share of the objects read in those checks that differed from what it "
        "had pushed. Median age: since the last status received for its charge points.",
    ),
}
