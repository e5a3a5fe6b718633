"""`# noqa` and `# fastlint: ignore[...]` directives, read with `tokenize`.

- ``# noqa`` silences every finding on its line; ``# noqa: FL101, FL2`` only those codes (or prefixes).
- ``# fastlint: ignore[FL101, FL203]`` (codes required, optionally ``-- reason``) likewise.
- A finding is silenced by a directive on its first or last line, or by one alone on the line just
  above its first line.
- ``# fastlint: ignore-file[FL6]`` among the header comments (before the first statement) silences
  codes in the whole file.

A ``#`` inside a string is not a comment: `tokenize` tells them apart.

FL002 (`--warn-unused-ignores`) reports the directives that silence nothing: `unused_diagnostics`
compares each directive with the findings it silenced in the run (see its docstring for what is
and is not reported).
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from fastlint.diagnostics import Diagnostic, Location, Severity

_NOQA_RE = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+[A-Z0-9]*(?:[\s,]+[A-Z]+[0-9]+[A-Z0-9]*)*))?", re.IGNORECASE)
_IGNORE_RE = re.compile(r"#\s*fastlint:\s*ignore\[(?P<codes>[^\]]*)\]")
_IGNORE_FILE_RE = re.compile(r"#\s*fastlint:\s*ignore-file\[(?P<codes>[^\]]*)\]")
#: a code or prefix as written: a typo such as `FL1O1` stays one (unknown) code rather than `FL1`
_CODE_RE = re.compile(r"[A-Z][A-Z0-9]*")
ALL = "*"
UNUSED_NOQA = ("FL002", "unused-noqa")


@dataclass(frozen=True)
class Directive:
    """One directive as written: where it is and which codes it names (FL002 reports on it)."""

    line: int
    #: 1-based columns of the directive within its line (from its `#` to the end of the codes)
    column: int
    end_column: int
    kind: str  # "noqa", "ignore" or "ignore-file"
    #: the codes or prefixes as written, in order; () for a bare `# noqa`
    codes: tuple[str, ...]
    text: str
    standalone: bool = False

    def covers(self, line: int, end_line: int) -> bool:
        """Whether it silences a finding spanning `line`..`end_line` (if the codes match)."""
        if self.kind == "ignore-file":
            return True
        return self.line in (line, end_line) or (self.standalone and self.line == line - 1)


@dataclass
class Suppressions:
    #: line -> codes/prefixes silenced on that line (ALL for a bare `# noqa`)
    lines: dict[int, set[str]] = field(default_factory=dict)
    #: lines whose directive stands alone (it then also covers the next line)
    standalone: set[int] = field(default_factory=set)
    file_codes: set[str] = field(default_factory=set)
    #: every directive, in source order
    directives: list[Directive] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "lines": {str(k): sorted(v) for k, v in self.lines.items()},
            "standalone": sorted(self.standalone),
            "file": sorted(self.file_codes),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Suppressions:
        lines = {int(k): set(v) for k, v in data.get("lines", {}).items()}  # type: ignore[union-attr]
        return cls(lines, set(data.get("standalone", [])), set(data.get("file", [])))  # type: ignore[arg-type]

    def is_suppressed(self, code: str, line: int, end_line: int) -> bool:
        if _matches(self.file_codes, code):
            return True
        for candidate in {line, end_line}:
            if _matches(self.lines.get(candidate, ()), code):
                return True
        above = line - 1
        return above in self.standalone and _matches(self.lines.get(above, ()), code)


def _matches(codes: object, code: str) -> bool:
    for c in codes:  # type: ignore[attr-defined]
        if c == ALL or code.startswith(c):
            return True
    return False


def _codes(text: str) -> set[str]:
    return set(_code_list(text))


def _code_list(text: str) -> tuple[str, ...]:
    tokens = re.split(r"[\s,]+", text.split("--", 1)[0])
    return tuple(dict.fromkeys(t for t in tokens if _CODE_RE.fullmatch(t)))


def might_have_directives(text: str) -> bool:
    return "noqa" in text or "NOQA" in text or "fastlint:" in text


def parse_suppressions(text: str) -> Suppressions:
    """Read the directives of a module's source. Never raises: odd input gives fewer directives."""
    result = Suppressions()
    if not might_have_directives(text):
        return result
    in_header = True
    last_code_line = 0
    try:
        tokens = tokenize.generate_tokens(io.StringIO(text).readline)
        for tok in tokens:
            if tok.type == tokenize.COMMENT:
                line = tok.start[0]
                comment = tok.string
                column = tok.start[1] + 1
                if in_header:
                    m = _IGNORE_FILE_RE.search(comment)
                    if m:
                        written = _code_list(m.group("codes"))
                        result.file_codes |= set(written)
                        if written:
                            result.directives.append(_directive(line, column, m, "ignore-file", written, True))
                        continue
                codes: set[str] | None = None
                m = _IGNORE_RE.search(comment)
                kind, written = "ignore", ()
                if m:
                    written = _code_list(m.group("codes"))
                    codes = set(written)
                else:
                    m = _NOQA_RE.search(comment)
                    if m:
                        kind = "noqa"
                        written = _code_list(m.group("codes")) if m.group("codes") else ()
                        codes = set(written) if m.group("codes") else {ALL}
                if codes and m is not None:
                    result.lines.setdefault(line, set()).update(codes)
                    alone = last_code_line != line
                    if alone:
                        result.standalone.add(line)
                    result.directives.append(_directive(line, column, m, kind, written, alone))
            elif tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.ENCODING, tokenize.INDENT, tokenize.DEDENT):
                if tok.type != tokenize.STRING or not in_header:
                    in_header = False
                last_code_line = tok.end[0]
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass
    return result


def _directive(line: int, column: int, match: re.Match[str], kind: str, codes: tuple[str, ...], alone: bool) -> Directive:
    text = match.group(0).rstrip()
    return Directive(line, column + match.start(), column + match.start() + len(text), kind, codes, text, alone)


# -- FL002: directives that silence nothing -----------------------------------------------------------


@dataclass(frozen=True)
class UnusedCheck:
    """What FL002 needs to know about the run: which codes exist and which ran."""

    #: codes of every rule enabled in this run (visitor rules and fastlint's own codes)
    enabled: frozenset[str]
    #: every rule code fastlint knows
    known: tuple[str, ...]
    #: retired codes (a directive naming one is reported)
    removed: frozenset[str] = frozenset()
    #: also report a bare `# noqa` that silences no fastlint finding
    bare_noqa: bool = False


@dataclass(frozen=True)
class Silenced:
    """A finding a directive silenced: its code and the lines it spans."""

    code: str
    line: int
    end_line: int


def _names_fl002(code: str) -> bool:
    return code != ALL and UNUSED_NOQA[0].startswith(code)


def unused_diagnostics(
    path: str,
    suppressions: Suppressions,
    silenced: Iterable[Silenced],
    check: UnusedCheck,
    undecided: Collection[str] = (),
) -> list[Diagnostic]:
    """FL002 findings: the directives of one file that silence nothing.

    A code in a directive is reported when it is unknown or retired, or when every rule it names
    (a code, or each code under a prefix) ran and none of their findings sat where the directive
    reaches. Not reported, because fastlint cannot tell whether they are needed: codes of other
    tools in a ``# noqa`` (``E501``); codes or prefixes naming a rule that did not run; codes with
    findings still `undecided` (a run over some files only, where another file could confirm
    them); codes that name FL002 itself (they silence FL002 on that line); and a bare ``# noqa``
    (flake8, ruff and others read it too) unless `check.bare_noqa` is set. Codes in a
    ``# fastlint: ignore[...]`` directive are all fastlint's, so an unknown one is reported there.
    """
    silenced = list(silenced)
    out: list[Diagnostic] = []
    for d in suppressions.directives:
        hits = [s.code for s in silenced if d.covers(s.line, s.end_line)]
        if d.kind == "noqa" and not d.codes:
            if check.bare_noqa and not hits and not undecided:
                out.append(_unused(path, d, "Unused blanket `# noqa`: fastlint reports nothing here", "Remove the comment"))
            continue
        unused: list[str] = []
        unknown: list[str] = []
        kept = 0
        for code in d.codes:
            if _names_fl002(code):
                kept += 1
                continue
            if not code.startswith("FL"):
                if d.kind == "noqa":
                    kept += 1  # another tool's code
                else:
                    unknown.append(code)
                continue
            named = [k for k in check.known if k.startswith(code)]
            if not named:
                unknown.append(code)
                continue
            if any(k not in check.enabled for k in named) or any(u.startswith(code) for u in undecided):
                kept += 1
                continue
            if not any(h.startswith(code) for h in hits):
                unused.append(code)
        if not unused and not unknown:
            continue
        parts = []
        if unused:
            parts.append("unused: " + ", ".join(f"`{c}`" for c in unused))
        if unknown:
            label = "removed" if all(c in check.removed for c in unknown) else "unknown"
            parts.append(f"{label}: " + ", ".join(f"`{c}`" for c in unknown))
        text = d.text if len(d.text) <= 50 else d.text[:47] + "..."
        whole = kept == 0 and len(unused) + len(unknown) == len(d.codes)
        hint = "Remove the comment" if whole else "Remove " + ", ".join(f"`{c}`" for c in (*unused, *unknown)) + " from the comment"
        out.append(_unused(path, d, f"Unused suppression `{text}` ({'; '.join(parts)})", hint))
    # FL002 itself is silenced only by a directive that names it (or a prefix of it) explicitly
    return [
        diag
        for diag in out
        if not any(
            e.covers(diag.location.line, diag.location.line) and any(_names_fl002(c) for c in e.codes) for e in suppressions.directives
        )
    ]


def _unused(path: str, d: Directive, message: str, hint: str) -> Diagnostic:
    return Diagnostic(
        code=UNUSED_NOQA[0],
        name=UNUSED_NOQA[1],
        message=message,
        fix_hint=hint,
        severity=Severity.WARNING,
        path=path,
        location=Location(d.line, d.column, d.line, d.end_column),
    )
