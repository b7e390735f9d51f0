"""What an OCPI 2.3.0 tariff's prices mean, in SGV's public terms (SPEC §3, §4; issue #16).

SGV's public figure is the price excluding VAT, with the VAT rate, from which
sgv/public/tariffs.py derives the incl.-VAT figure. A tariff pushed before 2.3.0 is
already in those terms: prices exclude VAT and an absent `vat` means unknown. A 2.3.0
tariff says by `tax_included` (stored in its own column) what its prices are:

* `NO`  — prices exclude taxes: kept; an absent `vat` means no VAT applies (0 %).
* `YES` — prices include taxes: price ex VAT = price / (1 + vat/100), an absent `vat`
  being 0 % (the price is then already ex VAT). 0.363 €/kWh with 21 % → 0.30 €/kWh.
* `N/A` — no taxes apply: kept, VAT 0 % (a `vat` sent anyway is not applied).

An ex-VAT price is rounded half-up to 6 decimals: the incl.-VAT figure, recomputed and
rounded to 4 decimals, then gives back the pushed price (to within 1e-6 × 2, VAT ≤ 100 %).
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sgv.public.tariffs import to_decimal

EX_VAT_QUANTUM = Decimal("0.000001")


def ex_vat_component(component: dict, tax_included: str) -> dict:
    """Return one 2.3.0 price component in 2.2.1 terms: price ex VAT, `vat` explicit."""
    rate = to_decimal(component.get("vat"))
    if tax_included == "N/A" or component.get("vat") is None:
        rate = Decimal(0)
    if rate is None or rate < 0:  # unreadable: left to publishable() to refuse
        return component
    converted = {**component, "vat": rate}
    price = to_decimal(component.get("price"))
    if tax_included == "YES" and price is not None and rate:
        try:
            converted["price"] = (price / (1 + rate / 100)).quantize(
                EX_VAT_QUANTUM, rounding=ROUND_HALF_UP
            )
        except InvalidOperation:  # beyond Decimal's precision: no price rather than a 500
            converted["price"] = None
    return converted


def _components_mapped(tariff: dict, change) -> dict:
    """Return a copy of `tariff` with `change` applied to each of its price components."""
    elements = []
    for element in tariff["elements"]:
        components = element.get("price_components") if isinstance(element, dict) else None
        if isinstance(components, list):
            element = {
                **element,
                "price_components": [change(c) if isinstance(c, dict) else c for c in components],
            }
        elements.append(element)
    return {**tariff, "elements": elements}


def ex_vat(tariff: dict, tax_included: str | None) -> dict:
    """Return a stored tariff in 2.2.1 terms (a copy); unchanged before 2.3.0 (None)."""
    if tax_included is None or not isinstance(tariff.get("elements"), list):
        return tariff
    converted = _components_mapped(tariff, lambda c: ex_vat_component(c, tax_included))
    # The copy's prices exclude VAT now: it says so, so that no reader converts it again
    # (sgv/public/session_cost.py refuses a tariff still marked YES).
    marked = "NO" if tax_included == "YES" else tariff.get("tax_included")
    return {**converted, "tax_included": marked}


def in_public_terms(tariff: dict, tax_included: str | None, ocpi_version: str | None) -> dict:
    """Return a stored tariff as the public prices read it: 2.3.0 converted to ex-VAT
    terms; 2.1.1 without any `vat` (that version has none: a stray field kept with the
    unknown ones is not a VAT rate)."""
    if ocpi_version == "2.1.1" and isinstance(tariff.get("elements"), list):
        return _components_mapped(tariff, _without_vat)
    return ex_vat(tariff, tax_included)


def _without_vat(component: dict) -> dict:
    return {name: value for name, value in component.items() if name != "vat"}
