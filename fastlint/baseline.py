"""Baselines: record today's findings once, then report only the ones that are new.

A baseline is a JSON file (version 1) listing each finding's fingerprint (`fastlint.fingerprints`:
the rule code, the file's path relative to the project root, the flagged line's source with its
whitespace normalised, and the occurrence of that line among the file's findings of that rule).
Line numbers are not part of it, so code that moves up or down keeps matching its entry, while a
new copy of a flagged line does not match and is reported. The code, path and message of each
entry are there for the humans who read the file in a review; only the fingerprint is matched.

    fastlint check --write-baseline .fastlint-baseline.json   # record (exit 0)
    fastlint check --baseline .fastlint-baseline.json         # report what is new
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from fastlint import fingerprints as fp
from fastlint.diagnostics import Diagnostic

#: the version of the file format; a reader refuses other versions rather than guessing
FORMAT_VERSION = 1


class BaselineError(Exception):
    """A baseline that cannot be read or written: one line, exit code 2."""


def fingerprint_all(diagnostics: Sequence[Diagnostic], root: str, cwd: str) -> list[tuple[Diagnostic, str]]:
    """Each diagnostic with its path made relative to the project root (so that a baseline works
    from any working directory) and its fingerprint, in the given order."""
    top = os.path.abspath(root)
    relative = []
    for d in diagnostics:
        absolute = os.path.normpath(os.path.join(cwd, d.path))
        try:
            rel = os.path.relpath(absolute, top)
        except ValueError:  # pragma: no cover - another drive on Windows
            rel = absolute
        relative.append(replace(d, path=Path(rel).as_posix()))

    def read_lines(path: str) -> list[str] | None:
        try:
            with open(os.path.join(top, path), encoding="utf-8", errors="replace") as fh:
                return fh.read().splitlines()
        except OSError:
            return None

    return list(zip(relative, fp.fingerprints(relative, read_lines)))


@dataclass(frozen=True)
class Baseline:
    path: str
    fingerprints: frozenset[str]

    def new_findings(self, diagnostics: Sequence[Diagnostic], root: str, cwd: str) -> list[Diagnostic]:
        """The diagnostics that the baseline does not hold, in the given order."""
        prints = fingerprint_all(diagnostics, root, cwd)
        return [d for d, (_, fingerprint) in zip(diagnostics, prints) if fingerprint not in self.fingerprints]


def load(path: str) -> Baseline:
    """Read a baseline written by `write`; any problem is a `BaselineError` naming the file."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file (create it with --write-baseline {path})") from None
    except IsADirectoryError:
        raise BaselineError(f"{path}: is a directory, not a baseline file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}: not a fastlint baseline: invalid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict) or "findings" not in data or "version" not in data:
        raise BaselineError(f"{path}: not a fastlint baseline (expected an object with 'version' and 'findings')")
    if data["version"] != FORMAT_VERSION:
        raise BaselineError(
            f"{path}: baseline format version {data['version']!r} is not supported (this fastlint reads version "
            f"{FORMAT_VERSION}); rewrite it with --write-baseline"
        )
    if data.get("fingerprint_version") != fp.VERSION:
        raise BaselineError(
            f"{path}: the baseline's fingerprints are version {data.get('fingerprint_version')!r}, this fastlint "
            f"computes version {fp.VERSION!r}; rewrite it with --write-baseline"
        )
    findings = data["findings"]
    if not isinstance(findings, list) or not all(isinstance(f, dict) and isinstance(f.get("fingerprint"), str) for f in findings):
        raise BaselineError(f"{path}: not a fastlint baseline ('findings' must be a list of objects with a 'fingerprint')")
    return Baseline(path, frozenset(f["fingerprint"] for f in findings))


def render(diagnostics: Sequence[Diagnostic], root: str, cwd: str, version: str) -> str:
    """The baseline file's text: entries sorted by path, code and fingerprint (no line numbers,
    so re-recording after code moved changes nothing)."""
    entries = [
        {"code": d.code, "path": d.path, "fingerprint": fingerprint, "message": d.message}
        for d, fingerprint in fingerprint_all(diagnostics, root, cwd)
    ]
    entries.sort(key=lambda e: (e["path"], e["code"], e["fingerprint"]))
    payload = {"version": FORMAT_VERSION, "fastlint": version, "fingerprint_version": fp.VERSION, "findings": entries}
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def write(path: str, diagnostics: Sequence[Diagnostic], root: str, cwd: str, version: str) -> None:
    """Write the baseline through a temporary file and a rename (a failed write leaves the old one)."""
    text = render(diagnostics, root, cwd, version)
    target = Path(path)
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
    except OSError as exc:
        try:
            temporary.unlink()
        except OSError:
            pass
        raise BaselineError(f"{path}: cannot write the baseline: {exc.strerror or exc}") from None
