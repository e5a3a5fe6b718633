"""`--format text` (finding, hint, summary) and `--format concise` (one line per finding)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastlint.report import ReportOptions

_BOLD = "\x1b[1m"
_RED = "\x1b[31m"
_CYAN = "\x1b[36m"
_DIM = "\x1b[2m"
_GREEN = "\x1b[32m"
_RESET = "\x1b[0m"


def _paint(text: str, *styles: str, color: bool) -> str:
    return "".join(styles) + text + _RESET if color else text


def render(result: Any, registry: Any, options: ReportOptions, fmt: str = "text") -> str:
    color = options.color
    lines: list[str] = []
    for d in result.diagnostics:
        loc = d.location
        where = _paint(f"{d.path}:{loc.line}:{loc.column}:", _BOLD, color=color)
        code = _paint(d.code, _BOLD, _RED, color=color)
        if fmt == "concise":
            lines.append(f"{where} {code} {d.message}")
            continue
        lines.append(f"{where} {code} [{d.name}] {d.message}")
        if d.fix_hint:
            lines.append("    " + _paint("hint:", _CYAN, color=color) + f" {d.fix_hint}")
    if options.statistics and result.diagnostics:
        if lines:
            lines.append("")
        counts = Counter((d.code, d.name) for d in result.diagnostics)
        width = max(len(str(n)) for n in counts.values())
        for (code, name), count in sorted(counts.items()):
            lines.append(f"{count:>{width}}  {code}  {name}")
    if options.statistics:
        stats = result.stats
        lines.append(
            _paint(
                f"{stats.get('files', 0)} files, {stats.get('parse_errors', 0)} unparsable, "
                f"{stats.get('lint_seconds', 0):.2f}s per-file pass, {stats.get('project_seconds', 0):.2f}s project pass",
                _DIM,
                color=color,
            )
        )
        lines.append(
            _paint(
                f"SQL strings: {stats.get('sql_found', 0)} found at sinks, {stats.get('sql_parsed', 0)} parsed, "
                f"{stats.get('sql_skipped', 0)} skipped (not parseable)",
                _DIM,
                color=color,
            )
        )
    if not options.quiet:
        if lines:
            lines.append("")
        n = len(result.diagnostics)
        if n == 0:
            lines.append(_paint("All checks passed.", _GREEN, color=color))
        else:
            files = len({d.path for d in result.diagnostics})
            problems = "problem" if n == 1 else "problems"
            lines.append(f"Found {n} {problems} in {files} file{'s' if files != 1 else ''}.")
    return "\n".join(lines) + ("\n" if lines else "")
