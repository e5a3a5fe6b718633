"""What a rule can see of the file it is visiting."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import libcst as cst

from fastlint.analysis import paths
from fastlint.analysis.model import ModuleModel


@dataclass
class FileContext:
    #: The path as shown to the user (relative to the working directory where possible).
    path: str
    #: The path relative to the project root, with forward slashes (used for classification).
    relpath: str
    source: str
    module: cst.Module
    model: ModuleModel
    settings: Any = None

    @cached_property
    def is_test(self) -> bool:
        return paths.is_test_path(self.relpath)

    @cached_property
    def is_script(self) -> bool:
        return paths.is_script_path(self.relpath)

    @cached_property
    def is_migration(self) -> bool:
        return paths.is_migration_path(self.relpath)

    @property
    def is_application_code(self) -> bool:
        return not (self.is_test or self.is_script or self.is_migration)

    def snippet(self, node: cst.CSTNode, limit: int = 40) -> str:
        """The node's source on one line, shortened for a message."""
        text = " ".join(self.module.code_for_node(node).split())
        return text if len(text) <= limit else text[: limit - 3] + "..."

    def call_snippet(self, node: cst.Call) -> str:
        """`SessionLocal()` for a call, its arguments elided: `create_engine(...)`."""
        func = self.snippet(node.func, 60)
        return f"{func}(...)" if node.args else f"{func}()"
