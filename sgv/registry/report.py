"""What a RIPREE import reports: the counts of a merged file, or why a file was rejected."""

from dataclasses import asdict, dataclass, field

from sgv.registry.rows import RowProblem


@dataclass
class ImportReport:
    """What an import found and did; every count is of rows in the database."""

    file: str
    format: str
    rows: int = 0
    installations: int = 0
    installations_added: int = 0
    installations_changed: int = 0
    installations_unchanged: int = 0
    installations_restored: int = 0
    charge_points_added: int = 0
    charge_points_changed: int = 0
    charge_points_removed: int = 0
    charge_points_unchanged: int = 0
    missing: int = 0
    missing_sample: list[str] = field(default_factory=list)
    retired: int = 0
    pruned: bool = False
    warnings: int = 0
    warning_sample: list[str] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        """Say whether the import changed any row, so caches must be told."""
        return bool(
            self.installations_added
            or self.installations_changed
            or self.charge_points_added
            or self.charge_points_changed
            or self.charge_points_removed
            or self.retired
        )

    def as_dict(self) -> dict:
        """Return the report as JSON-ready keys."""
        return asdict(self)


class RegisterError(Exception):
    """The register was rejected as a whole: why, and the bad rows (the first MAX_PROBLEMS)."""

    def __init__(
        self, message: str, problems: list[RowProblem] | None = None, count: int = 0
    ) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []
        self.count = count or len(self.problems)
