"""`--format gitlab`: a GitLab Code Quality report (a JSON list of Code Climate issues).

Each issue has `description`, `check_name` (the rule code), a line-free `fingerprint`
(fastlint.fingerprints: an issue keeps its identity when the code around it moves), `severity`
(`info`, `minor`, `major`, `critical` or `blocker`), `categories` and
`location: {path, lines: {begin, end}}` with the path relative to where fastlint ran.
"""

from __future__ import annotations

import json
from typing import Any

from fastlint import fingerprints as fp
from fastlint.diagnostics import Diagnostic, Severity
from fastlint.report import ReportOptions
from fastlint.report._common import is_security, posix_path

#: Code Climate categories by rule family
CATEGORIES = {
    "FL0": "Bug Risk",
    "FL1": "Bug Risk",
    "FL2": "Performance",
    "FL3": "Performance",
    "FL4": "Security",
    "FL5": "Bug Risk",
    "FL6": "Bug Risk",
}


def severity(d: Diagnostic) -> str:
    if d.severity is Severity.ERROR:
        return "critical" if is_security(d) else "major"
    return "minor" if d.severity is Severity.WARNING else "info"


def issue(d: Diagnostic, fingerprint: str) -> dict[str, Any]:
    loc = d.location
    return {
        "type": "issue",
        "description": f"{d.code} [{d.name}] {d.message}",
        "check_name": d.code,
        "fingerprint": fingerprint,
        "severity": severity(d),
        "categories": [CATEGORIES.get(d.code[:3], "Bug Risk")],
        "location": {"path": posix_path(d.path), "lines": {"begin": loc.line, "end": max(loc.end_line, loc.line)}},
    }


def render(result: Any, registry: Any, options: ReportOptions, fmt: str = "gitlab") -> str:
    prints = fp.fingerprints(result.diagnostics)
    issues = [issue(d, f) for d, f in zip(result.diagnostics, prints)]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
