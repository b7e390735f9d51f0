"""The contract of SPEC (§2, §3, §6, §8) that CPOs, third parties and operators' scripts
build against: URL rules, the CLI tree and the configuration defaults.

The snapshot in tests/contract/snapshot.json changes only on purpose: after an intended
change of interface, regenerate it with `SGV_UPDATE_CONTRACT=1 scripts/test
tests/test_contract.py` and review the diff like any other change of SPEC.
"""

import json
import os
from pathlib import Path

import click
from flask import Flask

from sgv.config import Defaults

SNAPSHOT = Path(__file__).parent / "contract" / "snapshot.json"


def url_rules(app: Flask) -> list[dict]:
    """Every URL rule with its methods and endpoint, in a stable order."""
    rules = [
        {
            "rule": rule.rule,
            "methods": sorted(set(rule.methods or ()) - {"HEAD", "OPTIONS"}),
            "endpoint": rule.endpoint,
        }
        for rule in app.url_map.iter_rules()
    ]
    return sorted(rules, key=lambda r: (r["rule"], r["endpoint"]))


def command_tree(command: click.Command) -> dict:
    """A command's options and arguments, and its subcommands', recursively."""
    params = [
        {
            "name": param.name,
            "kind": type(param).__name__,
            "opts": sorted(param.opts + param.secondary_opts),
            "required": param.required,
            "multiple": param.multiple,
            "type": param.type.name,
            "default": repr(param.default) if not callable(param.default) else "<callable>",
            "flag": bool(getattr(param, "is_flag", False)),
        }
        for param in command.params
    ]
    tree: dict = {"params": params}
    if isinstance(command, click.Group):
        tree["commands"] = {
            name: command_tree(sub) for name, sub in sorted(command.commands.items())
        }
    return tree


def defaults() -> dict:
    """The configuration defaults (SPEC §2: every SGV_<NAME> variable's working default)."""
    return {
        name: repr(getattr(Defaults, name)) for name in sorted(vars(Defaults)) if name.isupper()
    }


def contract(app: Flask) -> dict:
    return {
        "urls": url_rules(app),
        "cli": command_tree(app.cli.commands["sgv"]),
        "config": defaults(),
    }


def test_interfaces_of_spec_are_unchanged(app: Flask) -> None:
    current = contract(app)
    if os.environ.get("SGV_UPDATE_CONTRACT") == "1":
        SNAPSHOT.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    for part in ("urls", "cli", "config"):
        assert current[part] == expected[part], f"the {part} of the contract changed"
