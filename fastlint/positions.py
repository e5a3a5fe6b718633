"""Positions of a few nodes, computed only when a file has something to report.

LibCST's `PositionProvider` records a range for every node of the module, which costs about twice
the parse itself. Most files have no finding, and a file with findings needs the positions of a
handful of nodes. `positions_of` generates the module's code once (the same code generation
`Module.code` does) and tracks line and column only where a wanted node starts and ends. The ranges
are the ones `PositionProvider` gives (syntactic, ignoring leading/trailing whitespace).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import libcst as cst
from libcst._nodes.internal import CodegenState

_NEWLINE_RE = re.compile(r"\r\n?|\n")

Range = tuple[tuple[int, int], tuple[int, int]]  # ((line, column), (end_line, end_column)), 1-based line, 0-based column


class _TargetedState(CodegenState):  # type: ignore[misc]
    def __init__(self, module: cst.Module, wanted: set[int]) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.wanted = wanted
        self.found: dict[int, Range] = {}
        self._open: list[tuple[int, tuple[int, int]]] = []
        self._line = 1
        self._column = 0
        self._scanned = 0

    def _position(self) -> tuple[int, int]:
        tokens = self.tokens
        line, column = self._line, self._column
        for i in range(self._scanned, len(tokens)):
            token = tokens[i]
            if "\n" in token or "\r" in token:
                parts = _NEWLINE_RE.split(token)
                line += len(parts) - 1
                column = len(parts[-1])
            else:
                column += len(token)
        self._scanned = len(tokens)
        self._line, self._column = line, column
        return line, column

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.wanted:
            self._open.append((id(node), self._position()))

    def after_codegen(self, node: cst.CSTNode) -> None:
        key = id(node)
        if key in self.wanted:
            _, start = self._open.pop()
            if key not in self.found:
                self.found[key] = (start, self._position())

    @contextmanager
    def record_syntactic_position(
        self,
        node: cst.CSTNode,
        *,
        start_node: cst.CSTNode | None = None,
        end_node: cst.CSTNode | None = None,
    ) -> Iterator[None]:
        key = id(node)
        if key not in self.wanted:
            yield
            return
        if start_node is not None:
            self.wanted.add(id(start_node))
        if end_node is not None:
            self.wanted.add(id(end_node))
        start = self._position()
        try:
            yield
        finally:
            end = self._position()
            if start_node is not None and id(start_node) in self.found:
                start = self.found[id(start_node)][0]
            if end_node is not None and id(end_node) in self.found:
                end = self.found[id(end_node)][1]
            self.found[key] = (start, end)


def positions_of(
    module: cst.Module, nodes: Iterable[cst.CSTNode], text: str | None = None, order: Sequence[cst.CSTNode] | None = None
) -> dict[int, Range]:
    """Map ``id(node)`` to its range for each of `nodes` (which must belong to `module`).

    With the module's `text` and `order` (its nodes in pre-order, as the engine's walk enters
    them), only the top-level statements that hold a wanted node are generated, each starting at
    the line CPython's own parser gives for it; the generated text is checked against the source
    there, and any doubt falls back to generating the whole module."""
    wanted = {id(n) for n in nodes}
    if not wanted:
        return {}
    if text is not None and order is not None:
        found = _by_statement(module, wanted, text, order)
        if found is not None:
            return found
    state = _TargetedState(module, set(wanted))
    module._codegen(state)
    return {key: state.found[key] for key in wanted if key in state.found}


def _by_statement(module: cst.Module, wanted: set[int], text: str, order: Sequence[cst.CSTNode]) -> dict[int, Range] | None:
    body = module.body
    top = {id(statement): k for k, statement in enumerate(body)}
    needed: set[int] = set()
    remaining = set(wanted)
    current = -1
    for node in order:
        key = id(node)
        k = top.get(key)
        if k is not None:
            current = k
        if key in remaining:
            if current == -1:
                return None
            needed.add(current)
            remaining.discard(key)
            if not remaining:
                break
    if remaining:  # nodes the walk does not enter (a parameter's name): look in every field
        for k, statement in enumerate(body):
            inside = _within(statement, remaining)
            if inside:
                needed.add(k)
                remaining -= inside
                if not remaining:
                    break
        if remaining:
            return None
    first_lines = _statement_lines(module, text)
    if first_lines is None:
        return None
    starts = _line_starts(text)
    found: dict[int, Range] = {}
    for k in sorted(needed):
        statement = body[k]
        line = first_lines[k] - len(getattr(statement, "leading_lines", ()))
        if not 1 <= line <= len(starts):
            return None
        state = _TargetedState(module, set(wanted))
        state._line = line
        statement._codegen(state)
        if not text.startswith("".join(state.tokens), starts[line - 1]):
            return None
        found.update((key, state.found[key]) for key in wanted if key in state.found)
    if len(found) != len(wanted):
        return None
    return found


_node_fields: dict[type, tuple[str, ...]] = {}


def _fields_of(cls: type) -> tuple[str, ...]:
    """The fields of a node class that may hold nodes other than whitespace."""
    names = _node_fields.get(cls)
    if names is None:
        import dataclasses

        names = _node_fields[cls] = tuple(
            f.name for f in dataclasses.fields(cls) if not f.name.startswith(("whitespace", "leading_lines", "lines_after"))
        )
    return names


def _within(root: cst.CSTNode, keys: set[int]) -> set[int]:
    """Which of the node ids `keys` are in the subtree of `root` (every field walked)."""
    found: set[int] = set()
    stack: list[object] = [root]
    node_type = cst.CSTNode
    while stack:
        node = stack.pop()
        if id(node) in keys:
            found.add(id(node))
            if len(found) == len(keys):
                break
        for name in _fields_of(type(node)):
            value = getattr(node, name)
            if type(value) is tuple or type(value) is list:
                stack.extend(v for v in value if isinstance(v, node_type))
            elif isinstance(value, node_type):
                stack.append(value)
    return found


_LAST_AST: list[object] = [None, None]


def remember_ast(text: str, tree: object) -> None:
    """Keep CPython's tree of the text being linted (the engine parses it anyway): positions
    then need no second parse."""
    _LAST_AST[0], _LAST_AST[1] = text, tree


def remembered_ast(text: str) -> object | None:
    """CPython's tree of `text` if `remember_ast` kept it, else None."""
    return _LAST_AST[1] if _LAST_AST[0] is text else None


def _statement_lines(module: cst.Module, text: str) -> list[int] | None:
    """The line of the first token (a decorator's `@` included) of each top-level statement, from
    CPython's parser; None when it cannot tell (it rejects the code, or the statements differ)."""
    import ast
    import warnings

    if _LAST_AST[0] is text:
        tree = _LAST_AST[1]
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    statements = tree.body  # type: ignore[attr-defined]
    out: list[int] = []
    i = 0
    for statement in module.body:
        if i >= len(statements):
            return None
        node = statements[i]
        line = node.lineno
        if isinstance(statement, cst.SimpleStatementLine):
            i += len(statement.body)
        else:
            for decorator in getattr(node, "decorator_list", ()):
                line = min(line, decorator.lineno)
            i += 1
        out.append(line)
    return out if i == len(statements) else None


def _line_starts(text: str) -> list[int]:
    """Offset of the start of each line, lines ending at \\n, \\r\\n or \\r (as LibCST counts them)."""
    starts = [0]
    starts.extend(match.end() for match in _NEWLINE_RE.finditer(text))
    return starts
