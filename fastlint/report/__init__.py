"""Renderers: each module exposes ``render(result, registry, options) -> str``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportOptions:
    color: bool = False
    quiet: bool = False
    statistics: bool = False
    version: str = ""
    #: text: print the flagged source line with a caret underline below each finding
    show_source: bool = False
    #: the directory that relative paths start from (SARIF's %SRCROOT%); empty: the working directory
    root: str = ""


FORMATS = ("text", "concise", "json", "sarif", "github", "gitlab", "junit")
#: the module under fastlint/report/ that renders each format
_MODULES = {"text": "text", "concise": "text", "json": "json", "sarif": "sarif", "github": "github", "gitlab": "gitlab", "junit": "junit"}


def renderer(name: str):  # type: ignore[no-untyped-def]
    import importlib

    module = importlib.import_module(f"fastlint.report.{_MODULES.get(name, 'text')}")
    return module.render
