"""Stable identities of findings that survive moved code: what baselines and SARIF
`partialFingerprints` match on.

A fingerprint is the hash of the rule code, the file's path, the flagged line's source with its
whitespace normalised, and the finding's occurrence index among the findings of that rule on
identical lines of that file. Line numbers are not part of it: code moved up or down keeps its
fingerprint, and a second copy of a flagged line gets a new one (occurrence 1).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from fastlint.diagnostics import Diagnostic

#: bump when the recipe changes: old baselines then match nothing rather than the wrong thing
VERSION = "1"


def normalise(line: str) -> str:
    """The line's source with runs of whitespace collapsed and the ends stripped."""
    return " ".join(line.split())


def fingerprints(diagnostics: Sequence[Diagnostic], read_lines: Callable[[str], list[str] | None] | None = None) -> list[str]:
    """The fingerprint of each diagnostic, in the given order. `read_lines(path)` gives a file's
    lines (default: read it from disk as UTF-8); a file that cannot be read fingerprints with an
    empty line text."""
    cache: dict[str, list[str] | None] = {}
    reader = read_lines or _read_lines
    seen: dict[tuple[str, str, str], int] = {}
    order = sorted(range(len(diagnostics)), key=lambda i: diagnostics[i].sort_key)
    result: list[str] = [""] * len(diagnostics)
    for i in order:
        d = diagnostics[i]
        if d.path not in cache:
            cache[d.path] = reader(d.path)
        lines = cache[d.path]
        text = normalise(lines[d.location.line - 1]) if lines and 0 < d.location.line <= len(lines) else ""
        key = (d.code, d.path.replace("\\", "/"), text)
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        digest = hashlib.sha256("\0".join((VERSION, *key, str(occurrence))).encode("utf-8")).hexdigest()
        result[i] = digest[:32]
    return result


def _read_lines(path: str) -> list[str] | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read().splitlines()
    except OSError:
        return None
