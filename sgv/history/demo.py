"""Four weeks of simulated status history for the demo CPOs, marked `simulated`.

Hour by hour before each EVSE's first real status, a status drawn from a hash of the
EVSE and the hour (so a reload draws the same) with a daily pattern: busy at the
morning and evening peaks, quiet at night and on weekends. Only changes are stored,
as the trigger would have. An EVSE that already has simulated history is left alone.
"""

from datetime import UTC, datetime

from sqlalchemy import text

from sgv.extensions import db

# Percent of the time CHARGING, by hour in Madrid; 15 points fewer at weekends.
SEED = text(
    """
    WITH demo AS (
        SELECT e.id, COALESCE(min(h.changed_at), :now) AS first
        FROM evses e
        JOIN locations l ON l.id = e.location_fk
        JOIN parties p ON p.id = l.party_fk
        LEFT JOIN status_history h ON h.evse_fk = e.id
        WHERE p.party_id = ANY(:parties)
          AND NOT EXISTS (SELECT 1 FROM status_history s WHERE s.evse_fk = e.id AND s.simulated)
        GROUP BY e.id
    ), slots AS (
        SELECT d.id, t, t AT TIME ZONE 'Europe/Madrid' AS local
        FROM demo d CROSS JOIN LATERAL generate_series(
            date_trunc('hour', d.first - interval '28 days', 'UTC'),
            d.first - interval '1 hour', interval '1 hour') t
    ), drawn AS (
        SELECT id, t,
               CASE WHEN mod(hashtext(id || '@' || t)::bigint + 2147483648, 100)
                         < CASE WHEN extract(hour FROM local) < 7 THEN 5
                                WHEN extract(hour FROM local) < 10 THEN 55
                                WHEN extract(hour FROM local) < 17 THEN 35
                                WHEN extract(hour FROM local) < 21 THEN 70
                                ELSE 25 END
                           - CASE WHEN extract(isodow FROM local) > 5 THEN 15 ELSE 0 END
                    THEN 'CHARGING' ELSE 'AVAILABLE' END AS status
        FROM slots
    ), changes AS (
        SELECT *, lag(status) OVER (PARTITION BY id ORDER BY t) AS before FROM drawn
    )
    INSERT INTO status_history (evse_fk, status, changed_at, simulated)
    SELECT id, status, t, true FROM changes WHERE before IS DISTINCT FROM status
    """
)


def seed(party_ids: list[str], now: datetime | None = None) -> int:
    """Seed the demo CPOs' EVSEs with simulated history; return the changes stored."""
    params = {"parties": list(party_ids), "now": now or datetime.now(UTC)}
    stored = db.session.execute(SEED, params).rowcount
    # Fresh statistics: planned as an empty table, the first aggregate took 100 s, not 9.
    db.session.execute(text("ANALYZE status_history"))
    return stored
