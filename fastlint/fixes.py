"""Fixes: from a rule's node replacement to a text edit, and from text edits to a fixed file.

A rule offers a fix by reporting ``replacement=<new node>`` for the reported node, or for an
ancestor named with ``replaces=<node>`` (FL103 rewrites the block around a `yield`). The engine
turns each replacement into an exact text edit (`node_edits`): it rebuilds the tree with the new
node in place of the old one (copying only the path from the module down to it), generates both
codes, and keeps the span that differs. The edit is a `Fix` on the `Diagnostic`, a plain picklable
value, so fixes travel with the findings through worker processes and the project pass.

`fix_run` applies them in rounds: lint, apply the chosen fixes of each file (edits that overlap
an earlier one wait for the next round), check that the result still parses, lint again (the
whole run: cross-file rules need every file's facts), until nothing changes or `MAX_ROUNDS`.
The texts live in memory until the end; then `--fix` writes each changed file atomically with
its encoding, BOM, newlines and mode, and `--diff` prints unified diffs instead.
"""

from __future__ import annotations

import codecs
import collections
import dataclasses
import difflib
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst

from fastlint.analysis.chains import children
from libcst._nodes.internal import CodegenState

from fastlint.diagnostics import Diagnostic, Fix, FixSafety, Location

#: Rounds of fixing before giving up (a fix that keeps producing new fixable findings).
MAX_ROUNDS = 10

_NEWLINE_RE = re.compile(r"\r\n?|\n")

# -- from node replacements to text edits ---------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    """Replace ``text[start:end]`` with `replacement` (offsets in characters)."""

    start: int
    end: int
    replacement: str


class _SpanState(CodegenState):  # type: ignore[misc]
    """Code generation that records the character span of the wanted nodes and, optionally,
    the ids of their ancestors (the path a rebuild has to copy)."""

    def __init__(self, module: cst.Module, wanted: set[int], ancestors: set[int] | None = None) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.wanted = wanted
        self.ancestors = ancestors
        self.spans: dict[int, tuple[int, int]] = {}
        self._open: dict[int, int] = {}
        self._path: list[int] = []
        self._length = 0
        self._scanned = 0

    def _offset(self) -> int:
        tokens = self.tokens
        length = self._length
        for i in range(self._scanned, len(tokens)):
            length += len(tokens[i])
        self._scanned = len(tokens)
        self._length = length
        return length

    def before_codegen(self, node: cst.CSTNode) -> None:
        key = id(node)
        if key in self.wanted and key not in self.spans and key not in self._open:
            self._open[key] = self._offset()
            if self.ancestors is not None:
                self.ancestors.update(self._path)
        if self.ancestors is not None:
            self._path.append(key)

    def after_codegen(self, node: cst.CSTNode) -> None:
        if self.ancestors is not None:
            self._path.pop()
        key = id(node)
        if key in self._open:
            self.spans[key] = (self._open.pop(key), self._offset())


def _spans(module: cst.Module, wanted: set[int], ancestors: set[int] | None = None) -> tuple[str, dict[int, tuple[int, int]]]:
    state = _SpanState(module, set(wanted), ancestors)
    module._codegen(state)
    code = "".join(state.tokens)
    # the module drops its last newline after the walk when the file has none: clamp
    limit = len(code)
    return code, {key: (min(s, limit), min(e, limit)) for key, (s, e) in state.spans.items()}


def _rebuild(node: cst.CSTNode, replace: Mapping[int, cst.CSTNode], ancestors: set[int]) -> cst.CSTNode:
    """`node` with the replacements made, copying only the nodes on the paths down to them."""
    new = replace.get(id(node))
    if new is not None:
        return new
    if id(node) not in ancestors:
        return node
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if isinstance(value, cst.CSTNode):
            rebuilt = _rebuild(value, replace, ancestors)
            if rebuilt is not value:
                changes[f.name] = rebuilt
        elif isinstance(value, (list, tuple)) and any(isinstance(v, cst.CSTNode) and (id(v) in ancestors or id(v) in replace) for v in value):
            changes[f.name] = type(value)(_rebuild(v, replace, ancestors) if isinstance(v, cst.CSTNode) else v for v in value)
    return node.with_changes(**changes) if changes else node


def _comments(node: cst.CSTNode) -> collections.Counter[str]:
    found: collections.Counter[str] = collections.Counter()
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, cst.Comment):
            found[item.value] += 1
        stack.extend(children(item))
    return found


def node_edits(module: cst.Module, text: str, pairs: Sequence[tuple[cst.CSTNode, cst.CSTNode]]) -> list[Edit | None]:
    """The text edit that each (old node, new node) replacement makes in `module` (whose code is
    `text`), trimmed to the part that changes. None for a replacement that cannot be made: the old
    node is not in the module, the new tree is invalid, or a comment would be lost.

    Replacements whose old nodes overlap are computed in separate rebuilds, so that every edit is
    the effect of its own replacement alone."""
    out: list[Edit | None] = [None] * len(pairs)
    candidates = [i for i, (old, new) in enumerate(pairs) if not (_comments(old) - _comments(new))]
    if not candidates:
        return out
    ancestors: set[int] = set()
    code, old_spans = _spans(module, {id(pairs[i][0]) for i in candidates}, ancestors)
    if code != text and not (text.startswith(code) and text[len(code) :] in ("\r", "\r\n", "\n")):
        # LibCST drops the last newline of a file that ends lines with a lone \r: the offsets
        # still hold then; any other difference means its code is not the text (no fix)
        return out
    groups: list[list[int]] = []
    for i in candidates:
        span = old_spans.get(id(pairs[i][0]))
        if span is None:
            continue
        for group in groups:
            if all(_disjoint(span, old_spans[id(pairs[j][0])]) for j in group):
                group.append(i)
                break
        else:
            groups.append([i])
    for group in groups:
        replace = {id(pairs[i][0]): pairs[i][1] for i in group}
        try:
            new_module = _rebuild(module, replace, ancestors)
            assert isinstance(new_module, cst.Module)
            new_code, new_spans = _spans(new_module, {id(pairs[i][1]) for i in group})
        except (Exception, RecursionError):  # noqa: BLE001 - an invalid replacement is no fix, never a crash
            continue
        for i in group:
            old_start, old_end = old_spans[id(pairs[i][0])]
            if id(pairs[i][1]) not in new_spans:
                continue
            new_start, new_end = new_spans[id(pairs[i][1])]
            out[i] = _trim(Edit(old_start, old_end, new_code[new_start:new_end]), text)
    return out


def _disjoint(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[1] <= b[0] or b[1] <= a[0]


def _trim(edit: Edit, text: str) -> Edit:
    old = text[edit.start : edit.end]
    new = edit.replacement
    prefix = 0
    limit = min(len(old), len(new))
    while prefix < limit and old[prefix] == new[prefix]:
        prefix += 1
    suffix = 0
    limit -= prefix
    while suffix < limit and old[len(old) - 1 - suffix] == new[len(new) - 1 - suffix]:
        suffix += 1
    return Edit(edit.start + prefix, edit.end - suffix, new[prefix : len(new) - suffix])


def line_starts(text: str) -> list[int]:
    """Offset of the start of each line, lines split the way LibCST counts them (\\r\\n, \\r, \\n)."""
    return [0] + [m.end() for m in _NEWLINE_RE.finditer(text)]


def to_location(starts: Sequence[int], start: int, end: int) -> Location:
    import bisect

    line = bisect.bisect_right(starts, start)
    end_line = bisect.bisect_right(starts, end)
    return Location(line, start - starts[line - 1] + 1, end_line, end - starts[end_line - 1] + 1)


def to_offsets(starts: Sequence[int], location: Location) -> tuple[int, int]:
    return (
        starts[location.line - 1] + location.column - 1,
        starts[location.end_line - 1] + location.end_column - 1,
    )


# -- applying edits ------------------------------------------------------------------------------


def apply_fixes(text: str, fixes: Iterable[Fix]) -> tuple[str, int]:
    """Apply the fixes that do not overlap an earlier one (by position); the others wait for the
    next round. Returns the new text and the number of fixes applied."""
    starts = line_starts(text)
    edits: list[tuple[int, int, str]] = []
    for fix in fixes:
        loc = fix.location
        if loc.line < 1 or loc.end_line > len(starts):
            continue
        start, end = to_offsets(starts, loc)
        if 0 <= start <= end <= len(text):
            edits.append((start, end, fix.replacement))
    edits.sort(key=lambda e: (e[0], e[1]))
    parts: list[str] = []
    last_start, last_end = -1, 0
    applied = 0
    for start, end, replacement in edits:
        if start < last_end or (start == end == last_start == last_end):
            continue  # overlaps (or inserts at the same point as) an edit already taken
        parts.append(text[last_end:start])
        parts.append(replacement)
        last_start, last_end = start, end
        applied += 1
    parts.append(text[last_end:])
    return "".join(parts), applied


# -- reading and writing files -------------------------------------------------------------------


@dataclass(frozen=True)
class SourceFile:
    """A file as read: its bytes, how to encode text back into them, and its mode."""

    path: str
    data: bytes
    text: str
    encoding: str
    bom: bool
    mode: int
    #: CPython itself compiles the original (then the fixed text must compile too)
    compiles: bool

    @classmethod
    def read(cls, path: str) -> SourceFile:
        """Raises OSError, or ValueError when the file cannot be written back byte for byte."""
        from fastlint.engine import SourceError, decode_source, source_encoding

        with open(path, "rb") as fh:
            data = fh.read()
            mode = stat.S_IMODE(os.fstat(fh.fileno()).st_mode)
        try:
            text = decode_source(data)
            encoding = source_encoding(data)
        except (SourceError, SyntaxError) as exc:
            raise ValueError(f"cannot decode the file: {exc}") from None
        bom = data.startswith(codecs.BOM_UTF8)
        if encoding == "utf-8-sig":
            encoding = "utf-8"
        source = cls(path, data, text, encoding, bom, mode, _compiles(text))
        if source.encode(text) != data:
            raise ValueError(f"the file does not round-trip through its encoding ({encoding})")
        return source

    def encode(self, text: str) -> bytes:
        """Raises UnicodeEncodeError when `text` has characters the encoding cannot hold."""
        return (codecs.BOM_UTF8 if self.bom else b"") + text.encode(self.encoding)


def _compiles(text: str) -> bool:
    import ast
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<fixed>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def parse_problem(text: str, strict: bool) -> str | None:
    """Why `text` is not a valid module (None if it is): LibCST must parse it, and CPython must
    compile it when it compiled the original."""
    from fastlint.engine import SourceError, parse_source

    try:
        parse_source(text)
    except SourceError as exc:
        return f"{exc.message} at line {exc.line}"
    if strict and not _compiles(text):
        return "CPython cannot compile the result"
    return None


def write_atomic(path: str, data: bytes, mode: int) -> None:
    """Write through a temporary file in the same directory and an atomic rename, keeping the
    mode (and the owner where allowed). A symbolic link is kept: its target is written."""
    real = os.path.realpath(path)
    directory = os.path.dirname(real) or "."
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(real)}.", suffix=".fastlint-tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        try:
            st = os.stat(real)
            if hasattr(os, "chown"):
                os.chown(tmp, st.st_uid, st.st_gid)
        except OSError:
            pass
        os.replace(tmp, real)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def unified_diff(display_path: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), fromfile=f"a/{display_path}", tofile=f"b/{display_path}"
    )
    out = []
    for line in lines:
        out.append(line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n")
    return "".join(out)


# -- the rounds ------------------------------------------------------------------------------------


@dataclass
class FixOutcome:
    #: the lint of the fixed texts (what remains)
    result: Any
    #: fixes applied, over all rounds and files
    fixed: int = 0
    #: absolute path -> (display path, the file as read, the fixed text), for changed files only
    changed: dict[str, tuple[str, SourceFile, str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def wanted(diagnostic: Diagnostic, unsafe: bool) -> bool:
    fix = diagnostic.fix
    return fix is not None and (fix.safety is FixSafety.SAFE or unsafe)


def fix_run(lint: Callable[[Mapping[str, str]], Any], unsafe: bool, first: Any = None, max_rounds: int = MAX_ROUNDS) -> FixOutcome:
    """Lint, fix and lint again until nothing changes. `lint(sources)` runs the whole lint with
    `sources` (absolute path -> text) standing in for those files' contents, and returns a
    `RunResult` (its `diagnostics`, and `job_paths`: display path -> absolute path); `first` is
    the lint of the files as they are, when the caller has it already."""
    sources: dict[str, str] = {}
    read: dict[str, SourceFile] = {}
    display: dict[str, str] = {}
    counts: collections.Counter[str] = collections.Counter()
    skipped: set[str] = set()
    errors: list[str] = []
    result = first if first is not None else lint(sources)
    rounds = 0
    while True:
        by_file: dict[str, list[Fix]] = {}
        for d in result.diagnostics:
            if wanted(d, unsafe):
                path = result.job_paths.get(d.path)
                if path is not None and path not in skipped:
                    by_file.setdefault(path, []).append(d.fix)  # type: ignore[arg-type]
                    display[path] = d.path
        if not by_file:
            break
        if rounds == max_rounds:
            errors.append(
                f"fixes did not settle after {max_rounds} rounds in {', '.join(sorted(display[p] for p in by_file))}; "
                "the fixes made so far are kept (please report this)"
            )
            break
        changed = False
        for path, fixes in sorted(by_file.items()):
            if path not in read:
                try:
                    read[path] = SourceFile.read(path)
                except (OSError, ValueError) as exc:
                    errors.append(f"{display[path]}: not fixed: {getattr(exc, 'strerror', None) or exc}")
                    skipped.add(path)
                    continue
            original = read[path]
            text = sources.get(path, original.text)
            new_text, applied = apply_fixes(text, fixes)
            if not applied or new_text == text:
                continue
            problem = parse_problem(new_text, original.compiles)
            if problem is not None:
                errors.append(f"{display[path]}: a fix produced invalid code ({problem}); the file is left unchanged (please report this)")
                skipped.add(path)
                sources.pop(path, None)
                counts.pop(path, None)
                changed = True
                continue
            sources[path] = new_text
            counts[path] += applied
            changed = True
        if not changed:
            break
        rounds += 1
        result = lint(sources)
    outcome = FixOutcome(result=result, fixed=sum(counts.values()), errors=errors)
    for path, text in sources.items():
        if text != read[path].text:
            outcome.changed[path] = (display[path], read[path], text)
    return outcome


def write_changes(outcome: FixOutcome) -> list[str]:
    """Write the fixed files; returns the problems (a file that changed on disk since it was read,
    or that cannot be encoded or written, is left as it is)."""
    problems: list[str] = []
    for path, (shown, original, text) in sorted(outcome.changed.items()):
        try:
            data = original.encode(text)
        except UnicodeEncodeError as exc:
            problems.append(f"{shown}: not fixed: the fixed text cannot be encoded as {original.encoding}: {exc.reason}")
            continue
        try:
            with open(path, "rb") as fh:
                if fh.read() != original.data:
                    problems.append(f"{shown}: not fixed: the file changed while fastlint was fixing it")
                    continue
            write_atomic(path, data, original.mode)
        except OSError as exc:
            problems.append(f"{shown}: not fixed: cannot write: {exc.strerror or exc}")
    return problems


def diff_changes(outcome: FixOutcome) -> str:
    return "".join(
        unified_diff(shown, original.text, text) for shown, original, text in sorted(outcome.changed.values(), key=lambda v: v[0])
    )
