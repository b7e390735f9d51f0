"""What every operator command shares: the --json flag and how results are printed."""

import json
from typing import Any

import click

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object on stdout instead of text."
)


def emit(result: dict[str, Any], as_json: bool, text: str) -> None:
    """Print a command's result as one JSON object or as readable text."""
    click.echo(json.dumps(result, default=str, ensure_ascii=False) if as_json else text)


def fail(message: str, as_json: bool = False, code: int = 1) -> None:
    """Stop a command with a one-line error (a JSON object with --json) and exit `code`."""
    if as_json:
        click.echo(json.dumps({"error": message}, ensure_ascii=False))
    else:
        click.echo(f"error: {message}", err=True)
    raise SystemExit(code)
