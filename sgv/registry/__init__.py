"""RIPREE, the ministry's register of public charging points: import and merge (SPEC §7)."""

from sgv.registry.importer import MAX_PROBLEMS, import_register
from sgv.registry.report import ImportReport, RegisterError

__all__ = ["MAX_PROBLEMS", "ImportReport", "RegisterError", "import_register"]
