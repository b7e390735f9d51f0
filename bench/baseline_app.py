"""The floor SGV's PATCH is measured against: one UPDATE and one COMMIT, nothing else.

Same URL and body as an OCPI EVSE PATCH, so bench/patch.lua drives both alike; no
token check, no validation, no envelope beyond what the wrk script looks for. Served by
gunicorn with SGV's own gunicorn.conf.py, on SGV's database (SGV_DATABASE_URL):

    SGV_DATABASE_URL=postgresql://… .venv/bin/gunicorn -c gunicorn.conf.py bench.baseline_app:app
"""

import os

import sqlalchemy as sa
from flask import Flask, jsonify, request

from sgv.config import Defaults, engine_options, sqlalchemy_url

# One statement: find the EVSE through the same unique indexes SGV's lookup uses.
UPDATE = sa.text(
    """
    UPDATE evses SET status = :status, status_updated_at = :moment, last_updated = :moment
    WHERE lower(uid) = lower(:uid) AND location_fk = (
        SELECT locations.id FROM locations JOIN parties ON parties.id = locations.party_fk
        WHERE parties.country_code = upper(:cc) AND parties.party_id = upper(:pid)
          AND lower(locations.location_id) = lower(:location_id)
    )
    """
)

app = Flask(__name__)
# SGV's engine options (pre-ping, a pool as large as the threads), so the pools behave alike.
engine = sa.create_engine(
    sqlalchemy_url(os.environ["SGV_DATABASE_URL"]),
    **engine_options(int(os.environ.get("SGV_THREADS", Defaults.THREADS))),
)


@app.patch("/api/<version>/locations/<cc>/<pid>/<location_id>/<evse_uid>")
def patch_evse(version: str, cc: str, pid: str, location_id: str, evse_uid: str):
    """Set an EVSE's status in one UPDATE and commit."""
    body = request.get_json()
    with engine.begin() as conn:
        conn.execute(
            UPDATE,
            {
                "status": body["status"],
                "moment": body["last_updated"],
                "uid": evse_uid,
                "cc": cc,
                "pid": pid,
                "location_id": location_id,
            },
        )
    return jsonify({"status_code": 1000})


@app.get("/healthz")
def healthz():
    """Answer once the database does."""
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    return jsonify({"status": "ok"})
