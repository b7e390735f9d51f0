"""The map's route planner in the two languages (sgv/maps/i18n.py merges them in)."""

ROUTE_STRINGS: dict[str, tuple[str, str]] = {
    "route": ("Ruta", "Route"),
    "route_title": ("Puntos de recarga a lo largo de una ruta", "Charging points along a route"),
    "route_straight": (
        "Sin navegador: la ruta es la línea recta entre tus puntos, o el recorrido que cargues.",
        "No routing engine: the route is the straight line between your points, or the track "
        "you load.",
    ),
    "route_from": ("Origen", "From"),
    "route_to": ("Destino", "To"),
    "route_stop": ("Parada {n}", "Stop {n}"),
    "route_place_hint": (
        "Municipio, provincia o dirección; o «lat, lon»",
        "Town, province or address; or “lat, lon”",
    ),
    "route_pick": ("Elegir en el mapa", "Pick on the map"),
    "route_pick_now": ("Pulsa en el mapa para fijar: {field}", "Click the map to set: {field}"),
    "route_picked": ("Punto del mapa", "Point on the map"),
    "route_add_stop": ("Añadir parada", "Add a stop"),
    "route_remove_stop": ("Quitar parada {n}", "Remove stop {n}"),
    "route_km": ("Distancia máxima a la ruta (km)", "Largest distance from the route (km)"),
    "route_file": ("O carga un recorrido GPX o GeoJSON", "Or load a GPX or GeoJSON track"),
    "route_show": ("Buscar a lo largo de la ruta", "Search along the route"),
    "route_clear": ("Borrar ruta", "Clear route"),
    "route_close": ("Cerrar ruta", "Close route"),
    "route_need": ("Falta un lugar: {field}", "A place is missing: {field}"),
    "route_unknown": ("No encontramos «{text}» ({field})", "We cannot find “{text}” ({field})"),
    "route_bad_file": (
        "No podemos leer ese archivo: necesitamos un GPX o un GeoJSON con una línea.",
        "We cannot read that file: we need a GPX or GeoJSON file with a line.",
    ),
    "route_simplified": (
        "Recorrido simplificado de {from} a {to} puntos para caber en el enlace.",
        "Track simplified from {from} to {to} points to fit in the link.",
    ),
    "route_loading": ("Buscando a lo largo de la ruta…", "Searching along the route…"),
    "route_failed": ("No hemos podido buscar a lo largo de la ruta.", "The route search failed."),
    "route_too_large": (
        "La ruta es demasiado larga para esa distancia: acórtala o reduce los km.",
        "The route is too long for that distance: shorten it or lower the km.",
    ),
    "route_summary": (
        "{shown} de {total} instalaciones a menos de {km} km de la ruta ({length} km), en orden de "
        "recorrido",
        "{shown} of {total} sites within {km} km of the route ({length} km), in route order",
    ),
    "route_none": (
        "Ninguna instalación a lo largo de la ruta cumple los filtros.",
        "No site along the route matches the filters.",
    ),
    "route_at_km": ("km {km}", "km {km}"),
    "route_list": ("A lo largo de la ruta", "Along the route"),
    "route_edit": ("Cambiar ruta", "Change route"),
    "route_hide": ("Ocultar la lista", "Hide the list"),
}
