"""fastlint: a static-analysis linter for FastAPI + SQLAlchemy back ends.

The Python API (imported on first use, so that `import fastlint` stays light):

- `fastlint.lint_source(source, path="<stdin>", settings=None, select=None)`: lint text;
- `fastlint.lint_paths(paths, root=None, settings=None, select=None, ...)`: lint files and
  directories as `fastlint check` does.

Both return a sorted list of `fastlint.Diagnostic`. See `fastlint.api` for the details.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Diagnostic", "LintError", "__version__", "lint_paths", "lint_source"]

if TYPE_CHECKING:
    from fastlint.api import LintError, lint_paths, lint_source
    from fastlint.diagnostics import Diagnostic


def __getattr__(name: str) -> Any:
    if name in ("lint_source", "lint_paths", "LintError"):
        from fastlint import api

        return getattr(api, name)
    if name == "Diagnostic":
        from fastlint.diagnostics import Diagnostic

        return Diagnostic
    raise AttributeError(f"module 'fastlint' has no attribute {name!r}")
