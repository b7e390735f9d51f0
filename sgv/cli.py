"""Operator commands: `flask --app app sgv …`, also installed as the `sgv` console script."""

import json
from typing import Any

import click
from flask.cli import AppGroup, ScriptInfo

sgv_cli = AppGroup("sgv", help="Operate SGV: CPOs, the RIPREE register, checks, demo data.")

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object on stdout instead of text."
)


def emit(result: dict[str, Any], as_json: bool, text: str) -> None:
    """Print a command's result as one JSON object or as readable text."""
    click.echo(json.dumps(result, default=str, ensure_ascii=False) if as_json else text)


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


def main() -> None:
    """Run the `sgv` console script: the same commands as `flask --app app sgv`."""
    from sgv import create_app

    sgv_cli.main(obj=ScriptInfo(create_app=create_app), prog_name="sgv")
