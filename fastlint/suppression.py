"""`# noqa` and `# fastlint: ignore[...]` directives, read with `tokenize`.

- ``# noqa`` silences every finding on its line; ``# noqa: FL101, FL2`` only those codes (or prefixes).
- ``# fastlint: ignore[FL101, FL203]`` (codes required, optionally ``-- reason``) likewise.
- A finding is silenced by a directive on its first or last line, or by one alone on the line just
  above its first line.
- ``# fastlint: ignore-file[FL6]`` among the header comments (before the first statement) silences
  codes in the whole file.

A ``#`` inside a string is not a comment: `tokenize` tells them apart.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, field

_NOQA_RE = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]+(?:[\s,]+[A-Z]+[0-9]+)*))?", re.IGNORECASE)
_IGNORE_RE = re.compile(r"#\s*fastlint:\s*ignore\[(?P<codes>[^\]]*)\]")
_IGNORE_FILE_RE = re.compile(r"#\s*fastlint:\s*ignore-file\[(?P<codes>[^\]]*)\]")
_CODE_RE = re.compile(r"[A-Z]+[0-9]*")
ALL = "*"


@dataclass
class Suppressions:
    #: line -> codes/prefixes silenced on that line (ALL for a bare `# noqa`)
    lines: dict[int, set[str]] = field(default_factory=dict)
    #: lines whose directive stands alone (it then also covers the next line)
    standalone: set[int] = field(default_factory=set)
    file_codes: set[str] = field(default_factory=set)

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
    return {c for c in _CODE_RE.findall(text.split("--", 1)[0]) if c}


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
                if in_header:
                    m = _IGNORE_FILE_RE.search(comment)
                    if m:
                        result.file_codes |= _codes(m.group("codes"))
                        continue
                codes: set[str] | None = None
                m = _IGNORE_RE.search(comment)
                if m:
                    codes = _codes(m.group("codes"))
                else:
                    n = _NOQA_RE.search(comment)
                    if n:
                        codes = _codes(n.group("codes")) if n.group("codes") else {ALL}
                if codes:
                    result.lines.setdefault(line, set()).update(codes)
                    if last_code_line != line:
                        result.standalone.add(line)
            elif tok.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.ENCODING, tokenize.INDENT, tokenize.DEDENT):
                if tok.type != tokenize.STRING or not in_header:
                    in_header = False
                last_code_line = tok.end[0]
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass
    return result
