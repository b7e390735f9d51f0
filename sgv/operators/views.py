"""Blueprint: /operators and /operators/<country>-<party>, who keeps its word (issue #19).

The figures are sgv/operators/figures.py's; /opendata/operators.json serves the same list
(sgv/opendata/views.py). Nothing is cached in the app: a revocation shows at once.
"""

from datetime import UTC, datetime

from flask import Blueprint, abort, render_template

from sgv.maps import i18n
from sgv.maps.views import page_context
from sgv.operators import figures
from sgv.operators.texts import STRINGS

bp = Blueprint("operators", __name__)
bp.after_request(i18n.remember)


def context(lang: str) -> dict:
    """Return the page context with the operators' words as `o`."""
    return {**page_context(lang), "o": i18n.column(STRINGS, lang), "days": figures.WINDOW_DAYS}


@bp.get("/operators")
def operators_page() -> str:
    """List every RIPREE operator, largest first, with its coverage and quality."""
    rows = figures.overview(datetime.now(UTC))
    rows.sort(key=lambda row: (-row["charge_points"], row["name"] or ""))
    return render_template("operators.html", operators=rows, **context(i18n.language()))


@bp.get("/operators/<string(length=2):country_code>-<party_id>")
def operator_page(country_code: str, party_id: str) -> str:
    """Show one operator's coverage and quality now, and its quality week by week."""
    now = datetime.now(UTC)
    country_code, party_id = country_code.upper(), party_id.upper()
    found = figures.overview(now, country_code, party_id)
    if not found:
        abort(404)
    weeks = figures.history(country_code, party_id, now)
    lang = i18n.language()
    return render_template("operator.html", op=found[0], weeks=weeks, **context(lang))
