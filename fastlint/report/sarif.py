"""`--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it.

One run; `tool.driver.rules` lists every rule of the registry (with its documentation, a link to
its section of docs/rules.md, its default level and its tags, CWE ids for the security rules);
each result points into it by `ruleId` and `ruleIndex`, names its file relative to `%SRCROOT%`
(the directory fastlint ran in) and carries a line-free fingerprint (fastlint.fingerprints), so
code scanning keeps following an alert when the code around it moves.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastlint import __version__
from fastlint import fingerprints as fp
from fastlint.diagnostics import Diagnostic, Severity
from fastlint.report import ReportOptions
from fastlint.report._common import HOMEPAGE, cwe_ids, help_uri, is_security, level, message_with_hint, posix_path

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = f"fastlint/v{fp.VERSION}"
#: GitHub's `security-severity` (0.0-10.0; >= 7 shows as "high") for the FL4xx rules by severity
SECURITY_SEVERITY = {Severity.ERROR: "7.5", Severity.WARNING: "5.0", Severity.INFO: "2.0"}

_SECTION_RE = r"^## {title}\s*$(.*?)(?=^## |\Z)"


def _section(doc: str, title: str) -> str:
    match = re.search(_SECTION_RE.format(title=re.escape(title)), doc, re.MULTILINE | re.DOTALL)
    return match.group(1).strip() if match else ""


def _unwrap(text: str) -> str:
    """Join the hard-wrapped lines of prose paragraphs (code blocks and lists stay as they are)."""
    out = []
    for paragraph in text.split("\n\n"):
        lines = paragraph.splitlines()
        if any(line.lstrip().startswith(("```", "- ", "* ", "|", "    ")) for line in lines):
            out.append(paragraph)
        else:
            out.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(out)


def _rule_descriptor(rule: Any) -> dict[str, Any]:
    doc = rule.documentation()
    summary = rule.summary()
    why = _unwrap(_section(doc, "Why is this bad?"))
    tags = [rule.family()] + [f"external/cwe/cwe-{n}" for n in cwe_ids(rule)]
    properties: dict[str, Any] = {"tags": tags}
    if is_security(rule):
        properties["security-severity"] = SECURITY_SEVERITY[rule.severity]
    default = "on by default" if rule.default_enabled else "off by default (enable with `extend-select`)"
    fix = f"fix: {rule.fix.value}" if rule.fix else "no automatic fix"
    markdown = f"# {rule.code} {rule.name}\n\n*Family: {rule.family()}; {default}; {fix}.*\n\n{doc}"
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": f"{summary}\n\n{why}" if why else summary},
        "help": {"text": doc, "markdown": markdown},
        "helpUri": help_uri(rule),
        "defaultConfiguration": {"enabled": bool(rule.default_enabled), "level": level(rule.severity)},
        "properties": properties,
    }


def artifact_location(path: str) -> dict[str, str]:
    """A finding's file: relative to %SRCROOT%, forward slashes, percent-encoded; a file outside
    every relative reach (another drive) as an absolute file URI."""
    if os.path.isabs(path):
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(posix_path(path), safe="/-._~!$&'()*+,;=@"), "uriBaseId": SRCROOT}


def _root_uri(root: str) -> str:
    uri = Path(root or os.getcwd()).resolve().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _region(d: Diagnostic) -> dict[str, int]:
    loc = d.location
    line = max(loc.line, 1)
    column = max(loc.column, 1)
    end_line = max(loc.end_line, line)
    end_column = max(loc.end_column, 1)
    if end_line == line:
        end_column = max(end_column, column)
    return {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}


def build(result: Any, registry: Any, options: ReportOptions) -> dict[str, Any]:
    rules = list(registry.rules)
    version = options.version or __version__
    index = {rule.code: i for i, rule in enumerate(rules)}
    prints = fp.fingerprints(result.diagnostics)
    results = []
    for d, print_ in zip(result.diagnostics, prints):
        entry: dict[str, Any] = {"ruleId": d.code}
        if d.code in index:
            entry["ruleIndex"] = index[d.code]
        entry.update(
            {
                "level": level(d.severity),
                "message": {"text": message_with_hint(d)},
                "locations": [
                    {"physicalLocation": {"artifactLocation": artifact_location(d.path), "region": _region(d)}}
                ],
                "partialFingerprints": {FINGERPRINT_KEY: print_},
            }
        )
        results.append(entry)
    errors = list(getattr(result, "errors", ()))
    invocation: dict[str, Any] = {
        "executionSuccessful": not (getattr(result, "internal_error", False) or errors),
    }
    if errors:
        invocation["toolExecutionNotifications"] = [{"level": "error", "message": {"text": e}} for e in errors]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "fastlint",
                        "version": version,
                        "semanticVersion": version,
                        "informationUri": HOMEPAGE,
                        "rules": [_rule_descriptor(rule) for rule in rules],
                    }
                },
                "invocations": [invocation],
                "originalUriBaseIds": {SRCROOT: {"uri": _root_uri(options.root)}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }


def render(result: Any, registry: Any, options: ReportOptions, fmt: str = "sarif") -> str:
    return json.dumps(build(result, registry, options), indent=2, ensure_ascii=False) + "\n"
