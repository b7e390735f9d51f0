"""Shape an installation's hour-of-week aggregate for templates/_availability.html.

A server-rendered SVG, one row per weekday and one bar per hour whose height is the
share of the time available (readable without colour), and the same figures as a table
(hours down, days across: 8 narrow columns fit a 375 px screen).
"""

from datetime import UTC, datetime

from sgv.history import store
from sgv.history.strings import DAYS, percent, strings

MIN_DAYS = 7  # less history than this and the page says so instead of a chart
LABEL, BAR, ROW, BAR_MAX, AXIS = 28, 12, 30, 24, 16  # SVG geometry, in user units
WIDTH = LABEL + 24 * BAR
HEIGHT = 7 * ROW + AXIS


def bars(shares: list[float | None]) -> list[dict]:
    """One rectangle per observed hour: x, y and height in the SVG's units."""
    found = []
    for slot, share in enumerate(shares):
        if share is None:
            continue
        day, hour = divmod(slot, 24)
        height = round(share * BAR_MAX, 1)
        bottom = (day + 1) * ROW - 2
        found.append({"x": LABEL + hour * BAR + 1, "y": bottom - height, "height": height})
    return found


def table(shares: list[float | None], lang: str, no_data: str) -> list[dict]:
    """Rows of the text alternative: one per hour, a cell per weekday."""
    return [
        {
            "hour": f"{hour:02d}h",
            "cells": [
                percent(s, lang) if (s := shares[day * 24 + hour]) is not None else no_data
                for day in range(7)
            ],
        }
        for hour in range(24)
    ]


def section(site: store.StoredSite | None, lang: str, at: datetime) -> dict:
    """Return what the template shows for one installation's history."""
    t = strings(lang)
    enough = site is not None and site.days_covered(at) >= MIN_DAYS
    result: dict = {"t": t, "enough": enough, "min_days": MIN_DAYS}
    if not enough:
        return result
    shares = site.shares
    column = 0 if lang == "es" else 1
    result.update(
        simulated=site.simulated,
        width=WIDTH,
        height=HEIGHT,
        row=ROW,
        bar=BAR,
        label=LABEL,
        days=[(day[column], day[column + 2]) for day in DAYS],
        bars=bars(shares),
        ticks=[{"x": LABEL + hour * BAR, "text": f"{hour}h"} for hour in (0, 6, 12, 18)],
        rows=table(shares, lang, t["no_data"]),
    )
    return result


def for_page(installation_id: str, lang: str) -> dict:
    """The availability section of an installation's page: the newest build's figures,
    only while they are public (sgv/history/store.py); never computed here."""
    return section(store.site(installation_id), lang, datetime.now(UTC))
