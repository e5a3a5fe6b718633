"""Small helpers the renderers share: rule metadata for machine formats, paths, source lines."""

from __future__ import annotations

import re
import tokenize
from collections.abc import Sequence
from typing import Any

from fastlint.diagnostics import Diagnostic, Severity

#: where fastlint lives; the rules' documentation is docs/rules.md there
HOMEPAGE = "https://github.com/fastlint/fastlint"
RULES_DOC_URL = f"{HOMEPAGE}/blob/main/docs/rules.md"

_CWE_RE = re.compile(r"https?://cwe\.mitre\.org/data/definitions/(\d+)\.html")
_REFERENCES_RE = re.compile(r"^## References\s*$(.*?)(?=^## |\Z)", re.MULTILINE | re.DOTALL)


def cwe_ids(rule: Any) -> list[str]:
    """The CWE numbers the rule's `## References` section links to, in order, without repeats."""
    match = _REFERENCES_RE.search(rule.documentation())
    if not match:
        return []
    return list(dict.fromkeys(_CWE_RE.findall(match.group(1))))


def help_uri(rule: Any) -> str:
    from fastlint.docs import rule_anchor

    return f"{RULES_DOC_URL}#{rule_anchor(rule)}"


def posix_path(path: str) -> str:
    return path.replace("\\", "/")


def is_security(d_or_rule: Any) -> bool:
    return str(d_or_rule.code).startswith("FL4")


def level(severity: Severity) -> str:
    """error / warning / note, as SARIF spells it."""
    return {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}[severity]


def source_lines(path: str) -> list[str] | None:
    """A file's lines as the linter decoded them (PEP 263 cookie, BOM), or None if unreadable."""
    try:
        with tokenize.open(path) as fh:
            return fh.read().splitlines()
    except (OSError, SyntaxError, UnicodeDecodeError):
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                return fh.read().splitlines()
        except OSError:
            return None


def message_with_hint(d: Diagnostic) -> str:
    return f"{d.message}\nhint: {d.fix_hint}" if d.fix_hint else d.message


def by_path(diagnostics: Sequence[Diagnostic]) -> dict[str, list[Diagnostic]]:
    groups: dict[str, list[Diagnostic]] = {}
    for d in diagnostics:
        groups.setdefault(d.path, []).append(d)
    return groups
