"""Each URL rule's builder compiled once per test run, not once per app (tests only).

Every test builds an app of its own (conftest `app`), and werkzeug compiles two Python
functions per URL rule of each app to build its URLs: some 400 rules, about two thirds of
create_app's time. A builder depends only on the rule's text, its parsed parts and the
names of its defaults (it reads converters and query encoding through the rule it is
bound to), so the run compiles each once and every app's rules are bound to it. Apps,
rules and URL maps stay each test's own; a rule whose default fills a part of its path
(the converter's output becomes a constant) is compiled as before.
"""

from collections.abc import Callable

from werkzeug.routing.rules import Rule

_builders: dict[tuple, Callable] = {}


def install() -> None:
    """Make Rule._compile_builder reuse what it compiled for an identical rule."""
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None or getattr(compile_builder, "cached", False):
        return  # another werkzeug: compile as it does

    def cached(self: Rule, append_unknown: bool = True) -> Callable:
        defaults = self.defaults or {}
        if any(dynamic and part in defaults for dynamic, part in self._trace):
            return compile_builder(self, append_unknown)
        key = (self.rule, tuple(self._trace), tuple(defaults), append_unknown)
        if key not in _builders:
            _builders[key] = compile_builder(self, append_unknown)
        return _builders[key]

    cached.cached = True
    Rule._compile_builder = cached
