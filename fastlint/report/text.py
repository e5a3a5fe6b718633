"""`--format text` (finding, hint, summary) and `--format concise` (one line per finding)."""

from __future__ import annotations

import unicodedata
from collections import Counter
from typing import Any

from fastlint.report import ReportOptions
from fastlint.report._common import source_lines

_BOLD = "\x1b[1m"
_RED = "\x1b[31m"
_CYAN = "\x1b[36m"
_DIM = "\x1b[2m"
_GREEN = "\x1b[32m"
_RESET = "\x1b[0m"


def _paint(text: str, *styles: str, color: bool) -> str:
    return "".join(styles) + text + _RESET if color else text


TAB_WIDTH = 4


def _display(line: str) -> tuple[str, list[int]]:
    """The line as a terminal shows it (tabs expanded) and the display column where each
    character starts (one more entry: where the line ends). Wide characters take two columns."""
    out: list[str] = []
    starts: list[int] = []
    col = 0
    for ch in line:
        starts.append(col)
        if ch == "\t":
            step = TAB_WIDTH - col % TAB_WIDTH
            out.append(" " * step)
        else:
            step = 0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
            out.append(ch)
        col += step
    starts.append(col)
    return "".join(out), starts


def source_snippet(line_text: str, line: int, column: int, end_line: int, end_column: int, color: bool = False) -> list[str]:
    """The flagged line with a caret underline under the flagged characters (to the end of the
    line when the range goes on below it)."""
    text = line_text.rstrip()
    shown, starts = _display(text)
    first = min(max(column, 1), len(text) + 1) - 1
    last = len(text) if end_line > line else min(max(end_column, 1), len(text) + 1) - 1
    start_col = starts[first]
    width = max(starts[max(last, first)] - start_col, 1)
    gutter = max(len(str(line)), 3)
    bar = _paint("|", _CYAN, color=color)
    number = _paint(f"{line:>{gutter}}", _CYAN, color=color)
    return [
        f"{number} {bar} {shown}".rstrip(),
        f"{' ' * gutter} {bar} {' ' * start_col}" + _paint("^" * width, _BOLD, _RED, color=color),
    ]


def render(result: Any, registry: Any, options: ReportOptions, fmt: str = "text") -> str:
    color = options.color
    lines: list[str] = []
    sources: dict[str, list[str] | None] = {}
    for d in result.diagnostics:
        loc = d.location
        where = _paint(f"{d.path}:{loc.line}:{loc.column}:", _BOLD, color=color)
        code = _paint(d.code, _BOLD, _RED, color=color)
        if fmt == "concise":
            lines.append(f"{where} {code} {d.message}")
            continue
        lines.append(f"{where} {code} [{d.name}] {d.message}")
        if options.show_source:
            if d.path not in sources:
                sources[d.path] = source_lines(d.path)
            text = sources[d.path]
            if text is not None and 0 < loc.line <= len(text):
                lines += source_snippet(text[loc.line - 1], loc.line, loc.column, loc.end_line, loc.end_column, color)
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
                f"{stats.get('files', 0)} files ({stats.get('cache_hits', 0)} from the cache, "
                f"{stats.get('files_linted', 0)} linted, {stats.get('files_placed_again', 0)} read again to place findings), "
                f"{stats.get('parse_errors', 0)} unparsable, "
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
        errors = len(getattr(result, "errors", ()) or ())
        fixed = getattr(result, "fixed", 0)  # --fix: the findings fixed, the diagnostics remain
        if fixed:
            total = n + fixed
            lines.append(f"Found {total} problem{'s' if total != 1 else ''} ({fixed} fixed, {n} remaining).")
        elif n == 0 and errors:  # a path that could not be read: not a pass
            lines.append(f"No problems found, but the run had {errors} error{'s' if errors != 1 else ''} (the \"error:\" lines).")
        elif n == 0:
            lines.append(_paint("All checks passed.", _GREEN, color=color))
        else:
            files = len({d.path for d in result.diagnostics})
            problems = "problem" if n == 1 else "problems"
            more = f"; the run had {errors} error{'s' if errors != 1 else ''} (the \"error:\" lines)" if errors else ""
            lines.append(f"Found {n} {problems} in {files} file{'s' if files != 1 else ''}{more}.")
    return "\n".join(lines) + ("\n" if lines else "")
