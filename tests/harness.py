"""Lint fixtures and compare the findings with their `# error: FLxxx` markers.

- `# error: FL101` at the end of a line expects a finding of that code on that line.
- The same comment alone on a line expects one on the next line of code.
- Several codes are separated by commas. Clean cases carry no marker (they sit under `# ok`).
"""

from __future__ import annotations

import io
import os
import re
import tokenize
from collections.abc import Iterable
from pathlib import Path

from fastlint.cli import plan_rules
from fastlint.config import Selection, Settings, load_settings
from fastlint.diagnostics import Diagnostic
from fastlint.registry import default_registry
from fastlint.runner import Plan, RunResult, run

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
RULE_FIXTURES = FIXTURES / "rules"
PROJECTS = FIXTURES / "projects"
_MARKER = re.compile(r"#\s*error:\s*(FL[0-9]{3}(?:\s*,\s*FL[0-9]{3})*)\s*$")

Finding = tuple[str, int, str]  # (path relative to the fixture root, line, code)


def expected_findings(path: Path, root: Path) -> set[Finding]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    rel = path.relative_to(root).as_posix()
    out: set[Finding] = set()
    code_lines = set()
    comments: list[tuple[int, str, bool]] = []
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            alone = lines[tok.start[0] - 1][: tok.start[1]].strip() == ""
            comments.append((tok.start[0], tok.string, alone))
        elif tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
            code_lines.update(range(tok.start[0], tok.end[0] + 1))
    for line, comment, alone in comments:
        match = _MARKER.search(comment)
        if not match:
            continue
        target = line
        if alone:
            target = next((n for n in range(line + 1, len(lines) + 1) if n in code_lines), line)
        for code in re.split(r"\s*,\s*", match.group(1)):
            out.add((rel, target, code))
    return out


def lint(paths: Iterable[Path], root: Path, settings: Settings, select: tuple[str, ...] | None, jobs: int = 1) -> RunResult:
    registry = default_registry()
    layer = Selection(select, (), (), "test") if select is not None else None
    setups, dropped = plan_rules(registry, settings, layer)
    plan = Plan(tuple(setups), settings, dropped)
    return run([str(p) for p in paths], plan, jobs, str(root))


def settings_for(root: Path, config: Path | None = None) -> Settings:
    if config is not None:
        return load_settings(str(config), root)
    return load_settings(None, root, isolated=True)


def as_findings(diagnostics: Iterable[Diagnostic], root: Path) -> set[Finding]:
    out = set()
    for d in diagnostics:
        rel = Path(os.path.normpath(root / d.path)).relative_to(root).as_posix()
        out.add((rel, d.location.line, d.code))
    return out


def compare(expected: set[Finding], actual: set[Finding]) -> str | None:
    missing = sorted(expected - actual)
    unexpected = sorted(actual - expected)
    if not missing and not unexpected:
        return None
    parts = []
    if missing:
        parts.append("missing:\n" + "\n".join(f"  {p}:{line}: {code}" for p, line, code in missing))
    if unexpected:
        parts.append("unexpected:\n" + "\n".join(f"  {p}:{line}: {code}" for p, line, code in unexpected))
    return "\n".join(parts)
