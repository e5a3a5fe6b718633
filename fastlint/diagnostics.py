"""The values a lint run produces: frozen, picklable and JSON-friendly."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class FixSafety(str, enum.Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based, end-exclusive-column range in a file (columns count characters)."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Fix:
    """A replacement of the source text between two locations (filled in by the fix engine)."""

    safety: FixSafety
    location: Location
    replacement: str


@dataclass(frozen=True)
class Diagnostic:
    code: str
    name: str
    message: str
    fix_hint: str
    severity: Severity
    path: str
    location: Location
    fix: Fix | None = field(default=None, compare=False)

    @property
    def fixable(self) -> bool:
        return self.fix is not None

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.location.line, self.location.column, self.code)

    def to_json(self) -> dict[str, object]:
        """The diagnostic as the public JSON contract (version 1) spells it."""
        loc = self.location
        return {
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "fix_hint": self.fix_hint,
            "severity": self.severity.value,
            "path": self.path,
            "line": loc.line,
            "column": loc.column,
            "end_line": loc.end_line,
            "end_column": loc.end_column,
            "fixable": self.fixable,
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Diagnostic:
        return cls(
            code=str(data["code"]),
            name=str(data["name"]),
            message=str(data["message"]),
            fix_hint=str(data["fix_hint"]),
            severity=Severity(data["severity"]),
            path=str(data["path"]),
            location=Location(
                int(data["line"]),  # type: ignore[arg-type]
                int(data["column"]),  # type: ignore[arg-type]
                int(data["end_line"]),  # type: ignore[arg-type]
                int(data["end_column"]),  # type: ignore[arg-type]
            ),
        )
