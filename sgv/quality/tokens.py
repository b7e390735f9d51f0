"""TOKEN_C renewal before it expires, scheduled with the checks (SPEC §3, §6)."""

from datetime import UTC, datetime, timedelta

from sgv.core.refusals import Refused
from sgv.extensions import db
from sgv.models import Party
from sgv.ocpi.registration import renew
from sgv.quality.coverage import INTEGRATED_STATES


def renewal_due(days: int) -> list[Party]:
    """Return the connected CPOs whose TOKEN_C expires within `days` days, soonest first."""
    horizon = datetime.now(UTC) + timedelta(days=days)
    return list(
        db.session.scalars(
            db.select(Party)
            .where(
                Party.token_c_expires_at <= horizon,
                Party.token_b.is_not(None),
                Party.state.in_(INTEGRATED_STATES),
            )
            .order_by(Party.token_c_expires_at)
        )
    )


def renew_due(days: int) -> tuple[list[dict], list[dict]]:
    """Renew every TOKEN_C due within `days`, committing each; return (renewed, failed).

    A failed renewal keeps the CPO's current token and does not stop the others.
    """
    renewed, failed = [], []
    for party in renewal_due(days):
        identity = {"country_code": party.country_code, "party_id": party.party_id}
        try:
            issued = renew(party, actor="system")
        except Refused as error:
            db.session.rollback()
            failed.append({**identity, "error": error.message})
            continue
        db.session.commit()
        renewed.append({**identity, "token_c_expires_at": issued.party.token_c_expires_at})
    return renewed, failed
