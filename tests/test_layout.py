"""The layout rules of ARCHITECTURE.md that keep features apart, checked on the source.

No import circle between modules or between feature packages (a deferred import inside a
function counts too), no module over 300 lines, and no feature importing another
feature's underscore names.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "sgv"
MAX_LINES = 300
# Imports that point back up on purpose: the factory registers every feature, and the
# `sgv` console script builds the app (ARCHITECTURE.md allows the deferred CLI import).
UPWARD = {("sgv", "sgv.cli"), ("sgv.cli", "sgv"), ("sgv.demo.load", "sgv")}


def modules() -> dict[str, Path]:
    """Return every module of the package by dotted name."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(path: Path, known: dict[str, Path]) -> Iterator[tuple[str, list[str]]]:
    """Yield (module imported, names taken from it) for every sgv import in a file."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sgv"):
            names = [alias.name for alias in node.names]
            for name in names:  # `from sgv.x import y` may import the module sgv.x.y
                if f"{node.module}.{name}" in known:
                    yield f"{node.module}.{name}", []
            taken = [n for n in names if f"{node.module}.{n}" not in known]
            if taken or f"{node.module}.{names[0]}" not in known:
                yield node.module, taken
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("sgv"):
                    yield alias.name, []


def feature(module: str) -> str:
    """Return the feature package a module belongs to (`sgv` for top-level modules)."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else "sgv"


def graph(level) -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        for target, _ in imports(path, known):
            source, dest = level(name), level(target)
            if source != dest and (source, dest) not in UPWARD:
                edges.setdefault(source, set()).add(dest)
    return edges


def cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """Return one cycle of the graph, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return None


@pytest.mark.parametrize("level", [lambda m: m, feature], ids=["modules", "features"])
def test_no_import_circle(level) -> None:
    found = cycle(graph(level))
    assert found is None, "import circle: " + " -> ".join(found or [])


def test_no_module_is_longer_than_300_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE.parent)): n
        for path in modules().values()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def test_no_feature_imports_another_features_private_names() -> None:
    known = modules()
    private = []
    for name, path in known.items():
        for target, names in imports(path, known):
            if feature(target) != feature(name):
                private += [f"{name} imports {target}.{n}" for n in names if n.startswith("_")]
    assert not private, private
