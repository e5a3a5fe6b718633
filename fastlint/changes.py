"""`--diff-from REV`: the lines added or changed since a git revision, to report only the findings
on them (a gate on pull requests that does not ask anyone to fix the code they did not touch).

The run still lints (and the cross-file rules still see) the whole project; only the report is
filtered. The changed lines come from ``git diff --unified=0 REV --`` (the working tree against
REV, so committed, staged and unstaged changes all count) plus the untracked files, which count as
changed everywhere. A finding is kept when one of the lines it spans was added or changed, or
when lines were deleted inside its span. A file only renamed, with no other change, has no
changed lines. git runs in the project root as a subprocess; nothing else is needed.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from fastlint.diagnostics import Diagnostic

_HUNK = re.compile(rb"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = {b"a": 7, b"b": 8, b"t": 9, b"n": 10, b"v": 11, b"f": 12, b"r": 13, b'"': 34, b"\\": 92}


class ChangesError(Exception):
    """git is missing, the project is not in a repository, or the revision is unknown: one line,
    exit code 2."""


@dataclass
class FileChanges:
    #: None: the whole file counts as changed (untracked)
    lines: set[int] | None = field(default_factory=set)
    #: new-file line numbers after which lines were deleted
    deleted_after: set[int] = field(default_factory=set)

    def touches(self, line: int, end_line: int) -> bool:
        if self.lines is None:
            return True
        end_line = max(line, end_line)
        if any(n in self.lines for n in range(line, end_line + 1)):
            return True
        return any(line <= after < end_line for after in self.deleted_after)


@dataclass
class ChangedLines:
    revision: str
    toplevel: str
    #: real absolute path -> its changes
    files: dict[str, FileChanges] = field(default_factory=dict)

    def keep(self, diagnostics: Iterable[Diagnostic], cwd: str) -> list[Diagnostic]:
        """The diagnostics on added or changed lines (their paths are relative to `cwd`)."""
        out = []
        for d in diagnostics:
            changes = self.files.get(os.path.realpath(os.path.join(cwd, d.path)))
            if changes is not None and changes.touches(d.location.line, d.location.end_line):
                out.append(d)
        return out


def _git(args: Sequence[str], cwd: str) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0", LC_ALL="C")
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, env=env, check=False)
    except FileNotFoundError:
        raise ChangesError("--diff-from: git is not installed (or not on PATH)") from None
    except OSError as exc:
        raise ChangesError(f"--diff-from: cannot run git: {exc.strerror or exc}") from None


def _first_line(data: bytes) -> str:
    lines = data.decode("utf-8", "replace").strip().splitlines()
    return lines[0] if lines else ""


@dataclass(frozen=True)
class Revision:
    """A revision checked before the run: the repository's top directory and the commit."""

    name: str
    toplevel: str
    sha: str


def resolve(revision: str, root: str) -> Revision:
    """Check that `root` is in a git repository and that `revision` names a commit in it."""
    if not os.path.isdir(root):
        raise ChangesError(f"--diff-from: {root} is not a directory")
    top = _git(["rev-parse", "--show-toplevel"], root)
    if top.returncode != 0:
        raise ChangesError(f"--diff-from: {os.path.abspath(root)} is not in a git repository ({_first_line(top.stderr)})")
    toplevel = top.stdout.decode("utf-8", "surrogateescape").strip()
    if not revision or revision.startswith("-"):
        raise ChangesError(f"--diff-from: '{revision}' is not a git revision")
    resolved = _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], toplevel)
    if resolved.returncode != 0:
        raise ChangesError(f"--diff-from: unknown git revision '{revision}' (is the history fetched? e.g. fetch-depth: 0)")
    return Revision(revision, toplevel, resolved.stdout.decode().strip())


def changed_lines(revision: str | Revision, root: str = ".") -> ChangedLines:
    """The lines changed since `revision` (a name, resolved in the repository holding `root`)."""
    target = revision if isinstance(revision, Revision) else resolve(revision, root)
    toplevel = target.toplevel
    diff = _git(
        [
            "-c",
            "core.quotePath=false",
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--find-renames",
            "--unified=0",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            target.sha,
            "--",
        ],
        toplevel,
    )
    if diff.returncode != 0:
        raise ChangesError(f"--diff-from: git diff failed: {_first_line(diff.stderr)}")
    result = ChangedLines(target.name, toplevel)
    for rel, changes in parse_diff(diff.stdout).items():
        result.files[os.path.realpath(os.path.join(toplevel, rel))] = changes
    untracked = _git(["ls-files", "-z", "--others", "--exclude-standard"], toplevel)
    if untracked.returncode != 0:
        raise ChangesError(f"--diff-from: git ls-files failed: {_first_line(untracked.stderr)}")
    for raw in untracked.stdout.split(b"\0"):
        if raw:
            result.files[os.path.realpath(os.path.join(toplevel, os.fsdecode(raw)))] = FileChanges(lines=None)
    return result


def parse_diff(patch: bytes) -> dict[str, FileChanges]:
    """`git diff --unified=0` output -> path (relative to the repository, as in `+++ b/path`) ->
    the new file's added or changed lines and the places where lines were deleted."""
    files: dict[str, FileChanges] = {}
    current: FileChanges | None = None
    old_left = new_left = 0
    line_no = 0
    for raw in patch.split(b"\n"):
        if old_left or new_left:  # inside a hunk: count its lines, whatever they start with
            if raw.startswith(b"-"):
                old_left -= 1
            elif raw.startswith(b"+"):
                new_left -= 1
                if current is not None:
                    assert current.lines is not None
                    current.lines.add(line_no)
                line_no += 1
            continue
        if raw.startswith(b"diff --git "):
            current = None
        elif raw.startswith(b"+++ "):
            name = raw[4:].rstrip(b"\r")
            if name == b"/dev/null":
                current = None
                continue
            path = _unquote(name)
            if path.startswith("b/"):
                path = path[2:]
            current = files.setdefault(path, FileChanges())
        elif raw.startswith(b"@@"):
            match = _HUNK.match(raw)
            if not match:
                continue
            old_left = int(match.group(1)) if match.group(1) is not None else 1
            start = int(match.group(2))
            new_left = int(match.group(3)) if match.group(3) is not None else 1
            line_no = start
            if new_left == 0 and current is not None:
                current.deleted_after.add(start)
    return files


def _unquote(name: bytes) -> str:
    """A path as git prints it: C-quoted (`"a\\tb"`, octal bytes) when it has unusual characters."""
    if not (name.startswith(b'"') and name.endswith(b'"') and len(name) >= 2):
        return os.fsdecode(name)
    body = name[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        ch = body[i : i + 1]
        if ch == b"\\" and i + 1 < len(body):
            nxt = body[i + 1 : i + 2]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
                i += 2
                continue
            if nxt.isdigit() and i + 3 < len(body) + 1:
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
        out += ch
        i += 1
    return os.fsdecode(bytes(out))
