"""`--format json`: the versioned public contract (see docs/json-output.md)."""

from __future__ import annotations

import json
from typing import Any

from fastlint.report import ReportOptions

JSON_VERSION = 1


def render(result: Any, registry: Any, options: ReportOptions, fmt: str = "json") -> str:
    payload = {
        "version": JSON_VERSION,
        "fastlint": options.version,
        "diagnostics": [d.to_json() for d in result.diagnostics],
        "summary": {"files": result.files, "diagnostics": len(result.diagnostics)},
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
