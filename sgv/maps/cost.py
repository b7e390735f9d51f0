"""What a charge costs here, now: the map panel's JSON and the installation page's section.

The driver may set the session (kWh and minutes, `?kwh=&minutes=`); left out, each
connector takes its default (20 kWh in 30 min on AC, 40 kWh in 25 min on DC). Sentences
are written here, in the page's language, for both the page and static/js/map-cost.js.
The figures come from sgv/public/ (public.session_costs): hidden CPOs have none.
"""

from collections.abc import Mapping
from decimal import Decimal

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from sgv import public
from sgv.maps import i18n

MAX_KWH = 1000
MAX_MINUTES = 24 * 60

STRINGS: dict[str, tuple[str, str]] = {
    "cost_title": ("Cuánto cuesta cargar aquí ahora", "What a charge costs here now"),
    "cost_explain": (
        "Estimación con la tarifa que aplica ahora y potencia constante durante toda la "
        "recarga; el importe final lo cobra el operador.",
        "Estimated from the tariff that applies now, at constant power for the whole "
        "session; the operator bills the final amount.",
    ),
    "cost_kwh": ("Energía (kWh)", "Energy (kWh)"),
    "cost_minutes": ("Duración (min)", "Duration (min)"),
    "cost_submit": ("Calcular", "Calculate"),
    "cost_sentence": (
        "Una recarga de {kwh} kWh en {minutes} min cuesta unos {excl} sin IVA ({incl} con IVA)",
        "A {kwh} kWh session in {minutes} min costs about {excl} excl. VAT ({incl} incl. VAT)",
    ),
    "cost_sentence_no_vat": (
        "Una recarga de {kwh} kWh en {minutes} min cuesta unos {excl} sin IVA (IVA desconocido)",
        "A {kwh} kWh session in {minutes} min costs about {excl} excl. VAT (VAT unknown)",
    ),
    "cost_too_fast": (
        "Necesita {needed} de media y este conector da como máximo {kw}: tardaría más.",
        "It needs {needed} on average and this connector gives at most {kw}: it would take longer.",
    ),
    "cost_min_price": ("Incluye el precio mínimo de la tarifa.", "The tariff's minimum price."),
    "cost_max_price": (
        "Limitado al precio máximo de la tarifa.",
        "Capped at the tariff's maximum.",
    ),
    "cost_none": (
        "No se puede estimar el coste con las tarifas de esta instalación.",
        "No cost can be estimated from this site's tariffs.",
    ),
    "cost_bad_input": ("No se puede calcular: {problem}", "Cannot calculate: {problem}"),
}


class CostQuery(Schema):
    """The session a driver asks about; each value optional, out of range is an error."""

    class Meta:
        unknown = EXCLUDE

    kwh = fields.Decimal(
        validate=validate.Range(0, MAX_KWH, min_inclusive=False), allow_nan=False, places=3
    )
    minutes = fields.Integer(validate=validate.Range(1, MAX_MINUTES), strict=False)


def session_query(args: Mapping[str, str]) -> tuple[Decimal | None, int | None]:
    """Return the asked kWh and minutes (None: the default); raise ValidationError."""
    given = {k: v for k, v in args.items() if k in ("kwh", "minutes") and v != ""}
    loaded = CostQuery().load(given)
    return loaded.get("kwh"), loaded.get("minutes")


def problem(error: ValidationError) -> str:
    """Name each bad parameter and say what it must be, in one line."""
    messages = error.normalized_messages()
    return "; ".join(f"{name}: {' '.join(map(str, text))}" for name, text in messages.items())


def _line(found: public.ConnectorCost, lang: str) -> dict:
    t, cost, session = i18n.column(STRINGS, lang), found.cost, found.session
    values = {
        "kwh": i18n.number(session.kwh, lang, 3),
        "minutes": session.minutes,
        "excl": i18n.money(cost.excl_vat, cost.currency, lang),
        "incl": None if cost.incl_vat is None else i18n.money(cost.incl_vat, cost.currency, lang),
    }
    sentence = t["cost_sentence" if cost.incl_vat is not None else "cost_sentence_no_vat"]
    notes = []
    if found.power_kw is not None and cost.power_kw > found.power_kw:
        notes.append(
            t["cost_too_fast"].format(
                needed=i18n.power(cost.power_kw, lang), kw=i18n.power(found.power_kw, lang)
            )
        )
    if cost.limited_by:
        notes.append(t[f"cost_{cost.limited_by}"])
    return {
        "charge_point": found.charge_point,
        "connector": i18n.connector_label(found.standard, lang),
        "kw": found.power_kw,
        "kwh": session.kwh,
        "minutes": session.minutes,
        "currency": cost.currency,
        "excl_vat": cost.excl_vat,
        "incl_vat": cost.incl_vat,
        "text": sentence.format(**values),
        "note": " ".join(notes) or None,
    }


def document(installation_id: str, kwh: Decimal | None, minutes: int | None, lang: str) -> dict:
    """Return the costs of one installation for the panel or the page, with its strings."""
    found = public.session_costs(installation_id, kwh, minutes)
    dc = any(c.typical == public.DC_SESSION for c in found)
    default = public.DC_SESSION if dc else public.AC_SESSION
    return {
        "kwh": kwh,
        "minutes": minutes,
        "form": {  # what the form's fields show, as <input type=number> wants it
            "kwh": format((default.kwh if kwh is None else kwh).normalize(), "f"),
            "minutes": str(default.minutes if minutes is None else minutes),
        },
        "connectors": [_line(c, lang) for c in found],
        "strings": i18n.column(STRINGS, lang),
    }


def for_page(installation_id: str, args: Mapping[str, str], lang: str) -> dict:
    """Return the installation page's cost section; a bad query shows why, and the defaults."""
    try:
        kwh, minutes = session_query(args)
        error = None
    except ValidationError as bad:
        kwh = minutes = None
        error = i18n.column(STRINGS, lang)["cost_bad_input"].format(problem=problem(bad))
    return {**document(installation_id, kwh, minutes, lang), "error": error}
