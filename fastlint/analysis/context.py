"""What a rule can see of the file it is visiting."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import libcst as cst

from fastlint.analysis import paths
from fastlint.analysis.model import ModuleModel
from fastlint.rule import NodeText

if TYPE_CHECKING:
    from fastlint.analysis.alembic import Revision
    from fastlint.sql import SqlSites


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
    def revision(self) -> Revision | None:
        """The Alembic revision the file declares (None for any other file)."""
        return getattr(self.model, "revision", None)

    @cached_property
    def history_folder(self) -> str:
        """The key of the file's Alembic history in the project index: its folder."""
        return posixpath.dirname(self.relpath)

    @cached_property
    def is_test(self) -> bool:
        return paths.is_test_path(self.relpath)

    @cached_property
    def is_script(self) -> bool:
        return paths.is_script_path(self.relpath)

    @cached_property
    def is_migration(self) -> bool:
        return paths.is_migration_path(self.relpath)

    @cached_property
    def sql(self) -> SqlSites:
        """The file's SQL sinks and the strings that reach them (created on first use)."""
        from fastlint.sql import SqlSites

        return SqlSites(self.model, getattr(self.settings, "sql_dialect", None))

    @cached_property
    def is_example(self) -> bool:
        return paths.is_example_path(self.relpath)

    @property
    def is_application_code(self) -> bool:
        return not (self.is_test or self.is_script or self.is_migration or self.is_example)

    @property
    def is_support_code(self) -> bool:
        """Tests, migrations and examples: code whose SQL and queries are not the service's."""
        return self.is_test or self.is_migration or self.is_example

    @staticmethod
    def snippet(node: cst.CSTNode, suffix: str = "", limit: int = 40) -> NodeText:
        """The node's source on one line, shortened, for a message field."""
        return NodeText(node, suffix, limit)

    @staticmethod
    def call_snippet(node: cst.Call) -> NodeText:
        """`SessionLocal()` for a call, its arguments elided: `create_engine(...)`."""
        return NodeText(node.func, "(...)" if node.args else "()", 60)
