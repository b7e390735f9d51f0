"""Blueprint: /healthz, for load balancers and the operator."""

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from sgv.extensions import db

bp = Blueprint("health", __name__)


def database_status() -> dict:
    """Return the database's reachability, PostGIS version and schema revision."""
    try:
        postgis = db.session.execute(text("SELECT postgis_lib_version()")).scalar_one()
        revision = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as exc:
        db.session.rollback()
        reason = str(exc.orig if getattr(exc, "orig", None) else exc).strip().splitlines()[0]
        return {"status": "error", "database": "unavailable", "reason": reason}
    return {"status": "ok", "database": "ok", "postgis": postgis, "schema": revision}


@bp.get("/healthz")
def healthz():
    """Answer 200 when the database (with PostGIS and the schema) answers, else 503."""
    status = database_status()
    return jsonify(status), 200 if status["status"] == "ok" else 503
