"""What every operator command shares: the --json flag and how results are printed."""

import json
from typing import Any

import click
from flask.cli import AppGroup

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


def _one_line(make_context):
    """Wrap make_context so that bad arguments print `Error: …` alone (SPEC §6)."""

    def wrapped(self, info_name, args, parent=None, **extra):
        try:
            return make_context(self, info_name, args, parent=parent, **extra)
        except click.UsageError as error:
            error.ctx = None  # without a context click prints no usage and no hint
            raise

    return wrapped


class OneLineCommand(click.Command):
    """A command whose argument errors take one line."""

    make_context = _one_line(click.Command.make_context)


class OperatorGroup(AppGroup):
    """A command group (with the app context) whose argument errors take one line."""

    command_class = OneLineCommand
    make_context = _one_line(AppGroup.make_context)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        """Find the subcommand; an unknown one is a one-line error too."""
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as error:
            error.ctx = None
            raise


OperatorGroup.group_class = OperatorGroup
