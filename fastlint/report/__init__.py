"""Renderers: each module exposes ``render(result, registry, options) -> str``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReportOptions:
    color: bool = False
    quiet: bool = False
    statistics: bool = False
    version: str = ""


FORMATS = ("text", "concise", "json")


def renderer(name: str):  # type: ignore[no-untyped-def]
    if name == "json":
        from fastlint.report import json as module
    else:
        from fastlint.report import text as module
    return module.render
