"""The public pages' two languages: Spanish by default, English on request (SPEC §8).

The language comes from `?lang=` first, then the `lang` cookie (set whenever `?lang=` is
given, so a choice sticks), then Spanish. Strings are `key: (es, en)` pairs, so a missing
translation is impossible; the map's JavaScript receives the chosen column as JSON.
"""

from datetime import UTC, datetime
from decimal import Decimal

from flask import Response, request

from sgv.maps.amenity_strings import STRINGS_230
from sgv.maps.route_strings import ROUTE_STRINGS

LANGUAGES = ("es", "en")
DEFAULT = "es"
COOKIE = "lang"
COOKIE_AGE = 365 * 24 * 3600

STRINGS: dict[str, tuple[str, str]] = {
    "title": ("Mapa de puntos de recarga", "Charging point map"),
    "switch_to": ("English", "Español"),
    "switch_lang": ("en", "es"),
    "search": ("Buscar", "Search"),
    "search_placeholder": (
        "Municipio, provincia, dirección, operador o nombre",
        "Town, province, address, operator or name",
    ),
    "search_loading": ("Cargando…", "Loading…"),
    "search_none": ("Sin resultados", "No results"),
    "kind_municipality": ("Municipio", "Town"),
    "kind_province": ("Provincia", "Province"),
    "kind_operator": ("Operador", "Operator"),
    "kind_installation": ("Instalación", "Site"),
    "near_me": ("Cerca de mí", "Near me"),
    "locating": ("Buscando tu ubicación…", "Finding your location…"),
    "geo_denied": (
        "No tenemos permiso para usar tu ubicación. Puedes permitirlo en el navegador "
        "o buscar un municipio o una dirección.",
        "We are not allowed to use your location. You can allow it in your browser, "
        "or search for a town or an address.",
    ),
    "geo_failed": (
        "No hemos podido obtener tu ubicación. Prueba de nuevo o busca un municipio.",
        "We could not get your location. Try again, or search for a town.",
    ),
    "geo_unsupported": (
        "Este navegador no permite conocer tu ubicación. Busca un municipio o una dirección.",
        "This browser cannot share your location. Search for a town or an address.",
    ),
    "you_are_here": ("Estás aquí", "You are here"),
    "nearest": ("Más cercanos con estos filtros", "Nearest with these filters"),
    "nearest_none": ("Ningún punto cumple los filtros.", "No charging point matches the filters."),
    "filters": ("Filtros", "Filters"),
    "connector": ("Conector", "Connector"),
    "any": ("Cualquiera", "Any"),
    "min_kw": ("Potencia mínima", "Minimum power"),
    "operator": ("Operador", "Operator"),
    "available": ("Disponible ahora", "Available now"),
    "max_price": ("Precio máximo (€/kWh sin IVA)", "Maximum price (€/kWh excl. VAT)"),
    "reset": ("Quitar filtros", "Clear filters"),
    "count": ("{shown} de {total} instalaciones", "{shown} of {total} sites"),
    "loading": ("Cargando puntos de recarga…", "Loading charging points…"),
    "load_failed": (
        "No se han podido cargar los puntos de recarga. Recarga la página.",
        "The charging points could not be loaded. Reload the page.",
    ),
    "noscript": (
        "El mapa necesita JavaScript. Cada instalación tiene también su propia página.",
        "The map needs JavaScript. Each site also has a page of its own.",
    ),
    "staging": (
        "Entorno de pruebas: no publica datos.",
        "Test environment: it publishes no data.",
    ),
    "legend": ("Leyenda", "Legend"),
    "legend_power": ("Potencia máxima del punto", "Site's maximum power"),
    "tier_0": ("menos de 22 kW", "below 22 kW"),
    "tier_1": ("22 a 49 kW", "22 to 49 kW"),
    "tier_2": ("50 a 149 kW", "50 to 149 kW"),
    "tier_3": ("150 kW o más", "150 kW or more"),
    "legend_number": ("El número: potencia máxima en kW", "The number: maximum power in kW"),
    "legend_live": ("Relleno: con datos en tiempo real", "Filled: with live data"),
    "legend_static": ("Hueco: solo datos del registro", "Hollow: register data only"),
    "legend_free": ("algún punto libre ahora", "at least one point free now"),
    "legend_busy": ("ninguno libre ahora", "none free now"),
    "legend_unknown": ("estado desconocido ahora", "status unknown now"),
    "legend_cluster": (
        "grupo de instalaciones: pulsa para ampliar",
        "group of sites: select to zoom in",
    ),
    "cluster_label": ("Grupo de {count} instalaciones: ampliar", "Group of {count} sites: zoom in"),
    "marker_live": ("con datos en tiempo real", "with live data"),
    "marker_static": ("solo datos del registro", "register data only"),
    "marker_free": ("{count} libres", "{count} free"),
    "marker_busy": ("ninguno libre", "none free"),
    "close": ("Cerrar", "Close"),
    "back": ("Volver a la lista", "Back to the list"),
    "details": ("Ficha completa", "Full details"),
    "show_on_map": ("Ver en el mapa", "Show on the map"),
    "address": ("Dirección", "Address"),
    "operator_phone": ("Teléfono del operador", "Operator's phone"),
    "opening_hours": ("Horario", "Opening hours"),
    "always_open": ("Abierto 24 horas", "Open 24 hours"),
    "access": ("Acceso", "Access"),
    "access_public": ("Público", "Public"),
    "access_restricted": ("Restringido", "Restricted"),
    "charge_points": ("Puntos de recarga", "Charge points"),
    "power": ("Potencia", "Power"),
    "live_note": (
        "Esta instalación no ofrece ahora datos en tiempo real: se muestran los datos del "
        "registro oficial (RIPREE).",
        "This site offers no live data now: the official register's data (RIPREE) is shown.",
    ),
    "status_note": ("Estado en tiempo real no disponible ahora.", "Live status not available now."),
    "status_age": ("actualizado hace {age}", "updated {age} ago"),
    "free_points": ("{available} de {live} libres ahora", "{available} of {live} free now"),
    "price": ("Precio", "Price"),
    "price_from": ("desde {price}/kWh sin IVA", "from {price}/kWh excl. VAT"),
    "energy_excl_vat": ("{price}/kWh sin IVA", "{price}/kWh excl. VAT"),
    "vat_rate": ("IVA {rate}\u00a0%", "VAT {rate}\u00a0%"),
    "vat_unknown": ("IVA no informado", "VAT not stated"),
    "energy_incl_vat": ("{price}/kWh con IVA", "{price}/kWh incl. VAT"),
    "flat": ("{price} por sesión", "{price} per session"),
    "time": ("{price} por hora de carga", "{price} per hour charging"),
    "parking": ("{price} por hora de estacionamiento", "{price} per hour parked"),
    "free_of_charge": ("Gratuito", "Free of charge"),
    "no_price": ("Precio no publicado", "No price published"),
    "updated": ("Datos del registro actualizados el {date}", "Register data updated on {date}"),
    "not_found": ("Instalación no encontrada", "Site not found"),
}

assert not STRINGS.keys() & STRINGS_230.keys(), "a 2.3.0 string would replace one above"
STRINGS.update(STRINGS_230)
STRINGS |= ROUTE_STRINGS  # the route planner's, kept in a file of their own

STATUSES: dict[str, tuple[str, str]] = {
    "AVAILABLE": ("Libre", "Free"),
    "CHARGING": ("En uso", "In use"),
    "BLOCKED": ("Bloqueado", "Blocked"),
    "RESERVED": ("Reservado", "Reserved"),
    "INOPERATIVE": ("Fuera de servicio", "Out of service"),
    "OUTOFORDER": ("Averiado", "Out of order"),
    "PLANNED": ("En construcción", "Planned"),
}

# OCPI 2.2.1 connector standards as drivers call them; others show their OCPI code.
CONNECTORS: dict[str, tuple[str, str]] = {
    "IEC_62196_T2_COMBO": ("CCS (Combo 2)", "CCS (Combo 2)"),
    "IEC_62196_T2": ("Tipo 2", "Type 2"),
    "CHADEMO": ("CHAdeMO", "CHAdeMO"),
    "DOMESTIC_F": ("Schuko", "Schuko"),
    "IEC_62196_T1": ("Tipo 1", "Type 1"),
    "IEC_62196_T1_COMBO": ("CCS (Combo 1)", "CCS (Combo 1)"),
    "IEC_62196_T3A": ("Tipo 3A", "Type 3A"),
    "IEC_62196_T3C": ("Tipo 3C", "Type 3C"),
    "TESLA_S": ("Tesla", "Tesla"),
    "GBT_DC": ("GB/T DC", "GB/T DC"),
}


def language() -> str:
    """Return the request's language: ?lang=, else the cookie, else Spanish."""
    for choice in (request.args.get("lang"), request.cookies.get(COOKIE)):
        if choice in LANGUAGES:
            return choice
    return DEFAULT


def remember(response: Response) -> Response:
    """Keep an explicit ?lang= choice in a cookie, for the next visit."""
    choice = request.args.get("lang")
    if choice in LANGUAGES and request.cookies.get(COOKIE) != choice:
        response.set_cookie(COOKIE, choice, max_age=COOKIE_AGE, samesite="Lax", httponly=True)
    return response


def column(table: dict[str, tuple[str, str]], lang: str) -> dict[str, str]:
    """Return one language's column of a `key: (es, en)` table."""
    index = LANGUAGES.index(lang)
    return {key: pair[index] for key, pair in table.items()}


def connector_label(standard: str, lang: str) -> str:
    """Return a connector standard's everyday name."""
    pair = CONNECTORS.get(standard)
    return pair[LANGUAGES.index(lang)] if pair else standard


def number(value: Decimal | float | int, lang: str, max_decimals: int = 2) -> str:
    """Format a number with up to `max_decimals` decimals, with the language's decimal mark."""
    text = f"{Decimal(str(value)):.{max_decimals}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if lang == "es" else text


def money(value: Decimal, currency: str, lang: str) -> str:
    """Format an amount: two decimals at least, four at most (sub-cent €/kWh matter)."""
    text = number(value, lang, 4)
    whole, _, decimals = text.replace(",", ".").partition(".")
    text = f"{whole}.{decimals.ljust(2, '0')}"
    text = text.replace(".", ",") if lang == "es" else text
    symbol = "€" if currency == "EUR" else currency
    return f"{text}\u00a0{symbol}" if lang == "es" or symbol != "€" else f"€{text}"


def power(kw: Decimal | float | None, lang: str) -> str:
    """Format a power in kW."""
    return "—" if kw is None else f"{number(kw, lang, 1)} kW"


def age(seconds: float, lang: str) -> str:
    """Say how old something is: minutes, hours or days."""
    minutes = max(int(seconds // 60), 0)
    if minutes < 1:
        return "<1 min"
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    days = minutes // (24 * 60)
    return f"{days} días" if lang == "es" else f"{days} days"


class Formatter:
    """The formatting helpers templates call, bound to one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.strings = column(STRINGS, lang)
        self.statuses = column(STATUSES, lang)
        self.connectors = column(CONNECTORS, lang)

    def money(self, value: Decimal, currency: str = "EUR") -> str:
        return money(value, currency, self.lang)

    def number(self, value: Decimal | float, max_decimals: int = 2) -> str:
        return number(value, self.lang, max_decimals)

    def power(self, kw: Decimal | float | None) -> str:
        return power(kw, self.lang)

    def connector(self, standard: str) -> str:
        return connector_label(standard, self.lang)

    def status(self, status: str) -> str:
        return self.statuses.get(status, status)

    def age(self, since: datetime) -> str:
        """Say how long ago `since` was."""
        return age((datetime.now(UTC) - since).total_seconds(), self.lang)

    def age_seconds(self, seconds: float) -> str:
        """Say how long `seconds` is, as an age."""
        return age(seconds, self.lang)

    def price_parts(self, price: dict | None) -> list[str]:
        """Return a connector's price as phrases: ex-VAT €/kWh, VAT, incl. VAT, the rest."""
        t = self.strings
        if price is None:
            return [t["no_price"]]
        if price["free"]:
            return [t["free_of_charge"]]

        def cash(value: Decimal) -> str:
            return self.money(value, price["currency"])

        parts = []
        if price["energy_excl_vat"] is not None:
            parts.append(t["energy_excl_vat"].format(price=cash(price["energy_excl_vat"])))
            if price["vat_rate"] is None:
                parts.append(t["vat_unknown"])
            else:
                parts.append(t["vat_rate"].format(rate=self.number(price["vat_rate"])))
                parts.append(t["energy_incl_vat"].format(price=cash(price["energy_incl_vat"])))
        for key, phrase in (
            ("flat", "flat"),
            ("time_per_hour", "time"),
            ("parking_per_hour", "parking"),
        ):
            if price[key] is not None:
                parts.append(t[phrase].format(price=cash(price[key])))
        return parts or [t["no_price"]]
