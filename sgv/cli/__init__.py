"""Operator commands: `flask --app app sgv …`, also installed as the `sgv` console script.

Each group's commands live in sgv/cli/<group>.py and are attached here. Commands are
thin: they parse, call a feature's function, commit once and print; no query, no rule.
"""

from flask.cli import ScriptInfo

from sgv.cli.check import check, cpo_breaches_command
from sgv.cli.cpo import cpo
from sgv.cli.demo import demo
from sgv.cli.history import history  # also adds prune-history to `sgv maintenance`
from sgv.cli.maintenance import maintenance
from sgv.cli.output import OperatorGroup, emit, json_option
from sgv.cli.prune import housekeeping
from sgv.cli.ripree import ripree

sgv_cli = OperatorGroup("sgv", help="Operate SGV: CPOs, the RIPREE register, checks, demo data.")


@sgv_cli.command("status")
@json_option
def status_command(as_json: bool) -> None:
    """Check the database, PostGIS and the schema revision.

    JSON keys: status, database, postgis, schema (or reason when the database fails).
    """
    from sgv.health import database_status

    result = database_status()
    if result["status"] == "ok":
        text = f"database ok, PostGIS {result['postgis']}, schema {result['schema']}"
    else:
        text = f"database unavailable: {result['reason']}"
    emit(result, as_json, text)
    if result["status"] != "ok":
        raise SystemExit(1)


sgv_cli.add_command(cpo)
cpo.add_command(maintenance)
sgv_cli.add_command(ripree)
sgv_cli.add_command(demo)
sgv_cli.add_command(check)
sgv_cli.add_command(housekeeping)
sgv_cli.add_command(history)
cpo.add_command(cpo_breaches_command, "breaches")


def main() -> None:
    """Run the `sgv` console script: the same commands as `flask --app app sgv`."""
    from sgv import create_app

    sgv_cli.main(obj=ScriptInfo(create_app=create_app), prog_name="sgv")
