"""Every operator command: bad arguments give a one-line error and a non-zero exit (§6)."""

import pytest


@pytest.mark.parametrize(
    "args",
    [
        ["sgv", "nope"],
        ["sgv", "cpo", "nope"],
        ["sgv", "cpo", "add", "ES"],
        ["sgv", "cpo", "show"],
        ["sgv", "cpo", "revoke", "ES", "ABC"],
        ["sgv", "cpo", "maintenance", "change", "abc", "--start", "x", "--end", "y"],
        ["sgv", "cpo", "maintenance", "add", "ES", "ABC", "--start", "2030-01-01"],
        ["sgv", "ripree", "import"],
        ["sgv", "check", "run", "ES"],
        ["sgv", "demo", "simulate", "--interval", "often"],
        ["sgv", "status", "--verbose"],
    ],
)
def test_bad_arguments_give_one_line_and_a_non_zero_exit(app, args):
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(("Error:", "error:"))


@pytest.mark.parametrize(
    "group",
    [
        ["sgv"],
        ["sgv", "cpo"],
        ["sgv", "cpo", "maintenance"],
        ["sgv", "ripree"],
        ["sgv", "check"],
        ["sgv", "demo"],
    ],
)
def test_every_command_offers_json(app, group):
    command = app.cli
    for name in group:
        command = command.commands[name] if hasattr(command, "commands") else command
    for name, sub in command.commands.items():
        if hasattr(sub, "commands"):
            continue
        assert any("--json" in option.opts for option in sub.params), (
            f"{' '.join(group)} {name} has no --json"
        )
